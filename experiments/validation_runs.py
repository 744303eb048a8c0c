"""Simulations for pattern-oriented validation: one run's raw material for every check.

:func:`validation_run` is a module-level function (so process pools can pickle it) that
runs one model of a preset and returns plain data: the region x industry employment
panel, establishment and group sizes at the end, yearly group growth rates, the firm-firm
collaboration network at the end, the cluster table, the regional time series and the
industry relatedness matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from model.model import ClusterModel
from model.presets import preset
from model.state import FirmTable, LinkKind

__all__ = ["ValidationRun", "group_sizes", "validation_run"]

MIN_SIZE = 1.0
"""Groups smaller than one employee in either year give no growth rate (log of ~0)."""


@dataclass(frozen=True)
class ValidationRun:
    """Raw material of one validation simulation."""

    seed: int
    preset: str
    overrides: dict[str, Any]
    panel: np.ndarray  # (T + 1, R, P) employment
    phi: np.ndarray  # (P, P) industry relatedness used by the model
    establishment_sizes: np.ndarray  # employees of alive firms (establishments) at the end
    group_sizes: np.ndarray  # employees of alive groups at the end
    group_growth: np.ndarray  # (n, 2): size at t and ln(S_t+1 / S_t) of surviving groups
    edges: np.ndarray  # (m, 2) firm ids of active firm-firm collaboration links at the end
    clusters: pd.DataFrame
    timeseries: pd.DataFrame
    economy: dict[str, Any] = field(default_factory=dict)


def group_sizes(firms: FirmTable, n_ids: int) -> np.ndarray:
    """Employees of each group (indexed by the founder's id) summed over its alive firms."""
    live = firms.alive
    return np.bincount(firms.group[live], weights=firms.employees[live], minlength=n_ids)


def _edges(model: ClusterModel) -> np.ndarray:
    """Active firm-firm collaboration links as pairs of firm ids (alive ends only)."""
    ws = model.state
    links, f = ws.links, ws.firms
    live = links.active & (links.kind == LinkKind.COLLABORATION)
    a, b = links.a[live], links.b[live]
    both = f.alive[a] & f.alive[b]
    return np.column_stack([f.id[a[both]], f.id[b[both]]])


def _economy(model: ClusterModel) -> dict[str, Any]:
    """Identify the economy the run used (its builder and, if set, its seed)."""
    world = model.params.world
    out: dict[str, Any] = {"economy": str(getattr(world.economy, "value", world.economy))}
    if hasattr(world, "economy_seed"):
        out["economy_seed"] = world.economy_seed
    return out


def validation_run(
    seed: int, steps: int, overrides: dict[str, Any], preset_name: str = "baseline"
) -> ValidationRun:
    r"""Run one model of a preset (plus overrides) and collect its material.

    A group is a founding firm and the divisions it opened (``FirmTable.group``); its size
    is the employment of its alive firms. Group growth rates are
    :math:`\ln(S_{t+1} / S_t)` of groups with at least one employee in both years, paired
    with :math:`S_t`, pooled over the run.
    """
    model = ClusterModel(params=preset(preset_name, **overrides), rng=int(seed))
    try:
        growth = []
        before = group_sizes(model.state.firms, model.state.firm_ids_issued)
        for _ in range(steps):
            model.step()
            now = group_sizes(model.state.firms, model.state.firm_ids_issued)[: before.size]
            both = (before >= MIN_SIZE) & (now >= MIN_SIZE)
            growth.append(np.column_stack([before[both], np.log(now[both] / before[both])]))
            before = group_sizes(model.state.firms, model.state.firm_ids_issued)
        f = model.state.firms
        final = group_sizes(f, model.state.firm_ids_issued)
        return ValidationRun(
            seed=int(seed),
            preset=preset_name,
            overrides=dict(overrides),
            panel=np.stack(model.recorder.panel),
            phi=model.state.industries.relatedness.copy(),
            establishment_sizes=f.employees[f.alive & (f.employees > 0)].copy(),
            group_sizes=final[final > 0],
            group_growth=np.concatenate(growth) if growth else np.zeros((0, 2)),
            edges=_edges(model),
            clusters=pd.DataFrame(model.recorder.cluster_rows),
            timeseries=pd.DataFrame(model.recorder.rows),
            economy=_economy(model),
        )
    finally:
        model.release()
