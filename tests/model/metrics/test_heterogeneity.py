import numpy as np
import pytest

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.heterogeneity import (
    cognitive_distance,
    cognitive_distance_rows,
    group_heterogeneity,
    knowledge_entropy,
    pairwise_cognitive_distance,
    technological_heterogeneity,
)

PSI = np.array([[1.0, 0.5], [0.5, 1.0]])


def _random_psi(k, seed):
    rng = np.random.default_rng(seed)
    raw = rng.random((k, k)) * 0.3
    psi = (raw + raw.T) / 2
    np.fill_diagonal(psi, 1.0)  # diagonally dominant, hence positive definite
    return psi


def test_cognitive_distance_hand_computed():
    # p' Psi q = 0.5; p' Psi p = q' Psi q = 1
    assert cognitive_distance([1, 0], [0, 1], PSI) == pytest.approx(1 - 0.5 / np.sqrt(1 * 1))
    # Identity Psi gives the cosine distance: 1 - 1 / (sqrt(2) * 1)
    d = cognitive_distance([1, 1, 0], [1, 0, 0], np.eye(3))
    assert d == pytest.approx(1 - 1 / np.sqrt(2))


def test_cognitive_distance_with_correlated_fields_hand_computed():
    # p = (1, 1), q = (1, 0): p'Psi q = 1 + 0.5; p'Psi p = 1 + 2 * 0.5 + 1; q'Psi q = 1
    expected = 1 - (1 + 0.5) / np.sqrt((1 + 2 * 0.5 + 1) * 1)
    assert cognitive_distance([1, 1], [1, 0], PSI) == pytest.approx(expected)


def test_cognitive_distance_is_scale_free_and_zero_to_itself():
    assert cognitive_distance([0.2, 0.4], [0.5, 1.0], PSI) == pytest.approx(0, abs=1e-12)
    assert cognitive_distance([0.3, 0.9], [0.3, 0.9], PSI) == pytest.approx(0, abs=1e-12)


def test_cognitive_distance_to_nothing_is_one():
    assert cognitive_distance([0, 0], [1, 0], PSI) == 1.0
    assert cognitive_distance([0, 0], [0, 0], PSI) == 1.0


def test_pairwise_and_rows_agree_with_the_scalar_version():
    rng = np.random.default_rng(8)
    psi = _random_psi(5, 8)
    a = rng.random((4, 5))
    b = rng.random((3, 5))
    b[1] = 0.0
    pairwise = pairwise_cognitive_distance(a, b, psi)
    expected = [[cognitive_distance(p, q, psi) for q in b] for p in a]
    np.testing.assert_allclose(pairwise, expected)
    assert pairwise[:, 1].tolist() == [1.0] * 4
    rows = cognitive_distance_rows(a[:3], b, psi)
    np.testing.assert_allclose(rows, np.diag(pairwise[:3]))


def test_technological_heterogeneity_hand_computed_skips_zero_rows():
    # Psi = I: d01 = 1, d02 = d12 = 1 - 1/sqrt(2); the zero row is skipped.
    k = [[1, 0], [0, 1], [1, 1], [0, 0]]
    expected = (1 + 2 * (1 - 1 / np.sqrt(2))) / 3
    assert technological_heterogeneity(k, np.eye(2)) == pytest.approx(expected)


def test_technological_heterogeneity_equals_mean_pairwise_distance():
    rng = np.random.default_rng(9)
    psi = _random_psi(6, 9)
    k = rng.random((25, 6)) * (rng.random((25, 6)) < 0.5)
    d = pairwise_cognitive_distance(k, k, psi)
    keep = k.any(axis=1)
    d = d[np.ix_(keep, keep)]
    n = d.shape[0]
    expected = d[np.triu_indices(n, 1)].mean()
    assert technological_heterogeneity(k, psi) == pytest.approx(expected)


@pytest.mark.parametrize("k", [np.zeros((0, 2)), [[1, 0]], [[1, 0], [0, 0]], [[0, 0]]])
def test_technological_heterogeneity_fewer_than_two_actors_is_zero(k):
    assert technological_heterogeneity(k, PSI) == 0.0


def test_identical_actors_have_zero_heterogeneity():
    assert technological_heterogeneity([[0.2, 0.4], [0.4, 0.8]], PSI) == pytest.approx(0)


def test_knowledge_entropy_hand_computed():
    out = knowledge_entropy([[0.5, 0.5], [1, 0], [0, 0], [0.2, 0.6]])
    expected = [np.log(2), 0, 0, -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))]
    np.testing.assert_allclose(out, expected)


@pytest.mark.parametrize(
    ("psi", "match"),
    [
        ([[1, 0.5], [0.2, 1]], "must be a symmetric matrix"),
        ([[1, 0.5], [0.5, 0.9]], "ones on the diagonal"),
        ([[1, 1.5], [1.5, 1]], "entries in \\[0, 1\\]"),
        ([[1, 1], [1, 1]], "must be positive definite"),
        ([[1, -0.5], [-0.5, 1]], "in \\[0, inf\\]. Got -0.5"),
        (np.eye(3), "one column per field of 'proximity' \\(3\\)"),
    ],
)
def test_bad_field_proximity_is_rejected(psi, match):
    with pytest.raises(MetricError, match=match):
        pairwise_cognitive_distance([[1, 0]], [[0, 1]], psi)


def test_knowledge_outside_unit_interval_is_rejected():
    with pytest.raises(MetricError, match=r"'knowledge' argument .* \[0, 1\]. Got 1.5"):
        technological_heterogeneity([[1.5, 0]], PSI)
    with pytest.raises(MetricError, match=r"'a' argument of cognitive_distance "):
        cognitive_distance([[1, 0]], [1, 0], PSI)


def test_rows_reject_mismatched_shapes():
    with pytest.raises(MetricError, match=r"'b' argument of cognitive_distance_rows"):
        cognitive_distance_rows([[1, 0], [0, 1]], [[1, 0]], PSI)


def test_unchecked_calls_give_the_checked_results(rng):
    a, b = rng.random((30, 2)), rng.random((30, 2))
    assert np.array_equal(
        cognitive_distance_rows(a, b, PSI, check_input=False), cognitive_distance_rows(a, b, PSI)
    )
    assert technological_heterogeneity(a, PSI, check_input=False) == (
        technological_heterogeneity(a, PSI)
    )


@pytest.mark.parametrize("seed", range(4))
def test_group_heterogeneity_is_the_heterogeneity_of_each_group(seed):
    rng = np.random.default_rng(seed)
    k = 6
    psi = np.exp(-np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / 2.0)
    knowledge = rng.random((300, k))
    knowledge[rng.random(300) < 0.05] = 0.0  # actors without knowledge are skipped
    group = rng.integers(0, 9, 300)
    group[group == 7] = 8  # an empty group
    group[np.flatnonzero(group == 5)[1:]] = 6  # a group of one
    out = group_heterogeneity(knowledge, psi, group, 10)
    expected = []
    for g in range(10):  # by brute force: the mean distance over unordered pairs
        rows = knowledge[(group == g) & (knowledge.sum(axis=1) > 0)]
        d = pairwise_cognitive_distance(rows, rows, psi)
        pairs = np.triu_indices(rows.shape[0], 1)
        expected.append(d[pairs].mean() if rows.shape[0] > 1 else 0.0)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    single = [technological_heterogeneity(knowledge[group == g], psi) for g in range(10)]
    np.testing.assert_allclose(single, expected, rtol=1e-12, atol=1e-14)
    assert out[7] == 0.0
    assert out[5] == 0.0
    assert out[9] == 0.0


def test_group_heterogeneity_rejects_bad_groups():
    psi = np.eye(2)
    with pytest.raises(MetricError, match=r"must be 0 to n_groups - 1 = 1\. Got 0 to 2"):
        group_heterogeneity([[1, 0], [0, 1]], psi, [0, 2], 2)
    with pytest.raises(MetricError, match="one integer per actor"):
        group_heterogeneity([[1, 0], [0, 1]], psi, [0.0, 1.0], 2)
