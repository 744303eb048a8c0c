"""Mesa's BoltzmannWealth example, timed per step in a process that imports only Mesa.

Usage::

    python benchmarks/boltzmann.py [agents] [side] [steps]

Prints one JSON line: median seconds of a step as shipped (agents move and give money in
random order, then the DataCollector records the Gini and every agent's wealth) and of
the agents' moves alone. ``bench_performance.py`` runs it beside ClusterLab's runs, so
that neither model's process carries the other's imports.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

from mesa.examples.basic.boltzmann_wealth_model import model as boltzmann


def build(agents: int, side: int) -> boltzmann.BoltzmannWealth:
    """The shipped model, seeded: Mesa 3.5 takes a ``BoltzmannScenario``, 3.3 keywords."""
    if hasattr(boltzmann, "BoltzmannScenario"):
        scenario = boltzmann.BoltzmannScenario(n=agents, width=side, height=side, rng=1)
        return boltzmann.BoltzmannWealth(scenario)
    return boltzmann.BoltzmannWealth(n=agents, width=side, height=side, seed=1)


def measure(agents: int = 10_000, side: int = 100, steps: int = 40) -> dict[str, float]:
    """Median seconds per step, as shipped and of the agents' moves only."""
    model = build(agents, side)
    shipped, moves = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        shipped.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.agents.shuffle_do("step")  # the agents' work alone
        moves.append(time.perf_counter() - t0)
    return {
        "agents": agents,
        "steps": steps,
        "shipped_s": statistics.median(shipped),
        "moves_s": statistics.median(moves),
        "load": os.getloadavg()[0],
    }


if __name__ == "__main__":
    print(json.dumps(measure(*map(int, sys.argv[1:]))))
