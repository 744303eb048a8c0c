import numpy as np
import pytest

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.variety import entropy, variety_decomposition


def test_entropy_hand_computed_natural_log():
    out = entropy([[1, 1, 2], [5, 0, 0], [0, 0, 0]])
    expected = [-(2 * 0.25 * np.log(0.25) + 0.5 * np.log(0.5)), 0.0, 0.0]
    np.testing.assert_allclose(out, expected)


def test_entropy_of_uniform_row_is_log_n():
    np.testing.assert_allclose(entropy(np.ones((2, 7))), [np.log(7)] * 2)


def test_variety_decomposition_hand_computed():
    # shares (1/4, 1/4, 1/2), families {0, 1} and {2}: P = (1/2, 1/2)
    total, related, unrelated = variety_decomposition([[1, 1, 2]], [0, 0, 1])
    np.testing.assert_allclose(unrelated, [-(0.5 * np.log(0.5) * 2)])
    np.testing.assert_allclose(related, [0.5 * np.log(2) + 0.5 * 0.0])
    np.testing.assert_allclose(total, entropy([[1, 1, 2]]))


def test_variety_decomposition_is_exact_on_random_data():
    rng = np.random.default_rng(3)
    x = rng.gamma(0.3, 1.0, size=(50, 30)) * (rng.random((50, 30)) < 0.6)
    x[0] = 0.0
    groups = rng.integers(0, 6, size=30)
    total, related, unrelated = variety_decomposition(x, groups)
    assert np.array_equal(total, related + unrelated)
    np.testing.assert_allclose(total, entropy(x), atol=1e-12)
    assert total[0] == related[0] == unrelated[0] == 0.0


def test_variety_group_labels_are_arbitrary_integers():
    a = variety_decomposition([[1, 1, 2]], [0, 0, 1])
    b = variety_decomposition([[1, 1, 2]], np.array([7, 7, -3]))
    for left, right in zip(a, b, strict=True):
        np.testing.assert_allclose(left, right)


def test_variety_extreme_groupings():
    x = [[1, 2, 3, 4]]
    _, related, unrelated = variety_decomposition(x, [0, 1, 2, 3])
    np.testing.assert_allclose([related[0], unrelated[0]], [0.0, entropy(x)[0]])
    _, related, unrelated = variety_decomposition(x, [0, 0, 0, 0])
    np.testing.assert_allclose([related[0], unrelated[0]], [entropy(x)[0], 0.0])


def test_unrelated_variety_of_one_family_is_zero_not_negative():
    # Shares 0.2 + 0.4 + 0.3 + 0.1 sum to 1 + 2.2e-16 in floating point: the family's
    # share is then capped at 1, whose entropy term is exactly 0 (issue #17).
    total, related, unrelated = variety_decomposition([[2, 4, 3, 1]], [0, 0, 0, 0])
    assert unrelated[0] == 0.0
    assert total[0] == related[0]


@pytest.mark.parametrize("groups", [[0, 1], [0.0, 1.0, 1.0], [[0, 1, 1]]])
def test_variety_rejects_bad_groups(groups):
    with pytest.raises(MetricError, match=r"'groups' argument of variety_decomposition"):
        variety_decomposition([[1, 1, 2]], groups)


def test_entropy_rejects_negative():
    with pytest.raises(MetricError, match=r"'x' argument of entropy .* Got -1.0"):
        entropy([[1, -1]])
