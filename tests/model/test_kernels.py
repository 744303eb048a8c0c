"""Compiled kernels against the numpy definitions they replace."""

import numpy as np
import pytest

from model.kernels import (
    add_gains,
    add_shortfall,
    group_unit_sums,
    node_distance_gap,
    own_recipe_fit,
    row_distances,
)
from model.learning import convolve_same, raster, spillover_kernel, spillover_targets
from model.metrics.heterogeneity import pairwise_cognitive_distance


def test_add_gains_is_add_at_of_the_gains_to_the_bit(rng):
    knowledge = rng.random((30, 5))
    target = knowledge.copy()
    learner, teacher = rng.integers(0, 30, 200), rng.integers(0, 30, 200)  # many repeats
    weight = rng.random(200)
    expected = target.copy()
    gains = weight[:, None] * np.maximum(0.0, knowledge[teacher] - knowledge[learner])
    np.add.at(expected, learner, gains)
    add_gains(target, knowledge, learner, teacher, weight)
    np.testing.assert_array_equal(target, expected)


@pytest.mark.parametrize(("side", "scale"), [(9, 0.5), (40, 2.0), (41, 3.3)])
def test_spillover_targets_agree_with_the_fft_convolution(rng, side, scale):
    n, k = 10 * side, 6
    x, y = rng.integers(0, side, n), rng.integers(0, side, n)
    core = n // 4  # a crowded core
    x[:core], y[:core] = rng.integers(2, 6, core), rng.integers(2, 6, core)
    employees = rng.integers(1, 50, n).astype(float)
    knowledge = rng.random((n, k))
    kernel = spillover_kernel(scale)
    weighted = employees[:, None] * knowledge
    conv = convolve_same(raster(x * side + y, np.column_stack([weighted, employees]), side), kernel)
    denom = conv[k, x, y] - employees
    expected = np.where(
        (denom > 1e-9)[:, None],
        np.clip((conv[:k, x, y].T - weighted) / np.maximum(denom, 1e-300)[:, None], 0, 1),
        knowledge,
    )
    got = spillover_targets(x, y, employees, knowledge, side, kernel)
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)
    assert (got >= 0).all()
    assert (got <= 1).all()


def test_node_distance_gap_is_row_distances_and_the_mean_gap_to_the_bit(rng):
    k = 6
    psi = np.exp(-np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / 2.0)
    knowledge = rng.random((25, k))
    knowledge[3] = 0.0
    a, b = rng.integers(0, 25, 100), rng.integers(0, 25, 100)
    projected = knowledge @ psi
    distance, gap = node_distance_gap(knowledge, projected, a, b, True)
    own, other = knowledge[a], knowledge[b]
    # the same projections on both sides: ``own @ psi`` would round its rows differently
    # from ``knowledge @ psi`` with some BLAS kernels (a row's sum depends on the table's
    # length and the CPU; docs/reproducibility.md), which is no business of the kernel's
    expected = row_distances(own, other, projected[a], projected[b])
    np.testing.assert_array_equal(distance, expected)
    np.testing.assert_allclose(gap, np.maximum(0.0, other - own).mean(axis=1), rtol=1e-14)
    assert (distance[(a == 3) | (b == 3)] == 1.0).all()
    alone, no_gap = node_distance_gap(knowledge, projected, a, b, False)
    np.testing.assert_array_equal(alone, distance)  # the same distances without the gap
    assert no_gap.size == 0


def test_row_distances_are_the_diagonal_of_pairwise_distances(rng):
    k = 6
    psi = np.exp(-np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / 2.0)
    a, b = rng.random((40, k)), rng.random((40, k))
    a[0] = 0.0  # no knowledge: distance 1
    b[1] = a[1] * 0.5  # same direction: distance 0
    got = row_distances(a, b, a @ psi, b @ psi)
    expected = np.diag(pairwise_cognitive_distance(a, b, psi))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert got[0] == 1.0
    assert got[1] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("x", "y"), [(10, 0), (0, -1), (500, 3)])
def test_spillover_targets_refuse_firms_off_the_grid(x, y):
    with pytest.raises(ValueError, match="grid"):
        spillover_targets(
            np.array([1, x]),
            np.array([1, y]),
            np.ones(2),
            np.full((2, 3), 0.5),
            10,
            spillover_kernel(1.0),
        )


def test_add_shortfall_is_the_numpy_update_to_the_bit(rng):
    target, own = rng.random((40, 5)), rng.random((40, 5))
    rows = rng.permutation(40)[:25]
    goal = rng.random((25, 5))
    expected = target.copy()
    expected[rows] += 0.3 * np.maximum(0.0, goal - own[rows])
    add_shortfall(target, rows, goal, own, 0.3)
    np.testing.assert_array_equal(target, expected)


@pytest.mark.parametrize("k", [3, 7, 8, 9, 16, 24, 25, 31, 96])
def test_own_recipe_fit_is_numpys_row_sum_to_the_bit(k):
    rng = np.random.default_rng(k)
    n, p = 700, 6
    knowledge = rng.random((n, k))
    recipes = rng.random((p, k)) * (rng.random((p, k)) < 0.5)
    industry = rng.integers(0, p, n)
    rows = np.sort(rng.choice(n, 500, replace=False))
    expected = (knowledge[rows] * recipes[industry[rows]]).sum(axis=1)
    np.testing.assert_array_equal(own_recipe_fit(knowledge, recipes, industry, rows), expected)


def test_group_unit_sums_are_the_numpy_sums(rng):
    k = 7
    psi = np.exp(-np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / 2.0)
    knowledge = rng.random((400, k)) * (rng.random((400, k)) < 0.6)
    knowledge[:5] = 0.0  # no knowledge: skipped
    group = rng.integers(0, 6, 400)
    total, count = group_unit_sums(knowledge, psi, group, 7)
    norms = np.sqrt(((knowledge @ psi) * knowledge).sum(axis=1))
    has = norms > 0
    for g in range(7):
        rows = has & (group == g)
        np.testing.assert_allclose(
            total[g], (knowledge[rows] / norms[rows, None]).sum(axis=0), rtol=1e-13, atol=1e-15
        )
        assert count[g] == rows.sum()
    assert count[6] == 0
