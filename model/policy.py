"""Public policy: which instrument a link falls under, what it may claim, and allocation.

At the start of each year every instrument files its claims on the region's budget:
link subsidies (share of each subsidised fee), SME R&D grants, cluster-organization
funding and challenge procurement. How a budget smaller than the claims is shared
depends on ``allocation``:

- ``pro_rata``: every claim of the region is paid the same fraction ``budget / claims``
  (pro-rata rationing);
- ``call``: a budget-clearing competitive call (:func:`run_call`, ``model/calls.py``).
  Every claim is a proposal; proposals are ranked by their expected additionality per
  euro and funded in full down the ranking until the money runs out; the marginal
  proposal gets the remainder and the rest nothing. Whenever demand exceeds the budget
  the realised spend equals the budget, so policy mixes spend the same M€.

Either way the budget is never overspent and every euro is booked to one instrument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clusterlab.model.calls import call_scores, clear_call
from clusterlab.model.params import Allocation, ModelParams, PolicyParams, SubsidyTargeting
from clusterlab.model.state import (
    SPENDING_INSTRUMENTS,
    Instrument,
    LinkKind,
    WorldState,
    rows_sum_by,
)

__all__ = [
    "PolicyYear",
    "apply_targeting",
    "instrument_of_links",
    "missing_link_fields",
    "ration",
    "run_call",
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


def _link_ends(ws: WorldState) -> tuple[IntArray, IntArray]:
    """Paying end (firm row) and link row of every fee owed this year.

    Both ends of an active collaboration link pay, the firm end of a university link.
    """
    links = ws.links
    live = np.flatnonzero(links.active & (links.kind != LinkKind.SUPPLY))
    firm_b = live[links.kind[live] == LinkKind.COLLABORATION]
    return np.concatenate([links.a[live], links.b[firm_b]]), np.concatenate([live, firm_b])


INSTRUMENT_COLUMN = np.asarray([column(Instrument(i)) if i else 0 for i in range(len(Instrument))])
"""Column of each ``Instrument`` value in claim and spend matrices (NONE: 0, never claimed)."""


def _link_claims(ws: WorldState) -> tuple[FloatArray, npt.NDArray[np.float64]]:
    """Fees owed per firm, and per-firm claims by instrument column (n_firms, n_instr)."""
    links, n = ws.links, len(ws.firms)
    payer, which = _link_ends(ws)
    fee = links.fee[which]
    fees = np.bincount(payer, weights=fee, minlength=n)
    claims = np.bincount(
        payer * N_SPENDING + INSTRUMENT_COLUMN[links.instrument[which]],
        weights=fee * links.eligible_share[which],
        minlength=n * N_SPENDING,
    )
    claims = claims.astype(np.float64, copy=False).reshape(n, N_SPENDING)  # float if empty
    return fees, claims


@dataclass(frozen=True, slots=True)
class _Claims:
    """Claims of the year: per firm and instrument, per organization, and per region."""

    fees: FloatArray  # (n_firms,) link fees owed
    firm: npt.NDArray[np.float64]  # (n_firms, n_instruments): link subsidies, SME grants
    org: FloatArray  # (n_orgs,) organization funding
    region: npt.NDArray[np.float64]  # (R, n_instruments): all claims by region


def _claims(ws: WorldState, params: ModelParams, sme: BoolArray) -> _Claims:
    """File this year's claims of every instrument (zero while policy is off)."""
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
    return _Claims(fees, claims, org_claim, by_region)


def run_policy(
    ws: WorldState,
    params: ModelParams,
    sme: BoolArray,
    rng: np.random.Generator | None = None,
) -> PolicyYear:
    """File this year's claims, allocate each region's budget and book the spending.

    ``allocation`` = ``pro_rata`` rations the claims (:func:`ration`); ``call`` runs a
    budget-clearing call (:func:`run_call`), whose ties are broken by a lottery drawn from
    ``rng`` (by listing order when ``rng`` is None). Only the call draws from ``rng``.
    """
    claims = _claims(ws, params, sme)
    if params.policy.allocation is Allocation.CALL:
        return run_call(ws, params, claims, rng)
    firms, orgs = ws.firms, ws.orgs
    ratio, spend = ration(claims.region, params.policy.policy_budget)
    return PolicyYear(
        fees=claims.fees,
        subsidies=claims.firm.sum(axis=1) * ratio[firms.region],
        org_funding=claims.org * ratio[orgs.region],
        procurement=spend[:, column(Instrument.PROCUREMENT)],
        ratio=ratio,
        spend=spend,
    )


@dataclass(frozen=True, slots=True)
class _Proposals:
    """Proposals of a call, listed as link ends, SME grants, organizations, regions."""

    instrument: IntArray
    amount: FloatArray  # M€ asked
    region: IntArray
    viable: BoolArray  # a link's viable_unsubsidised flag (False for other proposals)
    payer: IntArray  # firm row of each link end
    grantee: IntArray  # firm row of each SME grant
    org: IntArray  # organization row of each funding proposal


def _proposals(ws: WorldState, claims: _Claims) -> _Proposals:
    """List this year's claims as proposals (claims of 0 M€ are not proposals)."""
    firms, links, sme_col = ws.firms, ws.links, column(Instrument.SME_RD_GRANT)
    payer, which = _link_ends(ws)
    link_amount = links.fee[which] * links.eligible_share[which]
    link_amount = np.where(firms.alive[payer] & ws.policy_on, link_amount, 0.0)
    grantee = np.flatnonzero(claims.firm[:, sme_col] > 0)
    org = np.flatnonzero(claims.org > 0)
    buyer = np.flatnonzero(claims.region[:, column(Instrument.PROCUREMENT)] > 0)
    blocks = (
        (links.instrument[which], link_amount, firms.region[payer]),
        (Instrument.SME_RD_GRANT, claims.firm[grantee, sme_col], firms.region[grantee]),
        (Instrument.CLUSTER_ORG, claims.org[org], ws.orgs.region[org]),
        (Instrument.PROCUREMENT, claims.region[buyer, column(Instrument.PROCUREMENT)], buyer),
    )
    viable = np.zeros(sum(b[1].size for b in blocks), bool)
    viable[: which.size] = links.viable_unsubsidised[which]
    return _Proposals(
        instrument=np.concatenate([np.broadcast_to(i, a.shape) for i, a, _ in blocks]).astype(
            np.int64
        ),
        amount=np.concatenate([a for _, a, _ in blocks]),
        region=np.concatenate([r for _, _, r in blocks]).astype(np.int64),
        viable=viable,
        payer=payer,
        grantee=grantee,
        org=org,
    )


def run_call(
    ws: WorldState, params: ModelParams, claims: _Claims, rng: np.random.Generator | None
) -> PolicyYear:
    r"""Fund this year's claims by a budget-clearing call in each region.

    Proposals (:func:`_proposals`): each paying end of a subsidised link, each SME's R&D
    grant, each organization's funding and each region's procurement; scored by
    :func:`~clusterlab.model.calls.call_scores`, ties broken by a lottery from ``rng``, funded by
    :func:`~clusterlab.model.calls.clear_call`. An SME whose grant is funded in part :math:`\phi`
    does only that part of the extra R&D: its R&D budget becomes
    :math:`\iota S (1 + g \phi)`. ``ratio`` is the share of the region's claimed M€ paid.
    """
    pol, n_reg = params.policy, ws.geo.n_regions
    prop = _proposals(ws, claims)
    score = call_scores(prop.instrument, prop.viable, pol.sme_rd_grant)
    lottery = None if rng is None else rng.random(prop.amount.size)
    funded = clear_call(prop.amount, prop.region, score, pol.policy_budget, lottery)
    paid = prop.amount * funded
    spend = np.bincount(
        prop.region * N_SPENDING + INSTRUMENT_COLUMN[prop.instrument],
        weights=paid,
        minlength=n_reg * N_SPENDING,
    )
    spend = spend.astype(np.float64, copy=False).reshape(n_reg, N_SPENDING)
    ends, grants = prop.payer.size, prop.payer.size + prop.grantee.size
    subsidies = np.bincount(prop.payer, weights=paid[:ends], minlength=len(ws.firms))
    subsidies = subsidies.astype(np.float64, copy=False)
    subsidies[prop.grantee] += paid[ends:grants]
    g = pol.sme_rd_grant
    ws.firms.rd_budget[prop.grantee] *= (1.0 + g * funded[ends:grants]) / (1.0 + g)
    org_funding = np.zeros(len(ws.orgs))
    org_funding[prop.org] = paid[grants : grants + prop.org.size]
    demand = claims.region.sum(axis=1)
    return PolicyYear(
        fees=claims.fees,
        subsidies=subsidies,
        org_funding=org_funding,
        procurement=spend[:, column(Instrument.PROCUREMENT)],
        ratio=np.divide(spend.sum(axis=1), demand, out=np.ones(n_reg), where=demand > 0),
        spend=spend,
    )
