"""Tests of clusterlab.experiments.effects, clusterlab.experiments.report_effects and their figures
(synthetic data), and of the shipped demo and dose-response files (the demo's mixes spend the same).
"""

import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.design import load_experiment
from clusterlab.experiments.effects import dose_table, effects_table, lever_doses, spend_check
from clusterlab.experiments.plots import plot_dose_panels, plot_fan, plot_spend_curves
from clusterlab.experiments.report_effects import PER_MEUR, call_targets, wide_effects
from clusterlab.model.params import param_specs
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate

FILES = Path(__file__).parents[2] / "experiments" / "files"
LEVERS = (
    "cross_cluster_subsidy",
    "intra_cluster_subsidy",
    "university_link_subsidy",
    "interregional_subsidy",
    "sme_rd_grant",
    "cluster_org_funding",
    "challenge_demand",
)


def _summary() -> pd.DataFrame:
    """Three scenarios x 3 replicates; 'a' adds 2, 3, 4 persistent entries to the baseline."""
    rows = []
    base_entries = [10.0, 12.0, 11.0]
    for scenario, add, spend in (("base", [0, 0, 0], 0.0), ("a", [2, 3, 4], 30.0)):
        for rep in range(3):
            rows.append(
                {
                    "scenario": scenario,
                    "point": 0 if scenario == "base" else 1,
                    "replicate": rep,
                    "policy_spend": spend,
                    "persistent_entries": base_entries[rep] + add[rep],
                    "radical_innovations": 5.0 + (rep if scenario == "a" else -rep),
                }
            )
    return pd.DataFrame(rows)


def png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


# -- effects_table, spend_check -------------------------------------------------------------
def test_effects_table_pairs_replicates_and_prices_clear_effects():
    table = effects_table(_summary(), "base").set_index(["scenario", "outcome"])
    entries = table.loc[("a", "persistent_entries")]
    # paired differences 2, 3, 4: mean 3, sd 1, half-width t(0.975, 2) / sqrt(3) = 2.484
    assert entries["diff"] == pytest.approx(3.0)
    assert entries["low"] == pytest.approx(3.0 - 2.484, abs=1e-3)
    assert entries["spend"] == 30.0
    assert entries["meur_per_unit"] == pytest.approx(10.0)  # 30 M€ extra / 3 entries
    # radicals: differences 0, 2, 4 -> mean 2, interval reaches below 0: no price given
    radical = table.loc[("a", "radical_innovations")]
    assert radical["low"] < 0 < radical["diff"]
    assert np.isnan(radical["meur_per_unit"])
    assert table.loc[("base", "persistent_entries"), "diff"] == 0.0


def test_spend_check_flags_the_scenario_below_the_tolerance():
    spend = pd.Series({"x": 80.0, "y": 78.4, "z": 60.0})
    check = spend_check(spend).set_index("scenario")
    assert list(check["under"]) == [False, False, True]  # 78.4 / 80 = 98%; 60 / 80 = 75%
    assert check.loc["z", "share"] == pytest.approx(0.75)
    targeted = spend_check(spend, pd.Series({"x": 100.0, "y": 100.0, "z": 60.0}))
    assert list(targeted["under"]) == [True, True, False]


# -- lever_doses, dose_table ----------------------------------------------------------------
def _design() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point": [0, 1, 2, 3, 4, 5, 6, 7],
            "scenario": ["baseline", "b=1", "a=0.5", "a=1", "both", "targeted", "other", "shock"],
            "preset": ["baseline"] * 6 + ["mission", "baseline"],
            "cross_cluster_subsidy": [np.nan, 1.0, np.nan, np.nan, 1.0, np.nan, np.nan, np.nan],
            "sme_rd_grant": [np.nan, np.nan, 0.5, 1.0, 1.0, 0.5, np.nan, np.nan],
            "subsidy_targeting": [None, None, None, None, None, "missing_link", None, None],
            "shock_year": [np.nan] * 7 + [10.0],
        }
    )


def test_lever_doses_keeps_one_lever_points_and_gives_the_baseline_dose_zero():
    doses = lever_doses(_design())
    # levers in design order, doses ascending; left out: two levers at once ('both'), a
    # choice set too ('targeted'), another preset ('other'), a parameter that is no
    # policy lever ('shock')
    assert doses.to_dict("list") == {
        "point": [0, 1, 0, 2, 3],
        "lever": ["cross_cluster_subsidy"] * 2 + ["sme_rd_grant"] * 3,
        "dose": [0.0, 1.0, 0.0, 0.5, 1.0],
    }


def test_lever_doses_of_a_design_without_single_lever_points_is_empty():
    design = _design().query("scenario in ['both', 'targeted']")
    assert lever_doses(design).empty


def test_dose_table_joins_doses_with_effects():
    summary = _summary()
    doses = pd.DataFrame({"point": [0, 1], "lever": ["x", "x"], "dose": [0.0, 0.5]})
    table = dose_table(summary, doses, "base")
    row = table.query("dose == 0.5 and outcome == 'persistent_entries'")
    assert row["diff"].item() == pytest.approx(3.0)
    assert set(table["lever"]) == {"x"}


def test_wide_effects_has_spend_effects_and_prices():
    wide = wide_effects(effects_table(_summary(), "base").query("scenario == 'a'"), ["scenario"])
    assert list(wide.columns) == [
        "scenario",
        "spend M€ [95%]",
        "Δ persistent entries",
        "Δ radicals new to world",
        *PER_MEUR.values(),
    ]
    assert wide.loc[0, "Δ persistent entries"] == "+3 [+0.516, +5.48]"
    assert wide.loc[0, "M€ per extra persistent entry"] == "10"
    assert wide.loc[0, "M€ per extra radical (world)"] == ""


# -- figures --------------------------------------------------------------------------------
def _fan(scenarios: list[str]) -> pd.DataFrame:
    steps = np.arange(5)
    return pd.concat(
        pd.DataFrame({"scenario": s, "step": steps, "median": steps, "p05": steps - 1.0}).assign(
            p95=lambda d: d["median"] + 1.0
        )
        for s in scenarios
    )


def test_fan_is_small_multiples_one_panel_per_scenario(tmp_path):
    two = plot_fan(_fan(["a", "b"]), "y", tmp_path / "two")[0]
    five = plot_fan(_fan(["a", "b", "c", "d", "e"]), "y", tmp_path / "five")[0]
    # rows of three panels: two scenarios take one row, five take two
    assert png_size(five)[1] > 1.5 * png_size(two)[1]
    assert png_size(five)[0] > png_size(two)[0]


def test_dose_panels_and_spend_curves_draw_every_lever(tmp_path):
    summary = _summary()
    doses = pd.DataFrame({"point": [0, 1, 0, 1], "lever": ["x", "x", "y", "y"], "dose": [0, 1] * 2})
    table = dose_table(summary, doses.astype({"dose": float}), "base")
    one = plot_dose_panels(table, "persistent_entries", "entries", tmp_path / "dose")
    curves = plot_spend_curves(table, {"persistent_entries": "e"}, tmp_path / "curves")
    for path in (one[0], curves[0]):
        assert path.read_bytes()[:4] == b"\x89PNG"
    assert png_size(one[0])[0] > 500  # two panels side by side


# -- the shipped files ----------------------------------------------------------------------
def test_demo_runs_every_mix_in_a_budget_clearing_call():
    exp = load_experiment(FILES / "demo.toml")
    assert exp.fixed == {"allocation": "call", "policy_budget": 0.4}
    assert exp.points[0].scenario == "baseline"
    assert len(exp.points) * exp.replicates * exp.steps <= 6 * 10 * 50  # stays a few minutes
    design = pd.DataFrame(
        [{"point": p.point, "scenario": p.scenario, "preset": p.preset} for p in exp.points]
    )
    results = SimpleNamespace(
        manifest={"fixed": exp.fixed, "steps": exp.steps, "preset": exp.preset}, design=design
    )
    targets = call_targets(results)
    assert set(targets.index) == {p.scenario for p in exp.points}
    assert targets.to_numpy() == pytest.approx(0.4 * 4 * 50)  # 80 M€ per run


def test_call_targets_is_none_without_a_call():
    design = pd.DataFrame([{"point": 0, "scenario": "b", "preset": "baseline"}])
    results = SimpleNamespace(manifest={"fixed": {}, "steps": 5}, design=design)
    assert call_targets(results) is None


def test_demo_mixes_spend_the_budget_every_year():
    """Each mix, 1,000 firms (the demo's size) over 4 years: from year 2 on (links formed in
    year 1 claim from year 2) every policy mix spends its call's budget, 0.4 M€ x 4 regions,
    to within 5%: the mixes compare at equal realised cost."""
    exp = load_experiment(FILES / "demo.toml")
    for point in exp.points:
        if point.preset == "baseline":
            continue
        params = preset(point.preset, **exp.fixed, **point.overrides)
        ts = simulate(params, seed=3, steps=4).timeseries
        spend = ts.query("scope == 'economy' and step >= 2")["spend_total"]
        assert spend.to_numpy() == pytest.approx(1.6, rel=0.05), point.scenario


def test_dose_response_file_covers_every_lever_from_zero():
    exp = load_experiment(FILES / "dose_response.toml")
    doses = lever_doses(
        pd.DataFrame(
            [
                {"point": p.point, "scenario": p.scenario, "preset": p.preset, **p.overrides}
                for p in exp.points
            ]
        )
    )
    assert set(doses["lever"]) == set(LEVERS)
    specs = param_specs()
    for lever, grp in doses.groupby("lever"):
        assert grp["dose"].min() == 0.0
        assert grp["dose"].nunique() == 5, lever
        assert grp["dose"].max() <= specs[lever].high
    top = doses.groupby("lever")["dose"].max()
    shares = [lv for lv in LEVERS if specs[lv].high == 1.0]  # fee shares: the whole range
    assert top[shares].eq(1.0).all()
