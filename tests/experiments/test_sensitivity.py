"""Tests of clusterlab.experiments.sensitivity: SALib wrappers, point means, tables of a results
folder.

The Sobol' wrapper is checked against the analytic indices of the Ishigami function; the
Morris wrapper against a linear function whose elementary effects are its coefficients.
Results folders here hold a real manifest and design (written by the store) and a
synthetic summary, so no simulation runs.
"""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris, sobol

from clusterlab.experiments.cli import main
from clusterlab.experiments.design import parse_experiment
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.sensitivity import (
    morris_indices,
    point_means,
    sensitivity_tables,
    sobol_indices,
)
from clusterlab.experiments.store import Results, ResultStore, load_results

SMOKE_FILE = Path(__file__).parents[2] / "experiments" / "files" / "smoke.toml"

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def ishigami(x: np.ndarray) -> np.ndarray:
    """f = sin x1 + a sin^2 x2 + b x3^4 sin x1 (Ishigami & Homma 1990)."""
    return (
        np.sin(x[:, 0])
        + ISHIGAMI_A * np.sin(x[:, 1]) ** 2
        + ISHIGAMI_B * x[:, 2] ** 4 * np.sin(x[:, 0])
    )


def ishigami_indices() -> tuple[list[float], list[float]]:
    """Analytic S1 and ST of the Ishigami function on [-pi, pi]^3 (Sobol' & Levitan 1999)."""
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2  # = 4.3459
    v2 = a**2 / 8  # = 6.125
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)  # = 3.3737; x3 acts only with x1
    v = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5  # = 13.8446
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def test_analytic_ishigami_values_are_the_published_ones():
    s1, st = ishigami_indices()
    assert s1 == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    assert st == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_indices_of_ishigami_match_analytic_values(second_order):
    x = sobol.sample(ISHIGAMI, 1024, calc_second_order=second_order, seed=1)
    table = sobol_indices(ISHIGAMI, ishigami(x), second_order=second_order)
    s1, st = ishigami_indices()
    assert list(table["parameter"]) == ["x1", "x2", "x3"]
    assert list(table["S1"]) == pytest.approx(s1, abs=0.05)
    assert list(table["ST"]) == pytest.approx(st, abs=0.05)
    assert (table[["S1_conf", "ST_conf"]] > 0).all().all()


def test_morris_ranks_the_dominant_factor_first():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0.0, 1.0]] * 3}
    x = morris.sample(problem, 10, num_levels=4, seed=2)
    y = x[:, 0] + 10 * x[:, 1] + 0.1 * x[:, 2]
    table = morris_indices(problem, x, y, levels=4)
    # linear on [0, 1]^3: every elementary effect of x_i is its coefficient; no spread
    assert list(table["parameter"]) == ["x2", "x1", "x3"]
    assert list(table["mu_star"]) == pytest.approx([10.0, 1.0, 0.1])
    assert list(table["sigma"]) == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


# -- point_means --------------------------------------------------------------------------
def _runs(values: dict[int, list[float]], seed: int = 1) -> pd.DataFrame:
    """Summary rows {point: [outcome per replicate]}, shuffled."""
    rows = pd.DataFrame(
        [
            {"point": p, "replicate": r, "radical_innovations": v}
            for p, vs in values.items()
            for r, v in enumerate(vs)
        ]
    )
    order = np.random.default_rng(seed).permutation(len(rows))
    return rows.iloc[order].reset_index(drop=True)


def test_point_means_in_point_order_with_noise_share():
    summary = _runs({2: [10.0, 10.0], 0: [1.0, 3.0], 1: [5.0, 7.0]})
    assert list(summary["point"]) != sorted(summary["point"])  # the shuffle matters
    means, noise = point_means(summary, 3, "radical_innovations")
    assert list(means) == [2.0, 6.0, 10.0]
    # within-point variances (ddof 0): 1, 1, 0 -> mean 2/3
    # all runs 1, 3, 5, 7, 10, 10: mean 6, squared deviations 25+9+1+1+16+16 = 68 -> 68/6
    assert noise == pytest.approx((2 / 3) / (68 / 6))  # = 1/17


def test_point_means_with_one_replicate_has_no_noise():
    means, noise = point_means(_runs({0: [4.0], 1: [1.0]}), 2, "radical_innovations")
    assert list(means) == [4.0, 1.0]
    assert noise == 0.0


def test_point_means_of_a_constant_outcome_has_no_noise():
    _, noise = point_means(_runs({0: [4.0, 4.0], 1: [4.0, 4.0]}), 2, "radical_innovations")
    assert noise == 0.0


def test_point_means_names_the_missing_points():
    summary = _runs({0: [1.0], 2: [2.0]})
    with pytest.raises(OutputError, match=r"points without finished runs: \[1, 3\]\. Rerun"):
        point_means(summary, 4, "radical_innovations")


def test_point_means_shortens_a_long_list_of_missing_points():
    with pytest.raises(OutputError, match=r"\[1, 2, 3, 4, 5, 6, 7, 8, 9, 10\] \.\.\."):
        point_means(_runs({0: [1.0]}), 12, "radical_innovations")


# -- sensitivity_tables on a results folder ------------------------------------------------
LEVERS = {"cross_cluster_subsidy": [0.0, 1.0], "university_link_subsidy": [0.0, 1.0]}


def _folder(
    tmp_path: Path,
    design: dict,
    outcome: Callable[[np.ndarray, np.ndarray], np.ndarray],
    replicates: int = 1,
) -> Results:
    """A results folder with the store's manifest and design, and a synthetic summary.

    ``outcome(x, replicate)`` gives each run's radical_innovations from its sample row.
    """
    exp = parse_experiment(
        {"name": "synthetic", "steps": 1, "replicates": replicates, "seed": 3, "outputs": []}
        | {"design": design}
    )
    ResultStore(tmp_path / "synthetic").create(exp, None, None)
    runs = exp.runs()
    summary = pd.DataFrame(
        {
            "run_id": [r.run_id for r in runs],
            "point": [r.point for r in runs],
            "scenario": [r.scenario for r in runs],
            "replicate": [r.replicate for r in runs],
        }
    )
    x = exp.samples[summary["point"]]
    summary["radical_innovations"] = outcome(x, summary["replicate"].to_numpy())
    # runs finish in any order: the analysis must put them back in sample order
    shuffled = summary.iloc[np.random.default_rng(0).permutation(len(summary))]
    return dataclasses.replace(load_results(tmp_path / "synthetic"), summary=shuffled)


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_tables_recover_an_additive_function(tmp_path, second_order):
    design = {"type": "sobol", "samples": 128, "second_order": second_order, "bounds": LEVERS}
    results = _folder(tmp_path, design, lambda x, _: x[:, 0] + 2 * x[:, 1])
    # x ~ U(0, 1): Var x1 = 1/12, Var 2 x2 = 4/12 -> S1 = ST = (1/5, 4/5), no interaction
    (found,) = sensitivity_tables(results, ["radical_innovations"])
    assert found.method == "sobol"
    assert list(found.indices["S1"]) == pytest.approx([0.2, 0.8], abs=0.05)
    assert list(found.indices["ST"]) == pytest.approx([0.2, 0.8], abs=0.05)
    assert found.noise_share == 0.0  # one replicate
    assert 0.0 <= found.convergence < 0.05


def test_morris_tables_use_the_sample_matrix_and_measure_noise(tmp_path):
    design = {
        "type": "morris",
        "trajectories": 4,
        "levels": 4,
        "bounds": LEVERS | {"cluster_org_funding": [0.0, 1.0]},
    }

    def outcome(x: np.ndarray, replicate: np.ndarray) -> np.ndarray:
        # replicate 0 is 0.5 above the point's value, replicate 1 0.5 below
        return x[:, 0] + 10 * x[:, 1] + 0.1 * x[:, 2] + np.where(replicate == 0, 0.5, -0.5)

    results = _folder(tmp_path, design, outcome, replicates=2)
    (found,) = sensitivity_tables(results, ["radical_innovations"])
    assert found.method == "morris"
    assert found.convergence is None
    assert list(found.indices["parameter"]) == [
        "university_link_subsidy",
        "cross_cluster_subsidy",
        "cluster_org_funding",
    ]
    assert list(found.indices["mu_star"]) == pytest.approx([10.0, 1.0, 0.1])
    # within each point the runs are y +- 0.5: variance 0.25; total = Var(y) + 0.25
    x = np.asarray(results.design.sort_values("point").filter(like="sample:"))
    var_y = np.var(x[:, 0] + 10 * x[:, 1] + 0.1 * x[:, 2])
    assert found.noise_share == pytest.approx(0.25 / (var_y + 0.25))


def test_sensitivity_tables_reject_a_scenarios_design(tmp_path):
    design = {"type": "scenarios", "scenarios": [{"preset": "baseline"}]}
    exp = parse_experiment({"name": "plain", "steps": 1, "replicates": 1, "design": design})
    ResultStore(tmp_path / "plain").create(exp, None, None)
    with pytest.raises(OutputError, match=r"come from a 'scenarios' design; .* sobol or morris"):
        sensitivity_tables(load_results(tmp_path / "plain"), ["radical_innovations"])


def test_sensitivity_tables_need_finished_runs(tmp_path):
    results = _folder(
        tmp_path, {"type": "sobol", "samples": 2, "bounds": LEVERS}, lambda x, _: x[:, 0]
    )
    empty = dataclasses.replace(results, summary=pd.DataFrame())
    with pytest.raises(OutputError, match=r"have no finished runs; run the sweep first"):
        sensitivity_tables(empty, ["radical_innovations"])


def test_sensitivity_tables_name_an_unknown_outcome(tmp_path):
    results = _folder(
        tmp_path, {"type": "sobol", "samples": 2, "bounds": LEVERS}, lambda x, _: x[:, 0]
    )
    with pytest.raises(OutputError, match=r"Unknown outcome 'radical'; available: run_id, point"):
        sensitivity_tables(results, ["radical"])


def test_sensitivity_tables_name_missing_points(tmp_path):
    results = _folder(
        tmp_path, {"type": "sobol", "samples": 2, "bounds": LEVERS}, lambda x, _: x[:, 0]
    )
    partial = dataclasses.replace(results, summary=results.summary.query("point != 5"))
    with pytest.raises(OutputError, match=r"points without finished runs: \[5\]"):
        sensitivity_tables(partial, ["radical_innovations"])


# -- CLI ----------------------------------------------------------------------------------
def test_cli_sensitivity_of_a_scenarios_experiment_exits_2(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["sensitivity", str(SMOKE_FILE), "--workers", "0", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("clusterlab: error: ")
    assert "'design.type' must be sobol or morris" in err
    assert "Got 'scenarios'" in err
    assert not out.exists()  # nothing ran, nothing written
