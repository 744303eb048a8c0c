import numpy as np
import pytest

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.relatedness import (
    co_occurrence,
    density_inside_outside,
    proximity,
    relatedness,
    relatedness_density,
)

M = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]])
# Off-diagonal co-occurrences c01 = 2, c02 = 1, c12 = 0; s = (3, 2, 1), T = 6.
C = np.array([[5, 2, 1], [2, 5, 0], [1, 0, 5]])


def test_co_occurrence_hand_computed():
    assert co_occurrence(M).tolist() == [[3, 2, 2], [2, 2, 1], [2, 1, 2]]


def test_relatedness_prob_hand_computed():
    # EconGeo: c / (((s_i/T) s_j/(T - s_i) + (s_j/T) s_i/(T - s_j)) T/2)
    r01 = 2 / (((3 / 6) * (2 / (6 - 3)) + (2 / 6) * (3 / (6 - 2))) * (6 / 2))
    r02 = 1 / (((3 / 6) * (1 / (6 - 3)) + (1 / 6) * (3 / (6 - 1))) * (6 / 2))
    expected = [[0, r01, r02], [r01, 0, 0], [r02, 0, 0]]
    np.testing.assert_allclose(relatedness(C), expected)
    np.testing.assert_allclose([r01, r02], [8 / 7, 1.25])


@pytest.mark.parametrize(
    ("method", "r01", "r02"),
    [
        ("association", 2 * 6 / (3 * 2), 1 * 6 / (3 * 1)),
        ("cosine", 2 / np.sqrt(3 * 2), 1 / np.sqrt(3 * 1)),
        ("jaccard", 2 / (3 + 2 - 2), 1 / (3 + 1 - 1)),
        ("Jaccard", 2 / (3 + 2 - 2), 1 / (3 + 1 - 1)),
    ],
)
def test_relatedness_other_methods_hand_computed(method, r01, r02):
    expected = [[0, r01, r02], [r01, 0, 0], [r02, 0, 0]]
    np.testing.assert_allclose(relatedness(C, method=method), expected)


@pytest.mark.parametrize("method", ["prob", "association", "cosine", "jaccard"])
def test_relatedness_of_zero_matrix_is_zero(method):
    out = relatedness(np.zeros((3, 3)), method=method)
    assert not out.any()
    assert np.isfinite(relatedness(np.eye(3) * 4, method=method)).all()


def test_relatedness_unknown_method_lists_allowed():
    with pytest.raises(
        MetricError,
        match=r"'method' argument of relatedness must be one of 'prob', 'association', "
        "'cosine', 'jaccard'. Got 'pmi'.",
    ):
        relatedness(C, method="pmi")


def test_relatedness_rejects_asymmetric_and_non_square():
    with pytest.raises(MetricError, match=r"'c' argument of relatedness must be a symm"):
        relatedness([[0, 1], [2, 0]])
    with pytest.raises(MetricError, match=r"must be a square matrix. Got shape \(2, 3\)"):
        relatedness(np.zeros((2, 3)))


def test_proximity_hand_computed():
    # ubiquity (3, 2, 2); phi_ij = c_ij / max(u_i, u_j)
    phi = proximity(M)
    expected = [[0, 2 / 3, 2 / 3], [2 / 3, 0, 1 / 2], [2 / 3, 1 / 2, 0]]
    np.testing.assert_allclose(phi, expected)


def test_proximity_is_min_of_conditional_probabilities():
    rng = np.random.default_rng(5)
    m = rng.random((20, 8)) < 0.4
    c = m.T.astype(float) @ m
    u = np.diag(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_i_given_j = np.nan_to_num(c / u[np.newaxis, :])
    expected = np.minimum(p_i_given_j, p_i_given_j.T)
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(proximity(m), expected)


def test_proximity_of_industry_nobody_specialises_in_is_zero():
    phi = proximity([[1, 0], [1, 0]])
    assert phi.tolist() == [[0, 0], [0, 0]]


def test_relatedness_density_hand_computed():
    phi = proximity(M)  # row sums (4/3, 7/6, 7/6)
    out = relatedness_density([[1, 0, 0], [0, 1, 1]], phi)
    expected = [
        [0.0, 100 * (2 / 3) / (7 / 6), 100 * (2 / 3) / (7 / 6)],
        [
            100 * (2 / 3 + 2 / 3) / (4 / 3),
            100 * (1 / 2) / (7 / 6),
            100 * (1 / 2) / (7 / 6),
        ],
    ]
    np.testing.assert_allclose(out, expected)


def test_relatedness_density_uses_rows_of_phi_and_zero_for_isolated_industry():
    # Industry 0 is related to industry 1 (phi_01 = 1), industry 1 to nothing.
    out = relatedness_density([[0, 1]], [[0, 1], [0, 0]])
    assert out.tolist() == [[100 * 1 / 1, 0.0]]


def test_relatedness_density_rejects_mismatched_phi():
    with pytest.raises(MetricError, match=r"'phi' argument .* side n_industries = 3"):
        relatedness_density(M, np.zeros((2, 2)))


def test_density_inside_outside_hand_computed_with_empty_sides():
    m = [[1, 0, 0], [0, 1, 1], [0, 0, 0], [1, 1, 1]]
    density = [[10, 20, 40], [10, 20, 40], [10, 20, 40], [10, 20, 40]]
    inside, outside = density_inside_outside(m, density)
    np.testing.assert_allclose(inside, [10, (20 + 40) / 2, 0, (10 + 20 + 40) / 3])
    np.testing.assert_allclose(outside, [(20 + 40) / 2, 10, (10 + 20 + 40) / 3, 0])


def test_density_inside_outside_rejects_shape_mismatch():
    with pytest.raises(MetricError, match=r"'density' argument .* shape of 'm'"):
        density_inside_outside([[1, 0]], [[1, 2, 3]])
