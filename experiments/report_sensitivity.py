"""The sensitivity report of a Sobol' or Morris results folder (``clusterlab sensitivity``).

Tables of indices with their confidence intervals, one figure per outcome, the replicate
noise and the checks of :mod:`clusterlab.experiments.sensitivity_checks`, written as
``report.md`` and ``report.html`` like the comparison report
(:mod:`clusterlab.experiments.report`).
"""

from __future__ import annotations

from pathlib import Path

from clusterlab.experiments.analysis import MAIN_OUTCOMES
from clusterlab.experiments.plots import plot_morris, plot_sobol
from clusterlab.experiments.report import Report, report_problems, staged_folder, write_report
from clusterlab.experiments.sensitivity import SensitivityResult, sensitivity_tables, write_tables
from clusterlab.experiments.sensitivity_checks import add_checks
from clusterlab.experiments.store import Results, load_results, replicates_text

__all__ = ["SENSITIVITY_OUTCOMES", "sensitivity_report"]

SENSITIVITY_OUTCOMES = ("radical_innovations", "persistent_entries", "absolute_diversity_change")


def sensitivity_report(root: str | Path, outcomes: tuple[str, ...] = SENSITIVITY_OUTCOMES) -> Path:
    """Sobol' or Morris analysis of a results folder: tables, figures, report files."""
    results = load_results(root)
    root = Path(root)
    found = sensitivity_tables(results, list(outcomes))
    with staged_folder(root) as stage:
        _sensitivity(results, found, stage)
    return root / "report.html"


def _sensitivity(results: Results, found: list[SensitivityResult], root: Path) -> Path:
    fig_dir = root / "figures"
    fig_dir.mkdir(exist_ok=True)
    write_tables(found, root / "tables")
    m = results.manifest
    report = Report(f"ClusterLab sensitivity analysis '{m['experiment']}'")
    report.text(m.get("description") or "")
    report.text(
        f"{m['design']} design over {', '.join(m['problem']['names'])}; {m['n_points']} "
        f"points x {replicates_text(m)} of {m['steps']} years; outputs averaged "
        "over replicates per point and analysed in SALib's sample order."
    )
    report_problems(results, report)
    for r in found:
        label = MAIN_OUTCOMES.get(r.outcome, r.outcome)
        report.heading(label)
        if m["n_runs"] > m["n_points"]:
            report.text(
                f"Replicate noise: {r.noise_share:.0%} of the variance of run outcomes "
                "lies within design points (averaged out by the replicates)."
            )
        else:
            report.text(
                "One replicate per point: simulation noise is not separated from the "
                "parameters' effects; use more replicates for firm conclusions."
            )
        if r.method == "sobol":
            report.text(
                f"Convergence: largest change of a total index between N/2 and N base "
                f"samples: {r.convergence:.3f}."
            )
            path = plot_sobol(r.indices, label, fig_dir / f"sobol_{r.outcome}")[0]
        else:
            path = plot_morris(r.indices, label, fig_dir / f"morris_{r.outcome}")[0]
        report.table(r.indices.round(4))
        report.figure(path, f"{r.method.capitalize()} indices: {label}")
        add_checks(results, r, label, report, root)
    return write_report(report, root)
