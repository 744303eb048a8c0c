"""The app's several-seeds panel: background batches of seeds and their spread."""

import json
import threading

import numpy as np
import pytest

from clusterlab.experiments.app_seeds import (
    MAX_SEEDS,
    OUTCOMES,
    Batch,
    BatchStatus,
    SeedRuns,
    run_seed,
    spread_chart,
)
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate

SMALL = {"n_firms": 150, "burn_in": 2}


def _finish(runs: SeedRuns) -> None:
    runs._thread.join(timeout=120)
    assert not runs.running


def test_run_seed_gives_the_summary_of_simulate():
    params = preset("ris3_relatedness", **SMALL)
    outcomes = run_seed(params, 3, 4, threading.Event())
    summary = simulate(params, seed=3, steps=4).summary
    assert outcomes == {name: pytest.approx(summary[name], nan_ok=True) for name in OUTCOMES}
    cancelled = threading.Event()
    cancelled.set()
    assert run_seed(params, 3, 4, cancelled) is None


def test_a_batch_runs_its_seeds_in_the_background_and_keeps_the_one_before():
    calls: list[int] = []
    runs = SeedRuns(on_change=lambda: calls.append(1))
    params = preset("baseline", **SMALL)
    first = runs.start(params, "baseline", n_seeds=3, years=3)
    assert first.seeds == (1, 2, 3)
    _finish(runs)
    assert first.status is BatchStatus.DONE
    assert len(first.results) == 3
    assert len(calls) == 4  # one per seed and one at the end
    # the same seed gives the same outcome: seed 2 again, alone
    assert run_seed(params, 2, 3, threading.Event()) == first.results[1]
    second = runs.start(params, "again", n_seeds=50, years=3)  # capped
    assert len(second.seeds) == MAX_SEEDS
    assert runs.previous is first
    runs.cancel()
    assert second.status is BatchStatus.CANCELLED
    assert len(second.results) < MAX_SEEDS


def test_cancel_stops_a_long_batch_within_a_year():
    runs = SeedRuns()
    batch = runs.start(preset("baseline", **SMALL), "long", n_seeds=5, years=100_000)
    runs.cancel(wait=30)
    assert not runs.running
    assert batch.status is BatchStatus.CANCELLED
    assert batch.results == []


def test_a_failing_batch_says_why():
    runs = SeedRuns()
    bad = preset("baseline", **SMALL).replace(shock_industry=99)  # the economy has fewer
    batch = runs.start(bad, "bad", n_seeds=2, years=2)
    _finish(runs)
    assert batch.status is BatchStatus.FAILED
    assert "shock_industry" in batch.error


def test_spread_chart_shows_every_seed_and_the_mean_per_setting():
    a = Batch("baseline", (1, 2), 30, BatchStatus.DONE)
    a.results = [dict.fromkeys(OUTCOMES, 1.0), dict.fromkeys(OUTCOMES, 3.0)]
    b = Batch("ris3", (1,), 30, BatchStatus.RUNNING)
    b.results = [{k: float("nan") if k == "employment_growth" else 5.0 for k in OUTCOMES}]
    chart = spread_chart([a, b], "radical_innovations")
    option = json.loads(json.dumps(chart.option))
    assert option["xAxis"]["data"] == ["A: baseline", "B: ris3"]
    dots, means = option["series"]
    assert dots["data"] == [["A: baseline", 1.0], ["A: baseline", 3.0], ["B: ris3", 5.0]]
    assert means["data"] == [["A: baseline", 2.0], ["B: ris3", 5.0]]
    growth = spread_chart([a, b], "employment_growth").option["series"][0]["data"]
    assert growth == [["A: baseline", 100.0], ["A: baseline", 300.0]]  # in %, NaN left out
    assert np.isfinite([v for _, v in growth]).all()
