"""Benchmark the experiment runner against ``mesa.batch_run`` on the same runs.

Usage::

    python benchmarks/bench_runner.py [--quick] [--out FILE]

Both methods do the same runs: ClusterModel, the presets "baseline" and
"ris3_relatedness", the same replicate seeds (children of one ``SeedSequence``), the same
number of years and two worker processes. ``run_experiment`` keeps every run's full time
series and summary as Parquet files; ``mesa.batch_run`` needs the model to own a
``DataCollector`` and returns its rows in memory, so it runs a thin subclass of
ClusterModel with three model-level reporters (firms, employment, radical innovations of
the economy). ``simulate`` (which our runner calls) limits BLAS to one thread per run;
for the same work, batch_run's workers get ``OPENBLAS_NUM_THREADS=1`` and the subclass
releases Mesa 3.3.1's class-level registries after its last year. batch_run is also
measured as a user would usually write it: no release, default BLAS threads.

Each method runs in a fresh process (this script with ``--child METHOD``). Measured:

- seconds: wall time of the call in the child, from before the pool starts to after the
  last result is stored (workers' interpreter start and imports included);
- CPU seconds: user + system time of the child and its terminated workers over the call
  (``RUSAGE_SELF`` + ``RUSAGE_CHILDREN``); unlike wall time it hardly depends on what
  else the machine is running;
- peak memory of the process tree: this script samples the child and all its
  descendants every 0.1 s and sums their PSS (proportional set size: shared pages split
  among the processes that map them, so shared libraries are not counted twice);
- largest worker: ``ru_maxrss`` of ``RUSAGE_CHILDREN`` in the child, the peak resident
  memory of the largest terminated worker (a maximum, not a sum);
- parent: ``ru_maxrss`` of the child process itself (collects and stores results).

The yearly firm and radical-innovation counts of the economy, steps 0 to years-1, are
hashed in each child: equal hashes show both methods ran identical simulations.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import psutil

from clusterlab.experiments.design import Experiment, parse_experiment
from clusterlab.experiments.runner import local_executor, run_experiment
from clusterlab.experiments.store import load_results
from clusterlab.model import ClusterModel
from clusterlab.model.record import ECONOMY

WORKERS = 2
SCENARIOS = ("baseline", "ris3_relatedness")
ROOT_SEED = 2026
FULL = {"n_firms": 1000, "years": 20, "replicates": 10}
QUICK = {"n_firms": 200, "years": 5, "replicates": 3}
METHODS = {
    "ours": "clusterlab run_experiment (process pool)",
    "batch_run": "mesa.batch_run, same work (release, 1 BLAS thread)",
    "batch_run_plain": "mesa.batch_run as usually written (no release, default BLAS)",
}
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

BATCH_RUN_NOTES = """\
What mesa.batch_run 3.3.1 does not do (read in mesa/batchrunner.py and checked with a toy
model):

- Seeds: it has no seed option. `iterations` repeats identical keyword arguments, so a
  model that is not given a seed draws fresh OS entropy each run: replicates differ but
  cannot be reproduced, and no seed is reported. Reproducible replicates need the seed
  passed as a varied parameter (`"rng": [...]`, as here).
- Resume: rows are returned in memory when every run has ended; a killed batch loses all.
- Failure isolation: an exception in one run propagates out of `Pool.imap_unordered` and
  aborts the whole batch; finished runs' rows are lost.
- Steps: it loops `while model.running and model.steps <= max_steps`, i.e. max_steps + 1
  steps, and returns collected rows 0 .. model.steps - 1, so the state after the last step
  is collected but not returned. The subclass here stops itself after `years` steps.
- Memory: pool workers are reused (no maxtasksperchild) and nothing frees Mesa 3.3.1's
  class-level registries (`Agent._ids`, `Cell` caches), so every model a worker ran stays
  in memory unless the model releases itself in its last step.
- No executors other than multiprocessing.Pool (no Dask), no manifest or provenance, and
  only what a DataCollector holds; `import mesa` forces the "spawn" start method globally.
"""


# --- the model batch_run needs: reporters are module-level named functions ---------------


def _economy_row(model: ClusterModel) -> dict[str, Any]:
    """Economy row of the latest recorded step (it precedes that step's region rows)."""
    return model.recorder.rows[-1 - model.state.geo.n_regions]


def firms(model: ClusterModel) -> float:
    """Alive firms in the economy."""
    return float(_economy_row(model)["firms"])


def employment(model: ClusterModel) -> float:
    """Employees in the economy."""
    return float(_economy_row(model)["employment"])


def radical(model: ClusterModel) -> float:
    """Radical innovations (novel field pairs) in the latest year."""
    return float(_economy_row(model)["radical"])


class ReportingClusterModel(ClusterModel):
    """ClusterModel with the ``datacollector`` that ``mesa.batch_run`` reads.

    It stops itself after ``years`` steps: batch_run 3.3.1 would otherwise run
    ``max_steps + 1`` steps, and the last step is the only place to release the model.
    """

    def __init__(self, *, years: int, release_at_end: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.years = years
        self.release_at_end = release_at_end
        self.datacollector = mesa.DataCollector(
            model_reporters={"firms": firms, "employment": employment, "radical": radical}
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """Advance one year, collect, and stop (and release) after the last year."""
        super().step()
        self.datacollector.collect(self)
        if self.steps >= self.years:
            self.running = False
            if self.release_at_end:
                self.release()  # batch_run only reads datacollector.model_vars afterwards


# --- the two methods, each run in a child process ----------------------------------------


def experiment(config: dict[str, int]) -> Experiment:
    """The benchmark's runs as a ClusterLab experiment."""
    return parse_experiment(
        {
            "name": "bench_runner",
            "steps": config["years"],
            "replicates": config["replicates"],
            "seed": ROOT_SEED,
            "fixed": {"n_firms": config["n_firms"]},
            "design": {"type": "scenarios", "scenarios": [{"preset": p} for p in SCENARIOS]},
        }
    )


def _cpu_seconds() -> float:
    """User + system time of this process and its terminated, waited-for children."""
    return _own_cpu_seconds() + _children_cpu_seconds()


def _own_cpu_seconds() -> float:
    """User + system time of this process alone (the parent: what it stores or keeps)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _children_cpu_seconds() -> float:
    """User + system time of this process's terminated, waited-for children (workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def _digest(rows: list[tuple[str, int, int, float, float]]) -> str:
    """Hash of (preset, seed, step, firms, radical) rows, in sorted order."""
    return hashlib.sha256(json.dumps(sorted(rows)).encode()).hexdigest()[:12]


def run_ours(config: dict[str, int], folder: Path) -> dict[str, Any]:
    """Our runner on a local process pool; results written to ``folder``."""
    exp = experiment(config)
    t0, cpu0, own0 = time.perf_counter(), _cpu_seconds(), _own_cpu_seconds()
    with local_executor(WORKERS) as pool:
        report = run_experiment(exp, folder, executor=pool, workers=WORKERS)
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    parent_cpu = _own_cpu_seconds() - own0
    results = load_results(folder)
    ts = results.timeseries
    eco = ts[(ts["scope"] == ECONOMY) & (ts["step"] < config["years"])]
    rows = eco[["scenario", "seed", "step", "firms", "radical"]].itertuples(index=False)
    rss = results.summary.groupby("worker_pid")["worker_rss_mb"]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "parent_cpu_seconds": parent_cpu,
        "runs": report.completed,
        "digest": _digest([(s, int(d), int(t), float(f), float(r)) for s, d, t, f, r in rows]),
        "output": f"{sum(p.stat().st_size for p in folder.rglob('*')) / 1e6:.1f} MB Parquet "
        f"({len(ts):,} time-series rows, all columns)",
        "worker_rss_first_last": [(float(g.iloc[0]), float(g.iloc[-1])) for _, g in rss],
    }


def run_batch(config: dict[str, int], release: bool) -> dict[str, Any]:
    """``mesa.batch_run`` with the same presets and seeds; rows kept in memory."""
    seeds = experiment(config).seeds()[: config["replicates"]]  # replicate r's seed
    parameters = {
        "preset_name": list(SCENARIOS),
        "n_firms": config["n_firms"],
        "years": config["years"],
        "release_at_end": release,
    }
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa 3.5: seeds by rng
        seeding: dict[str, Any] = {"rng": seeds}
    else:  # batch_run 3.3.1 has no seed option: seeds are a parameter
        parameters["rng"], seeding = seeds, {"iterations": 1}
    t0, cpu0, own0 = time.perf_counter(), _cpu_seconds(), _own_cpu_seconds()
    rows = mesa.batch_run(
        ReportingClusterModel,
        parameters=parameters,
        number_processes=WORKERS,
        max_steps=config["years"],
        data_collection_period=1,
        display_progress=False,
        **seeding,
    )
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    parent_cpu = _own_cpu_seconds() - own0
    keyed = [(r["preset_name"], r["rng"], r["Step"], r["firms"], r["radical"]) for r in rows]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "parent_cpu_seconds": parent_cpu,
        "runs": len({r["RunId"] for r in rows}),
        "digest": _digest(keyed),
        "output": f"{len(rows):,} dicts in memory (3 reporters, steps 0-{config['years'] - 1})",
    }


def child(method: str, quick: bool) -> None:
    """Run one method and print its measurements as one JSON line."""
    config = QUICK if quick else FULL
    with tempfile.TemporaryDirectory() as tmp:
        if method == "ours":
            out = run_ours(config, Path(tmp) / "results")
        else:
            out = run_batch(config, release=method == "batch_run")
    out["parent_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["largest_worker_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(out))


# --- the driver ---------------------------------------------------------------------------


def _tree_pss_mb(root: psutil.Process) -> float:
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # a worker that ended between listing and reading
    return total / 2**20


def measure(method: str, quick: bool) -> dict[str, Any]:
    """Run ``method`` in a fresh process, sampling its process tree's memory."""
    command = [sys.executable, __file__, "--child", method, *(["--quick"] if quick else [])]
    env = os.environ | (ONE_BLAS_THREAD if method == "batch_run" else {})
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    root, peak = psutil.Process(proc.pid), 0.0
    while proc.poll() is None:
        try:
            peak = max(peak, _tree_pss_mb(root))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    stdout, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{method} failed with exit status {proc.returncode}")
    return json.loads(stdout.strip().splitlines()[-1]) | {"tree_peak_mb": peak}


def run(quick: bool) -> str:
    """Run every method and return a markdown report."""
    config = QUICK if quick else FULL
    n_runs = len(SCENARIOS) * config["replicates"]
    load_before = os.getloadavg()[0]
    results = {method: measure(method, quick) for method in METHODS}
    lines = [
        f"# Runner benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores; 1-minute load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (other work on the machine slows wall times). "
        f"Runs: {len(SCENARIOS)} presets ({', '.join(SCENARIOS)}) x {config['replicates']} "
        f"replicates = {n_runs} runs of {config['years']} years, {config['n_firms']:,} firms, "
        f"{WORKERS} worker processes, Mesa {mesa.__version__}.",
        "",
        "| method | runs | seconds | CPU seconds | peak memory, process tree (PSS, MB) "
        "| largest worker peak RSS (MB) | parent peak RSS (MB) | results kept |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for method, label in METHODS.items():
        r = results[method]
        lines.append(
            f"| {label} | {r['runs']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} "
            f"| {r['tree_peak_mb']:.0f} | {r['largest_worker_peak_mb']:.0f} "
            f"| {r['parent_peak_mb']:.0f} | {r['output']} |"
        )
    digests = {r["digest"] for r in results.values()}
    same = "identical" if len(digests) == 1 else f"DIFFERENT ({', '.join(sorted(digests))})"
    worker_rss = ", ".join(
        f"{a:.0f} -> {b:.0f}" for a, b in results["ours"]["worker_rss_first_last"]
    )
    lines += [
        "",
        f"Yearly economy firms and radical innovations, steps 0-{config['years'] - 1}, all "
        f"runs: {same} across methods (hash {sorted(digests)[0]}).",
        f"Our workers' resident memory, first -> last run (MB): {worker_rss}.",
        "",
        "Seconds: wall time of the call, starting the workers included. CPU seconds: user "
        "+ system time of the parent and its workers over the call. Peak tree memory is "
        "sampled every 0.1 s (short peaks may be missed).",
        "",
        BATCH_RUN_NOTES.rstrip(),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse arguments, run, print and optionally save the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny configuration (seconds)")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--child", choices=list(METHODS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.quick)
        return
    t0 = time.perf_counter()
    report = run(args.quick)
    print(report)
    print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)


if __name__ == "__main__":
    main()
