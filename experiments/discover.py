"""Scenario discovery: which ranges of the uncertain inputs explain an outcome of interest.

A results folder's runs are split into cases of interest (an outcome below or above a
value: a policy failing, say) and the others. PRIM, the patient rule induction method
(Friedman & Fisher 1999, Statistics and Computing 9(2), 123-143,
doi:10.1023/A:1008894516817; for scenario discovery Bryant & Lempert 2010, Technological
Forecasting and Social Change 77(1), 34-49, doi:10.1016/j.techfore.2009.08.002), peels the
input space into a box holding many cases of interest (coverage: share of all cases of
interest inside the box) and few others (density: share of the box's runs that are of
interest). Extra-trees feature scores (Jaxa-Rozen & Kwakkel 2018, Environmental Modelling
& Software 107, 245-266, doi:10.1016/j.envsoft.2018.06.011) rank the inputs.

Both come from EMA Workbench's analysis package (Kwakkel 2017, Environmental Modelling &
Software 96, 239-250, doi:10.1016/j.envsoft.2017.06.054), the field's maintained
implementation; it is imported only when a discovery runs (it takes seconds to import).

Inputs: of an ``xlrm`` design its uncertainties and the levers that vary; of any other
design the design columns that vary between points, and ``economy_seed`` if it varies.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clusterlab.experiments.errors import OutputError, unknown_outcome
from clusterlab.experiments.store import Results
from clusterlab.model.params import suggest

__all__ = [
    "Discovery",
    "choose_box",
    "discovery_inputs",
    "discovery_stem",
    "find_box",
    "write_discovery",
]

DENSITY_THRESHOLD = 0.8
"""Density a chosen box must reach (the convention of Bryant & Lempert 2010)."""
FEATURE_SEED = 12345
"""Seed of the extra-trees feature scores."""
KEYS = ("point", "scenario", "preset", "run_id", "replicate", "seed", "world")


@dataclass(frozen=True)
class Discovery:
    """A PRIM box and feature scores for one condition."""

    condition: str
    n_cases: int
    n_interest: int
    trajectory: pd.DataFrame  # coverage, density, mass, res_dim per peeling step
    chosen: int  # row of the trajectory chosen
    limits: pd.DataFrame  # restricted inputs: name, lower, upper, full_lower, full_upper
    scores: pd.DataFrame  # input, score (descending)

    @property
    def box(self) -> pd.Series:
        """Coverage, density, mass and restricted dimensions of the chosen box."""
        return self.trajectory.iloc[self.chosen]


def discovery_inputs(results: Results, policy: str | None = None) -> pd.DataFrame:
    """Join the finished runs (in run order) with the inputs PRIM may restrict.

    Returns the summary rows with one column per input, named in ``attrs["inputs"]``.
    """
    summary = results.summary
    if summary.empty:
        raise OutputError(f"Results in '{results.root}' have no finished runs; run the sweep.")
    if policy is not None:
        if "policy" not in summary:
            raise OutputError("--policy needs an xlrm design (runs with a policy column).")
        known = list(dict.fromkeys(summary["policy"]))
        if policy not in known:
            raise OutputError(
                f"--policy {policy!r} is not a policy of the runs.{suggest(policy, known)} "
                f"Have: {', '.join(known)}."
            )
        summary = summary[summary["policy"] == policy]
    design = results.design.drop(columns=[c for c in results.design if c.startswith("sample:")])
    problem = results.manifest.get("problem") or {}
    if results.manifest.get("design") == "xlrm":
        candidates = list(problem.get("uncertainties", {})) + list(problem.get("levers", {}))
    else:
        candidates = [c for c in design if c not in KEYS]
    inputs = [c for c in candidates if c in design and design[c].nunique() > 1]
    joined = summary.drop(columns=[c for c in inputs if c in summary]).merge(
        design[["point", *inputs]], on="point", how="left"
    )
    if "economy_seed" not in inputs and summary["economy_seed"].nunique() > 1:
        inputs.append("economy_seed")
    if not inputs:
        raise OutputError(
            f"The runs in '{results.root}' vary no input; scenario discovery needs a design "
            "that samples uncertainties (xlrm or lhs)."
        )
    joined.attrs["inputs"] = inputs
    return joined


def _ema() -> tuple:
    """Import EMA Workbench's analysis modules quietly (it warns about optional extras)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim  # noqa: PLC0415 - slow
        from ema_workbench.analysis.scenario_discovery_util import (  # noqa: PLC0415
            RuleInductionType,
        )
    logging.getLogger("EMA").setLevel(logging.ERROR)
    return prim, feature_scoring, RuleInductionType


def choose_box(trajectory: pd.DataFrame, threshold: float = DENSITY_THRESHOLD) -> int:
    """Row of the peeling trajectory to report: the most coverage at density >= threshold.

    Of boxes of equal coverage, the densest; if no box is that dense, the densest box.
    """
    position = np.arange(len(trajectory))
    dense = trajectory.assign(position=position)[trajectory["density"] >= threshold]
    if dense.empty:
        return int(trajectory["density"].to_numpy().argmax())
    best = dense.sort_values(["coverage", "density"], ascending=False, kind="stable")
    return int(best["position"].iloc[0])


def find_box(
    x: pd.DataFrame, y: np.ndarray, condition: str, threshold: float = DENSITY_THRESHOLD
) -> Discovery:
    """PRIM box and feature scores of the cases ``y`` (booleans) over the inputs ``x``.

    Raises
    ------
    OutputError
        If no case (or every case) is of interest: there is nothing to tell apart.
    """
    y = np.asarray(y, dtype=bool)
    if not y.any() or y.all():
        which = "No run" if not y.any() else "Every run"
        raise OutputError(
            f"{which} meets the condition {condition} ({y.size} runs); choose a value "
            "that splits the runs."
        )
    prim, feature_scoring, rule = _ema()
    x = x.reset_index(drop=True)
    for column in x.select_dtypes(include="integer"):
        x[column] = x[column].astype(float)  # PRIM peels floats and ints alike
    with warnings.catch_warnings():  # EMA Workbench's own deprecated pandas calls
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        # EMA keeps a peeled box only if its density reaches Prim's threshold (else it
        # returns the initial box); pass the base density so the trajectory is always kept
        # and choose_box applies ``threshold``. Any threshold in (0, 1] counts y == 1 cases.
        finder = prim.Prim(
            x, y.astype(int), threshold=float(y.mean()), peel_alpha=0.05, mass_min=0.05
        )
        box = finder.find_box()
        scores, _ = feature_scoring.get_ex_feature_scores(
            x,
            y.astype(int),
            mode=rule.CLASSIFICATION,
            max_features=max(1, x.shape[1] // 3),  # Jaxa-Rozen & Kwakkel's D/3, at least 1
            random_state=FEATURE_SEED,
        )
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    chosen = choose_box(trajectory, threshold)
    limits = _limits(box.box_lims[chosen], finder.box_init)
    scores = scores.reset_index()
    scores.columns = ["input", "score"]
    return Discovery(condition, int(y.size), int(y.sum()), trajectory, chosen, limits, scores)


def _limits(box_lim: pd.DataFrame, box_init: pd.DataFrame) -> pd.DataFrame:
    """Return the inputs a box restricts: its limits and the full range of each."""
    rows = []
    for name in box_lim.columns:
        low, high = box_lim[name].iloc[0], box_lim[name].iloc[1]
        full_low, full_high = box_init[name].iloc[0], box_init[name].iloc[1]
        if isinstance(low, set):  # a categorical input: the categories kept
            if low != full_low:
                rows.append(
                    {
                        "input": name,
                        "lower": sorted(low),
                        "upper": "",
                        "full_lower": sorted(full_low),
                        "full_upper": "",
                    }
                )
            continue
        if low > full_low or high < full_high:
            rows.append(
                {
                    "input": name,
                    "lower": low,
                    "upper": high,
                    "full_lower": full_low,
                    "full_upper": full_high,
                }
            )
    return pd.DataFrame(rows, columns=["input", "lower", "upper", "full_lower", "full_upper"])


def discover(
    results: Results,
    outcome: str,
    below: float | None = None,
    above: float | None = None,
    policy: str | None = None,
    threshold: float = DENSITY_THRESHOLD,
) -> Discovery:
    """Find the box of inputs where ``outcome`` lies below (or above) a value."""
    if (below is None) == (above is None):
        raise OutputError("Give exactly one of --below VALUE or --above VALUE.")
    runs = discovery_inputs(results, policy)
    if outcome not in runs:
        known = [c for c in results.summary.columns if c not in KEYS]
        raise OutputError(unknown_outcome(outcome, known))
    values = runs[outcome].to_numpy(dtype=float)
    keep = np.isfinite(values)
    y = values < below if below is not None else values > above
    condition = f"{outcome} < {below:g}" if below is not None else f"{outcome} > {above:g}"
    if policy is not None:
        condition += f" under policy '{policy}'"
    x = runs.loc[keep, runs.attrs["inputs"]]
    return find_box(x, y[keep], condition, threshold)


def discovery_stem(
    outcome: str, below: float | None, above: float | None, policy: str | None = None
) -> str:
    """File stem of one discovery: outcome, side, value and policy, so runs do not overwrite.

    ``discovery_stem("radical_innovations", 170, None, "RIS3 relatedness")`` is
    ``"discover_radical_innovations_below170_RIS3_relatedness"`` (the compare report's own
    discoveries are ``discover_<outcome>``).
    """
    side = f"below{below:g}" if below is not None else f"above{above:g}"
    stem = f"discover_{outcome}_{side}"
    if policy is not None:
        stem += "_" + (re.sub(r"[^A-Za-z0-9.-]+", "_", policy).strip("_") or "policy")
    return stem


def write_discovery(found: Discovery, folder: Path, stem: str) -> list[Path]:
    """Write the trajectory, box limits and feature scores (CSV) and two figures (PNG)."""
    from clusterlab.experiments.robustness_plots import plot_feature_scores, plot_tradeoff  # noqa: PLC0415

    tables, figures = folder / "tables", folder / "figures"
    tables.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    found.trajectory.to_csv(tables / f"{stem}_trajectory.csv", index_label="box")
    found.limits.to_csv(tables / f"{stem}_box.csv", index=False)
    found.scores.to_csv(tables / f"{stem}_feature_scores.csv", index=False)
    return [
        plot_tradeoff(
            found.trajectory, found.chosen, found.condition, figures / f"{stem}_tradeoff"
        ),
        plot_feature_scores(found.scores, found.condition, figures / f"{stem}_feature_scores"),
    ]


def describe(found: Discovery) -> list[str]:
    """Say in a few lines what the box is, for the terminal and the report."""
    box = found.box
    lines = [
        f"{found.n_interest} of {found.n_cases} runs meet {found.condition}.",
        f"PRIM box {found.chosen} of {len(found.trajectory)} on the peeling trajectory: "
        f"coverage {box['coverage']:.2f}, density {box['density']:.2f}, mass {box['mass']:.2f}, "
        f"{int(box['res_dim'])} input(s) restricted.",
    ]
    if len(found.trajectory) == 1:
        lines.append(
            "No peel raised the density: no box of these inputs separates the cases of "
            "interest from the others (they may be noise, or depend on inputs not varied)."
        )
    for row in found.limits.itertuples():
        if row.upper == "":
            lines.append(f"  {row.input} in {row.lower} (of {row.full_lower})")
        else:
            lines.append(
                f"  {row.input} in [{row.lower:.4g}, {row.upper:.4g}] "
                f"(full range [{row.full_lower:.4g}, {row.full_upper:.4g}])"
            )
    top = ", ".join(f"{r.input} {r.score:.2f}" for r in found.scores.head(5).itertuples())
    lines.append(f"Feature scores (extra trees): {top}.")
    return lines
