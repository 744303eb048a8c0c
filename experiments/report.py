"""Reports a policy lab can read: tables (CSV), figures (PNG, SVG), report.md and report.html.

``report.html`` is self-contained: figures are embedded as data URIs and there is no
external stylesheet, script or font, so it opens offline and can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from clusterlab.experiments.analysis import (
    MAIN_OUTCOMES,
    compare_scenarios,
)
from clusterlab.experiments.effects import lever_doses
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.folders import TMP_MARK, remove_stale
from clusterlab.experiments.plots import (
    plot_cost_effectiveness,
    plot_scenarios,
)
from clusterlab.experiments.region_effects import region_section
from clusterlab.experiments.report_effects import dose_section, equal_cost_section
from clusterlab.experiments.report_sections import (
    additionality_section,
    dose_figures,
    fan_scenarios,
    fan_section,
    funnel_section,
    intervals,
)
from clusterlab.experiments.store import Results, load_results, replicates_text
from clusterlab.experiments.surface import SAMPLED_DESIGNS, surface_section
from clusterlab.model.params import suggest

__all__ = [
    "Report",
    "compare_report",
    "render_html",
    "render_markdown",
    "staged_folder",
    "write_report",
]

HEADLINE = (
    "radical_innovations",
    "persistent_entries",
    "net_specialisations",
    "absolute_diversity_change",
    "final_diversity",
    "mean_cross_cluster_share",
    "policy_spend",
)


@dataclass
class Report:
    """Content of a report: title, paragraphs, tables and figures, in order."""

    title: str
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def text(self, paragraph: str) -> None:
        """Add a paragraph (markdown-light: plain text)."""
        self.blocks.append(("text", paragraph))

    def heading(self, text: str) -> None:
        """Add a section heading."""
        self.blocks.append(("heading", text))

    def table(self, df: pd.DataFrame) -> None:
        """Add a table."""
        self.blocks.append(("table", df))

    def figure(self, path: Path, caption: str) -> None:
        """Add a figure (PNG)."""
        self.blocks.append(("figure", (path, caption)))


def render_markdown(report: Report, root: Path) -> str:
    """Markdown text of a report; figures linked relative to ``root``."""
    out = [f"# {report.title}", ""]
    for kind, content in report.blocks:
        if kind == "heading":
            out += [f"## {content}", ""]
        elif kind == "text":
            out += [str(content), ""]
        elif kind == "table":
            out += [content.to_markdown(index=False), ""]
        else:
            path, caption = content
            out += [f"![{caption}]({path.relative_to(root).as_posix()})", "", f"*{caption}*", ""]
    return "\n".join(out)


def render_html(report: Report) -> str:
    """Self-contained HTML: inline CSS, figures as base64 data URIs, nothing external."""
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:right}th{background:#f0f0f0}img{max-width:100%}"
    )
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(report.title)}"
        f"</title><style>{style}</style></head><body><h1>{html.escape(report.title)}</h1>"
    ]
    for kind, content in report.blocks:
        if kind == "heading":
            parts.append(f"<h2>{html.escape(str(content))}</h2>")
        elif kind == "text":
            parts.append(f"<p>{html.escape(str(content))}</p>")
        elif kind == "table":
            parts.append(content.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0))
        else:
            path, caption = content
            data = base64.b64encode(path.read_bytes()).decode()
            parts.append(
                f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def headline_table(table: pd.DataFrame, outcomes: tuple[str, ...] = HEADLINE) -> pd.DataFrame:
    """Scenarios x outcomes: 'mean [95% interval]' strings."""
    sub = table[table["outcome"].isin(outcomes)]
    cells = sub.assign(cell=intervals(sub, "mean", "low", "high"))
    wide = cells.pivot(index="scenario", columns="outcome", values="cell")
    wide = wide.reindex(
        index=list(dict.fromkeys(sub["scenario"])), columns=[o for o in outcomes if o in wide]
    )
    return wide.rename(columns=MAIN_OUTCOMES).reset_index()


def difference_table(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Differences to the baseline with intervals, and per M€ of extra spend."""
    sub = table[(table["scenario"] != baseline) & table["outcome"].isin(HEADLINE[:4])]
    return pd.DataFrame(
        {
            "scenario": sub["scenario"],
            "outcome": sub["outcome"].map(MAIN_OUTCOMES),
            "difference [95% interval]": intervals(sub, "diff", "diff_low", "diff_high"),
            "per M€ extra spend": sub["per_meur"].map(lambda v: "" if pd.isna(v) else f"{v:.3g}"),
            "method": sub["method"],
        }
    )


def report_problems(results: Results, report: Report) -> None:
    """Say in the report which design points or runs are missing or failed."""
    m = results.manifest
    missing_points = set(results.design["scenario"]) - set(results.summary.get("scenario", []))
    done = len(results.summary)
    report.text(
        f"{done} of {m['n_runs']} runs finished; {len(results.failed)} failed"
        + (
            f"; scenarios without any finished run: {', '.join(sorted(missing_points))}."
            if missing_points
            else "."
        )
    )
    if len(results.failed):
        report.text(
            "Failed runs (first line of each error): "
            + "; ".join(
                f"run {r.run_id}: {str(r.traceback).strip().splitlines()[-1]}"
                for r in results.failed.itertuples()
            )
        )


@contextmanager
def staged_folder(root: Path) -> Iterator[Path]:
    """Yield a hidden folder inside ``root``; its entries move into ``root`` if the block ends well.

    A report is written whole or not at all: an error half-way (a corrupt run file, a
    full disk) leaves the folder's earlier report as it was and no partial tables or
    figures. Files in ``figures/`` and ``tables/`` replace their namesakes one by one.
    """
    remove_stale(root, f".report{TMP_MARK}")  # what a killed compare left
    stage = root / f".report{TMP_MARK}{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        stage.mkdir()
        yield stage
        for entry in stage.iterdir():
            target = root / entry.name
            if entry.is_dir():
                target.mkdir(exist_ok=True)
                for item in entry.iterdir():
                    os.replace(item, target / item.name)
            else:
                os.replace(entry, target)
    except OSError as exc:
        raise OutputError(
            f"Cannot write the report into '{root}': {exc.strerror or exc}."
        ) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _check_baseline(results: Results, baseline: str | None) -> str:
    """Return the baseline scenario: the one asked for, which must exist, or the first."""
    scenarios = list(dict.fromkeys(results.design.sort_values("point")["scenario"]))
    if baseline is None:
        return scenarios[0]
    if baseline not in scenarios:
        raise OutputError(
            f"--baseline {baseline!r} is not a scenario of '{results.root}'; have: "
            f"{', '.join(scenarios)}.{suggest(baseline, scenarios)}"
        )
    return baseline


def compare_report(
    root: str | Path, baseline: str | None = None, satisficing: dict[str, str] | None = None
) -> Path:
    """Analyse a results folder and write tables, figures and the report into it.

    Returns the path of ``report.html``. Of an ``xlrm`` design the report is the
    robustness analysis (:mod:`clusterlab.experiments.report_robustness`); ``satisficing`` (outcome
    -> ">= 30") then replaces the thresholds of the experiment file.

    Raises
    ------
    OutputError
        If the folder cannot be read (:func:`~clusterlab.experiments.store.load_results`), the
        baseline is not one of its scenarios, or the report cannot be written. Nothing is
        written then.
    """
    results = load_results(root)
    root = Path(root)
    asked = _check_baseline(results, baseline)
    if "timeseries" in results.manifest.get("outputs", []) and not results.summary.empty:
        results.timeseries  # noqa: B018 - read every run file now: a corrupt one stops us here
    with staged_folder(root) as stage:
        _compare(results, asked if baseline else None, stage, satisficing)
    return root / "report.html"


def _compare(
    results: Results, baseline: str | None, root: Path, satisficing: dict | None = None
) -> None:
    fig_dir, tab_dir = root / "figures", root / "tables"
    fig_dir.mkdir(exist_ok=True)
    tab_dir.mkdir(exist_ok=True)
    m = results.manifest
    report = Report(f"ClusterLab experiment '{m['experiment']}'")
    report.text(m.get("description") or "")
    report.text(
        f"Design: {m['design']}, {m['n_points']} points x {replicates_text(m)} of "
        f"{m['steps']} years; root seed {m['root_seed']}; fingerprint {m['fingerprint']}; "
        f"ClusterLab commit {m['provenance'].get('git_commit')}."
    )
    report_problems(results, report)
    if results.summary.empty:
        report.text("No finished runs: nothing to compare.")
        return write_report(report, root)
    if m["design"] == "xlrm":
        from clusterlab.experiments.report_robustness import robustness_section  # noqa: PLC0415

        robustness_section(results, report, fig_dir, tab_dir, satisficing)
        return write_report(report, root)
    if m["design"] in SAMPLED_DESIGNS:  # no baseline point: surfaces, not differences
        surface_section(results, report, fig_dir, tab_dir)
        return write_report(report, root)
    summary = results.summary
    scenarios = list(dict.fromkeys(summary.sort_values("point")["scenario"]))
    baseline = baseline or scenarios[0]
    paired = m.get("common_random_numbers", True)
    if lever_doses(results.design).empty:  # a dose design differs in spend on purpose
        equal_cost_section(results, baseline, paired, report, tab_dir)
    table = compare_scenarios(summary, baseline, paired=paired)
    table.to_csv(tab_dir / "comparison.csv", index=False)
    report.heading("Scenarios")
    report.text(
        f"Means over replicates with 95% Student-t intervals; differences to '{baseline}' "
        f"({table['method'].iloc[0]} intervals)."
    )
    headline = headline_table(table)
    headline.to_csv(tab_dir / "headline.csv", index=False)
    report.table(headline)
    report.figure(
        plot_scenarios(table, MAIN_OUTCOMES, baseline, fig_dir / "scenarios")[0],
        "Scenario means with 95% intervals",
    )
    report.heading(f"Differences to '{baseline}' and cost-effectiveness")
    diffs = difference_table(table, baseline)
    diffs.to_csv(tab_dir / "differences.csv", index=False)
    report.table(diffs)
    spend = (
        summary.groupby("scenario")["policy_spend"].mean()
        - summary[summary["scenario"] == baseline]["policy_spend"].mean()
    )
    report.figure(
        plot_cost_effectiveness(
            table,
            "radical_innovations",
            MAIN_OUTCOMES["radical_innovations"],
            spend,
            fig_dir / "cost_effectiveness",
        )[0],
        "Extra radical innovations against extra public spend",
    )
    additionality_section(summary, baseline, paired, report, tab_dir)
    funnel_section(summary, baseline, report, tab_dir)
    region_section(results, baseline, paired, report, fig_dir, tab_dir)
    doses = dose_section(results, baseline, paired, report, fig_dir, tab_dir)
    if doses.empty:
        dose_figures(results, report, fig_dir, tab_dir)
    fan_section(results, report, fig_dir, fan_scenarios(results.design, scenarios, baseline, doses))
    return write_report(report, root)


def write_report(report: Report, root: Path) -> Path:
    """Write ``report.md`` and ``report.html`` into ``root``; return the HTML's path."""
    (root / "report.md").write_text(render_markdown(report, root))
    out = root / "report.html"
    out.write_text(render_html(report))
    return out
