"""Per-region effects of each scenario: which region gains from a mix.

Every run's time series gives one row per region (:func:`clusterlab.model.simulate.region_summary`
plus the region's employment growth); a scenario's effect in a region is its outcome
minus the baseline's in the same region, paired by replicate under common random numbers
(Welch otherwise), with a 95% Student-t interval (:mod:`clusterlab.experiments.analysis`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clusterlab.experiments.analysis import paired_difference, welch_difference

if TYPE_CHECKING:
    from clusterlab.experiments.report import Report
    from clusterlab.experiments.store import Results

__all__ = [
    "REGION_OUTCOMES",
    "plot_region_effects",
    "region_effects",
    "region_outcomes",
    "region_section",
]

REGION_OUTCOMES: dict[str, str] = {
    "persistent_entries": "persistent entries",
    "net_specialisations": "net specialisations",
    "absolute_diversity_change": "absolute diversity",
    "radical": "radicals new to world",
    "employment_growth": "employment growth",
}
"""Per-region outcome -> short label."""

RUN_KEYS = ("run_id", "scenario", "replicate")


def region_outcomes(timeseries: pd.DataFrame) -> pd.DataFrame:
    """One row per run and region: :data:`REGION_OUTCOMES` (sums over years 1..T, changes).

    ``timeseries`` holds the runs' time series with ``run_id``, ``scenario`` and
    ``replicate`` columns (as :attr:`clusterlab.experiments.store.Results.timeseries` gives them).
    """
    from clusterlab.model.record import ECONOMY  # noqa: PLC0415 - imports Mesa's model: only when used
    from clusterlab.model.simulate import region_summary  # noqa: PLC0415

    frames = []
    for keys, ts in timeseries.groupby(list(RUN_KEYS), sort=False):
        regional = region_summary(ts).set_index("scope")
        by_step = ts[ts["scope"] != ECONOMY].sort_values("step").groupby("scope", sort=False)
        first, last = by_step["employment"].first(), by_step["employment"].last()
        regional["employment_growth"] = np.where(first > 0, last / first - 1.0, np.nan)
        regional = regional.reset_index().rename(columns={"scope": "region"})
        frames.append(regional.assign(**dict(zip(RUN_KEYS, keys, strict=True))))
    return pd.concat(frames, ignore_index=True)


def region_effects(timeseries: pd.DataFrame, baseline: str, paired: bool = True) -> pd.DataFrame:
    """Effect of every scenario on every region's outcomes, against the baseline.

    Returns
    -------
    DataFrame
        One row per (scenario other than the baseline, region, outcome): ``diff`` with
        ``low``/``high`` (95% interval) and ``n`` (pairs or the smaller group).
    """
    per_run = region_outcomes(timeseries)
    base = per_run[per_run["scenario"] == baseline]
    rows = []
    for (scenario, region), grp in per_run.groupby(["scenario", "region"], sort=False):
        if scenario == baseline:
            continue
        b = base[base["region"] == region].set_index("replicate")
        g = grp.set_index("replicate")
        for outcome, label in REGION_OUTCOMES.items():
            if paired:
                d = paired_difference(g[outcome], b[outcome])
            else:
                d = welch_difference(g[outcome].to_numpy(), b[outcome].to_numpy())
            rows.append(
                {
                    "scenario": scenario,
                    "region": region,
                    "outcome": outcome,
                    "label": label,
                    "n": d.n,
                    "diff": d.mean,
                    "low": d.low,
                    "high": d.high,
                }
            )
    return pd.DataFrame(rows)


def plot_region_effects(table: pd.DataFrame, outcome: str, base: Path) -> list[Path]:
    """Heat map of one outcome's effect by scenario (rows) and region (columns).

    Cells whose 95% interval excludes zero are marked with a star.
    """
    from clusterlab.experiments.plots import FONT, plt, save  # noqa: PLC0415 - matplotlib: only when used

    sub = table[table["outcome"] == outcome]
    rows, cols = list(dict.fromkeys(sub["scenario"])), list(dict.fromkeys(sub["region"]))
    diff = sub.pivot(index="scenario", columns="region", values="diff").loc[rows, cols]
    sure = sub.assign(sure=(sub["low"] > 0) | (sub["high"] < 0))
    sure = sure.pivot(index="scenario", columns="region", values="sure").loc[rows, cols]
    limit = float(np.nanmax(np.abs(diff.to_numpy()))) if diff.size else 1.0
    limit = limit if np.isfinite(limit) and limit > 0 else 1.0
    with plt.rc_context(FONT):
        fig, ax = plt.subplots(
            figsize=(1.4 * diff.shape[1] + 3, 0.5 * diff.shape[0] + 1.6), constrained_layout=True
        )
        image = ax.imshow(diff.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
        for (i, j), value in np.ndenumerate(diff.to_numpy()):
            star = "*" if sure.iloc[i, j] else ""
            color = "white" if abs(value) > 0.6 * limit else "black"
            ax.text(j, i, f"{value:+.2g}{star}", ha="center", va="center", color=color)
        ax.set_xticks(range(diff.shape[1]), diff.columns)
        ax.set_yticks(range(diff.shape[0]), diff.index)
        fig.colorbar(image, ax=ax, label=f"Δ {sub['label'].iloc[0]}")
        ax.set_title(f"Effect on {sub['label'].iloc[0]} by region (* 95% interval excludes 0)")
    return save(fig, base)


def region_section(
    results: Results, baseline: str, paired: bool, report: Report, fig_dir: Path, tab_dir: Path
) -> None:
    """Add "Effects by region" to a comparison report (needs kept time series, 2+ regions)."""
    summary = results.summary
    if "timeseries" not in results.manifest.get("outputs", []) or summary.empty:
        return
    if summary["scenario"].nunique() < 2:
        return
    ts = results.timeseries
    ts = ts[ts["run_id"].isin(summary["run_id"])]
    if ts["scope"].nunique() < 3:  # the economy and one region: nothing to tell apart
        return
    table = region_effects(ts, baseline, paired)
    table.to_csv(tab_dir / "region_effects.csv", index=False)
    report.heading(f"Effects by region (against '{baseline}')")
    report.text(
        "Which region gains from each mix: the scenario's outcome in the region minus the "
        f"baseline's in the same region ({'paired by replicate' if paired else 'Welch'}, 95% "
        "intervals; tables/region_effects.csv). Entries and radicals are counted in the "
        "region of the firm; employment growth is from year 0 to the last year."
    )
    wide = table.assign(
        cell=[_cell(r.diff, r.low, r.high) for r in table.itertuples()]
    ).pivot_table(
        index=["scenario", "region"], columns="label", values="cell", aggfunc="first", sort=False
    )
    report.table(wide[[c for c in REGION_OUTCOMES.values() if c in wide]].reset_index())
    for outcome in ("net_specialisations", "employment_growth"):
        report.figure(
            plot_region_effects(table, outcome, fig_dir / f"region_effects_{outcome}")[0],
            f"Effect on {REGION_OUTCOMES[outcome]} by scenario and region",
        )


def _cell(mean: float, low: float, high: float) -> str:
    if pd.isna(low):
        return f"{mean:+.3g}"
    return f"{mean:+.3g} [{low:+.3g}, {high:+.3g}]"
