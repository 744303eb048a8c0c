"""Tests of clusterlab.experiments.analysis: intervals, differences, scenario tables, dose-response.

Student t quantiles are written out from a t table (two-sided 95%: t(0.975, dof)); the
synthetic experiments draw from a seeded Generator, so every check is deterministic.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clusterlab.experiments.analysis import (
    additionality_table,
    channel_funnel,
    compare_scenarios,
    dose_response,
    fan_chart_data,
    mean_interval,
    paired_difference,
    treated_minus_control,
    welch_difference,
)
from clusterlab.experiments.errors import OutputError

T975_DF1 = 12.706205  # t(0.975, 1)
T975_DF2 = 4.302653  # t(0.975, 2)
T975_DF3 = 3.182446  # t(0.975, 3)
TRUE_DIFFERENCE = 2.0


def _known_difference(rng: np.random.Generator, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Baseline N(10, 1) per replicate; treated = the same replicate + 2 + N(0, 0.1) noise."""
    baseline = rng.normal(10.0, 1.0, n)
    treated = baseline + TRUE_DIFFERENCE + rng.normal(0.0, 0.1, n)
    return treated, baseline


# -- mean_interval ------------------------------------------------------------------------
def test_mean_interval_hand_example():
    iv = mean_interval(np.array([2.0, 4.0, 6.0, 8.0]))
    # mean = 20 / 4 = 5; s = sqrt((9 + 1 + 1 + 9) / 3) = sqrt(20 / 3); se = s / sqrt(4)
    half = T975_DF3 * np.sqrt(20 / 3) / 2  # = 3.182446 * 1.290994 = 4.108506
    assert iv.n == 4
    assert iv.mean == 5.0
    assert iv.low == pytest.approx(5.0 - half, abs=1e-5)
    assert iv.high == pytest.approx(5.0 + half, abs=1e-5)


def test_mean_interval_doctest_value():
    # t(0.975, 2) * 1 / sqrt(3) = 4.302653 / 1.732051 = 2.484138, as the docstring says
    iv = mean_interval(np.array([1.0, 2.0, 3.0]))
    assert iv.high - iv.mean == pytest.approx(T975_DF2 / np.sqrt(3), abs=1e-5)


def test_mean_interval_of_one_value_is_degenerate():
    iv = mean_interval(np.array([3.5]))
    assert (iv.mean, iv.low, iv.high, iv.n) == (3.5, 3.5, 3.5, 1)


@pytest.mark.parametrize("values", [[], [np.nan], [np.nan, np.inf, -np.inf]])
def test_mean_interval_without_finite_values_is_nan(values):
    iv = mean_interval(np.array(values, dtype=float))
    assert iv.n == 0
    assert np.isnan([iv.mean, iv.low, iv.high]).all()


def test_mean_interval_drops_non_finite_values():
    iv = mean_interval(np.array([1.0, np.nan, 3.0, np.inf]))
    # left: 1, 3 -> mean 2; s = sqrt(2); half = t(0.975, 1) * sqrt(2) / sqrt(2)
    assert iv.n == 2
    assert iv.mean == 2.0
    assert iv.low == pytest.approx(2.0 - T975_DF1, abs=1e-5)
    assert iv.high == pytest.approx(2.0 + T975_DF1, abs=1e-5)


# -- paired and Welch differences ---------------------------------------------------------
def test_paired_difference_matches_replicates_on_the_index():
    treated = pd.Series([12.0, 15.0, 11.0, 99.0], index=[0, 1, 2, 3])
    baseline = pd.Series([10.0, 14.0, 9.0], index=[2, 1, 0])  # shuffled; no replicate 3
    # replicate 0: 12 - 9 = 3; 1: 15 - 14 = 1; 2: 11 - 10 = 1; replicate 3 has no partner
    iv = paired_difference(treated, baseline)
    # mean 5 / 3; s^2 = ((4/3)^2 + 2 (2/3)^2) / 2 = 4 / 3; se = sqrt(4/3) / sqrt(3) = 2 / 3
    assert iv.n == 3
    assert iv.mean == pytest.approx(5 / 3)
    assert iv.low == pytest.approx(5 / 3 - T975_DF2 * 2 / 3, abs=1e-5)
    assert iv.high == pytest.approx(5 / 3 + T975_DF2 * 2 / 3, abs=1e-5)


def test_paired_difference_drops_replicates_with_nan():
    treated = pd.Series([5.0, np.nan, 7.0])
    baseline = pd.Series([4.0, 1.0, 6.0])
    iv = paired_difference(treated, baseline)
    # replicate 1 is dropped; differences 1, 1 -> mean 1, s = 0
    assert (iv.mean, iv.low, iv.high, iv.n) == (1.0, 1.0, 1.0, 2)


def test_welch_difference_hand_example():
    iv = welch_difference(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 5.0]))
    # d = 2 - 3 = -1; va = 1 / 3, vb = 4 / 3 (variance / n); se = sqrt(5 / 3)
    # dof = (5/3)^2 / ((1/3)^2 / 2 + (4/3)^2 / 2) = (25/9) / (17/18) = 50 / 17
    half = stats.t.ppf(0.975, 50 / 17) * np.sqrt(5 / 3)
    assert iv.n == 3
    assert iv.mean == pytest.approx(-1.0)
    assert iv.low == pytest.approx(-1.0 - half)
    assert iv.high == pytest.approx(-1.0 + half)


def test_welch_difference_with_one_value_has_no_interval():
    iv = welch_difference(np.array([4.0, np.nan]), np.array([1.0, 2.0]))
    # one finite treated value: d = 4 - 1.5 = 2.5, and no variance to build an interval
    assert iv.mean == 2.5
    assert iv.n == 1
    assert np.isnan([iv.low, iv.high]).all()


def test_welch_difference_without_values_is_nan():
    iv = welch_difference(np.array([]), np.array([1.0, 2.0]))
    assert iv.n == 0
    assert np.isnan([iv.mean, iv.low, iv.high]).all()


def test_known_difference_is_recovered_and_pairing_narrows_the_interval():
    treated, baseline = _known_difference(np.random.default_rng(2024))
    paired = paired_difference(pd.Series(treated), pd.Series(baseline))
    welch = welch_difference(treated, baseline)
    assert paired.low < TRUE_DIFFERENCE < paired.high
    assert welch.low < TRUE_DIFFERENCE < welch.high
    # pairing removes the N(10, 1) noise shared by a replicate: s.d. 0.1 instead of ~1.4
    assert paired.high - paired.low < (welch.high - welch.low) / 5


def test_paired_interval_covers_the_true_difference_about_95_percent():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(200):
        treated, baseline = _known_difference(rng)
        iv = paired_difference(pd.Series(treated), pd.Series(baseline))
        hits += iv.low < TRUE_DIFFERENCE < iv.high
    # Binomial(200, 0.95): mean 190, s.d. 3.1; 180..198 is about +-3 s.d.
    assert 180 <= hits <= 198


def test_welch_interval_covers_the_true_difference_about_95_percent():
    rng = np.random.default_rng(8)
    hits = 0
    for _ in range(200):
        # independent samples with unequal variances and sizes: Welch's own setting
        treated = rng.normal(12.0, 2.0, 8)
        baseline = rng.normal(10.0, 1.0, 12)
        iv = welch_difference(treated, baseline)
        hits += iv.low < TRUE_DIFFERENCE < iv.high
    assert 180 <= hits <= 198


# -- compare_scenarios --------------------------------------------------------------------
def _summary() -> pd.DataFrame:
    """Four scenarios x 3 replicates; policy_spend is constant within a scenario."""
    rows = {
        # scenario: (radical_innovations per replicate, policy_spend)
        "base": ([10.0, 12.0, 14.0], 1.0),
        "subsidy": ([13.0, 14.0, 17.0], 3.0),
        "free": ([11.0, 12.0, 13.0], 1.0),
        "cheap": ([9.0, 12.0, 15.0], 0.0),
    }
    return pd.DataFrame(
        [
            {"scenario": s, "replicate": r, "radical_innovations": v, "policy_spend": spend}
            for s, (values, spend) in rows.items()
            for r, v in enumerate(values)
        ]
    )


def test_compare_scenarios_differences_and_cost_per_meur():
    table = compare_scenarios(_summary(), "base").set_index(["scenario", "outcome"])
    sub = table.loc[("subsidy", "radical_innovations")]
    # paired differences 3, 2, 3: mean 8/3; s^2 = (1/9 + 4/9 + 1/9) / 2 = 1/3; se = 1/3
    assert sub["n"] == 3
    assert sub["mean"] == pytest.approx(44 / 3)
    assert sub["diff"] == pytest.approx(8 / 3)
    assert sub["diff_low"] == pytest.approx(8 / 3 - T975_DF2 / 3, abs=1e-5)
    assert sub["diff_high"] == pytest.approx(8 / 3 + T975_DF2 / 3, abs=1e-5)
    # extra spend 3 - 1 = 2 M€: (8/3) / 2 = 4/3 innovations per M€
    assert sub["per_meur"] == pytest.approx(4 / 3)
    assert sub["method"] == "paired t"


@pytest.mark.parametrize(
    ("scenario", "why"),
    [("free", "spends the same as the baseline"), ("cheap", "spends less"), ("base", "itself")],
)
def test_compare_scenarios_per_meur_is_nan_without_extra_spend(scenario, why):
    table = compare_scenarios(_summary(), "base").set_index(["scenario", "outcome"])
    assert np.isnan(table.loc[(scenario, "radical_innovations"), "per_meur"]), why


def test_compare_scenarios_baseline_difference_is_zero():
    table = compare_scenarios(_summary(), "base").set_index(["scenario", "outcome"])
    row = table.loc[("base", "radical_innovations")]
    assert (row["diff"], row["diff_low"], row["diff_high"]) == (0.0, 0.0, 0.0)


def test_compare_scenarios_keeps_scenario_order_and_default_outcomes():
    table = compare_scenarios(_summary(), "base")
    assert list(dict.fromkeys(table["scenario"])) == ["base", "subsidy", "free", "cheap"]
    # the MAIN_OUTCOMES present in the summary, in report order
    assert list(table["outcome"][:2]) == ["radical_innovations", "policy_spend"]
    assert len(table) == 4 * 2


def test_compare_scenarios_welch_when_not_paired():
    table = compare_scenarios(_summary(), "base", paired=False).set_index(["scenario", "outcome"])
    sub = table.loc[("subsidy", "radical_innovations")]
    expected = welch_difference(np.array([13.0, 14.0, 17.0]), np.array([10.0, 12.0, 14.0]))
    assert sub["method"] == "Welch t"
    assert sub["diff"] == pytest.approx(8 / 3)
    assert (sub["diff_low"], sub["diff_high"]) == pytest.approx((expected.low, expected.high))


def test_compare_scenarios_recovers_a_known_difference():
    treated, baseline = _known_difference(np.random.default_rng(11))
    summary = pd.DataFrame(
        {
            "scenario": ["baseline"] * 10 + ["treated"] * 10,
            "replicate": list(range(10)) * 2,
            "radical_innovations": np.concatenate([baseline, treated]),
            "policy_spend": 0.0,
        }
    )
    paired = compare_scenarios(summary, "baseline").set_index(["scenario", "outcome"])
    welch = compare_scenarios(summary, "baseline", paired=False).set_index(["scenario", "outcome"])
    p = paired.loc[("treated", "radical_innovations")]
    w = welch.loc[("treated", "radical_innovations")]
    assert p["diff_low"] < TRUE_DIFFERENCE < p["diff_high"]
    assert p["diff_high"] - p["diff_low"] < w["diff_high"] - w["diff_low"]


def test_compare_scenarios_without_baseline_runs_raises():
    with pytest.raises(
        OutputError,
        match=r"Baseline scenario 'nope' has no finished runs; have: base, cheap, free, subsidy",
    ):
        compare_scenarios(_summary(), "nope")


# -- dose_response and fan_chart_data -----------------------------------------------------
def test_dose_response_hand_example():
    design = pd.DataFrame(
        {"point": [0, 1, 2], "scenario": ["a", "b", "c"], "subsidy": [0.0, 0.5, 1.0]}
    )
    summary = pd.DataFrame({"point": [2, 0, 1, 0], "radical_innovations": [7.0, 1.0, 5.0, 3.0]})
    data = dose_response(summary, design, "subsidy", "radical_innovations")
    assert list(data["subsidy"]) == [0.0, 0.5, 1.0]
    # subsidy 0: runs 1 and 3 -> mean 2, half = t(0.975, 1) * sqrt(2) / sqrt(2)
    assert list(data["mean"]) == [2.0, 5.0, 7.0]
    assert list(data["n"]) == [2, 1, 1]
    assert data["low"].iloc[0] == pytest.approx(2.0 - T975_DF1, abs=1e-5)
    assert data["high"].iloc[0] == pytest.approx(2.0 + T975_DF1, abs=1e-5)
    # one run: degenerate interval
    assert (data["low"].iloc[1], data["high"].iloc[1]) == (5.0, 5.0)


def test_fan_chart_data_median_and_band_of_the_economy():
    ts = pd.DataFrame(
        {
            "scenario": ["a", "a", "a", "a", "a"],
            "step": [0, 0, 0, 1, 1],
            "scope": ["economy", "economy", "north", "economy", "economy"],
            "radical": [0.0, 10.0, 1000.0, 4.0, 4.0],
        }
    )
    data = fan_chart_data(ts, "radical").set_index("step")
    # step 0, economy values 0 and 10 (the region row is ignored): median 5,
    # 5% quantile 0 + 0.05 * 10 = 0.5, 95% quantile 0 + 0.95 * 10 = 9.5 (linear)
    assert list(data.loc[0, ["median", "p05", "p95"]]) == pytest.approx([5.0, 0.5, 9.5])
    assert list(data.loc[1, ["median", "p05", "p95"]]) == pytest.approx([4.0, 4.0, 4.0])
    assert list(data["scenario"]) == ["a", "a"]


def _regional_series(run_id: int, entries: dict[str, list[int]]) -> pd.DataFrame:
    """Hand-built time series of one run: persistent entries per region at steps 0..2."""
    from clusterlab.model.simulate import REGION_SUMMARY_CHANGES, REGION_SUMMARY_SUMS

    rows = []
    for region, per_step in entries.items():
        for step, n in enumerate(per_step):
            row = dict.fromkeys((*REGION_SUMMARY_SUMS, *REGION_SUMMARY_CHANGES), 0.0)
            rows.append(row | {"run_id": run_id, "step": step, "scope": region})
            rows[-1]["persistent_entries"] = float(n)
    economy = [{"run_id": run_id, "step": t, "scope": "economy"} for t in range(3)]
    return pd.DataFrame(economy + rows)


def test_treated_minus_control_hand_computed():
    # Run 0: R1 (treated) enters 1 + 2 = 3 industries after step 0, R2 and R3 enter 1 and 0:
    # 3 - (1 + 0) / 2 = 2.5. Run 1: treated 1, controls 1 and 1: 0. Step 0 never counts.
    ts = pd.concat(
        [
            _regional_series(0, {"R1": [5, 1, 2], "R2": [0, 0, 1], "R3": [0, 0, 0]}),
            _regional_series(1, {"R1": [0, 1, 0], "R2": [0, 1, 0], "R3": [0, 0, 1]}),
        ]
    )
    out = treated_minus_control(ts, ["R1"], "persistent_entries")
    assert out["run_id"].tolist() == [0, 1]
    assert out["treated"].tolist() == [3.0, 1.0]
    assert out["control"].tolist() == [0.5, 1.0]
    assert out["difference"].tolist() == [2.5, 0.0]


def test_treated_minus_control_rejects_unknown_region():
    ts = _regional_series(0, {"R1": [0, 1], "R2": [0, 0]})
    with pytest.raises(OutputError, match=r"treated regions \['R9'\] are not regions"):
        treated_minus_control(ts, ["R9"], "persistent_entries")


# -- additionality_table --------------------------------------------------------------------
def _link_summary(scenario, replicate, spend_cross, cross_links, deadweight):
    row = {"scenario": scenario, "replicate": replicate}
    for i in ("intra_cluster", "cross_cluster", "interregional", "university_link"):
        row |= {f"spend_{i}": 0.0, f"links_formed_{i}": 10.0, f"deadweight_share_{i}": np.nan}
    row |= {
        "spend_cross_cluster": spend_cross,
        "links_formed_cross_cluster": cross_links,
        "deadweight_share_cross_cluster": deadweight,
    }
    return row


def test_additionality_table_hand_computed():
    summary = pd.DataFrame(
        [
            _link_summary("base", 0, 0.0, 100.0, np.nan),
            _link_summary("base", 1, 0.0, 120.0, np.nan),
            _link_summary("sub", 0, 50.0, 130.0, 0.4),  # +30 links on seed 0
            _link_summary("sub", 1, 30.0, 140.0, 0.6),  # +20 links on seed 1
        ]
    )
    table = additionality_table(summary, "base")
    assert table["instrument"].tolist() == ["cross_cluster"], "only instruments paid for"
    row = table.iloc[0]
    # extra links: mean of (30, 20) = 25; spend: mean of (50, 30) = 40 M€ -> 0.625 per M€
    assert row["extra_links"] == 25.0
    assert row["spend"] == 40.0
    assert row["extra_per_meur"] == pytest.approx(0.625)
    # paired t interval of (30, 20): s = 7.071, se = 5, half = 12.706 * 5
    assert row["extra_high"] - 25.0 == pytest.approx(T975_DF1 * 5.0)
    assert row["deadweight_share"] == pytest.approx(0.5)
    assert additionality_table(summary.drop(columns="spend_intra_cluster"), "base").empty


def test_channel_funnel_marks_the_first_stage_that_does_not_move():
    summary = pd.DataFrame(
        {
            "scenario": ["base", "base", "lever", "lever"],
            "replicate": [0, 1, 0, 1],
            "links_formed": [10.0, 12.0, 14.0, 16.0],  # +4, +4: interval [4, 4]
            "knowledge_moved": [5.0, 5.0, 6.0, 4.0],  # +1, -1: mean 0, includes 0
            "fit_crossings": [1.0, 2.0, 6.0, 7.0],  # +5, +5: moves, after the stop
        }
    )
    out = channel_funnel(summary, "base").set_index("stage")
    assert list(out.index) == ["links_formed", "knowledge_moved", "fit_crossings"]
    assert out["diff"].tolist() == [4.0, 0.0, 5.0]
    assert out["baseline"].tolist() == [11.0, 5.0, 1.5]
    assert out["moves"].tolist() == [True, False, True]
    assert out["stops_here"].tolist() == [False, True, False]
    assert channel_funnel(summary, "other").empty
