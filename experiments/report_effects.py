"""Report sections on effects per M€: equal realised cost, and dose-response per lever.

Used by :func:`clusterlab.experiments.report.compare_report`; the numbers come from
:mod:`clusterlab.experiments.effects`, the figures from :mod:`clusterlab.experiments.plots`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from clusterlab.experiments.effects import (
    EFFECT_OUTCOMES,
    SPEND_TOLERANCE,
    dose_table,
    effects_table,
    lever_doses,
    spend_check,
)
from clusterlab.experiments.plots import plot_dose_panels, plot_spend_curves
from clusterlab.experiments.report_sections import interval_text
from clusterlab.model.errors import ParameterError
from clusterlab.model.presets import preset
from clusterlab.model.regions import is_table_economy
from clusterlab.model.table_economy import table_sizes

if TYPE_CHECKING:
    from clusterlab.experiments.report import Report
    from clusterlab.experiments.store import Results

__all__ = ["call_targets", "dose_section", "equal_cost_section", "wide_effects"]

NOT_SET = ("point", "scenario", "preset")
PER_MEUR = {
    "persistent_entries": "M€ per extra persistent entry",
    "radical_innovations": "M€ per extra radical (world)",
}
"""Outcomes whose cost per extra unit the tables show, and the column label."""


def wide_effects(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per ``keys`` value: spend, each effect with its interval, M€ per unit.

    ``table`` is :func:`~clusterlab.experiments.effects.effects_table` (or ``dose_table``).
    """
    rows = []
    for key, grp in table.groupby(keys, sort=False):
        g = grp.set_index("outcome")
        first = grp.iloc[0]
        row: dict[str, Any] = dict(
            zip(keys, key if isinstance(key, tuple) else (key,), strict=True)
        )
        row["spend M€ [95%]"] = f"{first['spend']:.3g} [{first['spend_low']:.3g}, " + (
            f"{first['spend_high']:.3g}]"
        )
        for outcome, label in EFFECT_OUTCOMES.items():
            if outcome in g.index:
                r = g.loc[outcome]
                row[f"Δ {label}"] = interval_text(r["diff"], r["low"], r["high"], signed=True)
        for outcome, label in PER_MEUR.items():
            if outcome in g.index:
                v = g.loc[outcome, "meur_per_unit"]
                row[label] = "" if pd.isna(v) else f"{v:.3g}"
        rows.append(row)
    return pd.DataFrame(rows)


def call_targets(results: Results) -> pd.Series | None:
    """Return what each scenario must spend in a budget-clearing call: budget x regions x years.

    None unless every scenario runs ``allocation = "call"`` (a cap, not a cost, otherwise).
    """
    m = results.manifest
    fixed = m.get("fixed") or {}
    out = {}
    for row in results.design.to_dict("records"):
        own = {
            k: v
            for k, v in row.items()
            if k not in NOT_SET and not str(k).startswith("sample:") and pd.notna(v)
        }
        try:
            p = preset(row["preset"], **{**fixed, **own})
        except (ParameterError, TypeError, ValueError):
            return None
        if p.policy.allocation != "call":
            return None
        if is_table_economy(p.world.economy):  # the region table sets the regions
            p = table_sizes(p)
        out[row["scenario"]] = p.policy.policy_budget * p.world.n_regions * m["steps"]
    return pd.Series(out, dtype=float)


def equal_cost_section(
    results: Results, baseline: str, paired: bool, report: Report, tab_dir: Path
) -> None:
    """Headline: per scenario, realised spend and the effects, and whether spends are equal."""
    summary = results.summary
    table = effects_table(summary, baseline, paired)
    if table.empty:
        return
    table.to_csv(tab_dir / "effects.csv", index=False)
    report.heading("Headline: what each mix buys, and at what realised cost")
    report.text(
        f"Per scenario: the money it actually spent (M€ per run, all regions, mean and 95% "
        f"interval over replicates) and its effect against '{baseline}' (difference to the "
        "run with the same seed, 95% interval) on persistent diversification (entries held "
        "5 years; net specialisations = persistent entries - persistent exits; change in "
        "the number of industries above 2% of regional employment) and on radical "
        "innovation (combinations new to the world; new to the region). 'M€ per ...': extra "
        "spend over the baseline per extra unit, shown only where the effect's interval "
        "lies above zero."
    )
    wide = wide_effects(table[table["scenario"] != baseline], ["scenario"])
    wide.to_csv(tab_dir / "headline_effects.csv", index=False)
    report.table(wide)
    _spend_statement(results, table, baseline, report, tab_dir)


def _spend_statement(
    results: Results, table: pd.DataFrame, baseline: str, report: Report, tab_dir: Path
) -> None:
    spend = table.drop_duplicates("scenario").set_index("scenario")["spend"]
    spend = spend.drop(baseline, errors="ignore")
    if spend.empty:
        return
    targets = call_targets(results)
    check = spend_check(spend, targets)
    check.to_csv(tab_dir / "spend_check.csv", index=False)
    tol = f"{SPEND_TOLERANCE:.0%}"
    what = (
        "their call's budget (budget x regions x years)"
        if targets is not None
        else "the largest spend among them"
    )
    under = check[check["under"]]
    if under.empty:
        report.text(
            f"Equal realised cost: YES. Every policy mix spent within {tol} of {what}: "
            f"{check['spend'].min():.3g}-{check['spend'].max():.3g} M€ per run. The effects "
            "above compare at the same cost."
        )
        return
    names = "; ".join(
        f"{r.scenario} spent {r.spend:.3g} M€ ({r.share:.0%} of {r.target:.3g})"
        for r in under.itertuples()
    )
    report.text(
        f"Equal realised cost: NO. Under-spending (more than {tol} below {what}): {names}. "
        "Compare these mixes per M€, not row by row"
        + (
            "; their demand stays below the budget: raise their intensity or lower the budget."
            if targets is not None
            else "; run the mixes with allocation = 'call' and a budget every mix exhausts."
        )
    )


def dose_section(
    results: Results, baseline: str, paired: bool, report: Report, fig_dir: Path, tab_dir: Path
) -> pd.DataFrame:
    """Dose-response of each lever of a one-lever-at-a-time design; returns the doses found."""
    doses = lever_doses(results.design)
    if doses.empty:
        return doses
    table = dose_table(results.summary, doses, baseline, paired)
    if table.empty:
        return table
    table.to_csv(tab_dir / "dose_response.csv", index=False)
    report.heading("Dose-response of every lever")
    report.text(
        f"Each lever alone, from 0 (the '{baseline}' runs) upwards: realised spend and the "
        "effects against the same-seed baseline run, with 95% intervals. An effect counts "
        "where its interval excludes zero."
    )
    report.table(wide_effects(table, ["lever", "dose"]))
    for outcome, label in EFFECT_OUTCOMES.items():
        if outcome in set(table["outcome"]):
            path = plot_dose_panels(table, outcome, label, fig_dir / f"dose_panels_{outcome}")[0]
            report.figure(path, f"Dose-response per lever: {label} (difference to baseline)")
    report.figure(
        plot_spend_curves(table, EFFECT_OUTCOMES, fig_dir / "effect_against_spend")[0],
        "Effects against realised spend, one line per lever",
    )
    return doses
