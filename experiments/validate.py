"""``clusterlab validate``: fresh ensembles of every policy preset, strict checks, the report.

Heavy libraries (scipy, statsmodels, networkx, powerlaw, matplotlib) load inside the
functions that use them, so :func:`parse_presets` answers a bad ``--presets`` at once.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterlab.model.errors import ParameterError
from clusterlab.model.params import suggest
from clusterlab.model.presets import PRESETS

__all__ = [
    "DEVELOPMENT_SEEDS",
    "DOSE_LEVELS",
    "TEACHING_PRESETS",
    "VALIDATION_ROOT_SEED",
    "dose_run",
    "parse_presets",
    "run_validation",
    "validation_seeds",
]

DOSE_LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)
VALIDATION_ROOT_SEED = 2026
"""Root of the validation seeds (spawned with numpy's SeedSequence). Development and
parameter choices used the run seeds 0..11 only (docs/calibration.md); none of the spawned
seeds is one of them (:func:`validation_seeds` checks)."""
DEVELOPMENT_SEEDS = frozenset(range(12))
TEACHING_PRESETS = frozenset({"marche_teaching"})
"""Presets that are not policies (a stylised teaching economy): not validated by default."""


def parse_presets(text: str) -> list[str]:
    """Presets named by ``--presets``: "all" (every policy preset) or a comma-separated list.

    Raises
    ------
    ParameterError
        If a name is not a preset (one line, with the closest name).
    """
    if text.strip() == "all":
        return [name for name in PRESETS if name not in TEACHING_PRESETS]
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ParameterError("--presets is empty. Give 'all' or preset names separated by commas.")
    for name in names:
        if name not in PRESETS:
            raise ParameterError(
                f"Unknown preset '{name}' in --presets.{suggest(name, list(PRESETS))} "
                f"Choose 'all' or from: {', '.join(PRESETS)}."
            )
    return list(dict.fromkeys(names))


def validation_seeds(replicates: int, root: int = VALIDATION_ROOT_SEED) -> list[int]:
    """Run seeds of the validation ensemble; never a development seed."""
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(root).spawn(replicates)]
    if DEVELOPMENT_SEEDS & set(seeds):  # pragma: no cover - a 1 in 10^8 event for any root
        raise ParameterError(f"Validation root seed {root} spawns a development seed (0..11).")
    return seeds


def dose_run(seed: int, steps: int, level: float, overrides: dict[str, Any]) -> dict[str, float]:
    """One run of the dose-response: radical innovations at a cross-cluster subsidy level."""
    from clusterlab.model.presets import preset  # noqa: PLC0415
    from clusterlab.model.simulate import simulate  # noqa: PLC0415 - imported when used

    params = preset("baseline", **{**overrides, "cross_cluster_subsidy": level})
    result = simulate(params, seed, steps)
    return {"level": level, "seed": seed, "radical": result.summary["radical_innovations"]}


def _map(executor: Executor | None, fn: Any, *iterables: Any) -> list[Any]:
    if executor is None:
        return list(map(fn, *iterables))
    return list(executor.map(fn, *iterables))


def report_commit(doc: Path) -> str | None:
    """ClusterLab's commit, '-dirty' only if files other than this report's own changed.

    Read before anything is written; a rerun over a committed report (which rewrites
    ``doc`` and its figures) still records the clean commit.
    """
    from clusterlab.experiments.provenance import git_commit  # noqa: PLC0415

    commit = git_commit()
    if not commit or not commit.endswith("-dirty"):
        return commit
    root = Path(__file__).resolve().parent.parent
    own = [f":(exclude){p}" for p in (doc, doc.parent / "validation")]
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *own],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return commit
    return commit if done.stdout.strip() else commit.removesuffix("-dirty")


def run_validation(
    replicates: int,
    steps: int,
    doc: Path,
    executor: Executor | None = None,
    overrides: dict[str, Any] | None = None,
    dose_replicates: int | None = None,
    presets: list[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run every preset's ensemble and the dose-response, check every pattern, write ``doc``.

    Returns pattern key -> {preset name -> :class:`~clusterlab.experiments.validation.Check`}, plus
    the key "dose" -> {"baseline": its Check}.
    """
    from clusterlab.experiments.validation import PATTERNS, check_dose_response, check_pattern  # noqa: PLC0415
    from clusterlab.experiments.validation_report import write_report  # noqa: PLC0415
    from clusterlab.experiments.validation_runs import validation_run  # noqa: PLC0415

    commit = report_commit(doc.resolve())
    overrides = overrides or {}
    presets = presets or parse_presets("all")
    seeds = validation_seeds(replicates)
    jobs = [(name, s) for name in presets for s in seeds]
    runs = _map(
        executor,
        validation_run,
        [s for _, s in jobs],
        [steps] * len(jobs),
        [overrides] * len(jobs),
        [name for name, _ in jobs],
    )
    n_dose = dose_replicates if dose_replicates is not None else max(2, replicates // 2)
    dose_seeds = (seeds * (1 + n_dose // max(replicates, 1)))[:n_dose]
    grid = [(s, lv) for lv in DOSE_LEVELS for s in dose_seeds]
    dose = pd.DataFrame(
        _map(
            executor,
            dose_run,
            [g[0] for g in grid],
            [steps] * len(grid),
            [g[1] for g in grid],
            [overrides] * len(grid),
        )
    )
    checks: dict[str, dict[str, Any]] = {key: {} for key in PATTERNS}
    for name in presets:
        mine = [r for r in runs if r.preset == name]
        for key in PATTERNS:
            checks[key][name] = check_pattern(key, mine, name)
    if len(dose):
        checks["dose"] = {"baseline": check_dose_response(dose)}
    meta = {
        "command": " ".join(["clusterlab", *sys.argv[1:]]) if sys.argv else "clusterlab validate",
        "replicates": replicates,
        "steps": steps,
        "overrides": overrides,
        "presets": presets,
        "seeds": seeds,
        "dose_replicates": n_dose,
        "economy": runs[0].economy if runs else {},
        "written": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
    }
    write_report(checks, runs, doc, meta)
    return checks
