"""The validation report (docs/validation.md) and its figures, written from the checks.

The thresholds section is generated from :data:`clusterlab.experiments.validation.THRESHOLDS` by
:func:`thresholds_markdown`, so the table in the docs is the table the checks apply (a
test parses the committed docs/validation.md and compares).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from clusterlab.experiments.validation import PATTERNS, THRESHOLDS, Check, threshold_rows
from clusterlab.experiments.validation_stats import REWIRINGS

__all__ = ["THRESHOLDS_HEADING", "overall_verdict", "thresholds_markdown", "write_report"]

THRESHOLDS_HEADING = "## Thresholds"

NOTES = (
    "Zipf exponent: the exponent zeta of the counter-cumulative size distribution, "
    "P(S > s) ~ s^-zeta (Axtell 2001: 1.06). The `powerlaw` package reports the exponent "
    "alpha of the density, p(s) ~ s^-alpha; zeta = alpha - 1 (group_pdf_alpha is alpha).",
    "Sizes are employees rounded to whole persons; a group is a founding firm and its "
    "divisions (its size: the employment of its alive firms), an establishment is one firm. "
    "Power-law fits: Clauset, Shalizi & Newman (2009), xmin by minimum KS distance; the "
    "likelihood ratio R is normalised (Vuong), R > 0 favours the power law.",
    "Growth: ln(S_t+1 / S_t) of groups with at least one employee in both years; the "
    "log-likelihood difference is per growth rate; the slope is that of ln sd(growth) on "
    "mean ln size over 10 equal-count bins of the size at t.",
    "Network: collaboration and university links active in the final year (universities "
    "are nodes, as in Powell et al. 2005); nodes are the actors with at least one link, and "
    "the largest component's share counts linked firms; clustering and mean path (largest "
    "component) against the mean of "
    f"{REWIRINGS} degree-preserving rewirings (double edge swaps), seeded by the run seed "
    "(the clustering null is never below the configuration model's expected clustering, "
    "clustering_configuration); ensemble figures are means over runs, ratios of the means.",
    "Relatedness: linear probability models of entry (RCA crosses 1 within 5 years) and "
    "exit on relatedness density (0..100), region x period and run x industry fixed "
    "effects (robust to runs whose economies differ), s.e. clustered by region; the "
    "entry change is 10 x coefficient / mean entry rate.",
    "Life cycle: cluster knowledge heterogeneity on age (years since the cluster was "
    "founded during the run) and age², cluster fixed effects, s.e. clustered by cluster; "
    "the clusters a run starts with (founded before it, age unknown) are left out; "
    "peak_position is the peak's place in the observed ages (0 = youngest, 1 = oldest).",
    "Variety: a region's radical innovations in a year on its unrelated and related "
    "variety the year before, region and year fixed effects, s.e. clustered by region.",
)


def thresholds_markdown() -> str:
    """Write the thresholds section of the report: one row per criterion of THRESHOLDS."""
    lines = [
        THRESHOLDS_HEADING,
        "",
        "A preset reproduces a pattern when every criterion of the pattern holds on its "
        "ensemble figures (issue #16, DESIGN.md §2).",
        "",
        "| pattern | figure | pass if | meaning |",
        "|---|---|---|---|",
    ]
    lines += [f"| {p} | {f} | {c} | {m} |" for p, f, c, m in threshold_rows()]
    return "\n".join(lines + [""] + [f"- {n}" for n in NOTES]) + "\n"


def overall_verdict(checks: dict[str, Check]) -> str:
    """'reproduced (k/n presets)': every preset; 'partly' if any criterion held anywhere."""
    n = len(checks)
    k = sum(c.verdict == "reproduced" for c in checks.values())
    if k == n:
        word = "reproduced"
    elif any(any(c.criteria.values()) for c in checks.values()):
        word = "partly reproduced"
    else:
        word = "not reproduced"
    return f"{word} ({k}/{n} presets)"


def _fmt(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.3g}"


def _cell(check: Check, figure: str) -> str:
    value = _fmt(check.figures.get(figure, math.nan))
    mean, low, high = check.intervals.get(figure, (math.nan, math.nan, math.nan))
    band = f"; {_fmt(mean)} [{_fmt(low)}, {_fmt(high)}]" if math.isfinite(low) else ""
    return value + band


def _pattern_section(key: str, checks: dict[str, Check]) -> list[str]:
    names = list(checks)
    lines = ["", f"## {PATTERNS[key]}", "", f"Overall: **{overall_verdict(checks)}**", ""]
    lines += ["| figure | pass if | " + " | ".join(names) + " |"]
    lines += ["|---|---|" + "---:|" * len(names)]
    lines += ["| **verdict** | | " + " | ".join(c.verdict for c in checks.values()) + " |"]
    tested = {c.figure: c for c in THRESHOLDS[key]}
    for fig, crit in tested.items():
        cells = [
            _cell(c, fig) + (" ✓" if crit.holds(c.figures.get(fig, math.nan)) else " ✗")
            for c in checks.values()
        ]
        lines.append(f"| {fig} | {crit.text()} | " + " | ".join(cells) + " |")
    others = [f for f in next(iter(checks.values())).figures if f not in tested]
    lines += [
        f"| {f} | | " + " | ".join(_cell(c, f) for c in checks.values()) + " |" for f in others
    ]
    return lines


def _header(meta: dict[str, Any]) -> list[str]:
    economy = ", ".join(f"{k} {v}" for k, v in meta["economy"].items()) or "default"
    return [
        "# Validation against empirical stylised facts",
        "",
        "Generated by `clusterlab validate`; do not edit by hand. Verdicts are computed from "
        "the figures below by `experiments/validation.py` at the thresholds listed.",
        "",
        f"- Command: `{meta['command']}`",
        f"- Ensembles: {meta['replicates']} runs of each preset ({', '.join(meta['presets'])}), "
        f"{meta['steps']} years, overrides {meta['overrides'] or 'none'}; economy: {economy}",
        f"- Seeds (the same for every preset), spawned from the validation root seed 2026; "
        "development and parameter choices used run seeds 0..11 only (docs/calibration.md): "
        f"{meta['seeds']}",
        f"- Dose-response: `baseline`, levels of cross_cluster_subsidy 0 to 1, "
        f"{meta['dose_replicates']} runs each",
        f"- Written {meta['written']}, ClusterLab commit {meta['commit']}",
        "- Each cell: the figure on the preset's pooled ensemble (for the network: the mean "
        "over runs); then the mean of the same figure computed on each run alone, with its "
        "95% interval across replicates [percentile bootstrap over runs]; ✓/✗: whether the "
        "criterion holds on the ensemble figure (which decides the verdict).",
        "",
    ]


def write_report(
    checks: dict[str, dict[str, Any]], runs: list[Any], doc: Path, meta: dict[str, Any]
) -> None:
    """Write ``doc`` (markdown) and its figures (``doc.parent / 'validation'``)."""
    names = meta["presets"]
    lines = [*_header(meta), thresholds_markdown(), "## Verdicts", ""]
    lines += ["| pattern | overall | " + " | ".join(names) + " |"]
    lines += ["|---|---|" + "---|" * len(names)]
    for key in PATTERNS:
        row = [checks[key][n].verdict for n in names]
        lines.append(
            f"| {PATTERNS[key]} | **{overall_verdict(checks[key])}** | " + " | ".join(row) + " |"
        )
    for key in PATTERNS:
        lines += _pattern_section(key, checks[key])
    figures = _figures(checks, runs, doc.parent / "validation")
    if "dose" in checks:
        dose = checks["dose"]["baseline"]
        lines += ["", f"## {dose.pattern}", "", f"Verdict: **{dose.verdict}**", ""]
        lines += [dose.tables["dose_response"].to_markdown(index=False), ""]
        lines += [f"- {n}" for n in dose.notes]
    lines += [""] + [
        f"![{name}]({path.relative_to(doc.parent).as_posix()})" for name, path in figures.items()
    ]
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines) + "\n")


def _figures(checks: dict[str, dict[str, Any]], runs: list[Any], folder: Path) -> dict[str, Path]:
    """Group-size CCDFs and growth rates per preset, and the dose-response."""
    from scipy import stats  # noqa: PLC0415 - heavy, imported when used

    from clusterlab.experiments.plots import FONT, plt, save  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    with plt.rc_context(FONT):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 5), constrained_layout=True)
        growth = {}
        for name in dict.fromkeys(r.preset for r in runs):
            sizes = np.sort(np.concatenate([r.group_sizes for r in runs if r.preset == name]))
            a1.loglog(sizes[::-1], np.arange(1, sizes.size + 1) / sizes.size, lw=1, label=name)
            growth[name] = np.concatenate([r.group_growth[:, 1] for r in runs if r.preset == name])
            a2.hist(growth[name], bins=80, density=True, histtype="step", log=True, label=name)
        g = next(iter(growth.values()))  # the first preset's, for the reference fit
        grid = np.linspace(*a2.get_xlim(), 200)
        a2.plot(grid, stats.norm.pdf(grid, *stats.norm.fit(g)), "k--", lw=1, label="normal fit")
        a1.set(xlabel="group size (employees)", ylabel="share of groups at least this large")
        a1.set_title("Group sizes (CCDF)")
        a2.set(xlabel="yearly log growth of surviving groups", ylabel="density (log scale)")
        a2.set(title="Group growth rates", ylim=(1e-3, None))
        a1.legend(fontsize="small")
        a2.legend(fontsize="small")
        out["sizes and growth"] = save(fig, folder / "sizes")[0]
        if "dose" in checks:
            dose = checks["dose"]["baseline"].tables["dose_response"]
            fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
            ax.errorbar(dose["level"], dose["mean"], yerr=2 * dose["sem"], fmt="o-", capsize=4)
            ax.set(
                xlabel="cross_cluster_subsidy (share of link fee)",
                ylabel="radical innovations per run (mean, ±2 s.e.)",
                title="Dose-response",
            )
            out["dose-response"] = save(fig, folder / "dose_response")[0]
    return out
