"""Figures (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

from model.record import ECONOMY
from model.simulate import SimulationResult

__all__ = ["TRAJECTORY_PANELS", "plot_trajectories"]

TRAJECTORY_PANELS: tuple[tuple[str, str, bool], ...] = (
    ("radical", "Radical innovations (novel pairs, per year)", False),
    ("entries", "New specialisations (RCA crosses 1, per year)", True),
    ("diversity", "Diversity (industries with RCA >= 1)", True),
    ("cross_cluster_share", "Cross-cluster share of collaboration links", True),
    ("employment", "Employment (employees)", True),
    ("spend_total", "Policy spend (M€ per year)", True),
)
"""(column, title with unit, one line per region)."""


def plot_trajectories(result: SimulationResult, path: Path) -> Path:
    """Six panels of the main trajectories, economy and per region; saved to ``path``."""
    ts = result.timeseries
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), constrained_layout=True)
    for ax, (col, title, by_region) in zip(axes.ravel(), TRAJECTORY_PANELS, strict=True):
        eco = ts[ts["scope"] == ECONOMY]
        ax.plot(eco["step"], eco[col], color="black", lw=2, label="economy")
        if by_region:
            for region in result.regions:
                sub = ts[ts["scope"] == region]
                ax.plot(sub["step"], sub[col], lw=1, alpha=0.8, label=region)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0, 1].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"ClusterLab run: seed {result.seed}, {result.steps} years", fontsize=13)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
