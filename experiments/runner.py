"""Run an experiment on any ``concurrent.futures.Executor`` and store every run at once.

- in-process (``executor=None``): for notebooks and debugging;
- a local process pool (the default, one worker per core, "spawn" start method);
- Dask distributed: ``Client(address).get_executor()``, for work beyond one machine.

Workers receive a small :class:`~clusterlab.experiments.design.RunSpec` (preset, overrides, seed,
steps, tables to keep) and return plain DataFrames; the parent writes each finished run
as soon as it arrives. Seeds come from the experiment, never from the executor, so every
executor gives identical results. A run that raises is recorded with its traceback and
the sweep goes on. Re-running a sweep resumes: finished runs are skipped.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from clusterlab.experiments.design import Experiment, RunSpec, base_params
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.folders import (
    clear_entries,
    locked,
    make_folder,
    read_marker,
    refuse_to_replace,
    write_marker,
)
from clusterlab.experiments.pool import init_worker, local_executor, stop_workers
from clusterlab.experiments.provenance import provenance
from clusterlab.experiments.store import OURS, ResultStore
from clusterlab.model.simulate import simulate

SNAPSHOT_TABLES = {"firms", "links", "firms_yearly", "links_yearly"}
"""Outputs that simulate builds only when asked (model/snapshot.py)."""

__all__ = [
    "RunOutcome",
    "SweepReport",
    "check_folder",
    "execute",
    "init_worker",
    "local_executor",
    "run_experiment",
    "stop_workers",
]


@dataclass(frozen=True)
class RunOutcome:
    """What a worker sends back for one run."""

    spec: RunSpec
    ok: bool
    summary: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    error: str = ""
    started: str = ""
    seconds: float = 0.0
    host: str = ""
    worker_pid: int = 0
    worker_rss_mb: float = 0.0


@dataclass(frozen=True)
class SweepReport:
    """How a sweep went."""

    root: Path
    n_runs: int
    skipped: int
    completed: int
    failed: int
    seconds: float

    @property
    def missing(self) -> int:
        """Runs neither finished before nor now."""
        return self.n_runs - self.skipped - self.completed


def _rss_mb() -> float:
    """Resident memory of this process in MB (0 where /proc is not available)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


def _keys(spec: RunSpec) -> dict[str, Any]:
    return {
        "run_id": spec.run_id,
        "point": spec.point,
        "scenario": spec.scenario,
        "replicate": spec.replicate,
        "seed": spec.seed,
        "economy_seed": spec.economy_seed,
        **dict(spec.tags),
    }


def _asked(spec: RunSpec) -> dict[str, Any]:
    """Keywords of ``simulate`` for what the run keeps: snapshots; no events unless kept.

    Building the event tables costs about 5% of a 1,000-firm run; only non-default
    keywords are passed (a replaced ``simulate`` without them still works).
    """
    keep: dict[str, Any] = {}
    if SNAPSHOT_TABLES & set(spec.outputs):
        keep["snapshots"] = spec.outputs
    if "events" not in spec.outputs:
        keep["events"] = False
    if spec.extensions:
        keep["extensions"] = spec.extensions  # imported by name in this worker
    return keep


def execute(spec: RunSpec) -> RunOutcome:
    """Do one run (in whatever process the executor chose) and return its tables."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    try:
        result = simulate(base_params(spec), seed=spec.seed, steps=spec.steps, **_asked(spec))
    except Exception:
        return RunOutcome(
            spec,
            ok=False,
            error=traceback.format_exc(),
            started=started,
            seconds=time.perf_counter() - t0,
            host=socket.gethostname(),
            worker_pid=os.getpid(),
            worker_rss_mb=_rss_mb(),
        )
    keys = _keys(spec)
    tables: dict[str, pd.DataFrame] = {}
    available = {
        "timeseries": result.timeseries,
        "panel": result.panel,
        "clusters": result.clusters,
        **result.snapshots,
    }
    for name in spec.outputs:
        if name == "events":
            for kind, df in result.events.items():
                tables[f"events_{kind}"] = df.assign(**keys)
        else:
            tables[name] = available[name].assign(**keys)
    return RunOutcome(
        spec,
        ok=True,
        summary=result.summary,
        tables=tables,
        started=started,
        seconds=time.perf_counter() - t0,
        host=socket.gethostname(),
        worker_pid=os.getpid(),
        worker_rss_mb=_rss_mb(),
    )


def file_sha256(path: Path | None) -> str | None:
    """SHA-256 of a file's bytes (None without a file)."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else None


def prepare_folder(
    exp: Experiment,
    root: Path,
    source: Path | None,
    resume: bool,
    force: bool,
    executor: Executor | None = None,
) -> ResultStore:
    """Create, resume or (with ``force``) replace the results folder; hold its lock first.

    Call it inside :func:`clusterlab.experiments.folders.locked` on ``root`` (made by
    :func:`check_folder`): the checks and the writes happen under the lock. A new
    folder's provenance is read in a worker of a local pool (:func:`_provenance`).

    Raises
    ------
    OutputError
        If the folder holds another experiment's runs (fingerprint differs), or holds this
        experiment's runs and neither ``resume`` nor ``force`` was given.
    """
    store = ResultStore(root)
    if read_marker(root) is None:  # first: a sweep killed now leaves a folder known as ours
        write_marker(root, "results")
    if force:
        clear_entries(root, OURS)
    store.clean_temporaries()
    manifest = store.manifest()
    if manifest is None:
        if not store.unfinished_creation():
            raise OutputError(
                f"Folder '{root}' holds runs but no manifest.json, so they cannot be "
                "identified; move it away or choose another --out."
            )
        store.create(exp, source, file_sha256(source), _provenance(executor))
        return store
    if manifest.get("fingerprint") != exp.fingerprint():
        raise OutputError(
            f"Results folder '{root}' holds runs of a different experiment "
            f"(fingerprint {manifest.get('fingerprint')} vs {exp.fingerprint()}); "
            "use --out for a new folder or --force to replace it."
        )
    if not resume:
        raise OutputError(
            f"Results folder '{root}' already holds this experiment; pass --resume to "
            "finish missing runs or --force to start again."
        )
    store.write_design(exp)  # repairs a deleted or damaged design table
    store.runs_dir.mkdir(exist_ok=True)  # and deleted run or failure folders
    store.failed_dir.mkdir(exist_ok=True)
    return store


def _provenance(executor: Executor | None) -> dict[str, Any]:
    """Provenance for the manifest, read in a worker of a local process pool.

    The workers are this process's spawned children: the same installation, environment
    and machine, so the same record. A worker has imported numba and loaded the kernels
    already; the parent, which runs no simulation, would import numba only to name the
    kernel backend (about 0.2 CPU-seconds). Other executors (Dask, none) read it here.
    """
    if isinstance(executor, ProcessPoolExecutor):
        return executor.submit(provenance).result()
    return provenance()


def check_folder(root: Path, force: bool) -> None:
    """Refuse, before anything is written, a folder a sweep may not use; then create it.

    Raises
    ------
    OutputError
        If ``root`` is a file, is not a ClusterLab results folder (it holds other files
        and no manifest), or ``force`` is asked for a folder it may not replace
        (:func:`clusterlab.experiments.folders.refuse_to_replace`); or it cannot be created.
    """
    store = ResultStore(root)
    if root.exists() and not root.is_dir():
        raise OutputError(f"'{root}' is a file, not a results folder; choose another --out.")
    if root.is_dir():
        ours = store.written_by_us() or store.unfinished_creation()
        if force:
            refuse_to_replace(root, OURS, written_by_us=ours)
        elif not ours:
            kind = read_marker(root)
            raise OutputError(
                f"Folder '{root}' exists and is not a ClusterLab results folder"
                + (" (it holds one ClusterLab run)" if kind == "run" else "")
                + "; choose another --out."
            )
    make_folder(root, "results folder")


def _record(store: ResultStore, outcome: RunOutcome) -> None:
    try:
        _write_outcome(store, outcome)
    except OSError as exc:
        raise OutputError(
            f"Cannot write run {outcome.spec.run_id} into '{store.root}': "
            f"{exc.strerror or exc}; the finished runs are kept: fix the cause (disk space, "
            "permissions) and run the sweep again with --resume."
        ) from None


def _write_outcome(store: ResultStore, outcome: RunOutcome) -> None:
    spec = outcome.spec
    meta = {
        **_keys(spec),
        "started": outcome.started,
        "seconds": outcome.seconds,
        "host": outcome.host,
        "worker_pid": outcome.worker_pid,
        "worker_rss_mb": outcome.worker_rss_mb,
    }
    if outcome.ok:
        store.write_run(spec.run_id, {**meta, **outcome.summary}, outcome.tables)
    else:
        store.write_failure(
            spec.run_id,
            {
                **meta,
                "preset": spec.preset,
                "overrides": spec.overrides,
                "traceback": outcome.error,
            },
        )


def _results(executor: Executor | None, specs: list[RunSpec], workers: int) -> Iterator[RunOutcome]:
    """Yield outcomes as they finish, keeping at most 2 x workers tasks in flight."""
    if executor is None:
        for spec in specs:
            yield execute(spec)
        return
    queue = list(reversed(specs))
    running: set[Future] = set()
    limit = max(2, 2 * workers)
    while queue or running:
        while queue and len(running) < limit:
            running.add(executor.submit(execute, queue.pop()))
        finished, running = wait(running, return_when=FIRST_COMPLETED)
        for fut in finished:
            yield fut.result()


def run_experiment(
    exp: Experiment,
    out: str | Path,
    *,
    executor: Executor | None = None,
    workers: int = 1,
    source: Path | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool | None = None,
    on_outcome: Callable[[RunOutcome], None] | None = None,
    wait: bool = False,
) -> SweepReport:
    """Run every missing run of an experiment and store each as it finishes.

    Parameters
    ----------
    exp : Experiment
    out : path
        Results folder (created; see :func:`prepare_folder` for existing folders).
    executor : concurrent.futures.Executor, optional
        Where runs execute; None runs them in this process, one after another.
    workers : int, default=1
        Parallelism of ``executor`` (bounds the tasks in flight).
    source : Path, optional
        The experiment file, hashed into the manifest.
    resume, force : bool
        Continue an interrupted sweep / replace an existing folder.
    progress : bool, optional
        Show a progress bar; default: only when stderr is a terminal.
    on_outcome : callable, optional
        Called with each outcome after it is stored (tests, custom logging).
    wait : bool, default=False
        If another sweep holds the folder's lock, wait for it instead of refusing.

    Raises
    ------
    OutputError
        If the folder may not be used (:func:`check_folder`, :func:`prepare_folder`), is
        locked by another sweep, or a run cannot be written (disk full, permissions): the
        runs written so far are kept and the same call with ``resume=True`` finishes it.

    Returns
    -------
    SweepReport
    """
    root = Path(out)
    check_folder(root, force)
    with locked(root, wait=wait):
        store = prepare_folder(exp, root, source, resume, force, executor)
        specs = exp.runs()
        done = store.done()
        todo = [s for s in specs if s.run_id not in done]
        show = sys.stderr.isatty() if progress is None else progress
        t0 = time.perf_counter()
        completed = failed = 0
        with tqdm(total=len(todo), disable=not show, desc=exp.name, unit="run") as bar:
            for outcome in _results(executor, todo, workers):
                _record(store, outcome)
                completed += outcome.ok
                failed += not outcome.ok
                bar.update(1)
                if on_outcome is not None:
                    on_outcome(outcome)
    return SweepReport(
        root=root,
        n_runs=len(specs),
        skipped=len(done),
        completed=completed,
        failed=failed,
        seconds=time.perf_counter() - t0,
    )


def host_description() -> str:
    """One line about this machine, for reports."""
    return f"{platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()})"
