"""Each strict check on synthetic data whose answer is known (issue #16 thresholds)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.validation import THRESHOLDS, Criterion, criteria_met, interval
from clusterlab.experiments.validation_stats import (
    growth_statistics,
    inverted_u,
    linear_probability,
    network_statistics,
    tail_fit,
    variety_effect,
)

SEEDS = range(5)


def _passes(key: str, figures: dict[str, float]) -> bool:
    return all(criteria_met(key, figures).values())


def _group(fit: dict[str, float]) -> dict[str, float]:
    return {f"group_{k}": v for k, v in fit.items()}


# -- firm sizes -----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_a_zipf_sample_passes_the_size_check(seed):
    rng = np.random.default_rng(seed)
    # Pareto with CCDF P(S > s) = (5 / s)^1: Zipf exponent 1, density exponent alpha = 2
    sizes = 5.0 * (1.0 - rng.random(3000)) ** -1.0
    fit = tail_fit(sizes)
    assert fit["zipf_exponent"] == pytest.approx(fit["pdf_alpha"] - 1.0)
    assert fit["zipf_exponent"] == pytest.approx(1.0, abs=0.15)
    assert _passes("sizes", _group(fit)), criteria_met("sizes", _group(fit))


@pytest.mark.parametrize("seed", SEEDS)
def test_an_exponential_sample_fails_the_size_check(seed):
    sizes = np.random.default_rng(seed).exponential(20.0, 3000)
    fit = _group(tail_fit(sizes))
    met = criteria_met("sizes", fit)
    assert not met["group_zipf_exponent in [0.8, 1.3]"]
    assert not met["group_tail_decades >= 1.5"]  # an exponential tail spans < 1 decade
    assert not _passes("sizes", fit)


def test_tail_fit_of_too_few_sizes_is_nan_and_fails():
    fit = _group(tail_fit(np.array([1.0, 2.0, 3.0, 0.0])))
    assert np.isnan(fit["group_zipf_exponent"])
    assert not any(criteria_met("sizes", fit).values())


# -- growth rates ---------------------------------------------------------------------------
def _growth_sample(rng, laplace: bool, beta: float) -> tuple[np.ndarray, np.ndarray]:
    size = np.exp(rng.uniform(0.0, 7.0, 20_000))  # 1 to ~1100 employees
    scale = 0.3 * size**beta  # sd of growth proportional to size^beta
    noise = rng.laplace(0, 1 / np.sqrt(2), size.size) if laplace else rng.normal(size=size.size)
    return size, scale * noise  # both noises have unit variance


@pytest.mark.parametrize("seed", SEEDS)
def test_laplace_growth_falling_with_size_passes(seed):
    stats = growth_statistics(*_growth_sample(np.random.default_rng(seed), True, -0.2))
    assert stats["sd_size_slope"] == pytest.approx(-0.2, abs=0.05)
    assert _passes("growth", stats), criteria_met("growth", stats)


@pytest.mark.parametrize("seed", SEEDS)
def test_normal_growth_independent_of_size_fails_every_criterion(seed):
    stats = growth_statistics(*_growth_sample(np.random.default_rng(seed), False, 0.0))
    assert stats["excess_kurtosis"] == pytest.approx(0.0, abs=0.2)
    assert not any(criteria_met("growth", stats).values()), stats


# -- collaboration network ------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_a_small_world_passes_and_a_random_graph_fails_the_network_check(seed):
    ws = nx.connected_watts_strogatz_graph(400, 8, 0.1, seed=seed)
    small_world = network_statistics(np.array(ws.edges()), seed=seed)
    assert _passes("network", small_world), small_world
    er = nx.gnm_random_graph(400, ws.number_of_edges(), seed=seed)
    random = network_statistics(np.array(er.edges()), seed=seed)
    assert random["clustering_ratio"] < 2  # clustering of G(n, m) is what rewiring gives
    assert not _passes("network", random)


def test_network_statistics_by_hand_and_degree_preserved():
    # triangle 0-1-2 plus tail 2-3; clustering (1 + 1 + 1/3 + 0) / 4; all 4 nodes connected
    stats = network_statistics(np.array([[0, 1], [1, 2], [0, 2], [2, 3]]), seed=1)
    assert stats["clustering"] == pytest.approx((1 + 1 + 1 / 3 + 0) / 4)
    assert stats["largest_component_share"] == 1.0
    # paths: 0-1 1, 0-2 1, 0-3 2, 1-2 1, 1-3 2, 2-3 1 -> mean 8 / 6
    assert stats["path_length"] == pytest.approx(8 / 6)
    empty = network_statistics(np.zeros((0, 2), int), seed=1)
    assert empty["nodes"] == 0
    assert not any(criteria_met("network", empty).values())


def test_largest_component_counts_linked_firms_not_universities():
    # firms 0-1-2 in one component through university node 10; firms 3-4 apart:
    # 3 of 5 linked firms are in the largest component (the university is not a firm)
    edges = np.array([[0, 10], [1, 10], [2, 10], [3, 4], [0, 1]])
    stats = network_statistics(edges, seed=1, first_non_firm=10)
    assert stats["largest_component_share"] == pytest.approx(3 / 5)
    assert network_statistics(edges, seed=1)["largest_component_share"] == pytest.approx(4 / 6)


# -- principle of relatedness ---------------------------------------------------------------
def _lpm_sample(seed: int, slope: float, base: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    runs, regions, industries, periods = 4, 4, 12, 9
    idx = np.indices((runs, regions, industries, periods)).reshape(4, -1)
    density = rng.uniform(0, 60, idx.shape[1])
    outcome = rng.random(idx.shape[1]) < base + slope * density
    return pd.DataFrame(
        {
            "run": idx[0],
            "region_id": idx[0] * regions + idx[1],
            "industry": idx[2],
            "t": 5 * idx[3],
            "density": density,
            "y": outcome.astype(float),
        }
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_planted_relatedness_effect_passes(seed):
    # entry: P = 0.01 + 0.004 d, d ~ U(0, 60): mean 0.13, +10 points -> 0.04 / 0.13 = +31%
    entry = linear_probability(_lpm_sample(seed, 0.004, 0.01), "y")
    leave = linear_probability(_lpm_sample(seed + 100, -0.003, 0.25), "y")
    assert entry["change_per_10_points"] == pytest.approx(0.31, abs=0.1)
    figures = {f"entry_{k}": v for k, v in entry.items()}
    figures |= {f"exit_{k}": v for k, v in leave.items()}
    assert _passes("relatedness", figures), criteria_met("relatedness", figures)


@pytest.mark.parametrize("seed", SEEDS)
def test_no_relatedness_effect_is_not_significant(seed):
    entry = linear_probability(_lpm_sample(seed, 0.0, 0.1), "y")
    assert entry["p"] > 0.01 or entry["coef"] < 0


# -- life cycle -----------------------------------------------------------------------------
def _cluster_panel(seed: int, curve) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = np.tile(np.arange(51), 40)
    unit = np.repeat(np.arange(40), 51)
    effect = rng.normal(0, 0.1, 40)[unit]
    h = 0.5 + effect + curve(age) + rng.normal(0, 0.02, age.size)
    return pd.DataFrame({"unit": unit, "age": age, "heterogeneity": h})


@pytest.mark.parametrize("seed", SEEDS)
def test_a_planted_inverted_u_passes_with_its_peak(seed):
    # h = 0.02 a - 0.0004 a^2: peak at a = 25, the middle of ages 0..50
    stats = inverted_u(_cluster_panel(seed, lambda a: 0.02 * a - 0.0004 * a**2))
    assert stats["peak_age"] == pytest.approx(25, abs=1)
    assert stats["peak_position"] == pytest.approx(0.5, abs=0.02)
    assert _passes("life_cycle", stats)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_rising_heterogeneity_fails_the_life_cycle_check(seed):
    # concave but rising all along: peak at a = 100, beyond the observed ages
    stats = inverted_u(_cluster_panel(seed, lambda a: 0.02 * a - 0.0001 * a**2))
    assert stats["peak_position"] > 1
    assert not _passes("life_cycle", stats)


def test_one_cluster_gives_no_life_cycle_figures():
    # a run that founded a single cluster: no clustered standard error (it needs two units)
    one = _cluster_panel(0, lambda a: 0.02 * a - 0.0004 * a**2).query("unit == 3")
    stats = inverted_u(one)
    assert np.isnan(stats["age2_p"])
    assert stats["observations"] == 51
    assert not _passes("life_cycle", stats)


# -- variety -> radical innovation ----------------------------------------------------------
def _variety_panel(seed: int, effect: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    regions, years = 40, 30
    region = np.repeat(np.arange(regions), years)
    step = np.tile(np.arange(years), regions)
    uv = rng.normal(1.0, 0.2, region.size)
    rv = rng.normal(0.5, 0.2, region.size)
    fe = rng.normal(0, 2, regions)[region] + 0.1 * step
    radical = fe + effect * uv + rng.normal(0, 0.5, region.size)
    return pd.DataFrame(
        {"region_id": region, "step": step, "uv_lag": uv, "rv_lag": rv, "radical": radical}
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_planted_variety_effect_passes_and_none_fails(seed):
    assert _passes("variety", variety_effect(_variety_panel(seed, 2.0)))
    null = variety_effect(_variety_panel(seed, 0.0))
    assert null["uv_p"] > 0.001  # no effect planted: never overwhelming evidence


# -- criteria and intervals -----------------------------------------------------------------
def test_criterion_bounds_are_inclusive_and_nan_fails():
    c = Criterion("x", "in", (0.8, 1.3), "")
    assert c.holds(0.8)
    assert c.holds(1.3)
    assert not c.holds(1.31)
    assert not c.holds(float("nan"))
    assert Criterion("x", "<", 0.05, "").holds(0.01)
    assert not Criterion("x", ">=", 10.0, "").holds(9.99)
    assert Criterion("x", "<=", 1.5, "").text() == "<= 1.5"
    assert c.text() == "in [0.8, 1.3]"


def test_every_threshold_uses_a_known_operator():
    for criteria in THRESHOLDS.values():
        for c in criteria:
            assert c.op in {">", "<", ">=", "<=", "in"}
            assert (c.op == "in") == isinstance(c.bound, tuple)


def test_interval_is_a_reproducible_bootstrap_within_the_values():
    values = [1.0, 2.0, 3.0, 4.0, float("nan")]
    mean, low, high = interval(values)
    assert mean == 2.5
    assert 1.0 <= low < mean < high <= 4.0
    assert interval(values) == (mean, low, high)
    assert np.isnan(interval([1.0])[1])


def test_one_triangle_in_a_sparse_graph_is_not_a_small_world():
    # a path of 60 firms plus one chord closing the triangle 0-1-2: rewirings of such a
    # sparse graph often hold no triangle, so the null is floored at the configuration
    # model's expected clustering and the ratio stays finite and small
    edges = np.array([[i, i + 1] for i in range(59)] + [[0, 2]])
    stats = network_statistics(edges, seed=3)
    assert stats["clustering"] == pytest.approx((1 + 1 + 1 / 3) / 60)
    assert np.isfinite(stats["clustering_ratio"])
    assert not criteria_met("network", stats)["clustering_ratio >= 10"]
