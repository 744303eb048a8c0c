"""Run several seeds of one setting in the background, for the teaching app.

One run is one draw: the same setting with another seed gives another number, and a
class that compares two single runs may read noise as an effect. :class:`SeedRuns` runs
seeds 1..N of the page's current setting in a background thread (the page never waits
for it), one batch per browser session, cancellable, and keeps the batch before it so
that two settings can be compared side by side. :func:`spread_chart` draws the outcome
of every seed as a dot, per setting, with the mean.

Runs share the server's cores with every page: at most :data:`MAX_PARALLEL_RUNS` runs
(one per core) go on at once across all sessions; a batch that finds no free core waits.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from clusterlab.experiments.app_charts import Chart, rounded
from clusterlab.model.cluster_model import ClusterModel
from clusterlab.model.params import ModelParams
from clusterlab.model.simulate import summarise

__all__ = [
    "MAX_PARALLEL_RUNS",
    "MAX_SEEDS",
    "OUTCOMES",
    "Batch",
    "BatchStatus",
    "SeedRuns",
    "run_seed",
    "spread_chart",
]

_log = logging.getLogger(__name__)

MAX_SEEDS = 10
"""Most seeds one batch runs: enough to see a spread, few enough for a lesson."""

MAX_PARALLEL_RUNS = max(1, os.cpu_count() or 1)
"""Runs going on at once in the server, over all sessions: one per core."""

_CORES = threading.BoundedSemaphore(MAX_PARALLEL_RUNS)

OUTCOMES: dict[str, tuple[str, float]] = {
    "radical_innovations": ("Radical innovations (sum over the years)", 1.0),
    "new_specialisations": ("New specialisations (RCA crossings, all regions)", 1.0),
    "employment_growth": ("Job growth (% from year 0)", 100.0),
    "policy_spend": ("Policy spending (M€, sum over the years)", 1.0),
}
"""Run-summary outcome (:func:`clusterlab.model.simulate.summarise`) -> (label, factor to show
it)."""


def run_seed(
    params: ModelParams, seed: int, years: int, cancel: threading.Event
) -> dict[str, float] | None:
    """Run one seed for ``years`` years; its :data:`OUTCOMES`, or None if cancelled.

    The outcomes are those of ``simulate(params, seed, years).summary`` (same model, same
    summary); ``cancel`` is checked every year.
    """
    model = ClusterModel(params=params, rng=seed)
    try:
        for _ in range(years):
            if cancel.is_set():
                return None
            model.step()
        f = model.state.firms
        summary = summarise(pd.DataFrame(model.recorder.rows), f.employees[f.alive])
        return {name: float(summary[name]) for name in OUTCOMES}
    finally:
        model.release()


class BatchStatus(StrEnum):
    """Where a batch of seeds is."""

    WAITING = "waiting for a free core"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass
class Batch:
    """Seeds of one setting: what was asked, and the outcomes so far (seed order)."""

    label: str
    seeds: tuple[int, ...]
    years: int
    status: BatchStatus = BatchStatus.WAITING
    results: list[dict[str, float]] = field(default_factory=list)
    error: str = ""


def _on_a_free_core(
    params: ModelParams, seed: int, batch: Batch, cancel: threading.Event
) -> dict[str, float] | None:
    """Wait for a free core (checking ``cancel``), then run one seed on it."""
    while not _CORES.acquire(timeout=0.2):
        if cancel.is_set():
            return None
    try:
        batch.status = BatchStatus.RUNNING
        return None if cancel.is_set() else run_seed(params, seed, batch.years, cancel)
    finally:
        _CORES.release()


class SeedRuns:
    """One session's batches of seeds, run in a background thread.

    Parameters
    ----------
    on_change : callable, optional
        Called (from the background thread) whenever a batch moves on: a seed done, the
        batch finished, cancelled or failed. The page redraws its panel from it.
    """

    def __init__(self, on_change: Callable[[], None] = lambda: None) -> None:
        self.on_change = on_change
        self.current: Batch | None = None
        self.previous: Batch | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether a batch is waiting or running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, params: ModelParams, label: str, n_seeds: int, years: int) -> Batch:
        """Run seeds 1..``n_seeds`` of ``params`` for ``years`` years, in the background.

        A batch still running is cancelled first; the last finished one is kept as
        ``previous``, to compare with.
        """
        n_seeds = int(np.clip(n_seeds, 1, MAX_SEEDS))
        self.cancel()
        with self._lock:
            if self.current is not None and self.current.status is BatchStatus.DONE:
                self.previous = self.current
            batch = Batch(label, tuple(range(1, n_seeds + 1)), max(1, int(years)))
            self.current, self._cancel = batch, threading.Event()
            self._thread = threading.Thread(
                target=self._work, args=(params, batch, self._cancel), daemon=True
            )
            self._thread.start()
        return batch

    def cancel(self, wait: float = 30.0) -> None:
        """Stop the running batch (within a year of one run) and wait up to ``wait`` s."""
        self._cancel.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=wait)

    def _work(self, params: ModelParams, batch: Batch, cancel: threading.Event) -> None:
        try:
            for seed in batch.seeds:
                outcome = _on_a_free_core(params, seed, batch, cancel)
                if outcome is None:
                    break
                batch.results.append(outcome)
                self._changed()
            batch.status = BatchStatus.CANCELLED if cancel.is_set() else BatchStatus.DONE
        except Exception as exc:  # shown in the panel; the page goes on
            _log.exception("ClusterLab app: a batch of seeds failed")
            batch.status, batch.error = BatchStatus.FAILED, f"{type(exc).__name__}: {exc}"
        self._changed()

    def _changed(self) -> None:
        try:
            self.on_change()
        except Exception:  # a page gone while the batch ran: nothing to redraw
            _log.debug("ClusterLab app: no page to tell about a batch", exc_info=True)


def spread_chart(batches: Sequence[Batch], outcome: str) -> Chart:
    """One outcome of every seed as a dot per setting, with each setting's mean (a bar).

    The settings are categories on the x axis, in the order given.
    """
    title, factor = OUTCOMES[outcome]
    names = [f"{chr(ord('A') + i)}: {b.label}" for i, b in enumerate(batches)]
    dots, means = [], []
    for name, batch in zip(names, batches, strict=True):
        values = rounded([r[outcome] * factor for r in batch.results if np.isfinite(r[outcome])])
        dots += [[name, v] for v in values]
        if values:
            means.append([name, rounded([float(np.mean(values))])[0]])
    series = [
        {"type": "scatter", "name": "one seed", "data": dots, "symbolSize": 10,
         "itemStyle": {"opacity": 0.6}, "color": "#1f77b4"},
        {"type": "scatter", "name": "mean", "data": means, "symbol": "rect",
         "symbolSize": [36, 3], "color": "#000000"},
    ]  # fmt: skip
    return Chart(
        title,
        {
            "animation": False,
            "grid": {"left": 52, "right": 16, "top": 30, "bottom": 30},
            "tooltip": {"trigger": "item"},
            "legend": {"top": 0, "data": ["one seed", "mean"], "textStyle": {"fontSize": 11}},
            "xAxis": {
                "type": "category",
                "data": names,
                "axisLabel": {"fontSize": 11, "interval": 0, "width": 150, "overflow": "break"},
            },
            "yAxis": {"type": "value", "scale": True},
            "series": series,
        },
    )
