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
    """Active knowledge links as node pairs: firm ids, then universities after every firm id."""
    ws = model.state
    links, ids = ws.links, ws.firms.id
    live = links.active & (links.kind != LinkKind.SUPPLY)
    uni = links.kind[live] == LinkKind.UNIVERSITY
    b = np.where(uni, links.b[live] + ws.firm_ids_issued, ids[np.where(uni, 0, links.b[live])])
    return np.column_stack([ids[links.a[live]], b])


def validation_run(seed: int, steps: int, overrides: dict[str, Any]) -> ValidationRun:
    r"""Run one model of the ``baseline`` preset (plus overrides) and collect its material.

    Firm growth rates are :math:`\ln(E_{t+1} / E_t)` of firms alive (and with at least one
    employee) in both years, pooled over the run.
    """
    model = ClusterModel(params=preset("baseline", **overrides), rng=int(seed))
    try:
        f = model.state.firms
        growth = []
        ids, before = f.id[f.alive], f.employees[f.alive]
        for _ in range(steps):
            model.step()
            f = model.state.firms
            rows = f.rows_of(ids)  # firms alive a year ago are still in the table
            now = f.employees[rows]
            both = f.alive[rows] & (before >= 1) & (now >= 1)
            growth.append(np.log(now[both] / before[both]))
            ids, before = f.id[f.alive], f.employees[f.alive]
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
