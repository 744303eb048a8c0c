"""Sections of the comparison report (:func:`clusterlab.experiments.report.compare_report`).

Each function adds one section to a :class:`~clusterlab.experiments.report.Report` and
writes its tables (CSV) and figures: additionality of link subsidies, the channel funnel,
dose-response figures of a grid, and the trajectory fans.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from clusterlab.experiments.analysis import (
    MAIN_OUTCOMES,
    additionality_table,
    channel_funnel,
    dose_response,
    fan_chart_data,
)
from clusterlab.experiments.plots import plot_dose_response, plot_fan

if TYPE_CHECKING:
    from clusterlab.experiments.report import Report
    from clusterlab.experiments.store import Results

__all__ = [
    "DOSE_OUTCOMES",
    "FAN_COLUMNS",
    "MAX_FAN_PANELS",
    "additionality_section",
    "dose_figures",
    "fan_scenarios",
    "fan_section",
    "funnel_section",
    "interval_text",
    "intervals",
]

FAN_COLUMNS = {
    "radical": "Radical innovations per year",
    "cross_cluster_share": "Cross-cluster share of collaboration links",
    "diversity": "Diversity (industries with RCA >= 1, mean over regions)",
    "spend_total": "Policy spend (M€ per year)",
}


def interval_text(mean: float, low: float, high: float, *, signed: bool = False) -> str:
    """'mean [low, high]' to 3 significant digits (the mean alone without an interval).

    ``signed``: every number with its sign (differences: '+0.5 [-0.1, +1.2]').
    """
    form = "+.3g" if signed else ".3g"
    if pd.isna(low):
        return f"{mean:.3g}"
    return f"{mean:{form}} [{low:{form}}, {high:{form}}]"


def intervals(table: pd.DataFrame, mean: str, low: str, high: str) -> list[str]:
    """:func:`interval_text` of each row of ``table`` (columns ``mean``, ``low``, ``high``)."""
    return [
        interval_text(m, lo, hi)
        for m, lo, hi in zip(table[mean], table[low], table[high], strict=True)
    ]


MAX_FAN_PANELS = 12
"""Trajectory figures show at most this many scenarios (one panel each)."""


def fan_scenarios(
    design: pd.DataFrame, scenarios: list[str], baseline: str, doses: pd.DataFrame
) -> list[str]:
    """Scenarios of the trajectory panels: the baseline first; of a dose design, top doses."""
    if not doses.empty:
        top = doses.loc[doses.groupby("lever", sort=False)["dose"].idxmax(), "point"]
        named = set(design.loc[design["point"].isin(top), "scenario"])
        chosen = [s for s in scenarios if s in named]
    else:
        chosen = scenarios
    return [baseline, *[s for s in chosen if s != baseline][: MAX_FAN_PANELS - 1]]


DOSE_OUTCOMES = (
    "radical_innovations",
    "persistent_entries",
    "absolute_diversity_change",
    "mean_cross_cluster_share",
)


def additionality_section(
    summary: pd.DataFrame, baseline: str, paired: bool, report: Report, tab_dir: Path
) -> None:
    """Table of extra links per M€ and deadweight of each link subsidy paid."""
    table = additionality_table(summary, baseline, paired)
    if table.empty:
        return
    table.to_csv(tab_dir / "additionality.csv", index=False)
    report.heading("Additionality of link subsidies")
    report.text(
        f"Links of each subsidised type formed over the run minus those formed in the "
        f"'{baseline}' run with the same seed, per M€ spent on the instrument; and the "
        "in-run deadweight share: subsidised links whose both ends valued them above the "
        "full fee (they would have formed without the subsidy)."
    )
    report.table(
        pd.DataFrame(
            {
                "scenario": table["scenario"],
                "instrument": table["instrument"],
                "spend (M€)": table["spend"].map(lambda v: f"{v:.3g}"),
                "extra links [95% interval]": intervals(
                    table, "extra_links", "extra_low", "extra_high"
                ),
                "extra links per M€": table["extra_per_meur"].map(lambda v: f"{v:.3g}"),
                "deadweight share": table["deadweight_share"].map(
                    lambda v: "" if pd.isna(v) else f"{v:.2f}"
                ),
            }
        )
    )


def funnel_section(summary: pd.DataFrame, baseline: str, report: Report, tab_dir: Path) -> None:
    """Table of where each scenario's effect on diversification stops (ODD §8.1)."""
    table = channel_funnel(summary, baseline)
    if table.empty:
        return
    table.to_csv(tab_dir / "funnel.csv", index=False)
    report.heading("Channel funnel: where the effect stops")
    report.text(
        f"Paired differences to the '{baseline}' run with the same seed at each stage, links "
        "formed -> knowledge moved -> fits crossing the division threshold -> divisions "
        "opened -> divisions alive at age 5 -> persistent entries; the first stage whose "
        "95% interval includes 0 is where the effect stops."
    )
    report.table(
        pd.DataFrame(
            {
                "scenario": table["scenario"],
                "stage": table["stage"],
                "baseline": table["baseline"].map(lambda v: f"{v:.3g}"),
                "difference [95% interval]": intervals(table, "diff", "diff_low", "diff_high"),
                "stops here": table["stops_here"].map(lambda v: "<-" if v else ""),
            }
        )
    )


def dose_figures(results: Results, report: Report, fig_dir: Path, tab_dir: Path) -> None:
    """Of a grid design, each lever's dose-response figures (mean outcome by level)."""
    if results.manifest["design"] != "grid":
        return
    levers = [c for c in results.design.columns if c not in ("point", "scenario", "preset")]
    for lever in levers:
        report.heading(f"Dose-response: {lever}")
        for outcome in DOSE_OUTCOMES:
            data = dose_response(results.summary, results.design, lever, outcome)
            data.to_csv(tab_dir / f"dose_{lever}_{outcome}.csv", index=False)
            report.figure(
                plot_dose_response(
                    data, lever, MAIN_OUTCOMES[outcome], fig_dir / f"dose_{lever}_{outcome}"
                )[0],
                f"{MAIN_OUTCOMES[outcome]} against {lever}",
            )


def fan_section(results: Results, report: Report, fig_dir: Path, scenarios: list[str]) -> None:
    """Trajectory figures: median and 5-95% band per scenario, one panel each."""
    if "timeseries" not in results.manifest.get("outputs", []) or results.summary.empty:
        return
    # Results.table reads every run's file, also of runs without a summary (a sweep killed
    # between its two writes, or a deleted summary): plot the finished runs only.
    ts = results.timeseries
    ts = ts[ts["run_id"].isin(results.summary["run_id"]) & ts["scenario"].isin(scenarios)]
    report.heading("Trajectories")
    report.text(
        f"One panel per scenario ({', '.join(scenarios)}), same axes; the dashed line "
        f"repeats the median of '{scenarios[0]}'."
    )
    for column, label in FAN_COLUMNS.items():
        data = fan_chart_data(ts, column)
        data = data.set_index("scenario").loc[[s for s in scenarios if s in set(data["scenario"])]]
        report.figure(
            plot_fan(data.reset_index(), label, fig_dir / f"fan_{column}")[0],
            f"{label}: median and 5-95% band, one panel per scenario",
        )
