"""Figures of robustness, scenario discovery and sensitivity convergence (PNG and SVG).

Each function returns the PNG's path (the SVG is written next to it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clusterlab.experiments.plots import FONT, plt, save

__all__ = [
    "plot_convergence",
    "plot_feature_scores",
    "plot_outcomes_by_policy",
    "plot_regret",
    "plot_tradeoff",
]


def _box_strip(ax: plt.Axes, groups: list[np.ndarray], labels: list[str], seed: int = 0) -> None:
    """Box plot of each group with its points jittered on top."""
    rng = np.random.default_rng(seed)
    ax.boxplot(groups, orientation="horizontal", widths=0.6, showfliers=False)
    for i, values in enumerate(groups, start=1):
        jitter = rng.uniform(-0.15, 0.15, len(values))
        ax.plot(values, i + jitter, "o", ms=3, alpha=0.5, color="tab:blue")
    ax.set_yticks(range(1, len(labels) + 1), labels)
    ax.grid(axis="x", alpha=0.3)


def _panels(
    data: pd.DataFrame, column_of: dict[str, str], labels: dict[str, str], title: str, base: Path
) -> Path:
    """One box/strip panel per outcome; ``column_of`` maps outcome -> value column."""
    outcomes = list(column_of)
    policies = list(dict.fromkeys(data["policy"].astype(str)))
    cols = min(2, len(outcomes))
    rows = -(-len(outcomes) // cols)
    with plt.rc_context(FONT):
        fig, axes = plt.subplots(
            rows,
            cols,
            figsize=(7 * cols, 0.5 * len(policies) * rows + 2 * rows),
            constrained_layout=True,
            squeeze=False,
        )
        for ax, outcome in zip(axes.ravel(), outcomes, strict=False):
            sub = data[data["outcome"] == outcome] if "outcome" in data else data
            groups = [
                sub.loc[sub["policy"].astype(str) == p, column_of[outcome]].dropna().to_numpy()
                for p in policies
            ]
            _box_strip(ax, groups, policies)
            ax.set_title(labels.get(outcome, outcome), fontsize=11)
        for ax in axes.ravel()[len(outcomes) :]:
            ax.set_visible(False)
        fig.suptitle(title)
    return save(fig, base)[0]


def plot_outcomes_by_policy(
    table: pd.DataFrame, outcomes: list[str], labels: dict[str, str], base: Path
) -> Path:
    """Outcome of each policy across the worlds: box (quartiles) and one dot per world."""
    return _panels(
        table, {o: o for o in outcomes}, labels, "Outcomes across uncertain worlds", base
    )


def plot_regret(regrets: pd.DataFrame, labels: dict[str, str], base: Path) -> Path:
    """Regret of each policy across worlds (``regrets``: policy, world, outcome, regret)."""
    outcomes = list(dict.fromkeys(regrets["outcome"]))
    return _panels(
        regrets,
        dict.fromkeys(outcomes, "regret"),
        labels,
        "Regret: shortfall from the best policy of each world (0 = best)",
        base,
    )


def plot_tradeoff(trajectory: pd.DataFrame, chosen: int, condition: str, base: Path) -> Path:
    """PRIM's peeling trajectory: density against coverage, coloured by restricted inputs."""
    with plt.rc_context(FONT):
        fig, ax = plt.subplots(figsize=(8, 6), constrained_layout=True)
        points = ax.scatter(
            trajectory["coverage"],
            trajectory["density"],
            c=trajectory["res_dim"],
            cmap="viridis",
            s=30,
        )
        ax.plot(trajectory["coverage"], trajectory["density"], color="grey", lw=0.8, zorder=0)
        box = trajectory.iloc[chosen]
        ax.plot(
            box["coverage"],
            box["density"],
            "o",
            ms=14,
            mfc="none",
            mec="red",
            mew=2,
            label=f"chosen box {chosen}",
        )
        fig.colorbar(points, ax=ax, label="restricted inputs")
        ax.set_xlabel("coverage (share of cases of interest inside the box)")
        ax.set_ylabel("density (share of the box's runs of interest)")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"PRIM peeling trajectory: {condition}", fontsize=11)
        ax.legend(loc="lower left")
        ax.grid(alpha=0.3)
    return save(fig, base)[0]


def plot_feature_scores(scores: pd.DataFrame, condition: str, base: Path) -> Path:
    """Extra-trees feature scores of the inputs, largest on top."""
    with plt.rc_context(FONT):
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(scores) + 2), constrained_layout=True)
        y = np.arange(len(scores))[::-1]
        ax.barh(y, scores["score"], color="tab:blue")
        ax.set_yticks(y, scores["input"])
        ax.set_xlabel("feature score (share of the trees' impurity decrease)")
        ax.set_title(f"Which inputs tell apart {condition}", fontsize=11)
        ax.grid(axis="x", alpha=0.3)
    return save(fig, base)[0]


def plot_convergence(table: pd.DataFrame, columns: tuple[str, ...], label: str, base: Path) -> Path:
    """Plot indices recomputed on growing prefixes of the sample, with 95% intervals.

    ``table`` has columns n, parameter and, for each column c, c and c_conf.
    """
    with plt.rc_context(FONT):
        fig, axes = plt.subplots(
            1,
            len(columns),
            figsize=(6.5 * len(columns), 4.8),
            constrained_layout=True,
            squeeze=False,
        )
        for ax, column in zip(axes.ravel(), columns, strict=True):
            for parameter, sub in table.groupby("parameter", sort=False):
                line = ax.plot(sub["n"], sub[column], "o-", label=parameter)[0]
                ax.fill_between(
                    sub["n"],
                    sub[column] - sub[f"{column}_conf"],
                    sub[column] + sub[f"{column}_conf"],
                    color=line.get_color(),
                    alpha=0.15,
                )
            ax.set_xscale("log", base=2)
            ax.set_xlabel("base samples (N) or trajectories used")
            ax.set_title(column)
            ax.grid(alpha=0.3)
        axes.ravel()[0].legend(fontsize=8)
        fig.suptitle(f"Convergence of the indices: {label}")
    return save(fig, base)[0]
