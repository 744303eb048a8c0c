"""Response surfaces and partial dependence for sampled designs (LHS, Sobol') in ``compare``.

A sampled design has no baseline scenario: its points are draws from the levers' ranges,
so differences to point 0 mean nothing. Instead, for each outcome:

- **Response surface** (first order): ordinary least squares of the run outcomes on the
  levers, each lever scaled to [0, 1] over its range, so a coefficient is the change of
  the outcome from the low to the high end of that lever, the others held fixed; with its
  95% interval and the R² of the fit (how much of the variation the levers explain
  linearly; a low R² means interactions, curvature or noise).
- **Partial dependence**: the runs binned by quantiles of one lever; mean outcome and
  95% Student-t interval in each bin (averaged over the other levers' draws, as Friedman
  2001, Ann. Stat. 29(5), doi:10.1214/aos/1013203451, defines it for a model's inputs).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from clusterlab.experiments.analysis import MAIN_OUTCOMES, mean_interval

if TYPE_CHECKING:
    from clusterlab.experiments.report import Report
    from clusterlab.experiments.store import Results

__all__ = [
    "SAMPLED_DESIGNS",
    "SURFACE_OUTCOMES",
    "partial_dependence",
    "response_surface",
    "surface_section",
]

SAMPLED_DESIGNS = ("lhs", "sobol")
SURFACE_OUTCOMES = (
    "radical_innovations",
    "persistent_entries",
    "net_specialisations",
    "absolute_diversity_change",
    "employment_growth",
)
MAX_BINS = 5


def lever_frame(results: Results) -> tuple[pd.DataFrame, dict[str, tuple[float, float]]]:
    """Return the runs with their levers' values, and each lever's (low, high)."""
    problem = results.manifest.get("problem") or {"names": [], "bounds": []}
    levers = {
        name: (float(lo), float(hi))
        for name, (lo, hi) in zip(problem["names"], problem["bounds"], strict=True)
    }
    design = results.design[["point", *levers]]
    return results.summary.merge(design, on="point", how="left"), levers


def response_surface(
    runs: pd.DataFrame, levers: dict[str, tuple[float, float]], outcome: str
) -> pd.DataFrame:
    """First-order OLS of ``outcome`` on the levers scaled to [0, 1].

    Returns one row per lever: ``effect`` (low-to-high change), ``low``/``high`` (95%),
    and ``r2`` (of the whole fit, repeated), ``n`` runs.
    """
    data = runs[[*levers, outcome]].replace([np.inf, -np.inf], np.nan).dropna()
    y = data[outcome].to_numpy(float)
    scaled = [(data[n].to_numpy(float) - lo) / ((hi - lo) or 1.0) for n, (lo, hi) in levers.items()]
    x = np.column_stack([np.ones(len(y)), *scaled])
    n, k = x.shape
    if n <= k:
        return pd.DataFrame()
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    dof = n - k
    sigma2 = float(resid @ resid) / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.pinv(x.T @ x)))
    t = stats.t.ppf(0.975, dof)
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(resid @ resid) / total if total > 0 else np.nan
    return pd.DataFrame(
        {
            "outcome": outcome,
            "lever": list(levers),
            "effect": beta[1:],
            "low": beta[1:] - t * se[1:],
            "high": beta[1:] + t * se[1:],
            "r2": r2,
            "n": n,
        }
    )


def partial_dependence(runs: pd.DataFrame, lever: str, outcome: str) -> pd.DataFrame:
    """Mean outcome and 95% interval in quantile bins of one lever (up to 5 bins)."""
    data = runs[[lever, outcome]].replace([np.inf, -np.inf], np.nan).dropna()
    bins = min(MAX_BINS, max(1, len(data) // 4))
    codes = pd.qcut(data[lever].rank(method="first"), bins, labels=False)
    rows = []
    for b, grp in data.groupby(codes):
        iv = mean_interval(grp[outcome].to_numpy())
        rows.append(
            {
                "bin": int(b),
                "lever_mean": float(grp[lever].mean()),
                "mean": iv.mean,
                "low": iv.low,
                "high": iv.high,
                "n": iv.n,
            }
        )
    return pd.DataFrame(rows)


def surface_section(results: Results, report: Report, fig_dir: Path, tab_dir: Path) -> None:
    """Add the response surfaces and partial dependence of a sampled design to a report."""
    runs, levers = lever_frame(results)
    outcomes = [o for o in SURFACE_OUTCOMES if o in runs]
    if not levers or not outcomes:
        return
    surface = pd.concat([response_surface(runs, levers, o) for o in outcomes], ignore_index=True)
    report.heading("Response surface (first order)")
    if surface.empty:  # no outcome has more runs than the fit has coefficients
        report.text(
            f"Not fitted: a first-order fit of {len(levers)} lever(s) needs more than "
            f"{len(levers) + 1} runs with a finite outcome, and this design has "
            f"{len(runs)}; add samples or replicates."
        )
    else:
        surface.to_csv(tab_dir / "response_surface.csv", index=False)
        report.text(
            "A sampled design has no baseline: each row is the change of an outcome from "
            "the low to the high end of one lever, the others held fixed, from a "
            "least-squares fit of every run's outcome on the levers (95% intervals); R² "
            "says how much of the variation the levers explain linearly (a low R² means "
            "interactions, curvature or noise between replicates). "
            "tables/response_surface.csv."
        )
        shown = surface.assign(
            effect=[f"{r.effect:+.3g} [{r.low:+.3g}, {r.high:+.3g}]" for r in surface.itertuples()],
            r2=surface["r2"].map(lambda v: f"{v:.2f}"),
        )
        report.table(shown[["outcome", "lever", "effect", "r2", "n"]])
    report.heading("Partial dependence")
    report.text(
        "Mean outcome (95% interval) in quantile bins of each lever, averaged over the other "
        "levers' draws (tables/partial_dependence.csv)."
    )
    frames = [
        partial_dependence(runs, lever, o).assign(outcome=o, lever=lever)
        for o in outcomes
        for lever in levers
    ]
    table = pd.concat(frames, ignore_index=True)
    table.to_csv(tab_dir / "partial_dependence.csv", index=False)
    report.figure(
        _plot(runs, table, list(levers), outcomes, fig_dir / "partial_dependence")[0],
        "Partial dependence of each outcome on each lever (runs as dots)",
    )


def _plot(
    runs: pd.DataFrame, table: pd.DataFrame, levers: list[str], outcomes: list[str], base: Path
) -> list[Path]:
    from clusterlab.experiments.plots import FONT, plt, save  # noqa: PLC0415 - matplotlib: only when used

    with plt.rc_context(FONT):
        fig, axes = plt.subplots(
            len(outcomes),
            len(levers),
            figsize=(3.6 * len(levers) + 1, 2.6 * len(outcomes)),
            constrained_layout=True,
            squeeze=False,
        )
        for i, outcome in enumerate(outcomes):
            for j, lever in enumerate(levers):
                ax = axes[i, j]
                ax.scatter(runs[lever], runs[outcome], s=6, alpha=0.3, color="grey")
                pd_ = table[(table["outcome"] == outcome) & (table["lever"] == lever)]
                ax.errorbar(
                    pd_["lever_mean"],
                    pd_["mean"],
                    yerr=[pd_["mean"] - pd_["low"], pd_["high"] - pd_["mean"]],
                    fmt="o-",
                    color="tab:blue",
                    capsize=3,
                )
                if i == len(outcomes) - 1:
                    ax.set_xlabel(lever)
                if j == 0:
                    ax.set_ylabel(MAIN_OUTCOMES.get(outcome, outcome)[:28], fontsize=9)
        fig.suptitle("Partial dependence: binned means with 95% intervals")
    return save(fig, base)
