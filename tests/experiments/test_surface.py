"""Response surfaces and partial dependence of sampled designs in compare."""

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.design import load_experiment
from clusterlab.experiments.report import compare_report
from clusterlab.experiments.runner import run_experiment
from clusterlab.experiments.surface import partial_dependence, response_surface

LEVERS = {"a": (0.0, 2.0), "b": (10.0, 20.0)}


def synthetic(n: int = 40, noise: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 2, n), rng.uniform(10, 20, n)
    # scaled to [0, 1]: a / 2 and (b - 10) / 10; y = 2 + 3 a/2 - 1 (b - 10)/10
    y = 2 + 3 * a / 2 - (b - 10) / 10 + noise * rng.standard_normal(n)
    return pd.DataFrame({"a": a, "b": b, "y": y})


def test_response_surface_recovers_hand_made_low_to_high_effects():
    table = response_surface(synthetic(), LEVERS, "y").set_index("lever")
    np.testing.assert_allclose(table["effect"], [3.0, -1.0], atol=1e-9)
    assert table["r2"].iloc[0] == pytest.approx(1.0)
    noisy = response_surface(synthetic(200, noise=0.5), LEVERS, "y").set_index("lever")
    assert (noisy["low"] < [3.0, -1.0]).all()
    assert (noisy["high"] > [3.0, -1.0]).all()


def test_partial_dependence_rises_with_a_lever_that_raises_the_outcome():
    table = partial_dependence(synthetic(), "a", "y")
    assert len(table) == 5
    assert table["n"].sum() == 40
    assert table["mean"].is_monotonic_increasing
    assert table["lever_mean"].is_monotonic_increasing


LHS = """\
name = "lhs_tiny"
steps = 3
replicates = 1
seed = 3
fixed = { n_firms = 100, burn_in = 1 }
[design]
type = "lhs"
samples = 8
[design.bounds]
cross_cluster_subsidy = [0.0, 1.0]
demand_growth = [0.0, 0.05]
"""


def test_compare_on_an_lhs_sweep_shows_surfaces_not_differences_to_point_0(tmp_path):
    path = tmp_path / "lhs.toml"
    path.write_text(LHS)
    run_experiment(load_experiment(path), tmp_path / "out", executor=None, source=path)
    compare_report(tmp_path / "out")
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## Response surface (first order)" in text
    assert "## Partial dependence" in text
    assert "Differences to" not in text
    surface = pd.read_csv(tmp_path / "out" / "tables" / "response_surface.csv")
    assert set(surface["lever"]) == {"cross_cluster_subsidy", "demand_growth"}
    assert (tmp_path / "out" / "figures" / "partial_dependence.png").is_file()


def test_compare_on_an_lhs_sweep_too_small_to_fit_says_so(tmp_path):
    # samples >= 2 is a valid design; 3 runs cannot fit an intercept and two levers
    path = tmp_path / "lhs.toml"
    path.write_text(LHS.replace("samples = 8", "samples = 3"))
    run_experiment(load_experiment(path), tmp_path / "out", executor=None, source=path)
    compare_report(tmp_path / "out")
    text = (tmp_path / "out" / "report.md").read_text()
    assert "Not fitted: a first-order fit of 2 lever(s) needs more than 3 runs" in text
    assert not (tmp_path / "out" / "tables" / "response_surface.csv").exists()
    assert "## Partial dependence" in text
