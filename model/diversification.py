"""Diversification: firms open divisions in industries their knowledge fits.

Firms are defined by competences, not by their current product: a firm whose knowledge
fits another industry's recipe well enough, and that has the cash, may open a division
there (a new firm beside it). Regions diversify as the sum of these moves.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from model.demography import add_firms, near_cells
from model.knowledge import recipe_fit
from model.params import ModelParams
from model.state import Origin, WorldState

__all__ = ["diversification_targets", "diversify"]

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


def diversification_targets(
    fit: FloatArray, present: BoolArray, open_market: BoolArray, threshold: float
) -> tuple[IntArray, BoolArray]:
    """Best new industry of each firm and whether it is good enough to enter.

    Parameters
    ----------
    fit : ndarray, shape (n, P)
    present : ndarray of bool, shape (n, P)
        Industries the firm is already in.
    open_market : ndarray of bool, shape (P,)
        Industries with positive demand (entry there makes sense).
    threshold : float
        Least fit to enter.

    Returns
    -------
    target : ndarray of int, shape (n,)
        argmax of fit over allowed industries.
    eligible : ndarray of bool, shape (n,)
        Whether that best fit reaches the threshold.
    """
    allowed = np.where(~present & open_market[None, :], fit, -np.inf)
    target = np.argmax(allowed, axis=1)
    best = allowed[np.arange(fit.shape[0]), target]
    return target, best >= threshold


def diversify(
    ws: WorldState,
    params: ModelParams,
    demand_growing: BoolArray,
    rng: np.random.Generator,
) -> IntArray:
    """Open this year's divisions; parents pay ``division_cost``. Returns new firm rows."""
    f, div = ws.firms, params.diversification
    live = np.flatnonzero(
        f.alive & (ws.step - f.born >= MIN_AGE) & (f.cash >= div.division_cost) & (f.profit > 0)
    )
    fit = recipe_fit(f.knowledge[live], ws.industries.recipes)
    target, eligible = diversification_targets(
        fit, present_industries(ws)[live], demand_growing, div.fit_threshold
    )
    go = eligible & (rng.random(live.size) < div.diversification_rate)
    parents, industry = live[go], target[go]
    f.cash[parents] -= div.division_cost
    x, y = near_cells(ws, f.x[parents], f.y[parents], 1, rng)
    n = parents.size
    return add_firms(
        ws,
        params,
        x=x,
        y=y,
        industry=industry,
        origin=np.full(n, Origin.DIVISION),
        parent=parents,
        cluster=f.cluster[parents],
        knowledge=f.knowledge[parents],
        productivity=0.9 * f.productivity[parents],
        employees=np.full(n, div.division_employees),
        cash=np.full(n, 0.5 * div.division_cost),
    )
