"""Benchmark the teaching app: one year of the default world, stepped and redrawn.

Usage::

    python benchmarks/bench_app.py [--years 20] [--preset baseline] [--out FILE]

What the server does for every year is timed: ``model.step()``, then everything the page
shows: the map and the link network (built from the model and rendered to PNG, as sent
to the browser) and the live charts (their ECharts options, serialised to JSON; the
browser draws them). Wall and CPU seconds are reported, because the machine may be
shared: the load average at the start and end is printed beside them. The first years
after the build are skipped (warm-up); the default world grows in links as it runs, so
later years are the slower ones.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from clusterlab.experiments.app_charts import CHARTS
from clusterlab.experiments.app_space import (
    ColourBy,
    Picture,
    figure_png,
    map_picture,
    network_picture,
)
from clusterlab.model import ClusterModel

WARM_UP_YEARS = 3


def pictures(model: ClusterModel) -> list[Callable[[], Picture]]:
    """The pictures the page redraws after a step (the map in its default colouring)."""
    return [lambda: map_picture(model, ColourBy.CLUSTER), lambda: network_picture(model)]


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _redraw(model: ClusterModel) -> None:
    for build in pictures(model):
        figure_png(build().figure)
    for chart in CHARTS:
        json.dumps(chart(model, ()).option)


def measure(preset_name: str, years: int, seed: int) -> dict[str, list[float]]:
    """Step and redraw ``years`` times after the warm-up; seconds per year."""
    model = ClusterModel(preset_name=preset_name, rng=seed)
    out: dict[str, list[float]] = {k: [] for k in ("step", "draw", "step_cpu", "draw_cpu")}
    try:
        for _ in range(WARM_UP_YEARS):
            model.step()
            _redraw(model)
        for _ in range(years):
            step_wall, step_cpu = _timed(model.step)
            draw_wall, draw_cpu = _timed(lambda: _redraw(model))
            out["step"].append(step_wall)
            out["draw"].append(draw_wall)
            out["step_cpu"].append(step_cpu)
            out["draw_cpu"].append(draw_cpu)
        out["firms"] = [float(model.state.firms.alive.sum())]
        out["links"] = [float(model.state.links.active.sum())]
    finally:
        model.release()
    return out


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"| {name} | {statistics.median(values):.3f} | {p90:.3f} | {max(values):.3f} |"


def report(preset_name: str, years: int, seed: int) -> str:
    """Run the benchmark and return a markdown report."""
    load_before = os.getloadavg()[0]
    r = measure(preset_name, years, seed)
    load_after = os.getloadavg()[0]
    total = [a + b for a, b in zip(r["step"], r["draw"], strict=True)]
    total_cpu = [a + b for a, b in zip(r["step_cpu"], r["draw_cpu"], strict=True)]
    return "\n".join(
        [
            f"# Teaching app benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"Preset '{preset_name}', seed {seed}: years {WARM_UP_YEARS + 1} to "
            f"{WARM_UP_YEARS + years} (at the end {r['firms'][0]:.0f} firms, "
            f"{r['links'][0]:.0f} active links). {platform.python_implementation()} "
            f"{platform.python_version()}, {os.cpu_count()} cores; load average "
            f"{load_before:.1f} at the start, {load_after:.1f} at the end.",
            "",
            "| seconds per year | median | 90th percentile | max |",
            "|---|---:|---:|---:|",
            _row("model.step (wall)", r["step"]),
            _row(f"map + network PNG, {len(CHARTS)} chart options (wall)", r["draw"]),
            _row("**step + redraw (wall)**", total),
            _row("step + redraw (CPU of this process)", total_cpu),
            "",
        ]
    )


def main() -> None:
    """Parse arguments, run, print and optionally save the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=20, help="timed years (default 20)")
    parser.add_argument("--preset", default="baseline", help="preset (default baseline)")
    parser.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    text = report(args.preset, args.years, args.seed)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
