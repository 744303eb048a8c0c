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
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from clusterlab.experiments.design import Experiment
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.folders import (
    BOOKKEEPING,
    TMP_MARK,
    atomic_write,
    foreign_entries,
    names,
    read_marker,
    write_json,
)
from clusterlab.experiments.provenance import provenance
from clusterlab.model.simulate import EVENT_TABLES

__all__ = ["ResultStore", "Results", "load_results", "read_parquet", "write_json", "write_parquet"]

MANIFEST = "manifest.json"
LAYOUT = (MANIFEST, "design.parquet", "runs", "failed")
REPORT_ENTRIES = ("report.md", "report.html", "figures", "tables")
MANIFEST_KEYS = {"experiment", "fingerprint", "design", "n_points", "n_runs", "replicates"}
OURS = names(LAYOUT + REPORT_ENTRIES)
"""Entries ClusterLab writes in a results folder (the sweep's, then the reports')."""


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame to Parquet atomically.

    The file is what ``df.to_parquet(path, index=False)`` writes (the same Arrow table,
    pandas metadata and snappy compression), written by pyarrow straight to the path:
    pandas' own route (its engine checks and a Python file handle) costs about twice the
    CPU for the small tables of a run, paid by a sweep's parent; the table itself is
    built by :func:`arrow_table`.
    """
    if df.attrs:  # pandas keeps them in the file's metadata; its own writer knows how
        atomic_write(path, lambda p: df.to_parquet(p, index=False))
        return
    table = arrow_table(df)
    atomic_write(path, lambda p: pq.write_table(table, str(p), compression="snappy"))


_SCHEMAS: dict[tuple[Any, ...], pa.Schema] = {}
"""Schemas (pandas metadata included) that ``Table.from_pandas`` gave, by frame layout."""
_MAX_SCHEMAS = 256


def arrow_table(df: pd.DataFrame) -> pa.Table:
    """Make the Arrow table ``pa.Table.from_pandas(df, preserve_index=False)`` makes, faster.

    A sweep writes frames of a few layouts over and over (every run's time series and
    summary row). ``from_pandas`` spends most of its time per column, on pandas look-ups
    and on the pandas metadata. Here the numeric and boolean columns are taken a dtype at
    a time as numpy arrays and converted as ``from_pandas`` converts them
    (``pa.array(values, from_pandas=True)``: NaN is null), other columns one by one as it
    does, and the schema with its metadata is the one ``from_pandas`` made for the first
    frame of the same layout (column names and index, dtypes, Arrow types): the same
    table, so the same file byte for byte.
    """
    columns = df.columns
    if df.shape[1] == 0 or not columns.is_unique:
        return pa.Table.from_pandas(df, preserve_index=False, nthreads=1)
    dtypes = tuple(df.dtypes)
    arrays = _column_arrays(df, dtypes)
    key = (
        tuple(columns),
        columns.dtype,
        tuple(columns.names),
        dtypes,
        tuple(a.type for a in arrays),
    )
    schema = _SCHEMAS.get(key)
    if schema is None:
        table = pa.Table.from_pandas(df, preserve_index=False, nthreads=1)  # no thread pool
        if len(_SCHEMAS) >= _MAX_SCHEMAS:
            _SCHEMAS.clear()
        _SCHEMAS[key] = table.schema
        return table
    return pa.Table.from_arrays(arrays, schema=schema)


def _column_arrays(df: pd.DataFrame, dtypes: tuple[Any, ...]) -> list[pa.Array]:
    """Each column as ``from_pandas`` converts it; numbers a numpy dtype at a time."""
    arrays: list[pa.Array | None] = [None] * df.shape[1]
    groups: dict[np.dtype, list[int]] = {}
    for i, dtype in enumerate(dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            groups.setdefault(dtype, []).append(i)
    for positions in groups.values():
        values = df.iloc[:, positions].to_numpy()
        for j, i in enumerate(positions):
            arrays[i] = pa.array(values[:, j], from_pandas=True)
    for i, array in enumerate(arrays):
        if array is None:
            arrays[i] = pa.array(df[df.columns[i]], from_pandas=True)
    return arrays  # type: ignore[return-value]


def read_parquet(path: Path, fix: str) -> pd.DataFrame:
    """Read a Parquet file of a results folder, or raise one line naming it and ``fix``.

    Raises
    ------
    OutputError
        If the file is missing, empty, truncated or not Parquet.
    """
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise OutputError(f"'{path}' is missing; {fix}.") from None
    except (OSError, ValueError, pa.ArrowException) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OutputError(f"'{path}' is not a readable Parquet file ({first}); {fix}.") from None


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
            manifest = json.loads(path.read_text())
        except (OSError, ValueError):
            manifest = None
        if not isinstance(manifest, dict) or not manifest.keys() >= MANIFEST_KEYS:
            raise OutputError(
                f"Results folder '{self.root}' has a corrupt {MANIFEST}; its runs cannot be "
                "identified: move the folder away or choose another --out."
            )
        return manifest

    def create(
        self,
        exp: Experiment,
        source: Path | None,
        file_hash: str | None,
        record: dict[str, Any] | None = None,
    ) -> None:
        """Write the layout, the design and, last, the manifest into the (existing) folder.

        The manifest goes last: its presence marks a folder that can be resumed. A kill
        before it leaves only entries a sweep writes, which the next sweep writes again.
        ``record`` is the provenance to store (default: :func:`provenance` of this process).
        """
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
            "economies": exp.economies,
            "root_seed": exp.seed,
            "common_random_numbers": exp.common_random_numbers,
            "outputs": list(exp.outputs),
            "n_points": len(exp.points),
            "n_runs": exp.n_runs,
            "problem": exp.problem,
            "design_options": {k: v for k, v in exp.design.items() if k != "scenarios"},
            "extensions": list(exp.extensions),
            "provenance": provenance() if record is None else record,
        }
        self.write_design(exp)
        write_json(manifest, self.root / MANIFEST)

    def write_design(self, exp: Experiment) -> None:
        """(Re)write ``design.parquet``: it follows from the experiment alone."""
        write_parquet(design_frame(exp), self.root / "design.parquet")

    def foreign_entries(self) -> list[str]:
        """Entries of the folder that ClusterLab does not write."""
        return foreign_entries(self.root, OURS)

    def unfinished_creation(self) -> bool:
        """Whether the folder is what a sweep killed before its manifest leaves behind.

        That is: no manifest, ClusterLab's results marker (the first thing a sweep writes
        into a folder), nothing ClusterLab does not write, and no finished run; or a folder
        that holds nothing yet (bookkeeping files aside).
        """
        if (self.root / MANIFEST).exists() or any(self.runs_dir.glob("*.parquet")):
            return False
        if not self.root.is_dir():
            return True
        empty = all(p.name in BOOKKEEPING for p in self.root.iterdir())
        return empty or (read_marker(self.root) == "results" and not self.foreign_entries())

    def written_by_us(self) -> bool:
        """Whether ClusterLab wrote this results folder.

        Its results marker says so; in folders of versions before the marker, a manifest
        that is ClusterLab's (read and checked, not only named).
        """
        if read_marker(self.root) == "results":
            return True
        try:
            manifest = json.loads((self.root / MANIFEST).read_text())
        except (OSError, ValueError):
            return False
        return isinstance(manifest, dict) and manifest.keys() >= MANIFEST_KEYS

    def clean_temporaries(self) -> int:
        """Remove temporary files a killed sweep left behind. Returns how many."""
        n = 0
        for folder in (self.root, self.runs_dir, self.failed_dir):
            for path in folder.glob(f"*{TMP_MARK}*") if folder.is_dir() else ():
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)  # a report's staging folder
                else:
                    path.unlink(missing_ok=True)
                n += 1
        return n

    # -- runs --------------------------------------------------------------------------
    def done(self) -> set[int]:
        """Ids of finished runs: a summary file and every table the experiment keeps.

        A run whose table was deleted (the repair for a corrupt file) is not finished, so
        ``--resume`` computes it again.
        """
        if not self.runs_dir.is_dir():
            return set()
        done = _run_ids(self.runs_dir, "summary")
        manifest = self.manifest()
        for table in kept_tables(manifest["outputs"] if manifest else ()):
            done &= _run_ids(self.runs_dir, table)
        return done

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


def replicates_text(manifest: dict[str, Any]) -> str:
    """Say how many runs each design point has: "10 replicates" or "10 replicates x 3 economies".

    ``economies`` is absent from folders written before it existed, and None when the
    experiment ran in one economy.
    """
    text = f"{manifest['replicates']} replicates"
    if manifest.get("economies") is not None:
        text += f" x {manifest['economies']} economies"
    return text


def design_frame(exp: Experiment) -> pd.DataFrame:
    """One row per design point: point, scenario, preset and the overridden values."""
    rows = [
        {
            "point": p.point,
            "scenario": p.scenario,
            "preset": p.preset,
            **dict(p.tags),
            **p.overrides,
        }
        for p in exp.points
    ]
    frame = pd.DataFrame(rows)
    if exp.samples is not None:  # the raw sample matrix, in SALib's row order
        for j, name in enumerate(exp.problem["names"]):
            frame[f"sample:{name}"] = exp.samples[:, j]
    return frame


def resume_command(manifest: dict[str, Any], root: Path) -> str:
    """Return the command that finishes (or repairs) a results folder."""
    source = manifest.get("source") or "EXPERIMENT.toml"
    return f"clusterlab sweep {source} --resume --out {root}"


def kept_tables(outputs: Iterable[str]) -> list[str]:
    """File names (``<run>.<name>.parquet``) of the tables a run keeps, for ``outputs``."""
    names = []
    for output in outputs:
        names += [f"events_{kind}" for kind in EVENT_TABLES] if output == "events" else [output]
    return names


def _run_ids(runs_dir: Path, name: str) -> set[int]:
    return {int(p.name.split(".")[0]) for p in runs_dir.glob(f"*.{name}.parquet")}


def _run_files(runs_dir: Path, name: str) -> list[Path]:
    # Numeric order: the zero-padded ids outgrow their 6 digits at run 1,000,000.
    return sorted(runs_dir.glob(f"*.{name}.parquet"), key=lambda p: int(p.name.split(".")[0]))


def _read_runs(files: list[Path], manifest: dict[str, Any], root: Path) -> pd.DataFrame:
    fix = f"delete that file and run '{resume_command(manifest, root)}' to compute its run again"
    return pd.concat([read_parquet(f, fix) for f in files], ignore_index=True)


def _read_failures(failed_dir: Path) -> pd.DataFrame:
    records = []
    for path in sorted(failed_dir.glob("*.json")):
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            raise OutputError(
                f"'{path}' (a failed run's record) is not readable JSON; delete it and resume "
                "the sweep to run that run again."
            ) from None
    return pd.DataFrame(records)


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
        files = _run_files(self.root / "runs", name)
        if not files:
            raise OutputError(
                f"Results folder '{self.root}' has no '{name}' tables; kept: "
                f"{', '.join(self.manifest.get('outputs', [])) or 'none'}."
            )
        if not self.summary.empty:  # a finished run without this table: not a whole result
            lacking = sorted(set(self.summary["run_id"]) - _run_ids(self.root / "runs", name))
            if lacking:
                raise OutputError(
                    f"{len(lacking)} finished run(s) of '{self.root}' lack their {name} "
                    f"table (first: runs/{lacking[0]:06d}.{name}.parquet); run "
                    f"'{resume_command(self.manifest, self.root)}' to compute them again."
                )
        return _read_runs(files, self.manifest, self.root)

    @property
    def timeseries(self) -> pd.DataFrame:
        """All runs' time series (with run_id, point, scenario, replicate, seed columns)."""
        return self.table("timeseries")


def load_results(root: str | Path) -> Results:
    """Load a results folder as tidy DataFrames.

    Raises
    ------
    OutputError
        If the folder does not exist, holds no experiment, or one of its files is missing
        or corrupt (the message names the file and how to repair it).
    """
    store = ResultStore(root)
    if not store.root.is_dir():
        raise OutputError(
            f"Results folder '{store.root}' does not exist; run 'clusterlab sweep' first."
        )
    manifest = store.manifest()
    if manifest is None:
        raise OutputError(f"'{store.root}' is not a ClusterLab results folder (no {MANIFEST}).")
    files = _run_files(store.runs_dir, "summary")
    summary = (
        _read_runs(files, manifest, store.root).sort_values("run_id") if files else pd.DataFrame()
    )
    design = read_parquet(
        store.root / "design.parquet",
        f"run '{resume_command(manifest, store.root)}' to write it again",
    )
    return Results(
        root=store.root,
        manifest=manifest,
        design=design,
        summary=summary.reset_index(drop=True),
        failed=_read_failures(store.failed_dir),
    )
