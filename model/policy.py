"""Public policy: which instrument a link falls under, what it may claim, and rationing.

At the start of each year every instrument files its claims on the region's budget:
link subsidies (share of each subsidised fee), SME R&D grants, cluster-organization
funding and challenge procurement. If a region's claims exceed its budget, every claim of
that region is paid the same fraction ``budget / claims`` (pro-rata rationing), so the
budget is never overspent and every euro is booked to one instrument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from model.params import ModelParams, PolicyParams, SubsidyTargeting
from model.state import SPENDING_INSTRUMENTS, Instrument, LinkKind, WorldState, rows_sum_by

__all__ = [
    "PolicyYear",
    "apply_targeting",
    "instrument_of_links",
    "missing_link_fields",
    "ration",
    "run_policy",
    "subsidy_shares",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def instrument_of_links(
    cluster_a: IntArray,
    cluster_b: IntArray,
    region_a: IntArray,
    region_b: IntArray,
    to_university: BoolArray,
) -> IntArray:
    """Instrument that may subsidise each collaboration link.

    A university link falls under ``UNIVERSITY_LINK``; otherwise a link across regions
    under ``INTERREGIONAL``; otherwise a link between firms not of one cluster (different
    clusters, or either in none) under ``CROSS_CLUSTER``; otherwise ``INTRA_CLUSTER``.
    """
    same_cluster = (cluster_a >= 0) & (cluster_a == cluster_b)
    out = np.where(same_cluster, Instrument.INTRA_CLUSTER, Instrument.CROSS_CLUSTER)
    out = np.where(region_a != region_b, Instrument.INTERREGIONAL, out)
    return np.where(to_university, Instrument.UNIVERSITY_LINK, out).astype(np.int64)


def subsidy_shares(instrument: IntArray, policy: PolicyParams) -> FloatArray:
    """Share of the link fee each instrument pays (before targeting and rationing)."""
    table = np.zeros(len(Instrument))
    table[Instrument.INTRA_CLUSTER] = policy.intra_cluster_subsidy
    table[Instrument.CROSS_CLUSTER] = policy.cross_cluster_subsidy
    table[Instrument.INTERREGIONAL] = policy.interregional_subsidy
    table[Instrument.UNIVERSITY_LINK] = policy.university_link_subsidy
    return table[instrument]


def missing_link_fields(
    specialised: BoolArray,
    density: FloatArray,
    recipes: FloatArray,
) -> BoolArray:
    """Target fields of each region under ``missing_link`` targeting.

    Parameters
    ----------
    specialised : ndarray of bool, shape (R, P)
        Whether region r is specialised (RCA >= 1) in industry p.
    density : ndarray, shape (R, P)
        Relatedness density (percent).
    recipes : ndarray, shape (P, K)

    Returns
    -------
    ndarray of bool, shape (R, K)
        Fields used by the industries a region lacks (RCA < 1) whose relatedness density
        is at least the median over the industries it lacks: the related diversification
        opportunities RIS3 targets. A region lacking nothing has no target fields.
    """
    out = np.zeros((specialised.shape[0], recipes.shape[1]), dtype=bool)
    for r in range(specialised.shape[0]):
        lacking = ~specialised[r]
        if not lacking.any():
            continue
        opportunities = lacking & (density[r] >= np.median(density[r, lacking]))
        out[r] = recipes[opportunities].sum(axis=0) > 0
    return out


def targeted(brings: BoolArray, region: IntArray, target_fields: BoolArray) -> BoolArray:
    """Whether each link brings a target field of the firm's region.

    ``brings`` (n_links, K) marks the fields the partner is strong in and the firm weak in.
    """
    return (brings & target_fields[region]).any(axis=1)


def apply_targeting(
    share: FloatArray,
    policy: PolicyParams,
    brings: BoolArray,
    region: IntArray,
    target_fields: BoolArray,
) -> FloatArray:
    """Zero the subsidy share of links that miss the targets, under missing_link targeting."""
    if policy.subsidy_targeting is SubsidyTargeting.BLANKET:
        return share
    return np.where(targeted(brings, region, target_fields), share, 0.0)


def ration(claims: FloatArray, budget: float) -> tuple[FloatArray, FloatArray]:
    """Pay claims out of each region's budget, pro rata when they exceed it.

    Parameters
    ----------
    claims : ndarray, shape (R, n_instruments)
        M€ each instrument asks of each region this year (columns in
        ``SPENDING_INSTRUMENTS`` order).
    budget : float
        M€ each region may spend this year.

    Returns
    -------
    ratio : ndarray, shape (R,)
        Share of each claim paid: ``min(1, budget / total claims)`` (1 where nothing is
        claimed).
    spend : ndarray, shape (R, n_instruments)
        M€ paid, ``claims * ratio``; each row sums to at most ``budget``.

    Examples
    --------
    >>> ratio, spend = ration(np.array([[2.0, 2.0], [1.0, 0.0]]), 2.0)
    >>> ratio.tolist(), spend.tolist()
    ([0.5, 1.0], [[1.0, 1.0], [1.0, 0.0]])
    """
    total = claims.sum(axis=1)
    ratio = np.ones_like(total)
    over = total > budget
    ratio[over] = budget / total[over]
    return ratio, claims * ratio[:, None]


N_SPENDING = len(SPENDING_INSTRUMENTS)


def column(instrument: Instrument) -> int:
    """Column of an instrument in claim and spend matrices."""
    return SPENDING_INSTRUMENTS.index(instrument)


@dataclass(frozen=True, slots=True)
class PolicyYear:
    """What policy pays this year (M€), per firm row, organization and region."""

    fees: FloatArray  # (n_firms,) link fees each firm owes
    subsidies: FloatArray  # (n_firms,) link subsidies plus R&D grants received
    org_funding: FloatArray  # (n_orgs,)
    procurement: FloatArray  # (R,)
    ratio: FloatArray  # (R,)
    spend: npt.NDArray[np.float64]  # (R, n_instruments)


def _link_claims(ws: WorldState) -> tuple[FloatArray, npt.NDArray[np.float64]]:
    """Fees owed per firm, and per-firm claims by instrument column (n_firms, n_instr)."""
    links, n = ws.links, len(ws.firms)
    live = np.flatnonzero(links.active & (links.kind != LinkKind.SUPPLY))
    firm_b = live[links.kind[live] == LinkKind.COLLABORATION]
    payer = np.concatenate([links.a[live], links.b[firm_b]])
    which = np.concatenate([live, firm_b])
    fee = links.fee[which]
    fees = np.bincount(payer, weights=fee, minlength=n)
    cols = np.asarray([column(Instrument(i)) if i else 0 for i in range(len(Instrument))])
    claims = np.bincount(
        payer * N_SPENDING + cols[links.instrument[which]],
        weights=fee * links.eligible_share[which],
        minlength=n * N_SPENDING,
    )
    claims = claims.astype(np.float64, copy=False).reshape(n, N_SPENDING)  # float if empty
    return fees, claims


def run_policy(ws: WorldState, params: ModelParams, sme: BoolArray) -> PolicyYear:
    """File this year's claims, ration them by region and book the spending."""
    pol, firms = params.policy, ws.firms
    n_reg = ws.geo.n_regions
    fees, claims = _link_claims(ws)
    claims[:, column(Instrument.SME_RD_GRANT)] = np.where(
        sme, pol.sme_rd_grant * firms.rd_budget, 0.0
    )
    claims[~firms.alive] = 0.0
    if not ws.policy_on:
        claims[:] = 0.0
    alive_claims = claims if firms.alive.all() else np.where(firms.alive[:, None], claims, 0.0)
    by_region = rows_sum_by(firms.region, alive_claims, n_reg)
    # An organization whose cluster has no alive member left claims no funding.
    members = np.bincount(firms.cluster[firms.alive & (firms.cluster >= 0)], minlength=len(ws.orgs))
    org_claim = np.where(members > 0, pol.cluster_org_funding if ws.policy_on else 0.0, 0.0)
    np.add.at(by_region[:, column(Instrument.CLUSTER_ORG)], ws.orgs.region, org_claim)
    has_challenge = np.bincount(
        firms.region[firms.alive & ws.industries.is_challenge[firms.industry]],
        minlength=n_reg,
    )
    if ws.policy_on:
        by_region[:, column(Instrument.PROCUREMENT)] = np.where(
            has_challenge > 0, pol.challenge_demand, 0.0
        )
    ratio, spend = ration(by_region, pol.policy_budget)
    return PolicyYear(
        fees=fees,
        subsidies=claims.sum(axis=1) * ratio[firms.region],
        org_funding=org_claim * ratio[ws.orgs.region],
        procurement=spend[:, column(Instrument.PROCUREMENT)],
        ratio=ratio,
        spend=spend,
    )
