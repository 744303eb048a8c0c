import math

import numpy as np
import pytest

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.relatedness import co_occurrence, relatedness
from clusterlab.model.metrics.revealed import (
    relatedness_correlation,
    revealed_relatedness,
    unit_incidence,
)

# Four groups combining industries {0, 1}, {0, 1}, {1, 2}, {0, 2}.
GROUPS = [[1, 1, 0], [1, 1, 0], [0, 1, 1], [1, 0, 1]]


def test_unit_incidence_one_row_per_label_in_ascending_order():
    b = unit_incidence([7, 7, 3, 7, 3], [0, 2, 1, 0, 1], 3)
    assert b.tolist() == [[0, 1, 0], [1, 0, 1]]  # label 3, then label 7; duplicates once
    assert unit_incidence([], [], 3).shape == (0, 3)


def test_unit_incidence_rejects_bad_industries():
    with pytest.raises(MetricError, match=r"'industry' argument of unit_incidence"):
        unit_incidence([0, 1], [0, 3], 3)
    with pytest.raises(MetricError, match=r"length of 'unit' \(2\)"):
        unit_incidence([0, 1], [0], 3)


def test_revealed_relatedness_association_hand_computed():
    c = co_occurrence(GROUPS)  # off-diagonal c01 = 2, c02 = 1, c12 = 1
    phi = revealed_relatedness(c)
    # Diagonal removed: s = (3, 3, 2), T = 8.
    assert phi[0, 1] == pytest.approx(2 * 8 / (3 * 3))  # 16/9: more than at random
    assert phi[0, 2] == pytest.approx(1 * 8 / (3 * 2))
    assert phi[1, 2] == pytest.approx(1 * 8 / (3 * 2))
    assert np.diag(phi).tolist() == [0, 0, 0]
    np.testing.assert_allclose(phi, phi.T)


def test_revealed_relatedness_proximity_is_min_conditional_probability():
    c = co_occurrence(GROUPS)  # groups with each industry: (3, 3, 2)
    phi = revealed_relatedness(c, "proximity")
    assert phi[0, 1] == pytest.approx(2 / 3)  # P(0|1) = P(1|0) = 2/3
    assert phi[0, 2] == pytest.approx(1 / 3)  # min(P(0|2) = 1/2, P(2|0) = 1/3)
    assert phi[1, 2] == pytest.approx(1 / 3)


def test_revealed_relatedness_other_methods_are_econgeo_normalisations():
    c = co_occurrence(GROUPS)
    np.testing.assert_allclose(revealed_relatedness(c, "cosine"), relatedness(c, "cosine"))


@pytest.mark.parametrize("method", ["association", "proximity", "prob", "jaccard"])
def test_revealed_relatedness_of_groups_with_one_industry_each_is_zero(method):
    # Degenerate: no group combines two industries (diagonal only), or no group at all.
    only_single = co_occurrence([[1, 0, 0], [0, 1, 0], [0, 1, 0]])
    assert not revealed_relatedness(only_single, method).any()
    assert not revealed_relatedness(np.zeros((3, 3)), method).any()


def test_revealed_relatedness_industry_never_combined_has_a_zero_row():
    c = co_occurrence([[1, 1, 0], [0, 0, 1]])  # industry 2 only alone
    phi = revealed_relatedness(c)
    assert phi[2].tolist() == [0, 0, 0]
    assert phi[0, 1] > 0


def test_revealed_relatedness_rejects_bad_input():
    with pytest.raises(
        MetricError, match=r"'method' argument of revealed_relatedness .*'proximity'"
    ):
        revealed_relatedness(np.eye(2), "lift")
    with pytest.raises(MetricError, match=r"'c' argument of revealed_relatedness .* symmetric"):
        revealed_relatedness([[1, 1], [0, 1]], "proximity")


def test_relatedness_correlation_hand_computed():
    a = [[0, 1, 2], [1, 0, 3], [2, 3, 0]]  # pairs (0,1), (0,2), (1,2): 1, 2, 3
    assert relatedness_correlation(a, [[0, 5, 6], [5, 0, 9], [6, 9, 0]]) == pytest.approx(1)
    assert relatedness_correlation(a, [[0, 9, 6], [9, 0, 5], [6, 5, 0]]) == pytest.approx(-1)
    # Ties: pairs (1, 2, 2) rank (1, 2.5, 2.5); against ranks (1, 2, 3): centred (-1, .5, .5)
    # and (-1, 0, 1): r = 1.5 / sqrt(1.5 * 2) = sqrt(0.75).
    tied = [[0, 1, 2], [1, 0, 2], [2, 2, 0]]
    assert relatedness_correlation(tied, a) == pytest.approx(math.sqrt(0.75))


def test_relatedness_correlation_is_nan_when_nothing_to_rank():
    a = [[0, 1, 2], [1, 0, 3], [2, 3, 0]]
    assert math.isnan(relatedness_correlation(a, np.zeros((3, 3))))
    assert math.isnan(relatedness_correlation([[0, 1], [1, 0]], [[0, 2], [2, 0]]))  # one pair


def test_relatedness_correlation_rejects_shape_mismatch():
    with pytest.raises(MetricError, match=r"'phi_b' argument of relatedness_correlation"):
        relatedness_correlation(np.zeros((3, 3)), np.zeros((2, 2)))


@pytest.mark.parametrize("seed", range(3))
def test_relatedness_correlation_matches_scipy_spearman(seed):
    from scipy.stats import spearmanr

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, (6, 6)).astype(float)  # many ties
    b = rng.random((6, 6))
    a, b = a + a.T, b + b.T
    upper = np.triu_indices(6, k=1)
    expected = spearmanr(a[upper], b[upper]).statistic
    assert relatedness_correlation(a, b) == pytest.approx(expected)
