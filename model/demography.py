"""Demography: exit after sustained losses, spin-offs near parents, local and outside entry.

New firms (spin-offs, academic spin-offs, entrants, and the divisions of
:mod:`clusterlab.model.diversification`) are added through :func:`add_firms`, which places them,
assigns them to the nearby cluster and logs their birth. Spin-offs inherit their
parent's competences and some carry them into another industry (Klepper 2007); local
entrants locate by related employment, while outside entrants bring the know-how of an
industry from another region and ignore the host's industry mix, the agents of unrelated
regional diversification (Neffke, Hartog, Boschma & Henning 2018).

References
----------
Klepper, S. (2007). Disagreements, spinoffs, and the evolution of Detroit as the capital
of the U.S. automobile industry. Management Science, 53(4), 616-631.
https://doi.org/10.1287/mnsc.1060.0683
Neffke, F., Hartog, M., Boschma, R., & Henning, M. (2018). Agents of structural change:
the role of firms and entrepreneurs in regional diversification. Economic Geography,
94(1), 23-48. https://doi.org/10.1080/00130095.2017.1391691
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.learning import spillover_kernel
from clusterlab.model.ordering import stable_order
from clusterlab.model.params import ModelParams
from clusterlab.model.state import LinkKind, Origin, WorldState
from clusterlab.model.world import initial_knowledge

__all__ = [
    "academic_spinoffs",
    "add_firms",
    "entrants",
    "exits",
    "fit_weighted_industries",
    "outside_entrants",
    "regional_means",
    "spinoffs",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

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
    d = ws.geo.distance(x[:, None] - orgs.x[None, :], y[:, None] - orgs.y[None, :])
    d = np.where(orgs.region[None, :] == region[:, None], d, np.inf)
    best = np.argmin(d, axis=1)
    return np.where(d[np.arange(x.size), best] <= reach, best, -1)


def add_firms(ws: WorldState, params: ModelParams, **cols: npt.ArrayLike) -> IntArray:
    """Append new firms and log their births.

    ``cols`` must give x, y, industry, origin, parent, knowledge, productivity, employees,
    cash and cluster; ids, region and bookkeeping columns are filled here. ``parent`` is
    the parent's row (or -1, or -1 - u for university u); the table keeps the parent's
    id. A division joins its parent's group; any other new firm founds its own.
    """
    x = np.asarray(cols["x"], np.int64)
    n = x.size
    if n == 0:
        return np.zeros(0, np.int64)
    y = np.asarray(cols["y"], np.int64)
    f = ws.firms
    parent = np.asarray(cols.pop("parent"), np.int64).copy()
    firm_parent = np.flatnonzero(parent >= 0)
    ids = ws.new_firm_ids(n)
    group = ids.copy()
    division = firm_parent[np.asarray(cols["origin"])[firm_parent] == Origin.DIVISION]
    group[division] = f.group[parent[division]]
    parent[firm_parent] = f.id[parent[firm_parent]]
    region = ws.geo.region_of_cell[x, y]
    # A firm that lands outside its parent's region cannot belong to the parent's cluster.
    cluster = np.asarray(cols.pop("cluster"), np.int64)
    if len(ws.orgs):
        cluster = np.where((cluster >= 0) & (ws.orgs.region[cluster] == region), cluster, -1)
    employees = np.asarray(cols["employees"], float)
    revenue = employees * params.market.output_per_employee * np.asarray(cols["productivity"])
    idx = f.append(
        id=ids,
        group=group,
        parent=parent,
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
    ws.events.add(
        "birth",
        step=np.full(n, ws.step),
        firm=ids,
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
    broke = (f.loss_streak >= dem.exit_after_losses) & (f.cash < 0.0)
    out = np.flatnonzero(f.alive & (broke | (f.employees < dem.min_employees)))
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
        firm=f.id[out],
        region=f.region[out],
        cluster=f.cluster[out],
        industry=f.industry[out],
        age=ws.step - f.born[out],
        employees=f.employees[out],
    )
    return out


def spinoffs(
    ws: WorldState,
    params: ModelParams,
    rng: np.random.Generator,
    open_market: BoolArray | None = None,
) -> IntArray:
    """Profitable firms spawn small firms near themselves, most in the parent's industry.

    A firm with margin profit/revenue >= ``spinoff_min_margin`` spawns one with
    probability ``spinoff_rate``. The spin-off lands within ``spinoff_radius`` cells,
    copies 85-100% of each parent expertise, has productivity parent x LogN(-0.05, 0.1),
    ``entrant_employees`` employees and one year of their wages as cash. Spin-offs inherit
    their parent's competences (Klepper 2007); a share ``spinoff_related_share`` of them
    carry these into another industry with an open market (``open_market``, default
    all), drawn with probability proportional to fit^4 of the inherited knowledge (as
    academic spin-offs choose), so mostly a related one.
    """
    f, dem = ws.firms, params.demography
    # A revenue of a few subnormal euros makes the margin overflow to +-inf, which compares
    # with the threshold as the huge margin it is: the overflow is expected, not an error.
    with np.errstate(over="ignore"):
        margin = np.divide(f.profit, f.revenue, out=np.zeros(len(f)), where=f.revenue > 0)
    parents = np.flatnonzero(f.alive & (margin >= dem.spinoff_min_margin))
    parents = parents[rng.random(parents.size) < dem.spinoff_rate]
    x, y = near_cells(ws, f.x[parents], f.y[parents], dem.spinoff_radius, rng)
    n = parents.size
    knowledge = f.knowledge[parents] * rng.uniform(0.85, 1.0, size=(n, ws.space.n_fields))
    industry = f.industry[parents].copy()
    move = rng.random(n) < dem.spinoff_related_share
    if open_market is None:
        open_market = np.ones(ws.industries.n, bool)
    industry[move] = fit_weighted_industries(
        knowledge[move], ws.industries.recipes, industry[move], open_market, rng
    )
    return add_firms(
        ws,
        params,
        x=x,
        y=y,
        industry=industry,
        origin=np.full(n, Origin.SPINOFF),
        parent=parents,
        cluster=f.cluster[parents],
        knowledge=knowledge,
        productivity=f.productivity[parents] * np.exp(-0.05 + 0.1 * rng.standard_normal(n)),
        employees=np.full(n, dem.entrant_employees),
        cash=np.full(n, dem.entrant_employees * params.market.wage_per_employee),
    )


def fit_weighted_industries(
    knowledge: FloatArray,
    recipes: FloatArray,
    current: IntArray,
    open_market: BoolArray,
    rng: np.random.Generator,
) -> IntArray:
    """Draw for each row an open industry other than ``current``, with probability ∝ fit^4.

    A row with no other open industry keeps its current one. One uniform per row.
    """
    weight = np.where(open_market[None, :], (knowledge @ recipes.T) ** 4, 0.0)
    weight[np.arange(current.size), current] = 0.0
    pick = _draw_rows(weight, rng)
    return np.where(pick >= 0, pick, current)


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
        productivity=incumbent_productivity(ws, industry) * np.exp(0.1 * rng.standard_normal(n)),
        employees=np.full(n, dem.entrant_employees),
        cash=np.full(n, dem.entrant_employees * params.market.wage_per_employee),
    )


def incumbent_productivity(ws: WorldState, industry: IntArray) -> FloatArray:
    r"""Productivity an entrant of each given industry imitates: the incumbents' mean.

    Employment-weighted geometric mean :math:`\exp(\sum_i E_i \ln\theta_i / \sum_i E_i)`
    over the industry's alive firms (over all alive firms if it has none; 1 if none is
    alive). New firms start from the technology their industry uses by then, not from
    the level of year 0 (Luttmer 2007, QJE 122, 1103: entrants draw from the incumbents'
    productivity distribution), so they can compete once incumbents have innovated.
    """
    f = ws.firms
    live = np.flatnonzero(f.alive & (f.employees > 0))
    if live.size == 0:
        return np.ones(industry.size)
    emp, logp = f.employees[live], np.log(f.productivity[live])
    n = ws.industries.n
    total = np.bincount(f.industry[live], weights=emp, minlength=n)
    mean = np.bincount(f.industry[live], weights=emp * logp, minlength=n)
    overall = float((emp * logp).sum() / emp.sum())
    mean = np.divide(mean, total, out=np.full(n, overall), where=total > 0)
    return np.exp(mean[industry])


ENTRY_FLOOR = 1e-3
"""Weight of every cell in the entrants' location choice besides related employment."""


def entry_cells(
    ws: WorldState, industry: IntArray, kernel: FloatArray, rng: np.random.Generator
) -> IntArray:
    r"""Cells (``x * side + y``) of entrants of the given industries: agglomeration.

    An entrant of industry q lands on cell c with probability proportional to

    .. math:: w_{cq} = \epsilon + \sum_i E_i\,(\phi_{p_i q} + [p_i = q])\,K(c - c_i),

    the sum over alive firms i (employees E, industry p, cell c_i), K the spillover kernel
    (cut at the grid's edges), φ the industry relatedness and ε = :data:`ENTRY_FLOOR`,
    which keeps every cell possible.

    Notes
    -----
    Drawn as the mixture this weight is, without forming it cell by cell: with total
    weight :math:`\epsilon\, S^2` a uniform cell of the S x S grid; otherwise firm i
    with probability proportional to :math:`E_i (\phi_{p_i q} + [p_i = q]) M_i`, where
    :math:`M_i` is the kernel's mass on the grid around :math:`c_i` (an industry p first,
    then a firm of p), and then the offset c - c_i with probability proportional to K,
    redrawn while it falls off the grid. Cost: one pass over the alive firms per call and
    a few uniforms per entrant, instead of a convolution of the whole grid per industry.
    """
    f = ws.firms
    side, n_ind = ws.geo.side, ws.industries.n
    live = np.flatnonzero(f.alive)
    live = live[stable_order(f.industry[live])]  # grouped by industry
    mass = f.employees[live] * _kernel_mass_on_grid(kernel, f.x[live], f.y[live], side)
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    bounds = np.searchsorted(f.industry[live], np.arange(n_ind + 1))
    by_industry = np.diff(cum[bounds])  # (P,): sum of E_i M_i in each industry
    related = ws.industries.relatedness[:, industry] + (
        np.arange(n_ind)[:, None] == industry[None, :]
    )  # (P, n)
    if (related < 0).any():
        raise ValueError("industry relatedness must be >= 0 for the entrants' location choice")
    # components of each entrant's mixture: the uniform floor, then one per industry
    weight = np.vstack(
        [np.full((1, industry.size), ENTRY_FLOOR * side * side), related * by_industry[:, None]]
    )
    cumw = np.cumsum(weight, axis=0)
    u = rng.random(industry.size) * cumw[-1]
    comp = np.minimum((u[None, :] >= cumw).sum(axis=0), n_ind)  # first component above u
    cells = np.empty(industry.size, np.int64)
    floor = comp == 0
    cells[floor] = np.minimum(
        (rng.random(int(floor.sum())) * side * side).astype(np.int64), side * side - 1
    )
    p = comp[~floor] - 1  # source industry
    lo, hi = cum[bounds[p]], cum[bounds[p + 1]]
    at = np.searchsorted(cum, lo + rng.random(p.size) * (hi - lo), "right") - 1
    source = live[np.clip(at, bounds[p], bounds[p + 1] - 1)]
    cells[~floor] = _kernel_offsets(kernel, f.x[source], f.y[source], side, rng)
    return cells


def _kernel_mass_on_grid(kernel: FloatArray, x: IntArray, y: IntArray, side: int) -> FloatArray:
    """Sum of the kernel's entries whose offset from (x, y) stays on the grid.

    From the kernel's summed-area table: the offsets on the grid form a rectangle.
    """
    reach = kernel.shape[0] // 2
    table = np.zeros((kernel.shape[0] + 1, kernel.shape[1] + 1))
    table[1:, 1:] = kernel.cumsum(0).cumsum(1)
    x0, x1 = np.maximum(reach - x, 0), np.minimum(reach + side - x, 2 * reach + 1)
    y0, y1 = np.maximum(reach - y, 0), np.minimum(reach + side - y, 2 * reach + 1)
    return table[x1, y1] - table[x0, y1] - table[x1, y0] + table[x0, y0]


def _kernel_offsets(
    kernel: FloatArray, x: IntArray, y: IntArray, side: int, rng: np.random.Generator
) -> IntArray:
    """Cells (x + dx, y + dy) with (dx, dy) drawn from the kernel, redrawn off the grid."""
    reach = kernel.shape[0] // 2
    cum = np.cumsum(kernel.ravel())
    cells = np.empty(x.size, np.int64)
    todo = np.arange(x.size)
    while todo.size:
        k = np.searchsorted(cum, rng.random(todo.size) * cum[-1], "right")
        dx, dy = np.divmod(np.minimum(k, cum.size - 1), kernel.shape[1])
        cx, cy = x[todo] + dx - reach, y[todo] + dy - reach
        on = (cx >= 0) & (cx < side) & (cy >= 0) & (cy < side)
        cells[todo[on]] = cx[on] * side + cy[on]
        todo = todo[~on]
    return cells


def entrants(
    ws: WorldState, params: ModelParams, demand: FloatArray, rng: np.random.Generator
) -> IntArray:
    """Poisson(entry_rate x n_firms) exogenous entrants, local ones and outside agents.

    Entry is a flow scaled to the size of the economy (``n_firms``, the number of firms
    it starts with), not to the number of incumbents: new firms arrive at a rate set by
    the population of potential founders (Luttmer 2007, QJE 122, 1103,
    doi:10.1162/qjec.122.3.1103; Simon 1955), so that the number of firms settles where
    exits balance entry instead of drifting with the incumbents' own fortunes. Together
    with exit below ``min_employees`` this is the lower barrier that keeps the
    proportional growth of :mod:`clusterlab.model.market` stationary and gives a Zipf tail (Gabaix
    1999, QJE 114, 739). Each entrant is an outside agent (:func:`outside_entrants`) with
    probability ``outside_entry_share``. A local entrant picks an industry with
    probability proportional to its demand, and a cell by :func:`entry_cells`
    (agglomeration). With no firm alive there is no entrant (entrants' cells follow the
    employment of alive firms).
    """
    f, dem = ws.firms, params.demography
    n = rng.poisson(dem.entry_rate * params.world.n_firms) if f.alive.any() else 0
    if n == 0:
        return np.zeros(0, np.int64)
    n_out = rng.binomial(n, dem.outside_entry_share)
    n -= n_out
    industry = rng.choice(ws.industries.n, size=n, p=demand / demand.sum())
    kernel = spillover_kernel(params.learning.spillover_distance)
    x, y = np.divmod(entry_cells(ws, industry, kernel, rng), ws.geo.side)
    local = add_firms(
        ws,
        params,
        x=x,
        y=y,
        industry=industry,
        origin=np.full(n, Origin.ENTRANT),
        parent=np.full(n, -1),
        cluster=nearby_cluster(ws, x, y, 2 * params.world.cluster_spread),
        knowledge=initial_knowledge(ws.industries.recipes, industry, rng),
        productivity=incumbent_productivity(ws, industry) * np.exp(0.15 * rng.standard_normal(n)),
        employees=np.full(n, dem.entrant_employees),
        cash=np.full(n, dem.entrant_employees * params.market.wage_per_employee),
    )
    return np.concatenate([local, outside_entrants(ws, params, demand, n_out, rng)])


def regional_means(ws: WorldState) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Employment (R, P), mean knowledge (R, P, K) and productivity (R, P) of alive firms.

    Means are employment-weighted over the alive firms of each region and industry.
    """
    f, n_reg, n_ind = ws.firms, ws.geo.n_regions, ws.industries.n
    live = np.flatnonzero(f.alive)
    cell = f.region[live] * n_ind + f.industry[live]
    emp = f.employees[live]
    e = np.bincount(cell, weights=emp, minlength=n_reg * n_ind)
    k = ws.space.n_fields
    # one weighted count per (cell, field): each bin adds its firms in row order, as
    # np.add.at did, so the sums are the same to the bit (and faster)
    know = np.bincount(
        (cell[:, None] * k + np.arange(k)).ravel(),
        weights=(emp[:, None] * f.knowledge[live]).ravel(),
        minlength=n_reg * n_ind * k,
    ).reshape(n_reg * n_ind, k)
    prod = np.bincount(cell, weights=emp * f.productivity[live], minlength=n_reg * n_ind)
    w = np.where(e > 0, e, 1.0)
    shape = (n_reg, n_ind)
    return e.reshape(shape), (know / w[:, None]).reshape(*shape, -1), (prod / w).reshape(shape)


def outside_entrants(
    ws: WorldState, params: ModelParams, demand: FloatArray, n: int, rng: np.random.Generator
) -> IntArray:
    r"""``n`` entrants that bring an industry's know-how from another region.

    Outside agents (new establishments of firms and entrepreneurs from elsewhere) are the
    main source of unrelated diversification of regions (Neffke, Hartog, Boschma &
    Henning 2018). Each picks a host region with probability proportional to its alive
    firms, then an industry q with probability proportional to its demand among the
    industries with employment in some other region (know-how to bring), then a source
    region r' != host with probability proportional to its employment in q. It brings the
    source's know-how: knowledge :math:`\bar k_{r'q} U`, U ~ U(0.85, 1) per field, and
    productivity :math:`\bar\theta_{r'q} e^{-0.05 + 0.1 Z}` (employment-weighted means
    of the source's firms of q), and lands on a uniform cell of the host region, so its
    choice ignores the host's industry mix: often an industry the host lacks.
    """
    f, dem, n_reg = ws.firms, params.demography, ws.geo.n_regions
    if n == 0 or n_reg < 2 or not f.alive.any():
        return np.zeros(0, np.int64)
    emp, know, prod = regional_means(ws)
    host = rng.choice(
        n_reg, size=n, p=np.bincount(f.region[f.alive], minlength=n_reg) / f.alive.sum()
    )
    elsewhere = emp.sum(axis=0)[None, :] - emp[host]  # (n, P) employment outside the host
    weight = np.where(elsewhere > 0, demand[None, :], 0.0)
    q = _draw_rows(weight, rng)
    src_w = np.where(np.arange(n_reg)[None, :] != host[:, None], emp[:, q].T, 0.0)
    src = _draw_rows(src_w, rng)
    keep = (q >= 0) & (src >= 0)
    host, q, src = host[keep], q[keep], src[keep]
    m = host.size
    x, y = ws.geo.random_cells(host, rng)
    knowledge = know[src, q] * rng.uniform(0.85, 1.0, size=(m, ws.space.n_fields))
    return add_firms(
        ws,
        params,
        x=x,
        y=y,
        industry=q,
        origin=np.full(m, Origin.OUTSIDE_ENTRANT),
        parent=np.full(m, -1),
        cluster=nearby_cluster(ws, x, y, 2 * params.world.cluster_spread),
        knowledge=knowledge,
        productivity=prod[src, q] * np.exp(-0.05 + 0.1 * rng.standard_normal(m)),
        employees=np.full(m, dem.entrant_employees),
        cash=np.full(m, dem.entrant_employees * params.market.wage_per_employee),
    )


def _draw_rows(weight: FloatArray, rng: np.random.Generator) -> IntArray:
    """Draw a column per row with probability ∝ its weight (-1 for a row of zeros)."""
    u = rng.random(weight.shape[0])
    cum = np.cumsum(weight, axis=1)
    total = cum[:, -1] if weight.shape[1] else np.zeros(weight.shape[0])
    pick = np.minimum((cum <= (u * total)[:, None]).sum(axis=1), max(weight.shape[1] - 1, 0))
    return np.where(total > 0, pick, -1)
