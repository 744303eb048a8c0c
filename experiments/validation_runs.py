"""Simulations for pattern-oriented validation: one run's raw material for every check.

:func:`validation_run` is a module-level function (so process pools can pickle it) that
runs one model and returns plain data: the region x industry employment panel, firm-level
growth rates and final sizes, the collaboration network at the end, the cluster table,
the innovation events, the regional time series and the industry relatedness matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.model import ClusterModel
from model.presets import preset
from model.state import LinkKind

__all__ = ["ValidationRun", "validation_run"]


@dataclass(frozen=True)
class ValidationRun:
    """Raw material of one validation simulation."""

    seed: int
    overrides: dict[str, Any]
    panel: np.ndarray  # (T + 1, R, P) employment
    phi: np.ndarray  # (P, P) industry relatedness used by the model
    growth: np.ndarray  # log growth rates of firms alive in consecutive years
    sizes: np.ndarray  # employment of alive firms at the end
    edges: np.ndarray  # (m, 2) active collaboration + university links at the end (node ids)
    clusters: pd.DataFrame
    innovations: pd.DataFrame
    timeseries: pd.DataFrame


def _edges(model: ClusterModel) -> np.ndarray:
    """Active knowledge links as node pairs; universities get ids after the firms."""
    links = model.state.links
    live = links.active & (links.kind != LinkKind.SUPPLY)
    uni = links.kind[live] == LinkKind.UNIVERSITY
    b = np.where(uni, links.b[live] + len(model.state.firms), links.b[live])
    return np.column_stack([links.a[live], b])


def validation_run(seed: int, steps: int, overrides: dict[str, Any]) -> ValidationRun:
    r"""Run one model of the ``baseline`` preset (plus overrides) and collect its material.

    Firm growth rates are :math:`\ln(E_{t+1} / E_t)` of firms alive (and with at least one
    employee) in both years, pooled over the run.
    """
    model = ClusterModel(params=preset("baseline", **overrides), rng=int(seed))
    try:
        f = model.state.firms
        growth = []
        before = f.employees.copy()
        alive_before = f.alive.copy()
        for _ in range(steps):
            model.step()
            f = model.state.firms
            n = alive_before.size
            both = alive_before & f.alive[:n] & (before >= 1) & (f.employees[:n] >= 1)
            growth.append(np.log(f.employees[:n][both] / before[both]))
            before, alive_before = f.employees.copy(), f.alive.copy()
        events = model.state.events.columns("innovation")
        innovations = pd.DataFrame(events)
        if not innovations.empty:
            innovations = innovations[innovations["kind"] != "incremental"].reset_index(drop=True)
        return ValidationRun(
            seed=int(seed),
            overrides=dict(overrides),
            panel=np.stack(model.recorder.panel),
            phi=model.state.industries.relatedness.copy(),
            growth=np.concatenate(growth) if growth else np.zeros(0),
            sizes=f.employees[f.alive].copy(),
            edges=_edges(model),
            clusters=pd.DataFrame(model.recorder.cluster_rows),
            innovations=innovations,
            timeseries=pd.DataFrame(model.recorder.rows),
        )
    finally:
        model.release()
