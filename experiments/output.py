"""Write the outputs of one run to a folder: tables (Parquet and CSV), summary, figure.

Everything is written into a hidden temporary folder beside the target and moved into
place only when complete, so an interrupted write never leaves a half-written result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.folders import (
    TMP_MARK,
    make_folder,
    read_marker,
    refuse_to_replace,
    remove_stale,
    write_json,
    write_marker,
)
from clusterlab.experiments.plots import plot_trajectories
from clusterlab.experiments.provenance import provenance
from clusterlab.experiments.store import arrow_table
from clusterlab.model.simulate import SimulationResult

__all__ = ["write_run"]


def _tables(result: SimulationResult) -> dict[str, pd.DataFrame]:
    tables = {
        "timeseries": result.timeseries,
        "panel": result.panel,
        "clusters": result.clusters,
    }
    tables |= {f"events_{kind}": df for kind, df in result.events.items()}
    return tables


RUN_ENTRIES = re.compile(
    r"(timeseries|panel|clusters|events_[a-z_]+)\.(parquet|csv)|summary\.json|trajectories\.png"
)
"""Entries of a run folder (besides its marker)."""


RUN_SUMMARY_KEYS = {"preset", "seed", "steps", "summary", "params"}
"""Keys of a run's summary.json (how a run folder of a version before the marker is known)."""


def _written_by_us(out: Path) -> bool:
    """ClusterLab's run marker; or (earlier versions) a summary.json that is a run's."""
    kind = read_marker(out)
    if kind is not None:
        return kind == "run"
    try:
        summary = json.loads((out / "summary.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and summary.keys() >= RUN_SUMMARY_KEYS


def _check_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"Output path '{out}' is a file; give a folder with --out.")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise OutputError(
            f"Output folder '{out}' is not empty; choose another --out "
            "or pass --force to replace it (only a folder ClusterLab wrote)."
        )
    refuse_to_replace(out, RUN_ENTRIES, written_by_us=_written_by_us(out))


def _new_sibling(out: Path, label: str) -> Path:
    """Create an empty hidden folder beside ``out`` with the user's umask (not mkdtemp's 0700)."""
    for attempt in range(100):
        path = out.parent / f".{out.name}{TMP_MARK}{label}-{os.getpid()}-{attempt}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(
                f"Cannot write output folder '{out}': {exc.strerror or exc}; choose another --out."
            ) from None
        return path
    raise OutputError(f"Cannot create a temporary folder beside '{out}'; clean up its parent.")


def write_run(result: SimulationResult, out: Path, *, preset: str, force: bool = False) -> Path:
    """Write one run's outputs into ``out`` atomically.

    Files: ``<table>.parquet`` and ``<table>.csv`` for the time series, panel, cluster
    table and each event table; ``summary.json`` (summary, parameters, seed, provenance;
    strict JSON: an undefined value such as a spend per innovation without innovations
    is ``null``); ``trajectories.png``; and the ``.clusterlab`` marker.

    Raises
    ------
    OutputError
        If ``out`` exists and is not empty (without ``force``), may not be replaced (see
        :func:`clusterlab.experiments.folders.refuse_to_replace`), or cannot be written.
    """
    out = Path(out)
    _check_target(out, force)
    make_folder(out.parent, "output folder", named=out)
    # what a killed run left beside it: its half-written folder, or the old one it was
    # replacing (--force asked for it to go)
    remove_stale(out.parent, f".{out.name}{TMP_MARK}")
    tmp = _new_sibling(out, "new")
    try:
        for name, df in _tables(result).items():
            # the file df.to_parquet(index=False) writes, without pandas' own route
            pq.write_table(arrow_table(df), str(tmp / f"{name}.parquet"), compression="snappy")
            df.to_csv(tmp / f"{name}.csv", index=False)
        meta = {
            "preset": preset,
            "seed": result.seed,
            "steps": result.steps,
            "summary": result.summary,
            "params": result.params,
            "regions": result.regions,
            "industries": result.industries,
            "fields": result.fields,
            "extensions": result.extensions,
            "provenance": provenance(),
        }
        write_json(meta, tmp / "summary.json")
        plot_trajectories(result, tmp / "trajectories.png")
        write_marker(tmp, "run")
        _swap_into_place(tmp, out)
    except OSError as exc:
        raise OutputError(f"Cannot write '{out}': {exc.strerror or exc}.") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename the complete folder into place; an old run folder is moved aside first."""
    if out.is_dir() and any(out.iterdir()):
        old = _new_sibling(out, "old")
        os.replace(out, old)  # onto the empty folder just made
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)  # onto a missing or empty folder
