"""The report of an ``xlrm`` experiment: policies across uncertain worlds.

Sections: outcome distributions per policy, regret against the best policy of each world,
satisficing shares for the thresholds of the file (or ``compare --satisfice``), and a
PRIM box (scenario discovery) for the failure of each threshold, pooled over policies with
the levers among the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from clusterlab.experiments.analysis import MAIN_OUTCOMES
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.robustness import (
    OPERATORS,
    ROBUSTNESS_OUTCOMES,
    distributions,
    regret,
    regret_summary,
    satisficing,
    world_table,
)
from clusterlab.experiments.robustness_plots import plot_outcomes_by_policy, plot_regret
from clusterlab.experiments.store import Results
from clusterlab.experiments.xlrm import parse_criterion

if TYPE_CHECKING:
    from clusterlab.experiments.report import Report

__all__ = ["NEGATED", "robustness_section"]

NEGATED = {">=": "<", "<=": ">", ">": "<=", "<": ">="}
"""The operator of a threshold's failure."""


def robustness_section(
    results: Results,
    report: Report,
    fig_dir: Path,
    tab_dir: Path,
    criteria: Mapping[str, str] | None = None,
) -> None:
    """Add the robustness analysis of an xlrm results folder to ``report``.

    ``criteria`` (outcome -> ">= 30") replaces the file's ``[satisficing]`` thresholds.
    """
    problem = results.manifest["problem"]
    criteria = dict(criteria or problem.get("satisficing") or {})
    outcomes = [o for o in ROBUSTNESS_OUTCOMES if o in results.summary]
    outcomes += [o for o in criteria if o not in outcomes]
    table = world_table(results.summary, outcomes)
    uncertain = ", ".join(
        f"{name} {how.get('range', how.get('values'))}"
        for name, how in problem["uncertainties"].items()
    )
    report.heading("Policies across uncertain worlds")
    report.text(
        f"{len(problem['policies'])} policies (levers: {', '.join(problem['levers'])}) x "
        f"{problem['worlds']} worlds sampled by {problem['sampler']} over the uncertainties "
        f"{uncertain}. Replicates are averaged per policy and world; every statistic below "
        "is over worlds."
    )
    if "policy_spend" in results.summary:
        _spend(results.summary, report)
    _distributions(table, outcomes, report, fig_dir, tab_dir)
    _regret(table, outcomes, report, fig_dir, tab_dir)
    if not criteria:
        report.text(
            'No satisficing thresholds: add [satisficing] radical_innovations = ">= 250" to '
            "the experiment file, or run clusterlab compare with --satisfice "
            "'radical_innovations>=250'."
        )
        return
    _satisficing(table, criteria, report, tab_dir)
    for outcome, text in criteria.items():
        _discovery(results, outcome, text, report, fig_dir.parent)


def _spend(summary: pd.DataFrame, report: Report) -> None:
    """Say what each policy spent: policies are compared at equal cost only if it is equal."""
    spend = summary.groupby("policy", sort=False)["policy_spend"].agg(["mean", "min", "max"])
    report.text(
        "Realised policy spend per run, mean (min-max over worlds), M€: "
        + "; ".join(f"{r.Index} {r.mean:.3g} ({r.min:.3g}-{r.max:.3g})" for r in spend.itertuples())
        + "."
    )


def _distributions(
    table: pd.DataFrame, outcomes: list[str], report: Report, fig_dir: Path, tab_dir: Path
) -> None:
    dist = distributions(table, outcomes)
    dist.to_csv(tab_dir / "robustness_distributions.csv", index=False)
    cells = dist.assign(
        cell=[
            f"{m:.3g} [{lo:.3g}, {hi:.3g}]"
            for m, lo, hi in zip(dist["median"], dist["p10"], dist["p90"], strict=True)
        ]
    )
    wide = cells.pivot(index="policy", columns="outcome", values="cell")[outcomes]
    report.heading("Outcomes across worlds")
    report.text("Median over worlds [10th, 90th percentile] of each outcome per policy.")
    report.table(wide.rename(columns=MAIN_OUTCOMES).reset_index())
    report.figure(
        plot_outcomes_by_policy(table, outcomes, MAIN_OUTCOMES, fig_dir / "robustness_outcomes"),
        "Outcomes of each policy across the uncertain worlds (box: quartiles; dot: a world)",
    )


def _regret(
    table: pd.DataFrame, outcomes: list[str], report: Report, fig_dir: Path, tab_dir: Path
) -> None:
    summary = regret_summary(table, outcomes)
    summary.to_csv(tab_dir / "robustness_regret.csv", index=False)
    per_world = pd.concat([regret(table, o).assign(outcome=o) for o in outcomes])
    per_world.to_csv(tab_dir / "robustness_regret_by_world.csv", index=False)
    report.heading("Regret")
    report.text(
        "Regret of a policy in a world: how far its outcome falls short of the best policy "
        "in that same world (more is better, except for spend and size inequality). A robust "
        "policy keeps its maximum regret small; 'best in' is the share of worlds where it is "
        "the best."
    )
    cells = summary.assign(
        cell=[
            f"{m:.3g} / {mx:.3g} ({b:.0%})"
            for m, mx, b in zip(
                summary["mean_regret"], summary["max_regret"], summary["share_best"], strict=True
            )
        ]
    )
    wide = cells.pivot(index="policy", columns="outcome", values="cell")[outcomes]
    report.text("Cells: mean regret / maximum regret (share of worlds best in).")
    report.table(wide.rename(columns=MAIN_OUTCOMES).reset_index())
    report.figure(
        plot_regret(per_world, MAIN_OUTCOMES, fig_dir / "robustness_regret"),
        "Regret of each policy across the worlds (0: the best policy of that world)",
    )


def _satisficing(
    table: pd.DataFrame, criteria: dict[str, str], report: Report, tab_dir: Path
) -> None:
    shares = satisficing(table, criteria)
    shares.to_csv(tab_dir / "robustness_satisficing.csv", index=False)
    report.heading("Satisficing")
    report.text(
        "Share of worlds in which each policy meets each threshold"
        + (" ('all': every threshold at once)." if len(criteria) > 1 else ".")
    )
    shown = shares.copy()
    for column in shown.columns[2:]:
        shown[column] = shown[column].map(lambda v: f"{v:.0%}")
    report.table(shown)


def _discovery(results: Results, outcome: str, text: str, report: Report, root: Path) -> None:
    """PRIM box of the runs failing one threshold, over uncertainties and levers."""
    from clusterlab.experiments.discover import (  # noqa: PLC0415 - imports EMA Workbench (seconds)
        describe,
        discovery_inputs,
        find_box,
        write_discovery,
    )

    op, value = parse_criterion(text)
    runs = discovery_inputs(results)
    failed = ~OPERATORS[op](runs[outcome], value)
    condition = f"{outcome} {NEGATED[op]} {value:g}"
    report.heading(f"Scenario discovery: when does {condition} happen?")
    try:
        found = find_box(runs[runs.attrs["inputs"]], failed.to_numpy(), condition)
    except OutputError as exc:
        report.text(f"No PRIM box: {exc}")
        return
    stem = f"discover_{outcome}"
    tradeoff, scores = write_discovery(found, root, stem)
    report.text(
        "PRIM (EMA Workbench) over the uncertainties and the levers, all policies pooled; "
        "the box reported is the one of largest coverage with density >= 0.8 (else the "
        "densest). " + " ".join(line for line in describe(found) if not line.startswith(" "))
    )
    if not found.limits.empty:
        report.table(found.limits)
    report.figure(tradeoff, f"PRIM peeling trajectory for {condition}: coverage vs density")
    report.figure(scores, f"Feature scores for {condition}")
