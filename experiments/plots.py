"""Figures (matplotlib, drawn without pyplot: no display and no GUI backend needed).

Every figure is a :class:`matplotlib.figure.Figure` saved through its Agg canvas, the
documented way for scripts and servers; matplotlib is imported when the first figure is
drawn, not with this module (``clusterlab run`` starts faster). Other modules that still
draw with pyplot get it here as ``plt`` (the Agg backend selected first).
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clusterlab.model.params import param_specs
from clusterlab.model.record import ECONOMY
from clusterlab.model.simulate import SimulationResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "TRAJECTORY_PANELS",
    "plot_cost_effectiveness",
    "plot_dose_panels",
    "plot_dose_response",
    "plot_fan",
    "plot_morris",
    "plot_scenarios",
    "plot_sobol",
    "plot_spend_curves",
    "plot_trajectories",
]


def __getattr__(name: str) -> Any:
    """``plt``: pyplot on the Agg backend, imported when a module first asks for it."""
    if name != "plt":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import matplotlib as mpl  # noqa: PLC0415 - matplotlib: only when used (start-up)

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    globals()["plt"] = plt
    return plt


def _figure(**kwargs: Any) -> Figure:
    """Make a figure on an Agg canvas (``kwargs`` go to :class:`~matplotlib.figure.Figure`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - when drawn
    from matplotlib.figure import Figure  # noqa: PLC0415

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _subplots(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kwargs: Any
) -> tuple[Figure, Any]:
    """Make a constrained-layout figure and its axes, as ``pyplot.subplots`` does."""
    fig = _figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _fonts() -> AbstractContextManager[Any]:
    """Projector-readable fonts (:data:`FONT`) for the figures made inside the block."""
    import matplotlib as mpl  # noqa: PLC0415 - matplotlib: only when used (start-up)

    return mpl.rc_context(FONT)


def _close(fig: Figure) -> None:
    """Forget a figure pyplot made (figures made here are freed with their last reference)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


TRAJECTORY_PANELS: tuple[tuple[str, str, bool], ...] = (
    ("radical", "Radical innovations (novel pairs, per year)", False),
    ("absolute_diversity", "Absolute diversity (industries >= 2% of employment)", True),
    ("diversity", "Diversity (industries with RCA >= 1)", True),
    ("cross_cluster_share", "Cross-cluster share of collaboration links", True),
    ("employment", "Employment (employees)", True),
    ("spend_total", "Policy spend (M€ per year)", True),
)
"""(column, title with unit, one line per region)."""

TRAJECTORY_MARGINS = {"left": 0.045, "right": 0.985, "bottom": 0.07, "top": 0.9,
                      "wspace": 0.2, "hspace": 0.3}  # fmt: skip
"""Fractions of the figure around and between the six panels of :func:`plot_trajectories`."""


def plot_trajectories(result: SimulationResult, path: Path) -> Path:
    """Six panels of the main trajectories, economy and per region; saved to ``path``."""
    ts = result.timeseries
    # fixed margins, not the constrained layout of the report figures: this figure's labels
    # are known, and laying it out costs about half of drawing it (``clusterlab run`` start-up)
    fig = _figure(figsize=(15, 8))
    fig.subplots_adjust(**TRAJECTORY_MARGINS)
    axes = fig.subplots(2, 3)
    for ax, (col, title, by_region) in zip(axes.ravel(), TRAJECTORY_PANELS, strict=True):
        eco = ts[ts["scope"] == ECONOMY]
        ax.plot(eco["step"], eco[col], color="black", lw=2, label="economy")
        if by_region:
            for region in result.regions:
                sub = ts[ts["scope"] == region]
                ax.plot(sub["step"], sub[col], lw=1, alpha=0.8, label=region)
        ax.set_title(title, fontsize=11, y=1.0)  # a fixed place: no search for overlaps
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0, 1].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"ClusterLab run: seed {result.seed}, {result.steps} years", fontsize=13)
    fig.savefig(path, dpi=110)
    return Path(path)


FONT = {"font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 10}
"""Projector-readable font sizes for report figures."""


def save(fig: Figure, base: Path) -> list[Path]:
    """Save a figure as PNG and SVG next to each other; close it."""
    paths = [base.with_suffix(".png"), base.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=120)
    fig.savefig(paths[1])
    _close(fig)
    return paths


def plot_scenarios(
    table: pd.DataFrame, labels: dict[str, str], baseline: str, base: Path
) -> list[Path]:
    """One panel per outcome: mean and 95% interval of every scenario."""
    outcomes = [o for o in labels if o in set(table["outcome"])]
    cols = 2
    rows = -(-len(outcomes) // cols)
    with _fonts():
        fig, axes = _subplots(rows, cols, figsize=(13, 3.2 * rows), squeeze=False)
        for ax, outcome in zip(axes.ravel(), outcomes, strict=False):
            sub = table[table["outcome"] == outcome].reset_index(drop=True)
            y = np.arange(len(sub))[::-1]
            colors = ["black" if s == baseline else "tab:blue" for s in sub["scenario"]]
            for yi, row, color in zip(y, sub.itertuples(), colors, strict=True):
                ax.errorbar(
                    row.mean,
                    yi,
                    xerr=[[row.mean - row.low], [row.high - row.mean]],
                    fmt="o",
                    color=color,
                    capsize=3,
                )
            ax.set_yticks(y, sub["scenario"])
            ax.set_title(labels[outcome])
            ax.grid(axis="x", alpha=0.3)
        for ax in axes.ravel()[len(outcomes) :]:
            ax.set_visible(False)
        fig.suptitle("Scenario means with 95% intervals over replicates (baseline in black)")
    return save(fig, base)


def plot_cost_effectiveness(
    table: pd.DataFrame, outcome: str, label: str, spend: pd.Series, base: Path
) -> list[Path]:
    """Difference to the baseline (with interval) against extra public spend."""
    sub = table[table["outcome"] == outcome].set_index("scenario")
    x = spend.reindex(sub.index)
    with _fonts():
        fig, ax = _subplots(figsize=(9, 6))
        ax.errorbar(
            x,
            sub["diff"],
            yerr=[sub["diff"] - sub["diff_low"], sub["diff_high"] - sub["diff"]],
            fmt="o",
            capsize=4,
        )
        for name, xi, yi in zip(sub.index, x, sub["diff"], strict=True):
            ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(6, 6))
        ax.axhline(0, color="grey", lw=1)
        ax.set_xlabel("Extra public spend over the baseline (M€ per run, all regions)")
        ax.set_ylabel(f"Difference to baseline: {label}")
        ax.set_title("Cost-effectiveness: what each instrument buys (95% intervals)")
        ax.grid(alpha=0.3)
    return save(fig, base)


def plot_dose_response(data: pd.DataFrame, lever: str, label: str, base: Path) -> list[Path]:
    """Mean and 95% interval of an outcome against a swept lever."""
    with _fonts():
        fig, ax = _subplots(figsize=(9, 6))
        ax.fill_between(data[lever], data["low"], data["high"], alpha=0.25, label="95% interval")
        ax.plot(data[lever], data["mean"], "o-", label="mean over replicates")
        ax.set_xlabel(lever)
        ax.set_ylabel(label)
        ax.set_title(f"Dose-response: {label}")
        ax.legend()
        ax.grid(alpha=0.3)
    return save(fig, base)


def _grid(
    n: int, cols: int, panel: tuple[float, float], sharex: bool = True, sharey: bool = True
) -> tuple:
    """Return a figure of ``n`` small panels in rows of ``cols``, spare panels hidden."""
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig, axes = _subplots(
        rows,
        cols,
        figsize=(panel[0] * cols, panel[1] * rows),
        sharex=sharex,
        sharey=sharey,
        squeeze=False,
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n]


def plot_fan(data: pd.DataFrame, label: str, base: Path) -> list[Path]:
    """Small multiples: one panel per scenario (median, 5-95% band), the first as reference.

    Every panel shares the axes and repeats the first scenario's median as a grey dashed
    line, so each mix reads against the baseline at a glance without overlapping bands.
    """
    scenarios = list(dict.fromkeys(data["scenario"]))
    reference = data[data["scenario"] == scenarios[0]]
    with _fonts():
        fig, axes = _grid(len(scenarios), 3, (4.6, 3.2))
        for ax, scenario in zip(axes, scenarios, strict=True):
            grp = data[data["scenario"] == scenario]
            ax.fill_between(grp["step"], grp["p05"], grp["p95"], color="tab:blue", alpha=0.25)
            ax.plot(grp["step"], grp["median"], color="tab:blue", lw=2)
            if scenario != scenarios[0]:
                ax.plot(reference["step"], reference["median"], "--", color="grey", lw=1.2)
            ax.set_title(scenario, fontsize=11)
            ax.grid(alpha=0.3)
        for ax in axes[-3:]:
            ax.set_xlabel("year")
        fig.suptitle(f"{label}\nmedian and 5-95% band over replicates (dashed: {scenarios[0]})")
    return save(fig, base)


def plot_dose_panels(table: pd.DataFrame, outcome: str, label: str, base: Path) -> list[Path]:
    """One panel per lever: effect on ``outcome`` (difference to baseline, 95%) against dose.

    ``table`` is :func:`clusterlab.experiments.effects.dose_table`; the panels do not share the
    x-axis (levers have their own units) but share the y-axis, so levers compare.
    """
    sub = table[table["outcome"] == outcome]
    levers = list(dict.fromkeys(sub["lever"]))
    with _fonts():
        fig, axes = _grid(len(levers), 4, (3.8, 3.0), sharex=False)
        for ax, lever in zip(axes, levers, strict=True):
            grp = sub[sub["lever"] == lever].sort_values("dose")
            ax.fill_between(grp["dose"], grp["low"], grp["high"], alpha=0.25)
            ax.plot(grp["dose"], grp["diff"], "o-")
            ax.axhline(0, color="grey", lw=1)
            ax.set_title(lever, fontsize=11)
            spec = param_specs().get(lever)
            ax.set_xlabel(spec.unit if spec else "dose", fontsize=10)
            ax.tick_params(labelbottom=True)
            ax.grid(alpha=0.3)
        fig.suptitle(f"Dose-response: {label}, difference to baseline (95% interval)")
    return save(fig, base)


def plot_spend_curves(table: pd.DataFrame, labels: dict[str, str], base: Path) -> list[Path]:
    """One panel per outcome: effect (95% interval) against realised spend, a line per lever."""
    outcomes = [o for o in labels if o in set(table["outcome"])]
    with _fonts():
        fig, axes = _grid(len(outcomes), 3, (5.0, 3.6), sharey=False)
        for ax, outcome in zip(axes, outcomes, strict=True):
            sub = table[table["outcome"] == outcome]
            for lever, unsorted in sub.groupby("lever", sort=False):
                grp = unsorted.sort_values("spend")
                ax.errorbar(
                    grp["spend"],
                    grp["diff"],
                    yerr=[grp["diff"] - grp["low"], grp["high"] - grp["diff"]],
                    fmt="o-",
                    ms=4,
                    capsize=2,
                    label=lever,
                )
            ax.axhline(0, color="grey", lw=1)
            ax.set_title(labels[outcome], fontsize=11)
            ax.set_xlabel("realised spend (M€ per run)")
            ax.tick_params(labelbottom=True)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.suptitle("Effect against realised spend, one line per lever (95% intervals)")
    return save(fig, base)


def plot_sobol(table: pd.DataFrame, label: str, base: Path) -> list[Path]:
    """First-order and total Sobol' indices with 95% intervals, one bar pair per parameter."""
    with _fonts():
        fig, ax = _subplots(figsize=(10, 0.6 * len(table) + 2.5))
        y = np.arange(len(table))
        ax.barh(y + 0.2, table["S1"], 0.4, xerr=table["S1_conf"], label="first order S1", capsize=3)
        ax.barh(y - 0.2, table["ST"], 0.4, xerr=table["ST_conf"], label="total ST", capsize=3)
        ax.set_yticks(y, table["parameter"])
        ax.set_xlabel("share of output variance")
        ax.set_title(f"Sobol' indices: {label}")
        ax.legend()
        ax.grid(axis="x", alpha=0.3)
    return save(fig, base)


def plot_morris(table: pd.DataFrame, label: str, base: Path) -> list[Path]:
    """Morris mu* against sigma: far right = influential, high = non-linear or interacting."""
    with _fonts():
        fig, ax = _subplots(figsize=(9, 6))
        ax.errorbar(
            table["mu_star"], table["sigma"], xerr=table["mu_star_conf"], fmt="o", capsize=3
        )
        for row in table.itertuples():
            ax.annotate(
                row.parameter, (row.mu_star, row.sigma), textcoords="offset points", xytext=(5, 5)
            )
        ax.set_xlabel("mu* (mean absolute elementary effect)")
        ax.set_ylabel("sigma (spread of elementary effects)")
        ax.set_title(f"Morris screening: {label}")
        ax.grid(alpha=0.3)
    return save(fig, base)
