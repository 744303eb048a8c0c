"""Benchmark simulate(): seconds per run and peak memory; memory over sequential runs.

Usage::

    python benchmarks/bench_simulate.py [--quick] [--out FILE]

Each configuration runs in a fresh subprocess so that its peak resident memory
(``ru_maxrss``) is its own. The sequential test runs 20 default simulations in one
process and reports the resident memory after each, and whether Mesa's class-level
registries were released.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

CHILD = """
import json, resource, time
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate
params = preset("baseline", n_firms={n_firms})
t0 = time.perf_counter()
result = simulate(params, seed={seed}, steps={steps})
seconds = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb,
                   "final_firms": result.summary["final_firms"]}}))
"""

SEQUENTIAL = """
import gc, json
from clusterlab.model import ClusterModel
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
rss = []
for seed in range({runs}):
    simulate(preset("baseline"), seed=seed, steps={steps})
    gc.collect()
    rss.append(rss_mb())
alive = sum(isinstance(o, ClusterModel) for o in gc.get_objects())
print(json.dumps({{"rss_mb": rss, "models_alive": alive}}))
"""


def _child(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(quick: bool) -> str:
    """Run the benchmarks and return a markdown report."""
    configs = [(1000, 50, 3)] if quick else [(1000, 50, 3), (10_000, 50, 1)]
    lines = [
        f"# simulate() benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{_cores()} cores. Each configuration runs in a fresh process; seconds exclude "
        "interpreter start and imports.",
        "",
        "| firms | years | repeats | seconds (median) | peak memory (MB) | firms at end |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n_firms, steps, repeats in configs:
        runs = [_child(CHILD.format(n_firms=n_firms, seed=s, steps=steps)) for s in range(repeats)]
        secs = sorted(r["seconds"] for r in runs)[len(runs) // 2]
        peak = max(r["peak_mb"] for r in runs)
        lines.append(
            f"| {n_firms:,} | {steps} | {repeats} | {secs:.2f} | {peak:.0f} | "
            f"{runs[0]['final_firms']:.0f} |"
        )
    seq = _child(SEQUENTIAL.format(runs=5 if quick else 20, steps=50))
    rss = seq["rss_mb"]
    lines += [
        "",
        f"Sequential default runs in one process: resident memory after run 1 "
        f"{rss[0]:.0f} MB, after run {len(rss)} {rss[-1]:.0f} MB "
        f"(change from run 2 on: {rss[-1] - rss[1]:+.1f} MB); models still alive: "
        f"{seq['models_alive']}.",
        "",
        "RSS after each run (MB): " + ", ".join(f"{v:.0f}" for v in rss),
    ]
    return "\n".join(lines) + "\n"


def _cores() -> int:
    return os.cpu_count() or 1


def main() -> None:
    """Parse arguments, run, print and optionally save the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="default preset only, 5 runs")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    t0 = time.perf_counter()
    report = run(args.quick)
    print(report)
    print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)


if __name__ == "__main__":
    main()
