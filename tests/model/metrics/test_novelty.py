import numpy as np
import pytest

from model.metrics._validation import MetricError
from model.metrics.novelty import (
    atypicality_z,
    combination_incidence,
    first_combinations,
)


def test_first_combinations_hand_computed():
    seen = np.zeros((4, 4), dtype=bool)
    seen[0, 2] = seen[2, 0] = True
    pairs = np.array([[0, 1], [1, 0], [2, 0], [1, 3], [3, 1], [2, 3]])
    novel, after = first_combinations(pairs, seen)
    # (0,1) new; (1,0) repeats it; (2,0) seen before; (1,3) new; (3,1) repeat; (2,3) new
    assert novel.tolist() == [True, False, False, True, False, True]
    expected = seen.copy()
    for a, b in [(0, 1), (1, 3), (2, 3)]:
        expected[a, b] = expected[b, a] = True
    assert np.array_equal(after, expected)


def test_first_combinations_does_not_mutate_inputs():
    seen = np.zeros((3, 3), dtype=bool)
    pairs = np.array([[2, 1]])
    first_combinations(pairs, seen)
    assert not seen.any()
    assert pairs.tolist() == [[2, 1]]


def test_first_combinations_accepts_integer_seen_and_empty_pairs():
    seen = np.eye(3, dtype=int)
    novel, after = first_combinations(np.zeros((0, 2), dtype=int), seen)
    assert novel.shape == (0,)
    assert np.array_equal(after, seen.astype(bool))


@pytest.mark.parametrize(
    ("pairs", "match"),
    [
        ([[1, 1]], "two distinct fields. Got \\(1, 1\\) in row 0"),
        ([[0, 3]], "fields in \\[0, 2\\]. Got 3 in row 0"),
        ([[0.0, 1.0]], "integer array. Got dtype float64"),
        ([0, 1], "\\(n, 2\\) integer array. Got dtype int64 and shape \\(2,\\)"),
    ],
)
def test_first_combinations_rejects_bad_pairs(pairs, match):
    with pytest.raises(MetricError, match=match):
        first_combinations(pairs, np.zeros((3, 3), dtype=bool))


def test_first_combinations_rejects_asymmetric_seen():
    seen = np.zeros((3, 3), dtype=bool)
    seen[0, 1] = True
    with pytest.raises(MetricError, match=r"'seen' argument of first_combinations .* symm"):
        first_combinations([[0, 1]], seen)


def test_combination_incidence_hand_computed():
    assert combination_incidence([[0, 2], [1, 0]], 3).tolist() == [
        [True, False, True],
        [True, True, False],
    ]


@pytest.mark.parametrize("n_fields", [-1, 2.5, True])
def test_combination_incidence_rejects_bad_n_fields(n_fields):
    with pytest.raises(MetricError, match=r"'n_fields' argument of combination_incidence"):
        combination_incidence([[0, 1]], n_fields)


def test_atypicality_z_hand_computed():
    # N = 4 items, n = (2, 2, 2); mu = 2 * 2 / 4 = 1;
    # var = 2 * 2 * (4 - 2) * (4 - 2) / (4**2 * (4 - 1)) = 1/3
    incidence = [[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]]
    z = atypicality_z(incidence)
    sigma = np.sqrt(2 * 2 * (4 - 2) * (4 - 2) / (4**2 * (4 - 1)))
    expected = [[0, (2 - 1) / sigma, (0 - 1) / sigma]]
    np.testing.assert_allclose(z[0], expected[0])
    np.testing.assert_allclose(z, z.T)
    assert z[1, 2] == pytest.approx((0 - 1) / sigma)


def test_atypicality_z_zero_variance_and_too_few_items():
    # Field 0 is in every item: no variance, z = 0; field 2 in none.
    z = atypicality_z([[1, 1, 0], [1, 0, 0], [1, 1, 0]])
    assert z[0].tolist() == [0, 0, 0]
    assert z[2].tolist() == [0, 0, 0]
    assert not atypicality_z([[1, 1, 0]]).any()
    assert atypicality_z(np.zeros((0, 3))).shape == (3, 3)


def test_atypicality_z_from_pairs():
    pairs = [[0, 1], [0, 1], [2, 3], [2, 3], [0, 2]]
    z = atypicality_z(combination_incidence(pairs, 4))
    assert z[0, 1] > 0
    assert z[1, 3] < 0
    assert np.isfinite(z).all()
