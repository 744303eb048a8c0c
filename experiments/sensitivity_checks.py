"""Is a sensitivity analysis trustworthy? Warnings in words and convergence of the indices.

Estimated Sobol' indices can come out impossible: a first-order index below 0 or a total
index above 1 (variance shares lie in [0, 1]), and a bootstrap interval wider than the
index itself means the sign or size of the effect is not known. All three say the sample
is too small for the model's noise (Saltelli et al. 2010, Computer Physics Communications
181(2), 259-270, doi:10.1016/j.cpc.2009.09.018; Sarrazin, Pianosi & Wagener 2016,
Environmental Modelling & Software 79, 135-152, doi:10.1016/j.envsoft.2016.02.005, who also
recommend watching the indices converge as the sample grows). The same applies to a Morris
mu* whose interval is wider than mu*.

Convergence: the indices are recomputed on growing prefixes of the sample (Saltelli's
blocks of D + 2 rows per base sample, or Morris trajectories of D + 1 rows); SALib draws
both from sequences whose prefixes are valid smaller designs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clusterlab.experiments.sensitivity import (
    SensitivityResult,
    morris_indices,
    point_means,
    sample_matrix,
    sobol_indices,
)
from clusterlab.experiments.store import Results

if TYPE_CHECKING:
    from clusterlab.experiments.report import Report

__all__ = [
    "TOLERANCE",
    "add_checks",
    "convergence_table",
    "index_warnings",
    "prefix_sizes",
    "results_convergence",
]

TOLERANCE = 0.0
"""How far an index may go past its bound before a warning (0: any amount)."""
MIN_PREFIX = 4
"""Smallest number of base samples (or trajectories) of a convergence step."""


def index_warnings(table: pd.DataFrame, method: str, outcome: str = "") -> list[str]:
    """Sentences warning about impossible or too uncertain indices of one outcome.

    Parameters
    ----------
    table : DataFrame
        Sobol' (parameter, S1, S1_conf, ST, ST_conf) or Morris (parameter, mu_star,
        mu_star_conf) indices.
    method : {"sobol", "morris"}
    outcome : str
        Named in the sentences.

    Returns
    -------
    list of str
        One sentence per problem found (empty if none).
    """
    of = f" for {outcome}" if outcome else ""
    out = []
    if method == "sobol":
        negative = table[table["S1"] < -TOLERANCE]
        if len(negative):
            out.append(
                f"First-order indices{of} are negative for {_list(negative, 'S1')}: a variance "
                "share cannot be below 0, so these are estimation noise; take more samples."
            )
        above = table[table["ST"] > 1 + TOLERANCE]
        if len(above):
            out.append(
                f"Total indices{of} exceed 1 for {_list(above, 'ST')}: a variance share cannot "
                "exceed 1, so the sample is too small (or replicate noise dominates); take more "
                "samples or replicates."
            )
        for index in ("S1", "ST"):
            wide = table[table[f"{index}_conf"] > table[index].abs()]
            if len(wide):
                out.append(
                    f"{index} intervals{of} are wider than the index for {_list(wide, index)}: "
                    "their size, even their sign, is not known; too few samples."
                )
    else:
        wide = table[table["mu_star_conf"] > table["mu_star"]]
        if len(wide):
            out.append(
                f"mu* intervals{of} are wider than mu* for {_list(wide, 'mu_star')}: the "
                "ranking is not reliable; use more trajectories."
            )
    return out


def _list(rows: pd.DataFrame, column: str) -> str:
    """Name each parameter with its index and the half-width of its interval."""
    return ", ".join(
        f"{r.parameter} ({getattr(r, column):.3g} ± {getattr(r, column + '_conf'):.3g})"
        for r in rows.itertuples()
    )


def prefix_sizes(n: int) -> list[int]:
    """Sizes of the growing prefixes: powers of 2 from ``MIN_PREFIX`` up to, and with, ``n``."""
    sizes = []
    size = MIN_PREFIX
    while size < n:
        sizes.append(size)
        size *= 2
    return [*sizes, n] if n >= 2 else []


def convergence_table(
    problem: dict,
    y: np.ndarray,
    method: str,
    x: np.ndarray | None = None,
    levels: int = 4,
    second_order: bool = False,
) -> pd.DataFrame:
    """Recompute the indices on growing prefixes of the sample.

    Parameters
    ----------
    problem : dict
        SALib problem.
    y : ndarray
        Outputs in sample order (replicate means per design point).
    method : {"sobol", "morris"}
    x : ndarray, optional
        Sample matrix (Morris only).
    levels : int, default=4
        Morris grid levels.
    second_order : bool, default=False
        Whether the Sobol' sample has second-order blocks (2 D + 2 rows).

    Returns
    -------
    DataFrame
        Columns n (base samples or trajectories), parameter and the indices with their
        ``_conf`` half-widths (S1, ST for Sobol'; mu_star for Morris).
    """
    d = problem["num_vars"]
    # Saltelli: D + 2 rows per base sample (2 D + 2 with second order); Morris: D + 1.
    block = ((2 if second_order else 1) * d + 2) if method == "sobol" else d + 1
    frames = []
    for n in prefix_sizes(y.size // block):
        rows = n * block
        if method == "sobol":
            t = sobol_indices(problem, y[:rows], second_order=second_order)
        else:
            t = morris_indices(problem, x[:rows], y[:rows], levels)
        frames.append(t.assign(n=n))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def results_convergence(results: Results, outcome: str) -> pd.DataFrame:
    """:func:`convergence_table` of one outcome of a sobol or morris results folder."""
    m = results.manifest
    y, _ = point_means(results.summary, m["n_points"], outcome)
    options = m.get("design_options", {})
    if m["design"] == "sobol":
        second = bool(options.get("second_order", False))
        return convergence_table(m["problem"], y, "sobol", second_order=second)
    levels = int(options.get("levels", 4))
    return convergence_table(m["problem"], y, "morris", sample_matrix(results), levels)


def add_checks(
    results: Results, found: SensitivityResult, label: str, report: Report, root: Path
) -> None:
    """Add the warnings and the convergence figure of one outcome to a report."""
    from clusterlab.experiments.robustness_plots import plot_convergence  # noqa: PLC0415 - matplotlib

    warnings = index_warnings(found.indices, found.method, label)
    for warning in warnings:
        report.text(f"Warning: {warning}")
    if not warnings:
        report.text("No index is negative, above 1, or less than its interval's half-width.")
    table = results_convergence(results, found.outcome)
    if table["n"].nunique() < 2:
        return
    table.to_csv(root / "tables" / f"{found.method}_{found.outcome}_convergence.csv", index=False)
    columns = ("S1", "ST") if found.method == "sobol" else ("mu_star",)
    unit = "base samples" if found.method == "sobol" else "trajectories"
    path = plot_convergence(
        table, columns, label, root / "figures" / f"{found.method}_{found.outcome}_convergence"
    )
    report.figure(
        path,
        f"Convergence: indices recomputed on the first n {unit} (bands: 95% intervals); "
        "flat lines mean enough samples",
    )
