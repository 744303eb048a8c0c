"""Learning: by doing, by interacting along links, from local spillovers, at universities.

All functions return knowledge increments (or new knowledge) as arrays; expertise stays
in [0, 1].
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.kernels import add_gains, add_shortfall, doing_rows, local_knowledge
from clusterlab.model.knowledge import NodeKnowledge, absorptive_capacity
from clusterlab.model.params import ModelParams
from clusterlab.model.state import LinkKind, WorldState

__all__ = [
    "advance_universities",
    "imitate",
    "knowledge_moved",
    "learn_by_doing",
    "learn_from_partners",
    "link_pairs",
    "run_learning",
    "spillover_kernel",
    "spillover_targets",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def learn_by_doing(
    knowledge: FloatArray,
    industry: IntArray,
    recipes: FloatArray,
    rate: float,
    decay: float,
    rows: IntArray | None = None,
) -> FloatArray:
    r"""One year of learning by doing and forgetting.

    Parameters
    ----------
    knowledge : ndarray, shape (n, K)
    industry : ndarray of int, shape (n,)
        Industry of each row.
    recipes : ndarray, shape (P, K)
        Recipe weight of each field in each industry (0 where unused).
    rate, decay : float
        Learning rate on used fields and decay rate of unused ones (1/year).
    rows : ndarray of int, optional
        Rows that learn (the alive firms); the others are copied unchanged. Default: all.

    Returns
    -------
    ndarray, shape (n, K)

    Notes
    -----
    Used fields: :math:`k' = k + \rho\, (w / \max w)\,(1 - k)`, with w the industry's
    recipe, so the firm approaches mastery fastest on its recipe's main field. Unused
    fields: :math:`k' = (1 - \delta)\, k`.
    """
    share = recipes / np.maximum(recipes.max(axis=1, keepdims=True), 1e-12)
    out = np.array(knowledge, dtype=np.float64)  # a copy
    rows = np.arange(out.shape[0]) if rows is None else np.asarray(rows, np.int64)
    doing_rows(out, rows, np.asarray(industry, np.int64), recipes, share, rate, decay)
    return out


def learn_from_partners(
    nodes: NodeKnowledge,
    learner: IntArray,
    teacher: IntArray,
    rate: FloatArray | float,
    optimum: float,
    into: FloatArray,
) -> None:
    r"""Add what each learner gains from one partner to its row of ``into``.

    Parameters
    ----------
    nodes : NodeKnowledge
        Knowledge of firms and universities at the start of the year.
    learner : ndarray of int, shape (m,)
        Learning firm of each link end (a firm row, which is also its node).
    teacher : ndarray of int, shape (m,)
        Node of its partner.
    rate : float or ndarray, shape (m,)
        Learning rate at the optimal distance (1/year).
    optimum : float
        Optimal cognitive distance.
    into : ndarray, shape (n_firms, K)
        Knowledge being updated; a learner with several partners adds each gain, in order.

    Notes
    -----
    :math:`\Delta k = r\, A(d)\, \max(0, k^{partner} - k)`, with A the absorptive
    capacity at the pair's cognitive distance d: a firm learns where its partner knows
    more, and best from partners neither too close nor too far.
    """
    d = nodes.distance(learner, teacher)
    weight = np.broadcast_to(np.asarray(rate, dtype=np.float64), d.shape) * absorptive_capacity(
        d, optimum
    )
    add_gains(into, nodes.knowledge, learner, teacher, np.ascontiguousarray(weight))


def spillover_kernel(distance_scale: float) -> FloatArray:
    """Square kernel ``exp(-d / scale)`` (Euclidean d in cells) out to 3 scales."""
    radius = max(1, int(np.ceil(3 * distance_scale)))
    offsets = np.arange(-radius, radius + 1)
    d = np.hypot(offsets[:, None], offsets[None, :])
    return np.exp(-d / distance_scale)


def spillover_targets(
    x: IntArray,
    y: IntArray,
    employees: FloatArray,
    knowledge: FloatArray,
    side: int,
    kernel: FloatArray,
) -> FloatArray:
    r"""Employment-weighted local knowledge around each firm, excluding the firm itself.

    Returns
    -------
    ndarray, shape (n, K)
        :math:`L_i = \sum_{j \ne i} w(d_{ij}) E_j k_j / \sum_{j \ne i} w(d_{ij}) E_j`,
        with w the kernel; a firm with no neighbour in reach gets its own knowledge
        (nothing to learn).

    Notes
    -----
    Computed by :func:`clusterlab.model.kernels.local_knowledge` (numpy or numba): employment and
    employment-weighted knowledge are summed by grid cell, the kernel-weighted sums are
    taken over the occupied cells in reach of each occupied cell, and the firm's own
    contribution (kernel weight 1 at distance 0) is subtracted, which is exact for any
    number of firms per cell. It equals the FFT convolution of the employment rasters
    read at the firms' cells, up to rounding (tests/model/test_kernels.py).
    """
    for name, c in (("x", x), ("y", y)):
        if c.size and (c.min() < 0 or c.max() >= side):
            raise ValueError(
                f"spillover_targets: {name} must be cells of the grid, 0 to {side - 1}"
            )
    return local_knowledge(
        np.asarray(x, np.int64), np.asarray(y, np.int64), employees, knowledge, side, kernel
    )


def imitate(
    productivity: FloatArray,
    industry: IntArray,
    employees: FloatArray,
    n_industries: int,
    rate: float,
) -> FloatArray:
    r"""Laggards imitate: log productivity closes part of its gap to the industry mean.

    :math:`\ln p' = \ln p + \mu \max(0, \overline{\ln p}_{q} - \ln p)`, with the
    employment-weighted mean over the firm's industry q (Nelson & Winter 1982).
    """
    logp = np.log(productivity)
    total = np.bincount(industry, weights=employees, minlength=n_industries)
    mean = np.bincount(industry, weights=employees * logp, minlength=n_industries)
    mean = np.divide(mean, total, out=np.zeros(n_industries), where=total > 0)
    return np.exp(logp + rate * np.maximum(0.0, mean[industry] - logp))


def advance_universities(knowledge: FloatArray, home: BoolArray, rate: float) -> FloatArray:
    r"""Universities advance their home fields: :math:`k' = k + \rho (1 - k)`."""
    return np.where(home, knowledge + rate * (1.0 - knowledge), knowledge)


def link_pairs(ws: WorldState, include_supply: bool = True) -> tuple[IntArray, IntArray, BoolArray]:
    """Directed learning pairs (learner firm, teacher node, teacher is a university).

    Firm-firm links (supply and collaboration) teach both ways; a university teaches its
    firm partner. ``include_supply=False`` keeps only collaboration and university links.
    """
    links = ws.links
    live = links.active & (include_supply | (links.kind != LinkKind.SUPPLY))
    firm_firm = live & (links.kind != LinkKind.UNIVERSITY)
    uni = live & (links.kind == LinkKind.UNIVERSITY)
    learner = np.concatenate([links.a[firm_firm], links.b[firm_firm], links.a[uni]])
    teacher = np.concatenate([links.b[firm_firm], links.a[firm_firm], links.b[uni]])
    is_uni = np.concatenate(
        [np.zeros(2 * int(firm_firm.sum()), bool), np.ones(int(uni.sum()), bool)]
    )
    return learner, teacher, is_uni


def knowledge_moved(
    ws: WorldState, nodes: NodeKnowledge, params: ModelParams
) -> dict[str, FloatArray]:
    r"""Expertise gained along collaboration and university links this year, by region.

    The sum over learning pairs and fields of :math:`r\, A(d) \max(0, k^{partner} - k)`
    (the increments of :func:`learn_from_partners`, before clipping), by the region of
    the learning firm: ``knowledge_moved`` over all knowledge links and
    ``knowledge_moved_outside`` over those whose partner is a university or a firm of
    another cluster (or unclustered) or another region. A measure only: no state changes.
    """
    lp, f, n = params.learning, ws.firms, ws.geo.n_regions
    learner, teacher, is_uni = link_pairs(ws, include_supply=False)
    node = nodes.node(teacher, is_uni)
    rate = lp.interaction_rate * np.where(is_uni, lp.university_teaching_multiplier, 1.0)
    weight = rate * absorptive_capacity(
        nodes.distance(learner, node), lp.optimal_cognitive_distance
    )
    k = nodes.knowledge
    gain = weight * np.maximum(k[node] - k[learner], 0.0).sum(axis=1)
    firm = np.where(is_uni, 0, teacher)
    other = (f.cluster[learner] < 0) | (f.cluster[learner] != f.cluster[firm])
    outside = is_uni | other | (f.region[learner] != f.region[firm])
    region = f.region[learner]
    return {
        "knowledge_moved": np.bincount(region, weights=gain, minlength=n),
        "knowledge_moved_outside": np.bincount(region[outside], gain[outside], minlength=n),
    }


def run_learning(ws: WorldState, params: ModelParams) -> dict[str, FloatArray]:
    """One year of learning for all alive firms, then universities advance.

    All increments are computed from the knowledge at the start of the year (synchronous
    update) and the result is clipped to [0, 1]. Returns :func:`knowledge_moved`.
    """
    lp, f = params.learning, ws.firms
    live = np.flatnonzero(f.alive)
    # every row is alive in a model's year (exits come later): views instead of copies
    sel = slice(None) if live.size == len(f) else live
    old = f.knowledge
    recipes = ws.industries.recipes
    new = learn_by_doing(old, f.industry, recipes, lp.doing_rate, lp.knowledge_decay, live)
    learner, teacher, is_uni = link_pairs(ws)
    nodes = NodeKnowledge.of(old, ws.unis.knowledge, ws.space.proximity)
    rate = lp.interaction_rate * np.where(is_uni, lp.university_teaching_multiplier, 1.0)
    learn_from_partners(
        nodes, learner, nodes.node(teacher, is_uni), rate, lp.optimal_cognitive_distance, new
    )
    local = spillover_targets(
        f.x[sel],
        f.y[sel],
        f.employees[sel],
        old[sel],
        ws.geo.side,
        spillover_kernel(lp.spillover_distance),
    )
    moved = knowledge_moved(ws, nodes, params)
    add_shortfall(new, live, local, old, lp.spillover_rate)
    f.knowledge = np.clip(new, 0.0, 1.0, out=new)
    f.productivity[sel] = imitate(
        f.productivity[sel],
        f.industry[sel],
        f.employees[sel],
        ws.industries.n,
        lp.imitation_rate,
    )
    ws.unis.knowledge = advance_universities(
        ws.unis.knowledge, ws.unis.home_families, lp.university_advance_rate
    )
    return moved
