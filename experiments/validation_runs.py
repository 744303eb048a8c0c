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

from clusterlab.model.cluster_model import ClusterModel
from clusterlab.model.presets import preset
from clusterlab.model.state import FirmTable, LinkKind

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
    edges: np.ndarray  # (m, 2) nodes of active collaboration and university links at the end
    first_university_node: int  # nodes from here on are universities (the rest are firms)
    clusters: pd.DataFrame
    timeseries: pd.DataFrame
    economy: dict[str, Any] = field(default_factory=dict)


def group_sizes(firms: FirmTable, n_ids: int) -> np.ndarray:
    """Employees of each group (indexed by the founder's id) summed over its alive firms."""
    live = firms.alive
    return np.bincount(firms.group[live], weights=firms.employees[live], minlength=n_ids)


def _edges(model: ClusterModel) -> np.ndarray:
    """Active knowledge links at the end as node pairs (alive firm ends only).

    Firms are nodes by id; university u is node ``firm_ids_issued + u``. The network is
    the one the literature measures: Powell et al. (2005, American Journal of Sociology
    110: 1132) count universities and public research organizations among the nodes of
    the life-science collaboration network, and Fleming, King & Juda (2007, Organization
    Science 18: 938) count every co-inventor, academic or not. Supply links are trade,
    not collaboration, and are left out.
    """
    ws = model.state
    links, f = ws.links, ws.firms
    live = links.active & (links.kind != LinkKind.SUPPLY)
    a, b = links.a[live], links.b[live]
    uni = links.kind[live] == LinkKind.UNIVERSITY
    firm_b = np.where(uni, 0, b)
    keep = f.alive[a] & (uni | f.alive[firm_b])
    node_b = np.where(uni, ws.firm_ids_issued + b, f.id[firm_b])
    return np.column_stack([f.id[a[keep]], node_b[keep]])


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
            first_university_node=int(model.state.firm_ids_issued),
            clusters=pd.DataFrame(model.recorder.cluster_rows),
            timeseries=pd.DataFrame(model.recorder.rows),
            economy=_economy(model),
        )
    finally:
        model.release()
