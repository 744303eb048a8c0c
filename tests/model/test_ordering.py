import numpy as np
import pytest

from clusterlab.model.ordering import stable_order


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("high", [2, 50, 10**6])
def test_stable_order_is_numpys_stable_argsort(seed, high):
    rng = np.random.default_rng(seed)
    key = rng.integers(-3, high, 2000)  # negative keys and many ties
    np.testing.assert_array_equal(stable_order(key), np.argsort(key, kind="stable"))


def test_stable_order_small_types_empty_and_a_range_that_would_overflow():
    for key in ([], [True, False, True], np.array([3, 1, 3], np.int8), [5]):
        np.testing.assert_array_equal(stable_order(key), np.argsort(key, kind="stable"))
    wide = np.array([2**62, -(2**62), 0, 2**62])  # the composite key would overflow int64
    assert stable_order(wide).tolist() == [1, 2, 0, 3]
