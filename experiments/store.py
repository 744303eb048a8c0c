"""Results folders: a manifest, the design, and one set of Parquet files per finished run.

Layout of ``results/<experiment>/``::

    manifest.json                 experiment, fingerprint, file hash, provenance, run count
    design.parquet                one row per design point (and the sample matrix columns)
    runs/000012.timeseries.parquet ... other kept tables of run 12
    runs/000012.summary.parquet   one row; written LAST, so its presence means "done"
    failed/000012.json            traceback of a run that raised (removed if a retry succeeds)

Every file is written to a temporary name and renamed into place (atomic on POSIX), so a
killed sweep never leaves a half-written file that could be mistaken for a result.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.design import Experiment
from experiments.errors import OutputError
from experiments.provenance import provenance

__all__ = ["ResultStore", "Results", "load_results"]

MANIFEST = "manifest.json"
TMP_MARK = ".tmp-"
LAYOUT = (MANIFEST, "design.parquet", "runs", "failed")


def _atomic_write_bytes(path: Path, write: Any) -> None:
    tmp = path.with_name(f"{path.name}{TMP_MARK}{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame to Parquet atomically."""
    _atomic_write_bytes(path, lambda p: df.to_parquet(p, index=False))


def write_json(obj: Any, path: Path) -> None:
    """Write JSON atomically."""
    _atomic_write_bytes(path, lambda p: p.write_text(json.dumps(obj, indent=2, default=str)))


class ResultStore:
    """Reads and writes one experiment's results folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.failed_dir = self.root / "failed"

    # -- setting up ---------------------------------------------------------------------
    def manifest(self) -> dict[str, Any] | None:
        """Read the manifest; None if the folder holds no experiment."""
        path = self.root / MANIFEST
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            raise OutputError(
                f"Results folder '{self.root}' has a corrupt {MANIFEST}; "
                "remove the folder or choose another --out."
            ) from None

    def create(self, exp: Experiment, source: Path | None, file_hash: str | None) -> None:
        """Make the folder and write the manifest and design."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.failed_dir.mkdir(exist_ok=True)
        manifest = {
            "experiment": exp.name,
            "description": exp.description,
            "source": str(source) if source else None,
            "file_sha256": file_hash,
            "fingerprint": exp.fingerprint(),
            "design": exp.kind.value,
            "preset": exp.preset,
            "fixed": exp.fixed,
            "steps": exp.steps,
            "replicates": exp.replicates,
            "root_seed": exp.seed,
            "common_random_numbers": exp.common_random_numbers,
            "outputs": list(exp.outputs),
            "n_points": len(exp.points),
            "n_runs": len(exp.points) * exp.replicates,
            "problem": exp.problem,
            "design_options": {k: v for k, v in exp.design.items() if k != "scenarios"},
            "provenance": provenance(),
        }
        # The manifest goes last: its presence marks a complete folder that can be resumed.
        write_parquet(design_frame(exp), self.root / "design.parquet")
        write_json(manifest, self.root / MANIFEST)

    def is_results_folder(self) -> bool:
        """Whether the folder has a manifest or holds only what a sweep writes."""
        if (self.root / MANIFEST).is_file():
            return True
        return all(p.name in LAYOUT or TMP_MARK in p.name for p in self.root.iterdir())

    def clean_temporaries(self) -> int:
        """Remove temporary files a killed sweep left behind. Returns how many."""
        n = 0
        for path in self.root.rglob(f"*{TMP_MARK}*"):
            path.unlink(missing_ok=True)
            n += 1
        return n

    # -- runs --------------------------------------------------------------------------
    def done(self) -> set[int]:
        """Ids of finished runs (those with a summary file)."""
        if not self.runs_dir.is_dir():
            return set()
        return {int(p.name.split(".")[0]) for p in self.runs_dir.glob("*.summary.parquet")}

    def failed(self) -> set[int]:
        """Ids of runs recorded as failed."""
        if not self.failed_dir.is_dir():
            return set()
        return {int(p.stem) for p in self.failed_dir.glob("*.json")}

    def write_run(
        self, run_id: int, summary: dict[str, Any], tables: dict[str, pd.DataFrame]
    ) -> None:
        """Write a finished run: its tables, then its summary row (the completion mark)."""
        for name, df in tables.items():
            write_parquet(df, self.runs_dir / f"{run_id:06d}.{name}.parquet")
        write_parquet(pd.DataFrame([summary]), self.runs_dir / f"{run_id:06d}.summary.parquet")
        (self.failed_dir / f"{run_id}.json").unlink(missing_ok=True)

    def write_failure(self, run_id: int, record: dict[str, Any]) -> None:
        """Record a run that raised."""
        write_json(record, self.failed_dir / f"{run_id}.json")


def design_frame(exp: Experiment) -> pd.DataFrame:
    """One row per design point: point, scenario, preset and the overridden values."""
    rows = [
        {"point": p.point, "scenario": p.scenario, "preset": p.preset, **p.overrides}
        for p in exp.points
    ]
    frame = pd.DataFrame(rows)
    if exp.samples is not None:  # the raw sample matrix, in SALib's row order
        for j, name in enumerate(exp.problem["names"]):
            frame[f"sample:{name}"] = exp.samples[:, j]
    return frame


@dataclass(frozen=True)
class Results:
    """Tidy results of a folder, keyed by run id, design point, scenario and replicate."""

    root: Path
    manifest: dict[str, Any]
    design: pd.DataFrame
    summary: pd.DataFrame
    failed: pd.DataFrame

    def table(self, name: str) -> pd.DataFrame:
        """Concatenate one kept table ("timeseries", "panel", ...) over finished runs."""
        # Numeric order: the zero-padded ids outgrow their 6 digits at run 1,000,000.
        files = sorted(
            (self.root / "runs").glob(f"*.{name}.parquet"), key=lambda p: int(p.name.split(".")[0])
        )
        if not files:
            raise OutputError(
                f"Results folder '{self.root}' has no '{name}' tables; kept: "
                f"{', '.join(self.manifest.get('outputs', [])) or 'none'}."
            )
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

    @property
    def timeseries(self) -> pd.DataFrame:
        """All runs' time series (with run_id, point, scenario, replicate, seed columns)."""
        return self.table("timeseries")


def load_results(root: str | Path) -> Results:
    """Load a results folder as tidy DataFrames.

    Raises
    ------
    OutputError
        If the folder does not exist or holds no experiment.
    """
    store = ResultStore(root)
    if not store.root.is_dir():
        raise OutputError(
            f"Results folder '{store.root}' does not exist; run 'clusterlab sweep' first."
        )
    manifest = store.manifest()
    if manifest is None:
        raise OutputError(f"'{store.root}' is not a ClusterLab results folder (no {MANIFEST}).")
    files = sorted(store.runs_dir.glob("*.summary.parquet"))
    summary = (
        pd.concat([pd.read_parquet(f) for f in files], ignore_index=True).sort_values("run_id")
        if files
        else pd.DataFrame()
    )
    failed = [json.loads(p.read_text()) for p in sorted(store.failed_dir.glob("*.json"))]
    return Results(
        root=store.root,
        manifest=manifest,
        design=pd.read_parquet(store.root / "design.parquet"),
        summary=summary.reset_index(drop=True),
        failed=pd.DataFrame(failed),
    )
