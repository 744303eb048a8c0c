"""A new policy lever as an extension: innovation vouchers for SMEs (docs/extending.md).

Each year every alive SME of a region that has a university is offered a voucher of
``voucher_amount`` M€, paid from what is left of the region's policy budget once the
built-in instruments are paid (pro rata when too little is left: the budget is never
overspent). The voucher buys a small knowledge-transfer project with the nearest
university of the firm's region (grid distance; the lower index on a tie): the firm
learns from it as along a university link,

    Δk_f = r φ_g A(d) max(0, k_u,f - k_f)   for every field f, clipped to [0, 1],

with r = ``voucher_learning_rate``, φ_g the funded share of the vouchers of region g, and
A(d) the absorptive capacity at the firm's cognitive distance d to the university
(:func:`clusterlab.model.knowledge.absorptive_capacity`, Nooteboom et al. 2007). The money
goes to the university: the firm's cash is unchanged. Spending is booked to the
instrument ``innovation_voucher`` (time-series column ``spend_innovation_voucher``, part of
``spend_total`` and of the summary's ``policy_spend``); ``vouchers`` counts the vouchers
paid (in full-voucher equivalents). Nothing is paid while policy is off (burn-in).

The stage runs after ``learning``, so the voucher's learning adds to the year's.

References
----------
Cornet, M., Vroomen, B., & van der Steeg, M. (2006). Do innovation vouchers help SMEs to
cross the bridge towards science? CPB Discussion Paper 58, CPB Netherlands Bureau for
Economic Policy Analysis. (The Dutch voucher of EUR 7,500 let SMEs buy research from a
public knowledge institution; most vouchers bought projects that would not otherwise
have happened.)

Nooteboom, B., Van Haverbeke, W., Duysters, G., Gilsing, V., & van den Oord, A. (2007).
Optimal cognitive distance and absorptive capacity. Research Policy, 36(7), 1016-1034.
https://doi.org/10.1016/j.respol.2007.04.003
"""

from __future__ import annotations

import numpy as np

from clusterlab.model.extension import Extension, ExtensionParam
from clusterlab.model.knowledge import NodeKnowledge, absorptive_capacity
from clusterlab.model.params import ModelParams
from clusterlab.model.schedule import Stage, Year
from clusterlab.model.state import WorldState


def nearest_university(ws: WorldState, firms: np.ndarray) -> np.ndarray:
    """Row of the nearest university of each firm's region (-1: its region has none)."""
    f, u = ws.firms, ws.unis
    d = np.hypot(f.x[firms, None] - u.x[None, :], f.y[firms, None] - u.y[None, :])
    d = np.where(f.region[firms, None] == u.region[None, :], d, np.inf)
    if d.shape[1] == 0:
        return np.full(firms.size, -1)
    best = np.argmin(d, axis=1)  # the first (lowest index) of equally near ones
    return np.where(np.isfinite(d[np.arange(firms.size), best]), best, -1)


def pay_vouchers(ws: WorldState, params: ModelParams, rng: np.random.Generator, year: Year) -> None:
    """Pay this year's vouchers from the budget left and let the SMEs learn from them."""
    amount = year.settings["voucher_amount"]
    if not ws.policy_on or amount == 0.0:
        return
    f, n_regions = ws.firms, ws.geo.n_regions
    candidates = np.flatnonzero(f.alive & year.sme)
    uni = nearest_university(ws, candidates)
    firms, uni = candidates[uni >= 0], uni[uni >= 0]
    asked = amount * np.bincount(f.region[firms], minlength=n_regions)
    left = year.budget_left(params.policy.policy_budget)
    funded = np.divide(np.minimum(left, asked), asked, out=np.zeros(n_regions), where=asked > 0)
    year.book("innovation_voucher", asked * funded)
    year.record("vouchers", asked * funded / amount)
    nodes = NodeKnowledge.of(f.knowledge, ws.unis.knowledge, ws.space.proximity)
    distance = nodes.distance(firms, nodes.node(uni, np.ones(uni.size, bool)))
    optimum = params.learning.optimal_cognitive_distance
    weight = year.settings["voucher_learning_rate"] * funded[f.region[firms]]
    weight = weight * absorptive_capacity(distance, optimum)
    gap = np.maximum(ws.unis.knowledge[uni] - f.knowledge[firms], 0.0)
    f.knowledge[firms] = np.clip(f.knowledge[firms] + weight[:, None] * gap, 0.0, 1.0)


INNOVATION_VOUCHER = Extension(
    name="innovation_voucher",
    after="learning",
    stages=(
        Stage(
            name="innovation_vouchers",
            actors=("policy maker", "firm"),
            run=pay_vouchers,
            reads=("firms", "unis", "year.sme", "year.policy", "year.extra_spend"),
            writes=("firms.knowledge", "year.records", "year.extra_spend"),
            module="innovation_voucher",
            doc="SMEs get a voucher for a knowledge-transfer project with a university",
            records=("spend_innovation_voucher", "vouchers"),
        ),
    ),
    params=(
        ExtensionParam(
            "voucher_amount", 0.01, 0.0, 1.0, "M€/SME/year",
            "Voucher offered to each SME a year (the Dutch voucher was EUR 7,500).",
        ),
        ExtensionParam(
            "voucher_learning_rate", 0.3, 0.0, 1.0, "1/year",
            "Learning rate of a voucher project at the optimal cognitive distance "
            "(default: that of a university link, interaction_rate x teaching multiplier).",
        ),
    ),
)  # fmt: skip
"""Register with ``ClusterModel(..., extensions=[INNOVATION_VOUCHER])``."""
