"""Global sensitivity analysis (SALib): Sobol' indices and Morris elementary effects.

Runs of a ``sobol`` or ``morris`` experiment are averaged over replicates per design
point, put back in SALib's sample order (the design point id *is* the row of the sample
matrix), and analysed through SALib's :class:`~SALib.util.problem.ProblemSpec`. The
spread between replicates is reported next to the spread between points, so a reader
sees how much of the output variance is simulation noise. A convergence check compares
Sobol' indices from the first half of the base samples with those from all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from SALib import ProblemSpec

from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.store import Results

__all__ = [
    "SensitivityResult",
    "morris_indices",
    "point_means",
    "sensitivity_tables",
    "sobol_indices",
]

ANALYSIS_SEED = 12345
"""Seed of SALib's bootstrap resampling (confidence intervals)."""


@dataclass(frozen=True)
class SensitivityResult:
    """Indices of one outcome: a table (one row per parameter) and diagnostics."""

    outcome: str
    method: str
    indices: pd.DataFrame
    noise_share: float  # mean within-point variance / total variance of run outcomes
    convergence: float | None  # max |ST(N) - ST(N/2)| for Sobol', None for Morris


def sobol_indices(
    problem: dict, y: np.ndarray, seed: int = ANALYSIS_SEED, second_order: bool = False
) -> pd.DataFrame:
    """First-order and total Sobol' indices with 95% bootstrap intervals.

    Parameters
    ----------
    problem : dict
        SALib problem (``names``, ``bounds``, ``num_vars``).
    y : ndarray, shape (N * (D + 2),), or (N * (2 D + 2),) with ``second_order``
        Outputs in the order of ``SALib.sample.sobol.sample(..., calc_second_order=...)``.
    seed : int, default=ANALYSIS_SEED
        Seed of the bootstrap resampling.
    second_order : bool, default=False
        Whether ``y`` comes from a sample drawn with ``calc_second_order=True`` (its rows
        come in blocks of 2 D + 2, not D + 2); the second-order indices are not reported.

    Returns
    -------
    DataFrame
        Columns parameter, S1, S1_conf, ST, ST_conf (conf: half-width of the interval).

    References
    ----------
    Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
    Computer Physics Communications 181(2), 259-270. doi:10.1016/j.cpc.2009.09.018
    """
    sp = ProblemSpec(dict(problem))
    sp.set_results(np.asarray(y, dtype=float))
    sp.analyze_sobol(calc_second_order=second_order, seed=seed)
    res = sp.analysis
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def morris_indices(
    problem: dict, x: np.ndarray, y: np.ndarray, levels: int, seed: int = ANALYSIS_SEED
) -> pd.DataFrame:
    """Morris mu* (mean absolute elementary effect), its interval and sigma.

    References
    ----------
    Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening design for
    sensitivity analysis of large models. Environmental Modelling & Software 22(10),
    1509-1518. doi:10.1016/j.envsoft.2006.10.004
    """
    sp = ProblemSpec(dict(problem))
    sp.set_samples(np.asarray(x, dtype=float))
    sp.set_results(np.asarray(y, dtype=float))
    sp.analyze_morris(num_levels=levels, seed=seed)
    res = sp.analysis
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu_star": res["mu_star"],
            "mu_star_conf": res["mu_star_conf"],
            "sigma": res["sigma"],
            "mu": res["mu"],
        }
    ).sort_values("mu_star", ascending=False, ignore_index=True)


def point_means(summary: pd.DataFrame, n_points: int, outcome: str) -> tuple[np.ndarray, float]:
    """Replicate means per design point in sample order, and the noise share.

    The noise share is the mean within-point variance over the total variance of the
    run outcomes (0: replicates agree; near 1: points are indistinguishable from noise).

    Raises
    ------
    OutputError
        If any design point has no finished run (SALib needs the full sample).
    """
    by_point = summary.groupby("point")[outcome]
    means = by_point.mean().reindex(range(n_points))
    if means.isna().any():
        missing = [int(i) for i in means.index[means.isna()][:10]]
        raise OutputError(
            f"Sensitivity analysis needs every design point; points without finished runs: "
            f"{missing}{' ...' if means.isna().sum() > 10 else ''}. Rerun the sweep with --resume."
        )
    total = summary[outcome].var(ddof=0)
    within = by_point.var(ddof=0).mean()
    noise = float(within / total) if total > 0 else 0.0
    return means.to_numpy(), noise


def _half_sample(problem: dict, y: np.ndarray, second_order: bool = False) -> np.ndarray:
    """Keep the outputs of the first half of the base samples.

    Rows come in blocks of D + 2 per base sample (2 D + 2 with second-order columns).
    """
    block = (2 if second_order else 1) * problem["num_vars"] + 2
    n = y.size // block
    return y[: (n // 2) * block]


def sample_matrix(results: Results) -> np.ndarray:
    """Return the SALib sample matrix of a results folder (rows = design points)."""
    names = results.manifest["problem"]["names"]
    design = results.design.sort_values("point")
    return design[[f"sample:{n}" for n in names]].to_numpy(dtype=float)


def sensitivity_tables(results: Results, outcomes: list[str]) -> list[SensitivityResult]:
    """Analyse each outcome of a ``sobol`` or ``morris`` results folder."""
    m = results.manifest
    problem = m["problem"]
    if m["design"] not in ("sobol", "morris"):
        raise OutputError(
            f"Results in '{results.root}' come from a '{m['design']}' design; "
            "sensitivity analysis needs a sobol or morris design."
        )
    if results.summary.empty:
        raise OutputError(
            f"Results in '{results.root}' have no finished runs; run the sweep first."
        )
    out = []
    for outcome in outcomes:
        if outcome not in results.summary:
            raise OutputError(
                f"Unknown outcome '{outcome}'; available: {', '.join(results.summary.columns)}."
            )
        y, noise = point_means(results.summary, m["n_points"], outcome)
        if m["design"] == "sobol":
            # A design drawn with second_order = true has 2 D + 2 rows per base sample.
            second = bool(m.get("design_options", {}).get("second_order", False))
            table = sobol_indices(problem, y, second_order=second)
            half = sobol_indices(problem, _half_sample(problem, y, second), second_order=second)
            conv = float(np.nanmax(np.abs(table["ST"] - half["ST"])))
            out.append(SensitivityResult(outcome, "sobol", table, noise, conv))
        elif m["design"] == "morris":
            levels = int(m.get("design_options", {}).get("levels", 4))
            table = morris_indices(problem, sample_matrix(results), y, levels)
            out.append(SensitivityResult(outcome, "morris", table, noise, None))
    return out


def write_tables(found: list[SensitivityResult], folder: Path) -> None:
    """Write one CSV per outcome."""
    folder.mkdir(parents=True, exist_ok=True)
    for r in found:
        r.indices.to_csv(folder / f"{r.method}_{r.outcome}.csv", index=False)
