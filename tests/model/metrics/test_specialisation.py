import numpy as np
import pytest

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.specialisation import (
    absolute_diversity,
    diversity,
    herfindahl,
    krugman_index,
    locational_gini,
    rca,
    specialisation_matrix,
    ubiquity,
)


def test_rca_hand_computed():
    # total 4; region sums (2, 2); industry sums (1, 3)
    x = [[1, 1], [0, 2]]
    expected = [
        [(1 / 2) / (1 / 4), (1 / 2) / (3 / 4)],
        [0.0, (2 / 2) / (3 / 4)],
    ]
    np.testing.assert_allclose(rca(x), expected)


def test_rca_is_zero_for_a_region_without_employment():
    x = [[0, 0], [1, 2]]
    np.testing.assert_allclose(rca(x), [[0, 0], [(1 / 3) / (1 / 3), (2 / 3) / (2 / 3)]])


def test_rca_is_zero_for_an_industry_without_employment():
    x = [[1, 0], [3, 0]]
    np.testing.assert_allclose(rca(x), [[1, 0], [1, 0]])


def test_rca_of_all_zero_matrix_is_zero_and_nan_free():
    out = rca(np.zeros((3, 4)))
    assert out.shape == (3, 4)
    assert not out.any()


def test_single_region_has_rca_one_and_is_specialised_everywhere_it_works():
    x = [[3, 1, 0]]
    np.testing.assert_allclose(rca(x), [[1, 1, 0]])
    assert specialisation_matrix(x).tolist() == [[True, True, False]]


def test_ties_at_rca_one_count_as_specialised():
    # Proportional rows: every RCA is exactly 1.
    x = np.array([[1, 3, 7], [2, 6, 14], [5, 15, 35]])
    assert specialisation_matrix(x).all()


def test_a_single_tie_cell_counts_as_specialised():
    # total 8, region 0 sums to 4, industry 0 to 2: RCA_00 = (1 / 4) / (2 / 8) = 1
    x = [[1, 2, 1], [1, 0, 3]]
    assert rca(x)[0, 0] == (1 / 4) / (2 / 8)
    assert specialisation_matrix(x)[0, 0]
    assert specialisation_matrix(x, threshold=1.0 + 1e-9)[0, 0] == np.False_


def test_specialisation_matrix_threshold():
    x = [[1, 1], [0, 2]]  # RCA = [[2, 2/3], [0, 4/3]]
    assert specialisation_matrix(x).tolist() == [[True, False], [False, True]]
    assert specialisation_matrix(x, threshold=2).tolist() == [
        [True, False],
        [False, False],
    ]
    assert specialisation_matrix(x).dtype == np.bool_


@pytest.mark.parametrize("threshold", [0, -1, np.nan, np.inf, "one"])
def test_specialisation_matrix_rejects_bad_threshold(threshold):
    with pytest.raises(MetricError, match=r"'threshold' argument of specialisation"):
        specialisation_matrix([[1, 2]], threshold=threshold)


@pytest.mark.parametrize(
    ("x", "got"),
    [
        ([[1, -1]], "Got -1.0 at index \\(0, 1\\)"),
        ([[1, np.nan]], "Got nan at index \\(0, 1\\)"),
        ([1, 2], "Got an array of shape \\(2,\\)"),
        ([["a", "b"]], "Got a non-numeric list"),
    ],
)
def test_rca_rejects_bad_input(x, got):
    with pytest.raises(MetricError, match=rf"The 'x' argument of rca must be .*{got}"):
        rca(x)


def test_metric_error_is_a_value_error():
    with pytest.raises(ValueError, match=r"non-negative|in \[0, inf\]"):
        rca([[-1.0]])


def test_diversity_and_ubiquity_hand_computed():
    m = [[1, 1, 0], [0, 1, 0]]
    assert diversity(m).tolist() == [1 + 1, 1]
    assert ubiquity(m).tolist() == [1, 1 + 1, 0]
    assert diversity(np.array(m, dtype=bool)).dtype == np.int64


def test_diversity_rejects_non_binary():
    with pytest.raises(MetricError, match=r"'m' argument of diversity .* Got 2.0"):
        diversity([[2, 0]])


def test_herfindahl_hand_computed_and_zero_row():
    out = herfindahl([[1, 1], [3, 1], [0, 0]])
    np.testing.assert_allclose(out, [(1 / 2) ** 2 * 2, (3 / 4) ** 2 + (1 / 4) ** 2, 0])


def test_krugman_index_hand_computed_and_zero_row():
    # economy-wide shares: (4/6, 2/6)
    out = krugman_index([[1, 1], [3, 1], [0, 0]])
    expected = [
        abs(1 / 2 - 4 / 6) + abs(1 / 2 - 2 / 6),
        abs(3 / 4 - 4 / 6) + abs(1 / 4 - 2 / 6),
        0.0,
    ]
    np.testing.assert_allclose(out, expected)


def test_krugman_index_single_region_is_zero():
    np.testing.assert_allclose(krugman_index([[3, 1, 0]]), [0.0])


def test_locational_gini_hand_computed():
    # Region shares of total (1/2, 1/2). Industry 0 = (2, 1): sorted by LQ the Lorenz
    # points are (1/2, 1/3), (1, 1); area = (1 * 1/2 - 1/3 * 1) / 2.
    # Industry 1 = (0, 1): points (1/2, 0), (1, 1); area = (1 * 1/2 - 0) / 2.
    out = locational_gini([[2, 0], [1, 1]])
    np.testing.assert_allclose(out, [(1 * 1 / 2 - 1 / 3 * 1) / 2, (1 * 1 / 2) / 2])


def test_locational_gini_is_zero_for_an_industry_spread_like_employment():
    np.testing.assert_allclose(locational_gini([[1, 2], [2, 4], [3, 6]]), [0, 0], atol=1e-15)


def test_locational_gini_zero_column_and_zero_row():
    out = locational_gini([[2, 0, 0], [0, 0, 0], [1, 1, 0]])
    assert out[2] == 0.0
    np.testing.assert_allclose(out[:2], locational_gini([[2, 0], [1, 1]]))


def _econgeo_locational_gini(mat):
    """Transliterate EconGeo's R loc_gini line by line (order, cumsum, shoelace)."""
    mat = np.asarray(mat, dtype=float)
    out = []
    for col in range(mat.shape[1]):
        pop = mat.sum(axis=1) / mat.sum()
        ind = mat[:, col]
        order = np.argsort(ind / pop, kind="stable")
        ind, pop = ind[order], pop[order]
        cind = np.cumsum(ind) / np.cumsum(ind).max()
        cpop = np.cumsum(pop) / np.cumsum(pop).max()
        out.append((np.sum(cind[1:] * cpop[:-1]) - np.sum(cind[:-1] * cpop[1:])) / 2)
    return np.array(out)


def test_locational_gini_matches_econgeo_example():
    mat = [
        [100, 0, 0, 0, 0],
        [0, 15, 5, 70, 10],
        [0, 20, 10, 20, 50],
        [0, 25, 30, 5, 40],
        [0, 40, 55, 5, 0],
    ]
    np.testing.assert_allclose(locational_gini(mat), _econgeo_locational_gini(mat))


def test_absolute_diversity_hand_computed_with_exact_ties():
    # Region 0 of 100 employees: 60, 30, 5 (5% exactly: a tie counts), 4 -> 3 industries.
    # Region 1 has no employment: 0.
    assert absolute_diversity([[60, 30, 5, 4], [0, 0, 0, 0]], share=0.05).tolist() == [3, 0]
    assert absolute_diversity([[60, 30, 5, 4]], share=0.02).tolist() == [4]


def test_absolute_diversity_does_not_cancel_when_every_region_grows_an_industry():
    # Both regions grow industry 2 tenfold. RCA of industry 2: region 0
    # (1/101)/(3/203) = 0.67 -> (10/110)/(30/230) = 0.70, region 1 (2/102)/(3/203) = 1.33
    # -> (20/120)/(30/230) = 1.28: RCA diversity is unchanged; at a 5% share each region
    # gains one industry (1% -> 9% and 2% -> 17%).
    before = np.array([[90, 10, 1], [10, 90, 2]])
    after = np.array([[90, 10, 10], [10, 90, 20]])
    assert diversity(specialisation_matrix(before)).tolist() == [1, 2]
    assert diversity(specialisation_matrix(after)).tolist() == [1, 2]
    assert absolute_diversity(before, 0.05).tolist() == [2, 2]
    assert absolute_diversity(after, 0.05).tolist() == [3, 3]


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5, np.nan])
def test_absolute_diversity_rejects_bad_share(share):
    with pytest.raises(MetricError, match=r"'share' argument of absolute_diversity"):
        absolute_diversity([[1, 1]], share=share)
