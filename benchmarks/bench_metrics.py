"""Time the metrics on a 300-region x 500-industry matrix and print a small table.

Run from the repository root: ``python benchmarks/bench_metrics.py``. Each step is
timed separately (best of ``REPEATS`` runs), then the whole pipeline
RCA -> M -> proximity -> density -> complexity together.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from clusterlab.model.metrics import (
    complexity,
    proximity,
    rca,
    relatedness_density,
    specialisation_matrix,
)

N_REGIONS, N_INDUSTRIES = 300, 500
REPEATS = 7
SEED = 20240501


def best_time(function: Callable[[], object], repeats: int = REPEATS) -> float:
    """Return the best wall-clock time of `repeats` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def pipeline(x: np.ndarray) -> None:
    """RCA, M, proximity, density and KCI/TCI, as the model computes them per step."""
    rca(x)
    m = specialisation_matrix(x)
    relatedness_density(m, proximity(m))
    complexity(m)


def main() -> None:
    """Print one row per step and one for the pipeline."""
    x = np.random.default_rng(SEED).gamma(0.5, 10.0, (N_REGIONS, N_INDUSTRIES))
    m = specialisation_matrix(x)
    phi = proximity(m)
    rows = [
        ("rca", lambda: rca(x)),
        ("specialisation_matrix", lambda: specialisation_matrix(x)),
        ("proximity", lambda: proximity(m)),
        ("relatedness_density", lambda: relatedness_density(m, phi)),
        ("complexity (eigenvector)", lambda: complexity(m)),
        ("complexity (reflections)", lambda: complexity(m, method="reflections")),
        ("pipeline: rca+M+phi+density+KCI", lambda: pipeline(x)),
    ]
    print(f"{N_REGIONS} regions x {N_INDUSTRIES} industries, best of {REPEATS}")
    print(f"{'step':<34}{'ms':>10}")
    for name, function in rows:
        print(f"{name:<34}{1000 * best_time(function):>10.1f}")


if __name__ == "__main__":
    main()
