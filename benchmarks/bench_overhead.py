"""What ClusterLab costs beyond its simulations: CLI start-up, and the runner against batch_run.

Two sections of docs/performance.md (``make bench``; alone:
``python benchmarks/bench_performance.py --only overhead``):

- start-up: ``clusterlab --help``, ``--version``, an argument error and
  ``clusterlab run --steps 50`` in new processes (median of several), against the
  simulation itself: ``simulate(preset("baseline"), seed=1, steps=50)`` as the first call of
  a new process and as a later (warm) call; and ``run`` once more with an empty kernel
  cache (the first run after installing or changing the code);
- runner: ``run_experiment`` against ``mesa.batch_run`` tuned (model released, one BLAS
  thread) on the same runs and seeds (``benchmarks/bench_runner.py``: 2 presets x 10
  replicates x 20 years x 1,000 firms, 2 workers), each call in a new process, five
  adjacent pairs of calls alternating which method goes first (drift over the minutes
  cancels); CPU seconds of the process and its workers, the parent's apart, and the mean
  pair ratio with its 95% interval.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_runner

ROOT = Path(__file__).resolve().parent.parent
STARTUP_REPEATS = 5
RUN_REPEATS = 3
RUNNER_ORDER = ("ours", "batch_run", "batch_run", "ours") * 2 + ("ours", "batch_run")
"""Each method five times in adjacent pairs, alternating which goes first, after an
untimed warm-up call of each: a drift of the machine's speed, and whatever favours the
first or second call of a pair, hits both alike."""
OLD_RUNNER_ORDER = ("ours", "batch_run", "batch_run", "ours", "ours", "batch_run")
"""The order of raw files written before the order was recorded in them."""
SIM_PROCESSES = 3  # new processes timing the first and the warm simulations
TARGET_START_S = 0.3  # --help, --version, argument errors
TARGET_RUN_EXTRA_S = 1.0  # clusterlab run --steps 50 minus the simulation
TARGET_FIRST_RATIO = 1.5  # first simulation in a new process / a warm one


def clusterlab_command() -> list[str]:
    """The installed ``clusterlab`` script beside this Python, else ``python -m``."""
    script = Path(sys.executable).with_name("clusterlab")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "clusterlab.experiments.cli"]


def _children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def timed(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall and CPU seconds of one command in a new process (its exit status kept)."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, cwd=ROOT, env=env, check=False)
    return {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": _children_cpu() - cpu0,
        "status": done.returncode,
    }


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median wall time, and how many runs there were."""
    middle = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
    return middle | {"n": len(runs)}


def child_simulation(runs: int) -> dict[str, Any]:
    """``runs`` simulate() calls of the default run in this new process; seconds of each."""
    from clusterlab.model import kernels  # noqa: PLC0415 - the timed imports are the child's
    from clusterlab.model.presets import preset  # noqa: PLC0415
    from clusterlab.model.simulate import simulate  # noqa: PLC0415

    seconds, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        simulate(preset("baseline"), seed=1, steps=50)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "first_s": seconds[0],
        "warm_s": statistics.median(seconds[1:]),
        "first_cpu_s": cpu[0],
        "warm_cpu_s": statistics.median(cpu[1:]),
        "backend": kernels.backend(),
    }


IMPORTS = ("numpy", "pandas", "mesa", "clusterlab.model.simulate")
"""What a new process imports to simulate, in order (each row: what it adds to the last)."""

IMPORTS_SCRIPT = f"""
import importlib, json, time
out = {{}}
for name in {IMPORTS!r}:
    c0 = time.process_time()
    importlib.import_module(name)
    out[name] = time.process_time() - c0
from clusterlab.model import kernels
c0 = time.process_time()
kernels.use_backend()
out["kernels' backend (" + kernels.backend() + ")"] = time.process_time() - c0
first = {{}}
if kernels.backend() == "numba":  # what numba builds once per process, on a first call
    from numba.core.registry import cpu_target
    c0 = time.process_time()
    cpu_target.target_context.refresh()
    first["numba's compiler context"] = time.process_time() - c0
from clusterlab.model.presets import preset
from clusterlab.model.simulate import compile_kernels, simulate
c0 = time.process_time()
compile_kernels()
loaded = time.process_time() - c0
c0 = time.process_time()
compile_kernels()
first["loading the cached kernels"] = loaded - (time.process_time() - c0)
import gc
full = [0.0, 0.0]
def count(phase, info):
    if info["generation"] == 2:
        full[phase == "stop"] += time.process_time() * (1 if phase == "stop" else -1)
gc.callbacks.append(count)
c0 = time.process_time()
simulate(preset("baseline"), seed=1, steps=50)
one = time.process_time() - c0
full_first = sum(full)
full[:] = [0.0, 0.0]
c0 = time.process_time()
simulate(preset("baseline"), seed=1, steps=50)
two = time.process_time() - c0
first["full garbage collections in the first simulation"] = full_first
first["the rest of the first simulation beyond the second"] = one - two - full_first + sum(full)
print(json.dumps({{"imports": out, "first_call": first}}))
"""
"""CPU seconds of each import a script that runs the model pays, in a clean new process,
and of what its first simulation pays once beyond a later one: numba's compiler context,
loading the cached kernels, full garbage collections (timed by ``gc.callbacks``)."""


def imports_cpu() -> dict[str, dict[str, float]]:
    """Run :data:`IMPORTS_SCRIPT` in a new process (nothing imported before it)."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_SCRIPT], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


SCRIPT = (
    "from clusterlab.model.presets import preset\n"
    "from clusterlab.model.simulate import simulate\n"
    "simulate(preset('baseline'), seed=1, steps=50)\n"
)
"""The simulation of ``clusterlab run --steps 50`` as a script in a new process."""


def measure_startup(child: Any, quick: bool) -> dict[str, Any]:
    """Time the CLI's commands and the simulation; ``child(kind, *args)`` runs a child."""
    cli = clusterlab_command()
    repeats = 3 if quick else STARTUP_REPEATS
    light = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "clusterlab --help": [*cli, "--help"],
        "clusterlab --version": [*cli, "--version"],
        "clusterlab run --steps x (argument error)": [*cli, "run", "--steps", "x"],
    }
    out: dict[str, Any] = {"command": " ".join(cli), "rows": {}}
    with tempfile.TemporaryDirectory() as tmp:
        run = [*cli, "run", "--steps", "50", "--out", f"{tmp}/run", "--force"]
        timed(run)  # fills the kernel cache if empty (after an install or a change)
        for name, command in light.items():
            out["rows"][name] = _median([timed(command) for _ in range(repeats)])
        scripts, runs = [], []
        for _ in range(1 if quick else RUN_REPEATS):  # alternate: a drift hits both alike
            scripts.append(timed([sys.executable, "-c", SCRIPT]))
            runs.append(timed(run))
        out["rows"]["python -c <simulate, 50 years> (the same simulation as a script)"] = _median(
            scripts
        )
        out["rows"]["clusterlab run --steps 50"] = _median(runs)
        env = os.environ | {"NUMBA_CACHE_DIR": f"{tmp}/empty-kernel-cache"}
        out["rows"]["clusterlab run --steps 50, empty kernel cache"] = _median([timed(run, env)])
    # the first call of one process is one sample of a fixed cost on a drifting machine:
    # several processes, and the one with the median first/warm ratio is shown
    sims = [child("simulation", 3 if quick else 4) for _ in range(1 if quick else SIM_PROCESSES)]
    ranked = sorted(sims, key=lambda r: r["first_s"] / r["warm_s"])
    out["simulation"] = ranked[len(ranked) // 2] | {
        "ratios": [r["first_s"] / r["warm_s"] for r in sims]
    }
    runs = [imports_cpu() for _ in range(3)]  # the median of each row's CPU seconds
    for key, part in (("imports_cpu_s", "imports"), ("first_call_cpu_s", "first_call")):
        out[key] = {k: statistics.median(r[part][k] for r in runs) for k in runs[0][part]}
    return out


def measure_runner(quick: bool) -> dict[str, Any]:
    """Ours and tuned batch_run in new processes, in the order of :data:`RUNNER_ORDER`."""
    rounds: dict[str, list[dict[str, Any]]] = {"ours": [], "batch_run": []}
    for method in rounds:  # warm-up: files both methods read are cached alike
        bench_runner.measure(method, quick=True)
    for method in RUNNER_ORDER:
        rounds[method].append(bench_runner.measure(method, quick) | {"load": os.getloadavg()[0]})
    config = bench_runner.QUICK if quick else bench_runner.FULL
    return {"config": config, "rounds": rounds, "order": list(RUNNER_ORDER)}


def _ok(met: bool) -> str:
    return "yes" if met else "no"


def startup_section(raw: dict[str, Any]) -> list[str]:
    """Markdown: the start-up table and the targets of issue #18."""
    sim = raw["simulation"]
    rows = raw["rows"]
    run = rows["clusterlab run --steps 50"]
    lines = [
        "## Start-up of the command line",
        "",
        f"Each command in a new process (`{raw['command']}`), run from the repository, "
        f"output discarded; the median of {rows['clusterlab --help']['n']} (of "
        f"{run['n']} for `run`) by wall time is shown with its CPU seconds. `run` "
        "simulates the default preset (1,000 firms) for 50 years and writes its outputs; "
        "the last row runs it with an empty kernel cache (`NUMBA_CACHE_DIR`), as after "
        "installing or changing the code, when the compiled kernels are built and cached. "
        "*Simulation*: `simulate(preset('baseline'), seed=1, steps=50)` in a new "
        "process, its first call (kernels loaded from the on-disk cache, numba's "
        "typing registries built, first calls into numpy) and the median of the later "
        "ones (warm)"
        + (
            f"; of {len(sim['ratios'])} such processes (first/warm ratios "
            f"{', '.join(f'{r:.2f}' for r in sorted(sim['ratios']))}), the one with the "
            "median ratio is shown."
            if "ratios" in sim
            else "."
        ),
        "",
        "| command | wall (s) | CPU (s) | exit status |",
        "|---|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(f"| `{name}` | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['status']} |")
    lines += [
        f"| simulation, first call in a new process | {sim['first_s']:.2f} "
        f"| {sim['first_cpu_s']:.2f} | |",
        f"| simulation, warm | {sim['warm_s']:.2f} | {sim['warm_cpu_s']:.2f} | |",
        "",
        "| target (issue #18) | this run | met |",
        "|---|---:|:---:|",
    ]
    light = [n for n in rows if n.startswith("clusterlab") and "run --steps 50" not in n]
    slowest = max(rows[n]["wall_s"] for n in light)
    extra = run["wall_s"] - sim["warm_s"]
    ratio = sim["first_s"] / sim["warm_s"]
    extra_cpu = run["cpu_s"] - sim["warm_cpu_s"]
    ratio_cpu = sim["first_cpu_s"] / sim["warm_cpu_s"]
    lines += [
        f"| `--help`, `--version`, argument errors under {TARGET_START_S} s "
        f"| {slowest:.2f} s (slowest) | {_ok(slowest < TARGET_START_S)} |",
    ]
    script = rows.get(SCRIPT_ROW)
    if script is not None:  # raw files before the script row lack it
        own, own_cpu = run["wall_s"] - script["wall_s"], run["cpu_s"] - script["cpu_s"]
        lines.append(
            f"| `run --steps 50` within {TARGET_RUN_EXTRA_S:g} s of the same simulation as a "
            f"script in a new process (the command line's own cost) | {own:+.2f} s (CPU: "
            f"{own_cpu:+.2f} s) | {_ok(own <= TARGET_RUN_EXTRA_S)} |"
        )
    lines += [
        f"| `run --steps 50` within {TARGET_RUN_EXTRA_S:g} s of the warm simulation "
        f"| {extra:+.2f} s (CPU: {extra_cpu:+.2f} s) | {_ok(extra <= TARGET_RUN_EXTRA_S)} |",
        f"| first simulation in a new process at most {TARGET_FIRST_RATIO}x a warm one "
        f"| {ratio:.2f}x (CPU: {ratio_cpu:.2f}x) | {_ok(ratio <= TARGET_FIRST_RATIO)} |",
        "",
        "The targets are judged on wall time, as a user waits; the CPU figures hardly "
        "move with other work on the machine (see the load at the top).",
    ]
    if "imports_cpu_s" in raw:
        lines += ["", *_floor_lines(raw["imports_cpu_s"], sim, script)]
    if "first_call_cpu_s" in raw:
        lines += ["", *_first_call_lines(raw["first_call_cpu_s"], sim)]
    return lines


def _first_call_lines(first: dict[str, float], sim: dict[str, Any]) -> list[str]:
    """What the first simulation of a new process pays once, part by part."""
    return [
        "**What the first simulation pays once**, beyond a later one (CPU seconds, median "
        "of the same 3 new processes: after the imports above, numba's compiler context is "
        "built, the kernels are loaded by a tiny simulation (timed against a second one), "
        "and a full simulation is run twice; full garbage collections are timed by "
        "`gc.callbacks`):",
        "",
        "| part | CPU (s) |",
        "|---|---:|",
        *(f"| {name} | {cpu:.2f} |" for name, cpu in first.items()),
        f"| **sum** | **{sum(first.values()):.2f}** |",
        "",
        (
            "The first two rows are numba's, whatever the kernels do; the collections scan "
            "the objects numba and the libraries made (a script freezes none of them). "
            if "numba's compiler context" in first
            else "The numpy backend compiles nothing; the collections scan the objects the "
            "libraries made (a script freezes none of them). "
        )
        + "With the "
        f"warm simulation above ({sim['warm_cpu_s']:.2f} CPU-s), this sum alone makes a "
        f"first run {1 + sum(first.values()) / sim['warm_cpu_s']:.2f}x a warm one: a fixed "
        "cost, so the ratio falls when the warm run is longer (a slower machine, a bigger "
        "economy) and rises when it is shorter.",
    ]


SCRIPT_ROW = "python -c <simulate, 50 years> (the same simulation as a script)"


def _floor_lines(
    imports: dict[str, float], sim: dict[str, Any], script: dict[str, float] | None
) -> list[str]:
    """What a new process pays before its simulation: the imports and the kernels."""
    total = sum(imports.values())
    lines = [
        "**What any use of the model pays in a new process**, before and around its "
        "first simulation (CPU seconds, median of 3 new processes that import nothing "
        "else first; each import counts what it adds to those above it):",
        "",
        "| import | CPU (s) |",
        "|---|---:|",
        *(f"| `{name}` | {cpu:.2f} |" for name, cpu in imports.items()),
        f"| first simulation beyond a warm one (kernels loaded, first calls) "
        f"| {sim['first_cpu_s'] - sim['warm_cpu_s']:.2f} |",
        "",
        f"Mesa's own import (Mesa {_version('mesa')}: its package imports pandas, "
        "scipy.spatial and networkx for its data collector, continuous space and network "
        "grid) and the kernels' backend "
        f"({sim.get('backend', 'numba')}) are the floor of any script that runs the "
        f"model: {total:.2f} CPU-s of imports here, against a warm simulation of "
        f"{sim['warm_cpu_s']:.2f} CPU-s.",
    ]
    if script is not None:
        lines[-1] += (
            f" The script row runs exactly `run`'s simulation in a new process "
            f"({script['wall_s']:.2f} s); `run` adds parsing its arguments and writing "
            "its outputs (Parquet and CSV tables, summary.json, the figure), and saves "
            "two costs a plain script pays: full garbage collections over the libraries' "
            "objects, and the interpreter's teardown at exit (`experiments/process.py`)."
        )
    return lines


def _version(package: str) -> str:
    from importlib import metadata  # noqa: PLC0415

    return metadata.version(package)


def runner_ratio(raw: dict[str, Any]) -> float:
    """CPU seconds of ours over tuned batch_run's, summed over the rounds."""
    cpu = {m: sum(r["cpu_seconds"] for r in rs) for m, rs in raw["rounds"].items()}
    return cpu["ours"] / cpu["batch_run"]


def pair_ratios(raw: dict[str, Any]) -> list[float]:
    """CPU seconds of each ``run_experiment`` call over the ``batch_run`` call next to it."""
    rounds = raw["rounds"]
    return [
        o["cpu_seconds"] / b["cpu_seconds"]
        for o, b in zip(rounds["ours"], rounds["batch_run"], strict=False)
    ]


def mean_interval(values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` and its two-sided Student-t confidence interval at ``level``."""
    from scipy import stats  # noqa: PLC0415 - only the report needs it

    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * statistics.stdev(values)
    half /= len(values) ** 0.5
    return mean, mean - half, mean + half


def runner_vs_batch_section(raw: dict[str, Any]) -> list[str]:
    """Markdown: run_experiment against tuned batch_run, CPU seconds side by side."""
    config, rounds = raw["config"], raw["rounds"]
    n_runs = len(bench_runner.SCENARIOS) * config["replicates"]
    digests = {r["digest"] for rs in rounds.values() for r in rs}
    ratio = runner_ratio(raw)
    lines = [
        "## Experiment runner against Mesa's batch_run",
        "",
        f"The same {n_runs} runs ({len(bench_runner.SCENARIOS)} presets x "
        f"{config['replicates']} replicate seeds, {config['years']} years, "
        f"{config['n_firms']:,} firms) on {bench_runner.WORKERS} worker processes "
        "(`benchmarks/bench_runner.py`): `run_experiment` on `local_executor` (every run's "
        "time series and summary streamed to Parquet as it finishes, resumable, a failing "
        "run recorded and skipped) against `mesa.batch_run` with the model released after "
        "its last year and one BLAS thread (3 reporters kept in memory; no resume, one "
        "failure ends the batch). Each call runs in a new process, in the order "
        f"{', '.join(raw.get('order', OLD_RUNNER_ORDER))}, so that a drift of the "
        "machine's speed hits both alike, after an untimed small call of each (so that "
        "neither pays for reading files into the page cache for the other). *CPU*: "
        "user + system seconds of the process and its workers over the call (starting "
        "the workers included).",
        "",
        "| method | call | wall (s) | CPU (s) | of which the parent (s) "
        "| of which the workers (s) | CPU per run (s) | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for method, label in (("ours", "run_experiment"), ("batch_run", "batch_run, tuned")):
        for i, r in enumerate(rounds[method], 1):
            parent = r.get("parent_cpu_seconds")  # absent from raw files before it existed
            split = f"{parent:.2f} | {r['cpu_seconds'] - parent:.2f}" if parent is not None else "|"
            lines.append(
                f"| {label} | {i} | {r['seconds']:.1f} | {r['cpu_seconds']:.2f} | {split} "
                f"| {r['cpu_seconds'] / n_runs:.3f} | {r['load']:.1f} |"
            )
    same = "identical" if len(digests) == 1 else "DIFFERENT"
    pairs = pair_ratios(raw)
    mean, low, high = mean_interval(pairs)
    lines += [
        "",
        f"CPU seconds of `run_experiment` / tuned `batch_run`, summed over the calls: "
        f"**{ratio:.2f}** (target: at most 1). Call by call, each `run_experiment` call "
        "against the `batch_run` call next to it: "
        + ", ".join(f"{r:.2f}" for r in pairs)
        + f"; their mean {mean:.2f}, 95% interval {low:.2f}-{high:.2f} (Student t over "
        f"{len(pairs)} pairs): the spread of one machine's speed from call to call, which "
        "a single pair cannot tell from a difference of the methods.",
        *_parent_lines(rounds, n_runs),
        "",
        f"Yearly firms and radical innovations of every run: {same} across methods and "
        f"calls (hash {', '.join(sorted(digests))}).",
    ]
    return lines


def _parent_lines(rounds: dict[str, list[dict[str, Any]]], n_runs: int) -> list[str]:
    """Where the methods differ: the parent (the store) and the workers, per run."""
    if not all("parent_cpu_seconds" in r for rs in rounds.values() for r in rs):
        return []

    def per_run(method: str, part: str) -> float:
        values = [
            r["parent_cpu_seconds"]
            if part == "parent"
            else r["cpu_seconds"] - r["parent_cpu_seconds"]
            for r in rounds[method]
        ]
        return statistics.fmean(values) / n_runs

    return [
        "",
        "Per run, the mean over the calls: the parent process of `run_experiment` spends "
        f"{per_run('ours', 'parent') * 1000:.0f} ms (writing the run's Parquet files, "
        f"the manifest and the provenance) against {per_run('batch_run', 'parent') * 1000:.0f} "
        f"ms for `batch_run`'s (keeping its rows); the workers {per_run('ours', 'workers'):.3f} "
        f"against {per_run('batch_run', 'workers'):.3f} CPU-s (starting, importing, "
        "simulating).",
    ]
