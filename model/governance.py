"""Governance: cluster organizations fund themselves, pool SME R&D, broker and partner.

Each organization's yearly budget is its public funding (the ``cluster_org_funding``
lever, rationed by the region's budget) plus its members' fees. It pools a share of the
budget for its SME members' R&D, makes introductions (brokerage) in proportion to its
budget, steers members' radical search toward its roadmap fields with a strength that
grows with its budget, and keeps a partner organization in another region while its
budget allows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.knowledge import absorptive_capacity, cognitive_distance_rows
from clusterlab.model.params import GovernanceParams
from clusterlab.model.state import OrgTable, WorldState, rows_sum_by

__all__ = ["capacity_factor", "fund_organizations", "update_partnerships"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def capacity_factor(budget: FloatArray, full_budget: float) -> FloatArray:
    r"""How fully an organization works: :math:`\min(1, \text{budget} / B_{full})`.

    1 everywhere when :math:`B_{full} = 0` (no budget is needed to work fully).
    """
    if full_budget <= 0:
        return np.ones_like(budget)
    # min(budget, B) / B rather than min(1, budget / B): the same numbers, but a tiny
    # (subnormal) B cannot overflow the division.
    return np.minimum(budget, full_budget) / full_budget


def fund_organizations(
    ws: WorldState,
    public_funding: FloatArray,
    sme: npt.NDArray[np.bool_],
    gov: GovernanceParams,
) -> None:
    r"""Set each organization's budget, brokerage and its SME members' pooled R&D.

    Notes
    -----
    Budget :math:`B_c = G_c + f\, n_c` (public funding plus member fees);
    introductions :math:`\lfloor b_0 + b_1 B_c \rfloor`; pooled R&D
    :math:`s_{pool} B_c` shared equally among the organization's alive SME members (as
    ``rd_support``). An organization without SME members pools nothing.
    """
    firms, orgs = ws.firms, ws.orgs
    n = len(orgs)
    member = firms.alive & (firms.cluster >= 0)
    n_members = np.bincount(firms.cluster[member], minlength=n)
    orgs.public_funding[:] = public_funding
    orgs.budget[:] = public_funding + gov.member_fee_per_year * n_members
    orgs.brokerage[:] = np.floor(gov.brokerage_base + gov.brokerage_per_meur * orgs.budget)
    sme_member = member & sme
    n_sme = np.bincount(firms.cluster[sme_member], minlength=n)
    pool = gov.pooled_rd_share * orgs.budget
    per_sme = np.divide(pool, n_sme, out=np.zeros(n), where=n_sme > 0)
    firms.rd_support[:] = 0.0
    firms.rd_support[sme_member] = per_sme[firms.cluster[sme_member]]


def org_knowledge(ws: WorldState) -> FloatArray:
    """Mean knowledge of each organization's alive members (zeros if none)."""
    firms, n = ws.firms, len(ws.orgs)
    member = np.flatnonzero(firms.alive & (firms.cluster >= 0))
    total = rows_sum_by(firms.cluster[member], firms.knowledge[member], n)
    count = np.bincount(firms.cluster[member], minlength=n)
    return total / np.maximum(count, 1)[:, None]


def update_partnerships(ws: WorldState, optimum: float, gov: GovernanceParams) -> None:
    """Drop partnerships an organization can no longer afford; seek new ones.

    An organization at full capacity without a partner picks the organization of another
    region, itself without a partner, whose members' mean knowledge it absorbs best
    (highest absorptive capacity); the partnership is mutual.
    """
    orgs: OrgTable = ws.orgs
    full = capacity_factor(orgs.budget, gov.partnership_min_budget) >= 1.0
    for c in np.flatnonzero(~full & (orgs.partner >= 0)):
        if orgs.partner[c] < 0:  # its partner, also underfunded, already ended it
            continue
        orgs.partner[orgs.partner[c]] = -1
        orgs.partner[c] = -1
    knowledge = None  # members' mean knowledge, computed when a choice needs it
    for c in np.flatnonzero(full):
        if orgs.partner[c] >= 0:
            continue
        free = np.flatnonzero(full & (orgs.partner < 0) & (orgs.region != orgs.region[c]))
        if free.size == 0:
            continue
        if knowledge is None:
            knowledge = org_knowledge(ws)
        d = cognitive_distance_rows(
            np.repeat(knowledge[c : c + 1], free.size, 0),
            knowledge[free],
            ws.space.proximity,
            check_input=False,
        )
        best = free[np.argmax(absorptive_capacity(d, optimum))]
        orgs.partner[c], orgs.partner[best] = best, c
