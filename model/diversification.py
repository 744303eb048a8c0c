"""Diversification: firms open divisions in industries chosen by expected profit.

Regional branching (Frenken & Boschma 2007): regions diversify as their firms open new
establishments in industries their competences fit, so new industries grow out of
related ones (Neffke, Henning & Boschma 2011). A firm defined by its competences, not by
its product, weighs the industries its group is not in by expected profitability and
picks one with a multinomial-logit (random-utility) choice (McFadden 1974): the
best-valued industry most often, others with a probability that falls with their value
(:func:`choice_probabilities`). Knowledge moved along links and by innovation raises fit
to other industries, and fit is read by the choice, so linked firms diversify more and
further. The parent group finances the new unit through a start-up period
(:func:`support_startups`): it covers its losses and keeps its start-up team, so that a
unit with a still poor fit can learn by doing and grow to local scale instead of dying in
its first years (Boschma & Wenting 2007: entrants with related experience survive
better; Klepper 2007: inherited competences shape survival; Dunne, Roberts & Samuelson
1988: plants of diversifying firms enter larger and survive longer than new firms). The
new unit knows what its parent knows plus what it hires: a share of the region's
know-how in its industry (labour mobility; Boschma, Eriksson & Lindgren 2009).

References
----------
Boschma, R., Eriksson, R., & Lindgren, U. (2009). How does labour mobility affect the
performance of plants? Journal of Economic Geography, 9(2), 169-190.
https://doi.org/10.1093/jeg/lbn041
Boschma, R., & Wenting, R. (2007). The spatial evolution of the British automobile
industry: does location matter? Industrial and Corporate Change, 16(2), 213-238.
https://doi.org/10.1093/icc/dtm004
Dunne, T., Roberts, M. J., & Samuelson, L. (1988). Patterns of firm entry and exit in
U.S. manufacturing industries. RAND Journal of Economics, 19(4), 495-515.
Frenken, K., & Boschma, R. (2007). A theoretical framework for evolutionary economic
geography: industrial dynamics and urban growth as a branching process. Journal of
Economic Geography, 7(5), 635-649. https://doi.org/10.1093/jeg/lbm018
Klepper, S. (2007). Disagreements, spinoffs, and the evolution of Detroit as the capital
of the U.S. automobile industry. Management Science, 53(4), 616-631.
https://doi.org/10.1287/mnsc.1060.0683
McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
P. Zarembka (Ed.), Frontiers in Econometrics (pp. 105-142). Academic Press.
Neffke, F., Henning, M., & Boschma, R. (2011). How do regions diversify over time?
Economic Geography, 87(3), 237-265. https://doi.org/10.1111/j.1944-8287.2011.01121.x
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.demography import add_firms, near_cells, regional_means
from clusterlab.model.knowledge import recipe_fit
from clusterlab.model.params import ModelParams
from clusterlab.model.state import Origin, WorldState

__all__ = [
    "choice_probabilities",
    "diversify",
    "draw_choices",
    "expected_values",
    "present_industries",
    "support_startups",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MIN_AGE = 2
"""Years a firm must have existed before it may open a division."""


def present_industries(ws: WorldState) -> BoolArray:
    """(n_firms, P): industries where a firm's group (itself, parent, divisions) is present.

    A group is a founding firm and the divisions opened by it or by its divisions
    (``group``, the founder's id); it is present where any of its alive firms is.
    """
    f = ws.firms
    group_has = np.zeros((ws.firm_ids_issued, ws.industries.n), dtype=bool)
    live = np.flatnonzero(f.alive)
    group_has[f.group[live], f.industry[live]] = True  # industries of the group's alive firms
    return group_has[f.group] | (np.arange(ws.industries.n)[None, :] == f.industry[:, None])


def expected_values(
    fit: FloatArray, demand: FloatArray, n_firms: FloatArray, growth: FloatArray, cost: float
) -> FloatArray:
    r"""Value each industry by expected entry profit: fit x market per firm - cost.

    .. math:: V_{iq} = f_{iq}\,\frac{Y_q}{N_q + 1}\,(1 + g_q) - c_{\mathrm{div}},

    f the recipe fit, Y the total demand (M€/year), N the alive firms of the industry
    (the entrant makes N + 1), g the expected growth of its final demand and c the
    one-off cost of opening the unit (M€).

    Examples
    --------
    >>> v = expected_values(np.array([[0.5, 1.0]]), np.array([10.0, 4.0]),
    ...                     np.array([4.0, 1.0]), np.array([0.0, 0.5]), 0.2)
    >>> v.round(6).tolist()  # [0.5 * 10/5 - 0.2, 1.0 * 4/2 * 1.5 - 0.2]
    [[0.8, 2.8]]
    """
    per_firm = demand / (np.asarray(n_firms, np.float64) + 1.0) * (1.0 + growth)
    return fit * per_firm[None, :] - cost


def choice_probabilities(values: FloatArray, allowed: BoolArray, temperature: float) -> FloatArray:
    r"""Multinomial-logit probabilities of each target, relative to the best option.

    .. math:: P_{iq} = \frac{\exp(z_{iq} / T)}{\sum_{r \in A_i} \exp(z_{ir} / T)},
       \quad z_{iq} = V_{iq} / \max_{r \in A_i} V_{ir},

    over the candidates :math:`A_i`: allowed industries with positive value. T is a
    share of the best value (dimensionless): T -> 0 is the deterministic best choice, a
    large T a uniform draw among the candidates. A row with no candidate is all zeros.

    Examples
    --------
    >>> p = choice_probabilities(np.array([[2.0, 1.0, 5.0]]),
    ...                          np.array([[True, True, False]]), 0.5)
    >>> p.round(4).tolist()  # z = [1, 0.5]: e^0 : e^-1 = 0.7311 : 0.2689
    [[0.7311, 0.2689, 0.0]]
    """
    ok = allowed & (values > 0)
    best = np.where(ok, values, 0.0).max(axis=1, keepdims=True)
    z = np.divide(values, best, out=np.zeros_like(values), where=best > 0)
    weight = np.where(ok, np.exp((np.minimum(z, 1.0) - 1.0) / temperature), 0.0)
    total = weight.sum(axis=1, keepdims=True)
    return np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)


def draw_choices(prob: FloatArray, rng: np.random.Generator) -> IntArray:
    """One category per row drawn from its probabilities; -1 for a row of zeros.

    Draws one uniform per row, whatever the row holds (a fixed number of draws).
    """
    u = rng.random(prob.shape[0])
    cum = np.cumsum(prob, axis=1)
    choice = np.minimum((cum <= u[:, None] * cum[:, -1:]).sum(axis=1), prob.shape[1] - 1)
    return np.where(cum[:, -1] > 0, choice, -1) if prob.shape[1] else np.full(u.size, -1)


def _rows_of_ids(ids: IntArray, table_ids: IntArray) -> IntArray:
    """Rows of these ids in a sorted id column; -1 for ids no longer in it."""
    rows = np.minimum(np.searchsorted(table_ids, ids), max(table_ids.size - 1, 0))
    found = (table_ids.size > 0) & (table_ids[rows] == ids)
    return np.where(found, rows, -1)


def support_startups(ws: WorldState, params: ModelParams) -> IntArray:
    r"""Parents finance their divisions through the start-up period.

    A division aged 1 to ``startup_years`` whose parent is alive gets its loss
    :math:`\max(0, -\Pi_j)` paid from the parent's cash (pro rata when the parent cannot
    pay all its young divisions' losses: share :math:`\min(1, C_i / \sum_j L_j)`); a loss
    paid in full does not count toward exit (``loss_streak`` back to 0); and the parent
    keeps its start-up team (employment at least ``division_employees``). Cash moves
    within the group: the group's total cash is unchanged. Returns the supported rows.
    """
    f, div = ws.firms, params.diversification
    age = ws.step - f.born
    young = np.flatnonzero(
        f.alive & (f.origin == Origin.DIVISION) & (age >= 1) & (age <= div.startup_years)
    )
    parent = _rows_of_ids(f.parent[young], f.id)
    ok = parent >= 0
    ok[ok] = f.alive[parent[ok]]
    young, parent = young[ok], parent[ok]
    loss = np.maximum(-f.profit[young], 0.0)
    owed = np.bincount(parent, weights=loss, minlength=len(f))[parent]
    cash = np.maximum(f.cash[parent], 0.0)
    share = np.divide(cash, owed, out=np.ones_like(cash), where=owed > cash)
    pay = loss * np.minimum(share, 1.0)
    np.add.at(f.cash, parent, -pay)
    f.cash[parent[(owed > cash) & (cash > 0.0)]] = 0.0  # paid all it had: exactly 0
    f.cash[young] += pay
    f.loss_streak[young] = np.where(pay >= loss, 0, f.loss_streak[young])
    f.employees[young] = np.maximum(f.employees[young], div.division_employees)
    return young


def diversify(
    ws: WorldState,
    params: ModelParams,
    demand: FloatArray,
    rng: np.random.Generator,
) -> IntArray:
    """Support young divisions, then open this year's divisions. Returns new firm rows.

    An eligible firm (alive, age >= :data:`MIN_AGE`, cash >= ``division_cost``, positive
    profit) looks for a new industry with probability ``diversification_rate``; its
    candidates are industries its group is not in, with positive demand (open markets),
    fit >= ``fit_threshold`` and positive :func:`expected_values`; it picks one by
    :func:`choice_probabilities` and pays ``division_cost``.
    """
    support_startups(ws, params)
    f, div, ind = ws.firms, params.diversification, ws.industries
    live = np.flatnonzero(
        f.alive & (ws.step - f.born >= MIN_AGE) & (f.cash >= div.division_cost) & (f.profit > 0)
    )
    fit = recipe_fit(f.knowledge[live], ind.recipes)
    allowed = ~present_industries(ws)[live] & (demand > 0)[None, :] & (fit >= div.fit_threshold)
    m = params.market
    growth = np.where(ind.is_challenge, m.challenge_demand_growth, m.demand_growth)
    n_firms = np.bincount(f.industry[f.alive], minlength=ind.n)
    values = expected_values(fit, demand, n_firms, growth, div.division_cost)
    prob = choice_probabilities(values, allowed, div.choice_temperature)
    seek = rng.random(live.size) < div.diversification_rate
    target = draw_choices(prob, rng)
    go = seek & (target >= 0)
    parents, industry = live[go], target[go]
    f.cash[parents] -= div.division_cost
    x, y = near_cells(ws, f.x[parents], f.y[parents], 1, rng)
    n = parents.size
    know = regional_means(ws)[1][ws.geo.region_of_cell[x, y], industry]  # (n, K)
    return add_firms(
        ws,
        params,
        x=x,
        y=y,
        industry=industry,
        origin=np.full(n, Origin.DIVISION),
        parent=parents,
        cluster=f.cluster[parents],
        knowledge=np.maximum(f.knowledge[parents], div.hiring_share * know),
        productivity=div.division_productivity * f.productivity[parents],
        employees=np.full(n, div.division_employees),
        cash=np.full(n, 0.5 * div.division_cost),
    )
