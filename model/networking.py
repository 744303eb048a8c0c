"""Networking: search for collaboration partners, link fees and subsidies, expiry.

A firm with spare partner capacity (which grows sub-linearly with the employment it and its
group command, with a floor: :func:`clusterlab.model.partner_graph.partner_capacity`) searches with
some probability. Its candidates are a few nearby firms, a few random firms of any region,
universities within reach, partners of its partners (triadic closure: Jackson & Rogers
2007; SKIN, Gilbert, Pyka & Ahrweiler 2001), and the candidates its cluster organization
brokers (firms of other clusters of the region, the region's and partner region's
universities, members of the partner organization). It values each candidate by
complementarity (the partner knows more where the firm is weak, at a cognitive distance it
can absorb), raised by the partners the pair already shares (Balland 2012; ter Wal 2014),
against the yearly fee net of the subsidy it expects, and links to the best one whose owner
(a firm that values the link too, or a university with capacity) accepts. Links last
``link_duration`` years and are renewed only if still worth their fee.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clusterlab.model.calls import viable_unsubsidised
from clusterlab.model.kernels import best_per_group, linked_pairs
from clusterlab.model.knowledge import NodeKnowledge, absorptive_capacity
from clusterlab.model.nearby import sample_nearby
from clusterlab.model.ordering import stable_order
from clusterlab.model.params import ModelParams, NetworkingParams, PolicyParams, SubsidyTargeting
from clusterlab.model.partner_graph import (
    PartnerGraph,
    partner_capacity,
    partners_of,
    referral_candidates,
    shared_partners,
)
from clusterlab.model.policy import apply_targeting, instrument_of_links, subsidy_shares
from clusterlab.model.state import LinkKind, LinkTable, WorldState

__all__ = [
    "Candidates",
    "complementarity",
    "local_candidates",
    "network_nodes",
    "node_region",
    "partner_counts",
    "partner_graph",
    "pick_best",
    "renew_or_expire",
    "search_partners",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

STRONG = 0.5
"""Expertise at or above which a field counts as a strength (below: a weakness)."""


def complementarity(
    nodes: NodeKnowledge, own: IntArray, other: IntArray, optimum: float
) -> FloatArray:
    r"""Compute the expected learning value of node ``other[i]`` to node ``own[i]``.

    :math:`c = A(d) \cdot \frac{1}{K}\sum_k \max(0, k^{other}_k - k^{own}_k)`: what the
    partner knows beyond the firm, discounted by how much of it the firm can absorb.
    """
    d, gap = nodes.distance_and_gap(own, other)
    return absorptive_capacity(d, optimum) * gap


def brings_fields(own: FloatArray, other: FloatArray) -> BoolArray:
    """Fields the partner is strong in and the firm weak in, rows paired."""
    return (other >= STRONG) & (own < STRONG)


def partner_counts(
    a: IntArray,
    b: IntArray,
    kind: IntArray,
    active: BoolArray,
    n_firms: int,
    n_unis: int,
) -> tuple[IntArray, IntArray]:
    """Collaboration partners per firm (both ends) and firm partners per university."""
    collab = active & (kind == LinkKind.COLLABORATION)
    uni = active & (kind == LinkKind.UNIVERSITY)
    per_firm = np.bincount(a[collab | uni], minlength=n_firms) + np.bincount(
        b[collab], minlength=n_firms
    )
    per_uni = np.bincount(b[uni], minlength=n_unis)
    return per_firm, per_uni


@dataclass(slots=True)
class Candidates:
    """Candidate partners: paired arrays of searcher, candidate and whether a university."""

    searcher: IntArray
    candidate: IntArray
    university: BoolArray

    @classmethod
    def concat(cls, parts: list[Candidates]) -> Candidates:
        """Join several candidate lists."""
        if not parts:
            e = np.zeros(0, np.int64)
            return cls(e, e.copy(), np.zeros(0, bool))
        return cls(
            np.concatenate([p.searcher for p in parts]),
            np.concatenate([p.candidate for p in parts]),
            np.concatenate([p.university for p in parts]),
        )


def local_candidates(
    searchers: IntArray,
    pool: IntArray,
    x: IntArray,
    y: IntArray,
    radius: float,
    k: int,
    rng: np.random.Generator,
    zone: IntArray | None = None,
) -> Candidates:
    """Up to k random firms of ``pool`` within ``radius`` cells of each searcher.

    With ``zone`` (of every firm row, e.g. its region), searchers find firms of their own
    zone only; the result is that of one call per zone, in zone order.

    Notes
    -----
    Spatial hashing: firms are bucketed into square blocks of side ``ceil(radius)``, so
    only the 3 x 3 blocks around a searcher are examined, and the pairs within reach are
    counted per cell rather than listed (:func:`clusterlab.model.nearby.sample_nearby`): cost grows
    with searchers and the firms finally drawn, not with searchers x pool.
    """
    s, c = sample_nearby(searchers, pool, x, y, radius, k, rng, zone)
    return Candidates(s, c, np.zeros(s.size, bool))


def pick_best(value: FloatArray, searcher: IntArray) -> IntArray:
    """Index of the highest-value candidate of each searcher (ties: first listed).

    In ascending order of searcher. Values must not be NaN (-inf is allowed).
    """
    if searcher.size == 0:
        return np.zeros(0, np.int64)
    best = best_per_group(
        np.asarray(value, np.float64), np.asarray(searcher, np.int64), int(searcher.max()) + 1
    )
    return best[best >= 0]


def _university_candidates(ws: WorldState, searchers: IntArray, reach: float) -> Candidates:
    """Universities within ``reach`` cells of each searcher (firms know nearby campuses).

    Listed by university, then in searcher order.
    """
    unis, firms = ws.unis, ws.firms
    d = ws.geo.distance(
        firms.x[searchers][None, :] - unis.x[:, None],
        firms.y[searchers][None, :] - unis.y[:, None],
    )  # (universities, searchers)
    uni, near = np.nonzero(d <= reach)
    return Candidates(searchers[near], uni.astype(np.int64), np.ones(uni.size, bool))


def _segments(key: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Positions of ``key`` grouped by value 0 .. n - 1 (ascending within) and their bounds.

    ``order[first[k]:first[k + 1]]`` are the positions holding ``k``, in ascending order;
    negative keys sort first and belong to no group.
    """
    order = stable_order(key)
    first = np.searchsorted(key[order], np.arange(n + 1))
    return order, first


def _brokered_candidates(
    ws: WorldState, searchers: IntArray, rng: np.random.Generator
) -> Candidates:
    """Introductions by cluster organizations, up to each one's brokerage this year.

    Each brokered member gets one firm of another cluster of its region, one university of
    its region or of its organization's partner region, and one member of the partner
    organization (when there is one). The searchers, alive members and universities are
    grouped once by cluster and region (ascending rows within a group, as the row masks
    of one organization at a time gave them), so that an organization with searchers costs
    its own group's size, not the whole table's.
    """
    firms, orgs = ws.firms, ws.orgs
    parts = []
    n_orgs = len(orgs)
    clustered = np.flatnonzero(firms.alive & (firms.cluster >= 0))  # alive cluster members
    home = firms.cluster[clustered]
    by_home, home_first = _segments(home, n_orgs)
    by_region, region_first = _segments(firms.region[clustered], ws.geo.n_regions)
    mine, mine_first = _segments(firms.cluster[searchers], n_orgs)  # searchers by cluster
    for c in np.flatnonzero(np.diff(mine_first)).tolist():  # organizations with searchers
        members = searchers[mine[mine_first[c] : mine_first[c + 1]]][: orgs.brokerage[c]]
        if members.size == 0:
            continue
        orgs.brokerage[c] -= members.size
        region = orgs.region[c]
        local = by_region[region_first[region] : region_first[region + 1]]
        other = clustered[local[home[local] != c]]
        partner = orgs.partner[c]
        regions = [region] if partner < 0 else [region, orgs.region[partner]]
        unis = np.flatnonzero(
            (ws.unis.region == regions[0]) | (ws.unis.region == regions[-1])
        )  # of the region or the partner's
        for pool, is_uni in ((other, False), (unis, True)):
            if pool.size:
                parts.append(
                    Candidates(
                        members,
                        pool[rng.integers(0, pool.size, members.size)],  # rng.choice's draws
                        np.full(members.size, is_uni),
                    )
                )
        if partner >= 0:
            abroad = clustered[by_home[home_first[partner] : home_first[partner + 1]]]
            if abroad.size:
                parts.append(
                    Candidates(
                        members,
                        abroad[rng.integers(0, abroad.size, members.size)],
                        np.zeros(members.size, bool),
                    )
                )
    return Candidates.concat(parts)


def gather_candidates(
    ws: WorldState,
    searchers: IntArray,
    net: NetworkingParams,
    rng: np.random.Generator,
    graph: PartnerGraph | None = None,
) -> Candidates:
    """All candidates of this year's searchers: local, random, universities, referrals, brokered.

    Referrals (partners of partners) need ``graph``, the current knowledge-link network.
    """
    firms = ws.firms
    alive = np.flatnonzero(firms.alive)
    # nearby firms of the searcher's own region
    parts = [
        local_candidates(
            searchers,
            alive,
            firms.x,
            firms.y,
            net.search_radius,
            net.local_candidates,
            rng,
            zone=firms.region,
        )
    ]
    if net.random_candidates and searchers.size:
        rand = rng.choice(alive, size=(searchers.size, net.random_candidates))
        rows = np.repeat(searchers, net.random_candidates)
        parts.append(Candidates(rows, rand.ravel(), np.zeros(rows.size, bool)))
        if graph is not None and net.referral_candidates:  # and a partner of each stranger
            parts.append(Candidates(*partners_of(graph, rows, rand.ravel(), rng)))
    parts.append(_university_candidates(ws, searchers, 2 * net.search_radius))
    if graph is not None and net.referral_candidates:
        referred = referral_candidates(graph, searchers, net.referral_candidates, rng)
        parts.append(Candidates(*referred))
    parts.append(_brokered_candidates(ws, searchers, rng))
    return Candidates.concat(parts)


def node_region(ws: WorldState, node: IntArray, university: BoolArray) -> IntArray:
    """Region of each link partner: firm row ``node[i]``, or university row where ``university``.

    Each row is read from its own table only. A world may have no universities at all
    (``max_universities_per_region=0``), and then a university table has no row 0 to
    read as a placeholder for the firm entries (that was an IndexError).
    """
    out = np.empty(node.shape, np.int64)
    out[~university] = ws.firms.region[node[~university]]
    out[university] = ws.unis.region[node[university]]
    return out


def link_terms(
    ws: WorldState,
    firm: IntArray,
    other: IntArray,
    university: BoolArray,
    policy: PolicyParams,
) -> tuple[IntArray, FloatArray]:
    """Instrument and eligible subsidy share of prospective links (firm side)."""
    firms = ws.firms
    other_firm = np.where(university, 0, other)
    other_region = node_region(ws, other, university)
    other_cluster = np.where(university, -1, firms.cluster[other_firm])
    instrument = instrument_of_links(
        firms.cluster[firm], other_cluster, firms.region[firm], other_region, university
    )
    share = subsidy_shares(instrument, policy) if ws.policy_on else np.zeros(firm.size)
    if policy.subsidy_targeting is not SubsidyTargeting.BLANKET:  # blanket: every link
        brings = brings_fields(firms.knowledge[firm], ws.node_knowledge(other, university))
        share = apply_targeting(share, policy, brings, firms.region[firm], ws.target_fields)
    return instrument, share


def link_fee(
    ws: WorldState,
    firm: IntArray,
    other: IntArray,
    university: BoolArray,
    net: NetworkingParams,
) -> FloatArray:
    """Yearly fee of prospective links: :math:`f = f_0 (1 + d / d_f)`, d in cells.

    Coordination costs rise with geographic distance (Boschma 2005), so local links are
    cheaper than distant ones.
    """
    firms, unis = ws.firms, ws.unis
    node = np.where(university, len(firms) + other, other)  # firms, then universities
    x = np.concatenate([firms.x, unis.x])[node]
    y = np.concatenate([firms.y, unis.y])[node]
    d = ws.geo.distance(firms.x[firm] - x, firms.y[firm] - y)
    return net.link_fee_per_year * (1.0 + d / net.fee_distance_scale)


def link_value(
    ws: WorldState,
    firm: IntArray,
    other: IntArray,
    university: BoolArray,
    params: ModelParams,
    nodes: NodeKnowledge | None = None,
    graph: PartnerGraph | None = None,
) -> tuple[FloatArray, IntArray, FloatArray, FloatArray]:
    r"""Compute the yearly net value of links to the firm: benefit minus fee net of subsidy.

    :math:`v = B\, c\, m\, (1 + \tau\, n_{sh}) - f\,(1 - s\,\rho_r)`, with B the
    benefit scale, c the complementarity, m the university teaching multiplier (1 for
    firms), :math:`\tau` the shared-partner bonus and :math:`n_{sh}` the number of partners
    the pair shares in ``graph`` (common third partners build trust and lower the risk and
    cost of coordination: Balland 2012, Reg. Stud. 46(6):741-756; ter Wal 2014, J. Econ.
    Geogr. 14(3):589-620), f the fee (:func:`link_fee`), s the eligible subsidy share and
    :math:`\rho_r` last year's rationing ratio of the region. Returns value, instrument,
    share and fee. ``nodes`` (the firms' and universities' current knowledge) and
    ``graph`` (the current knowledge-link network) are built when not given.
    """
    net, learn = params.networking, params.learning
    if nodes is None:
        nodes = network_nodes(ws)
    if graph is None:
        graph = partner_graph(ws)
    c = complementarity(
        nodes, firm, nodes.node(other, university), learn.optimal_cognitive_distance
    )
    mult = np.where(university, learn.university_teaching_multiplier, 1.0)
    if net.shared_partner_bonus:
        shared = shared_partners(graph, firm, graph.node(other, university))
        mult = mult * (1.0 + net.shared_partner_bonus * shared)
    instrument, share = link_terms(ws, firm, other, university, params.policy)
    expected = share * ws.ratio[ws.firms.region[firm]]
    fee = link_fee(ws, firm, other, university, net)
    value = net.link_benefit_scale * c * mult - fee * (1.0 - expected)
    return value, instrument, share, fee


def search_partners(
    ws: WorldState,
    params: ModelParams,
    rng: np.random.Generator,
    nodes: NodeKnowledge | None = None,
) -> int:
    """One year of partner search. Returns the number of links formed.

    ``nodes`` (the firms' and universities' current knowledge) is built when not given.
    """
    net = params.networking
    firms, links = ws.firms, ws.links
    n_partners, n_uni = partner_counts(
        links.a, links.b, links.kind, links.active, len(firms), len(ws.unis)
    )
    alive = firms.alive
    cap = partner_capacity(np.where(alive, firms.employees, 0.0), net, firms.group)
    # one draw per firm id ever issued, so that the draws do not depend on compaction
    draw = rng.random(ws.firm_ids_issued)[firms.id]
    want = firms.alive & (n_partners < cap) & (draw < net.search_probability)
    searchers = rng.permutation(np.flatnonzero(want))
    graph = partner_graph(ws)
    cand = gather_candidates(ws, searchers, net, rng, graph)
    as_firm = np.where(cand.university, 0, cand.candidate)  # university rows are not firm rows
    ok = cand.university | (firms.alive[as_firm] & (cand.candidate != cand.searcher))
    ok &= _has_room(cand, n_partners, cap, n_uni, net.university_capacity)
    ok &= ~_already_linked(links, cand, len(firms))
    cand = Candidates(cand.searcher[ok], cand.candidate[ok], cand.university[ok])
    if nodes is None:
        nodes = network_nodes(ws)
    value, instrument, share, fee = link_value(
        ws, cand.searcher, cand.candidate, cand.university, params, nodes, graph
    )
    # a firm candidate must value the link too (universities accept every link)
    firm = np.flatnonzero(~cand.university)
    back, back_share, back_fee = (np.zeros(cand.searcher.size) for _ in range(3))
    back[firm], _, back_share[firm], back_fee[firm] = link_value(
        ws,
        cand.candidate[firm],
        cand.searcher[firm],
        np.zeros(firm.size, bool),
        params,
        nodes,
        graph,
    )
    accept = (value > 0) & (cand.university | (back > 0))
    back_region = firms.region[np.where(cand.university, cand.searcher, cand.candidate)]
    viable = viable_unsubsidised(  # would each link form without any subsidy?
        (value, fee, share * ws.ratio[firms.region[cand.searcher]]),
        (back, back_fee, back_share * ws.ratio[back_region]),
        cand.university,
    )
    best = pick_best(np.where(accept, value, -np.inf), cand.searcher)
    best = best[accept[best]]
    position = np.zeros(len(firms), np.int64)
    position[searchers] = np.arange(searchers.size)
    chosen = []
    # Two searchers may pick each other in one year: link such a pair only once.
    paired: set[tuple[int, int]] = set()
    best = best[stable_order(position[cand.searcher[best]])]
    # Python lists: a sequential loop over numpy scalars would cost ten times more
    partners, caps, uni_links = n_partners.tolist(), cap.tolist(), n_uni.tolist()
    for i, s, o, uni in zip(
        best.tolist(),
        cand.searcher[best].tolist(),
        cand.candidate[best].tolist(),
        cand.university[best].tolist(),
        strict=True,
    ):
        if partners[s] >= caps[s]:
            continue
        if uni:
            if uni_links[o] >= net.university_capacity:
                continue
            uni_links[o] += 1
        else:
            pair = (min(s, o), max(s, o))
            if partners[o] >= caps[o] or pair in paired:
                continue
            paired.add(pair)
            partners[o] += 1
        partners[s] += 1
        chosen.append(i)
    _add_links(
        ws,
        cand,
        np.asarray(chosen, dtype=np.int64),
        (instrument, share, fee, viable),
        net.link_duration,
    )
    return len(chosen)


def _has_room(
    cand: Candidates, n_partners: IntArray, cap: IntArray, n_uni: IntArray, uni_cap: int
) -> BoolArray:
    """Whether each candidate has room for one more partner at the start of the search.

    A full firm or university takes no new partner, so it is no candidate: a searcher does
    not spend its search on it.
    """
    room = np.empty(cand.candidate.size, bool)
    uni = cand.university
    room[uni] = n_uni[cand.candidate[uni]] < uni_cap
    firm = cand.candidate[~uni]
    room[~uni] = n_partners[firm] < cap[firm]
    return room


def partner_graph(ws: WorldState) -> PartnerGraph:
    """Return the current knowledge-link network (active collaboration and university links)."""
    return PartnerGraph.of(ws.links, len(ws.firms), len(ws.unis))


def network_nodes(ws: WorldState) -> NodeKnowledge:
    """Return the firms' and universities' knowledge now, as link-valuation nodes."""
    return NodeKnowledge.of(ws.firms.knowledge, ws.unis.knowledge, ws.space.proximity)


def _already_linked(links: LinkTable, cand: Candidates, n_firms: int) -> BoolArray:
    """Whether each candidate pair already has an active collaboration or university link."""
    live = np.flatnonzero(links.active & (links.kind != LinkKind.SUPPLY))
    return linked_pairs(
        links.a[live],
        links.b[live],
        links.kind[live],
        n_firms,
        np.asarray(cand.searcher, np.int64),
        2 * np.asarray(cand.candidate, np.int64) + cand.university,
    )


def _add_links(
    ws: WorldState,
    cand: Candidates,
    chosen: IntArray,
    terms: tuple[IntArray, FloatArray, FloatArray, BoolArray],
    duration: int,
) -> None:
    instrument, share, fee, viable = terms
    a, b, uni = cand.searcher[chosen], cand.candidate[chosen], cand.university[chosen]
    firms = ws.firms
    b_region = node_region(ws, b, uni)
    b_cluster = np.where(uni, -1, firms.cluster[np.where(uni, 0, b)])
    same = (firms.cluster[a] >= 0) & (firms.cluster[a] == b_cluster)
    ws.links.append(
        a=a,
        b=b,
        kind=np.where(uni, LinkKind.UNIVERSITY, LinkKind.COLLABORATION),
        formed=np.full(a.size, ws.step),
        expires=np.full(a.size, ws.step + duration),
        cross_cluster=~same & ~uni,
        interregional=firms.region[a] != b_region,
        fee=fee[chosen],
        instrument=instrument[chosen],
        eligible_share=share[chosen],
        active=np.ones(a.size, bool),
        viable_unsubsidised=viable[chosen],
    )
    ws.events.add(
        "link",
        step=np.full(a.size, ws.step),
        firm=firms.id[a],
        partner=np.where(uni, b, firms.id[np.where(uni, 0, b)]),
        partner_is_university=uni,
        instrument=instrument[chosen],
        cross_cluster=~same & ~uni,
        interregional=firms.region[a] != b_region,
        eligible_share=share[chosen],
        viable_unsubsidised=viable[chosen],
    )


def renew_or_expire(ws: WorldState, params: ModelParams, nodes: NodeKnowledge | None = None) -> int:
    """Renew due links still worth their fee to the firm; drop the others. Returns drops.

    ``nodes`` (the firms' and universities' current knowledge) is built when not given.
    """
    links = ws.links
    due = np.flatnonzero(
        links.active & (links.kind != LinkKind.SUPPLY) & (links.expires <= ws.step)
    )
    if due.size == 0:
        return 0
    uni = links.kind[due] == LinkKind.UNIVERSITY
    value, _, share, _ = link_value(ws, links.a[due], links.b[due], uni, params, nodes)
    keep = value > 0
    links.expires[due[keep]] = ws.step + params.networking.link_duration
    links.eligible_share[due[keep]] = share[keep]
    links.active[due[~keep]] = False
    return int((~keep).sum())
