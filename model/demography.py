"""Demography: exit after sustained losses, spin-offs near parents, exogenous entry.

New firms (spin-offs, academic spin-offs, entrants, and the divisions of
:mod:`model.diversification`) are added through :func:`add_firms`, which places them,
assigns them to the nearby cluster and logs their birth.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from model.learning import convolve_same, raster, spillover_kernel
from model.params import ModelParams
from model.state import LinkKind, Origin, WorldState
from model.world import initial_knowledge

__all__ = [
    "academic_spinoffs",
    "add_firms",
    "entrants",
    "exits",
    "spinoffs",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ALIVE_DIED = np.iinfo(np.int64).max


def near_cells(
    ws: WorldState, x: IntArray, y: IntArray, radius: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Random cells within ``radius`` (Chebyshev) of the given cells, inside the grid."""
    dx = rng.integers(-radius, radius + 1, size=x.size)
    dy = rng.integers(-radius, radius + 1, size=y.size)
    side = ws.geo.side
    return np.clip(x + dx, 0, side - 1), np.clip(y + dy, 0, side - 1)


def nearby_cluster(ws: WorldState, x: IntArray, y: IntArray, reach: float) -> IntArray:
    """Cluster of the nearest organization within ``reach`` cells in the same region, or -1."""
    orgs = ws.orgs
    if len(orgs) == 0 or x.size == 0:
        return np.full(x.size, -1)
    region = ws.geo.region_of_cell[x, y]
    d = np.hypot(x[:, None] - orgs.x[None, :], y[:, None] - orgs.y[None, :])
    d = np.where(orgs.region[None, :] == region[:, None], d, np.inf)
    best = np.argmin(d, axis=1)
    return np.where(d[np.arange(x.size), best] <= reach, best, -1)


def add_firms(ws: WorldState, params: ModelParams, **cols: npt.ArrayLike) -> IntArray:
    """Append new firms and log their births.

    ``cols`` must give x, y, industry, origin, parent, knowledge, productivity, employees,
    cash and cluster; region and bookkeeping columns are filled here.
    """
    x = np.asarray(cols["x"], np.int64)
    n = x.size
    if n == 0:
        return np.zeros(0, np.int64)
    y = np.asarray(cols["y"], np.int64)
    region = ws.geo.region_of_cell[x, y]
    # A firm that lands outside its parent's region cannot belong to the parent's cluster.
    cluster = np.asarray(cols.pop("cluster"), np.int64)
    if len(ws.orgs):
        cluster = np.where((cluster >= 0) & (ws.orgs.region[cluster] == region), cluster, -1)
    employees = np.asarray(cols["employees"], float)
    revenue = employees * params.market.output_per_employee * np.asarray(cols["productivity"])
    idx = ws.firms.append(
        alive=np.ones(n, bool),
        region=region,
        cluster=cluster,
        born=np.full(n, ws.step),
        died=np.full(n, ALIVE_DIED),
        revenue=revenue,
        profit=np.zeros(n),
        rd_budget=np.zeros(n),
        rd_support=np.zeros(n),
        loss_streak=np.zeros(n, np.int64),
        **cols,
    )
    f = ws.firms
    ws.events.add(
        "birth",
        step=np.full(n, ws.step),
        firm=idx,
        region=f.region[idx],
        cluster=f.cluster[idx],
        industry=f.industry[idx],
        origin=f.origin[idx],
        parent=f.parent[idx],
    )
    return idx


def exits(ws: WorldState, params: ModelParams) -> IntArray:
    """Firms with ``exit_after_losses`` loss years in a row, or too small to go on, exit.

    A firm is too small when its employment has fallen below ``min_employees``. The links
    of exiting firms end. Returns the indices of the exiting firms.
    """
    f, dem = ws.firms, params.demography
    out = np.flatnonzero(
        f.alive & ((f.loss_streak >= dem.exit_after_losses) | (f.employees < dem.min_employees))
    )
    if out.size == 0:
        return out
    f.alive[out] = False
    f.died[out] = ws.step
    links = ws.links
    firm_b = links.kind != LinkKind.UNIVERSITY
    leaving = np.zeros(len(f), bool)
    leaving[out] = True
    gone = leaving[links.a] | (firm_b & leaving[np.where(firm_b, links.b, 0)])
    links.active[gone] = False
    ws.events.add(
        "death",
        step=np.full(out.size, ws.step),
        firm=out,
        region=f.region[out],
        cluster=f.cluster[out],
        industry=f.industry[out],
        age=ws.step - f.born[out],
        employees=f.employees[out],
    )
    return out


def spinoffs(ws: WorldState, params: ModelParams, rng: np.random.Generator) -> IntArray:
    """Profitable firms spawn small firms of their industry near themselves.

    A firm with margin profit/revenue >= ``spinoff_min_margin`` spawns one with
    probability ``spinoff_rate``. The spin-off lands within ``spinoff_radius`` cells,
    copies 85-100% of each parent expertise, has productivity parent x LogN(-0.05, 0.1),
    ``entrant_employees`` employees and one year of their wages as cash.
    """
    f, dem = ws.firms, params.demography
    margin = np.divide(f.profit, f.revenue, out=np.zeros(len(f)), where=f.revenue > 0)
    parents = np.flatnonzero(f.alive & (margin >= dem.spinoff_min_margin))
    parents = parents[rng.random(parents.size) < dem.spinoff_rate]
    x, y = near_cells(ws, f.x[parents], f.y[parents], dem.spinoff_radius, rng)
    n = parents.size
    return add_firms(
        ws,
        params,
        x=x,
        y=y,
        industry=f.industry[parents],
        origin=np.full(n, Origin.SPINOFF),
        parent=parents,
        cluster=f.cluster[parents],
        knowledge=f.knowledge[parents] * rng.uniform(0.85, 1.0, size=(n, ws.space.n_fields)),
        productivity=f.productivity[parents] * np.exp(-0.05 + 0.1 * rng.standard_normal(n)),
        employees=np.full(n, dem.entrant_employees),
        cash=np.full(n, dem.entrant_employees * params.market.wage_per_employee),
    )


def academic_spinoffs(ws: WorldState, params: ModelParams, rng: np.random.Generator) -> IntArray:
    """Universities create Poisson(rate) firms each in industries their knowledge fits.

    The industry is drawn with probability proportional to fit^4 (mostly the best fit);
    the firm knows 60% of the university's expertise and lands within 2 cells of it.
    """
    unis, dem = ws.unis, params.demography
    counts = rng.poisson(dem.university_spinoff_rate, size=len(unis))
    src = np.repeat(np.arange(len(unis)), counts)
    n = src.size
    if n == 0:
        return np.zeros(0, np.int64)
    fit = (unis.knowledge[src] @ ws.industries.recipes.T) ** 4
    cum = np.cumsum(fit / fit.sum(axis=1, keepdims=True), axis=1)
    industry = np.minimum((cum < rng.random((n, 1))).sum(axis=1), ws.industries.n - 1)
    x, y = near_cells(ws, unis.x[src], unis.y[src], 2, rng)
    return add_firms(
        ws,
        params,
        x=x,
        y=y,
        industry=industry,
        origin=np.full(n, Origin.ACADEMIC_SPINOFF),
        parent=-1 - src,
        cluster=nearby_cluster(ws, x, y, 2 * params.world.cluster_spread),
        knowledge=0.6 * unis.knowledge[src],
        productivity=np.exp(0.1 * rng.standard_normal(n)),
        employees=np.full(n, dem.entrant_employees),
        cash=np.full(n, dem.entrant_employees * params.market.wage_per_employee),
    )


def entry_weights(ws: WorldState, industries: IntArray, kernel: FloatArray) -> FloatArray:
    r"""Location weights of entrants: local employment in related industries.

    Returns
    -------
    ndarray, shape (len(industries), side, side)
        :math:`w_{xyq} = \epsilon + \sum_p (K * E_p)_{xy}\,(\phi_{pq} + [p = q])`, with
        :math:`E_p` the employment raster of industry p, K the spillover kernel and φ the
        industry relatedness; ε = 1e-3 keeps every cell possible.
    """
    f = ws.firms
    live = np.flatnonzero(f.alive)
    related = ws.industries.relatedness[:, industries] + (
        np.arange(ws.industries.n)[:, None] == industries[None, :]
    )
    side = ws.geo.side
    weight = f.employees[live, None] * related[f.industry[live]]  # (n_live, n_targets)
    smooth = convolve_same(raster(f.x[live] * side + f.y[live], weight, side), kernel)
    return np.maximum(smooth, 0.0) + 1e-3


def entrants(
    ws: WorldState, params: ModelParams, demand: FloatArray, rng: np.random.Generator
) -> IntArray:
    """Poisson(entry_rate x firms) exogenous entrants.

    Each picks an industry with probability proportional to its demand, and a cell with
    probability proportional to :func:`entry_weights` (agglomeration).
    """
    f, dem = ws.firms, params.demography
    n = rng.poisson(dem.entry_rate * f.alive.sum())
    if n == 0:
        return np.zeros(0, np.int64)
    industry = rng.choice(ws.industries.n, size=n, p=demand / demand.sum())
    kernel = spillover_kernel(params.learning.spillover_distance)
    cells = np.zeros(n, np.int64)
    targets = np.unique(industry)
    weights = entry_weights(ws, targets, kernel)
    for j, q in enumerate(targets):
        w = weights[j].ravel()
        sel = industry == q
        cells[sel] = rng.choice(w.size, size=int(sel.sum()), p=w / w.sum())
    x, y = np.divmod(cells, ws.geo.side)
    return add_firms(
        ws,
        params,
        x=x,
        y=y,
        industry=industry,
        origin=np.full(n, Origin.ENTRANT),
        parent=np.full(n, -1),
        cluster=nearby_cluster(ws, x, y, 2 * params.world.cluster_spread),
        knowledge=initial_knowledge(ws.industries.recipes, industry, rng),
        productivity=np.exp(0.15 * rng.standard_normal(n)),
        employees=np.full(n, dem.entrant_employees),
        cash=np.full(n, dem.entrant_employees * params.market.wage_per_employee),
    )
