import math

import networkx as nx
import numpy as np
import pytest

from clusterlab.model.knowledge import NodeKnowledge, cognitive_distance_rows
from clusterlab.model.networking import (
    Candidates,
    _already_linked,
    brings_fields,
    complementarity,
    link_fee,
    link_terms,
    link_value,
    local_candidates,
    node_region,
    partner_counts,
    pick_best,
    renew_or_expire,
    search_partners,
)
from clusterlab.model.params import NetworkingParams
from clusterlab.model.partner_graph import (
    PartnerGraph,
    partner_capacity,
    partners_of,
    referral_candidates,
    shared_partners,
)
from clusterlab.model.policy import instrument_of_links
from clusterlab.model.state import Instrument, LinkKind, LinkTable

# --- valuation ---------------------------------------------------------------------------------


def test_complementarity_hand_computed():
    # nodes: firms (1, 0), (0.5, 0.5), (1, 1); university (0.5, 0.5)
    firms = np.array([[1.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    nodes = NodeKnowledge.of(firms, np.array([[0.5, 0.5]]), np.eye(2))
    optimum = 1 - 1 / math.sqrt(2)  # the distance of the first pair: absorption 1
    # first pair: A = 1, mean gap (0 + 1) / 2; second pair: identical, nothing to learn;
    # third: firm (1, 0) and the university, at the same distance as the first pair
    got = complementarity(nodes, np.array([0, 1, 0]), np.array([2, 3, 3]), optimum)
    np.testing.assert_allclose(got, [0.5, 0.0, 0.25])


def test_brings_fields_partner_strong_where_firm_weak():
    own = np.array([[0.9, 0.2, 0.2, 0.6]])
    other = np.array([[0.9, 0.7, 0.3, 0.9]])
    assert brings_fields(own, other).tolist() == [[False, True, False, False]]


def test_partner_counts_hand_computed():
    a = np.array([0, 1, 0, 2, 3])
    b = np.array([1, 2, 0, 3, 0])
    kind = np.array(
        [
            LinkKind.COLLABORATION,
            LinkKind.COLLABORATION,
            LinkKind.UNIVERSITY,
            LinkKind.SUPPLY,
            LinkKind.COLLABORATION,
        ]
    )
    active = np.array([True, True, True, True, False])
    per_firm, per_uni = partner_counts(a, b, kind, active, 4, 1)
    # firm 0: a of 0-1 and of its university link; firm 1: b of 0-1 and a of 1-2;
    # firm 2: b of 1-2 (supply does not count); firm 3: only an inactive link
    assert per_firm.tolist() == [2, 2, 1, 0]
    assert per_uni.tolist() == [1]


def test_pick_best_highest_value_per_searcher_first_on_ties():
    value = np.array([1.0, 5.0, 3.0, 2.0, 2.0, -1.0])
    searcher = np.array([0, 0, 0, 1, 1, 4])
    assert pick_best(value, searcher).tolist() == [1, 3, 5]


def _pick_best_by_sorting(value, searcher):
    """The definition: first entry per searcher of a stable sort by (searcher, -value)."""
    order = np.lexsort((-value, searcher))
    first = np.ones(order.size, bool)
    first[1:] = searcher[order][1:] != searcher[order][:-1]
    return order[first]


@pytest.mark.parametrize("seed", range(5))
def test_pick_best_is_the_stable_sort_definition(seed):
    rng = np.random.default_rng(seed)
    n = 500
    searcher = rng.integers(0, 80, n)
    value = rng.integers(-3, 4, n).astype(float)  # many ties
    value[rng.random(n) < 0.3] = -np.inf  # as search_partners marks refused candidates
    np.testing.assert_array_equal(
        pick_best(value, searcher), _pick_best_by_sorting(value, searcher)
    )
    assert pick_best(np.zeros(0), np.zeros(0, np.int64)).size == 0


@pytest.mark.parametrize("seed", range(5))
def test_already_linked_is_the_pair_code_definition(seed):
    """Against the pair codes the check was first written with (np.isin)."""
    rng = np.random.default_rng(seed)
    n_firms, m = 40, 120
    links = LinkTable.empty(0)
    kind = rng.integers(0, 3, m)
    a = rng.integers(0, n_firms, m)
    b = np.where(kind == LinkKind.UNIVERSITY, rng.integers(0, 4, m), rng.integers(0, n_firms, m))
    links.append(
        a=a,
        b=b,
        kind=kind,
        formed=np.zeros(m),
        expires=np.ones(m),
        cross_cluster=np.zeros(m, bool),
        interregional=np.zeros(m, bool),
        fee=np.zeros(m),
        instrument=np.zeros(m),
        eligible_share=np.zeros(m),
        active=rng.random(m) < 0.7,
        viable_unsubsidised=np.ones(m, bool),
    )
    q = 400
    uni = rng.random(q) < 0.3
    cand = Candidates(
        rng.integers(0, n_firms, q),
        np.where(uni, rng.integers(0, 4, q), rng.integers(0, n_firms, q)),
        uni,
    )
    live = links.active & (links.kind != LinkKind.SUPPLY)
    code = links.a[live] * 2 * (n_firms + 1) + 2 * links.b[live]
    code += links.kind[live] == LinkKind.UNIVERSITY
    rev = links.b[live] * 2 * (n_firms + 1) + 2 * links.a[live]
    known = np.concatenate([code, rev[links.kind[live] == LinkKind.COLLABORATION]])
    query = cand.searcher * 2 * (n_firms + 1) + 2 * cand.candidate + cand.university
    expected = np.isin(query, known)
    assert expected.any()
    assert not expected.all()
    np.testing.assert_array_equal(_already_linked(links, cand, n_firms), expected)


def test_already_linked_both_directions_for_firms_one_for_universities(make_model, add_link):
    ws = make_model(n_firms=100, burn_in=0).state
    ws.links = LinkTable.empty(0)
    add_link(ws, 1, 2)
    add_link(ws, 3, 0, LinkKind.UNIVERSITY)
    add_link(ws, 4, 5, active=False)
    add_link(ws, 6, 7, LinkKind.SUPPLY)
    cand = Candidates(
        np.array([1, 2, 3, 3, 4, 6]),
        np.array([2, 1, 0, 0, 5, 7]),
        np.array([False, False, True, False, False, False]),
    )
    # 1-2 both ways; 3 to university 0 but not to firm 0; inactive and supply links do
    # not prevent a collaboration
    assert _already_linked(ws.links, cand, len(ws.firms)).tolist() == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


# --- local search ---------------------------------------------------------------------------


def _brute_force(searchers, pool, x, y, radius):
    return {
        (int(s), int(c))
        for s in searchers
        for c in pool
        if s != c and math.hypot(x[s] - x[c], y[s] - y[c]) <= radius
    }


def test_local_candidates_hand_built_grid(rng):
    #   firm:  0      1      2      3      4
    x = np.array([5, 6, 7, 5, 20])
    y = np.array([5, 5, 5, 8, 20])
    pool = np.arange(5)
    cand = local_candidates(np.array([0, 4]), pool, x, y, radius=2.0, k=10, rng=rng)
    pairs = set(zip(cand.searcher.tolist(), cand.candidate.tolist(), strict=True))
    # firm 0 reaches 1 (distance 1) and 2 (distance 2); 3 is 3 away; firm 4 is alone
    assert pairs == {(0, 1), (0, 2)}
    assert not cand.university.any()


@pytest.mark.parametrize("radius", [1.0, 2.5, 4.0, 7.3])
def test_local_candidates_match_brute_force_when_k_is_large(rng, radius):
    x = rng.integers(0, 40, size=300)
    y = rng.integers(0, 40, size=300)
    searchers = rng.choice(300, size=60, replace=False)
    pool = rng.choice(300, size=200, replace=False)
    cand = local_candidates(searchers, pool, x, y, radius, k=1000, rng=rng)
    pairs = list(zip(cand.searcher.tolist(), cand.candidate.tolist(), strict=True))
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == _brute_force(searchers, pool, x, y, radius)


@pytest.mark.parametrize("k", [0, 1, 3])
def test_local_candidates_at_most_k_within_radius_never_self(rng, k):
    x = rng.integers(0, 15, size=200)
    y = rng.integers(0, 15, size=200)
    searchers = np.arange(0, 200, 2)
    cand = local_candidates(searchers, np.arange(200), x, y, 3.0, k, rng)
    assert (cand.searcher != cand.candidate).all()
    d = np.hypot(x[cand.searcher] - x[cand.candidate], y[cand.searcher] - y[cand.candidate])
    assert (d <= 3.0).all()
    counts = np.bincount(cand.searcher, minlength=200)
    assert counts.max() <= k
    if k:
        # a crowded 15 x 15 grid: every searcher finds its k
        assert (counts[searchers] == k).all()


def test_local_candidates_empty_inputs(rng):
    x = y = np.arange(5)
    assert (
        local_candidates(np.zeros(0, np.int64), np.arange(5), x, y, 2.0, 3, rng).searcher.size == 0
    )
    assert (
        local_candidates(np.arange(5), np.zeros(0, np.int64), x, y, 2.0, 3, rng).searcher.size == 0
    )


# --- fees and subsidies in the value of a prospective link ----------------------------------


def _pairs_in_region_zero(ws):
    """A clustered firm i of region 0, a firm j of another cluster and k of i's cluster."""
    f = ws.firms
    i = int(np.flatnonzero((f.region == 0) & (f.cluster >= 0))[0])
    j = int(np.flatnonzero((f.region == 0) & (f.cluster != f.cluster[i]))[0])
    k = int(np.flatnonzero((f.region == 0) & (f.cluster == f.cluster[i]))[1])
    return i, j, k


def test_link_fee_rises_with_distance(make_model):
    model = make_model(n_firms=100, burn_in=0)
    ws, net = model.state, model.params.networking
    ws.firms.x[:3] = [0, 3, 0]
    ws.firms.y[:3] = [0, 4, 0]
    fee = link_fee(ws, np.array([0, 0]), np.array([1, 2]), np.zeros(2, bool), net)
    # distance 5 and 0: f0 (1 + 5 / 20) and f0
    np.testing.assert_allclose(fee, [0.03 * 1.25, 0.03])


def test_node_region_reads_each_partner_from_its_own_table(make_model):
    model = make_model(n_firms=100, burn_in=0, n_regions=4)
    ws = model.state
    node, uni = np.array([3, 0, 7, 1]), np.array([False, True, False, True])
    expected = [ws.firms.region[3], ws.unis.region[0], ws.firms.region[7], ws.unis.region[1]]
    assert node_region(ws, node, uni).tolist() == expected


def test_a_world_without_universities_values_and_forms_firm_links(make_model):
    # Regression (issue #17): with max_universities_per_region=0 the university table is
    # empty, and reading its row 0 as a placeholder for firm partners was an IndexError.
    model = make_model(n_firms=100, burn_in=0, max_universities_per_region=0)
    ws = model.state
    assert len(ws.unis) == 0
    firm, other = np.array([0, 1]), np.array([2, 3])
    assert node_region(ws, other, np.zeros(2, bool)).tolist() == ws.firms.region[other].tolist()
    instrument, share = link_terms(ws, firm, other, np.zeros(2, bool), model.params.policy)
    assert instrument.shape == share.shape == (2,)
    for _ in range(3):
        model.step()
    kinds = ws.links.kind[ws.links.active]
    assert (kinds == LinkKind.COLLABORATION).any()
    assert not (kinds == LinkKind.UNIVERSITY).any()


def test_cross_cluster_subsidy_raises_exactly_the_value_of_cross_cluster_links(make_model):
    model = make_model(n_firms=200)
    ws = model.state
    i, j, k = _pairs_in_region_zero(ws)
    ws.ratio[:] = [0.5, 1.0, 1.0, 1.0]  # region 0's claims were paid at half last year
    firm, other, uni = np.array([i, i]), np.array([j, k]), np.zeros(2, bool)
    v0, instrument, share0, fee = link_value(ws, firm, other, uni, model.params)
    subsidised = model.params.replace(cross_cluster_subsidy=0.6)
    v1, _, share1, fee1 = link_value(ws, firm, other, uni, subsidised)
    assert instrument.tolist() == [Instrument.CROSS_CLUSTER, Instrument.INTRA_CLUSTER]
    assert share0.tolist() == [0.0, 0.0]
    assert share1.tolist() == [0.6, 0.0]
    np.testing.assert_array_equal(fee, fee1)
    # value rises by fee * share * ratio for the cross-cluster link, not at all otherwise
    np.testing.assert_allclose(v1 - v0, [fee[0] * 0.6 * 0.5, 0.0], atol=1e-15)
    assert v1[0] > v0[0]


def test_each_subsidy_lowers_only_its_own_links_fee(make_model):
    model = make_model(n_firms=200, n_regions=2)
    ws = model.state
    i, j, k = _pairs_in_region_zero(ws)
    abroad = int(np.flatnonzero(ws.firms.region == 1)[0])
    u = int(np.flatnonzero(ws.unis.region == 0)[0])
    firm = np.array([i, i, i, i])
    other = np.array([j, k, abroad, u])
    uni = np.array([False, False, False, True])
    base, instrument, _, fee = link_value(ws, firm, other, uni, model.params)
    assert instrument.tolist() == [
        Instrument.CROSS_CLUSTER,
        Instrument.INTRA_CLUSTER,
        Instrument.INTERREGIONAL,
        Instrument.UNIVERSITY_LINK,
    ]
    for position, lever in enumerate(
        [
            "cross_cluster_subsidy",
            "intra_cluster_subsidy",
            "interregional_subsidy",
            "university_link_subsidy",
        ]
    ):
        value, _, _, _ = link_value(ws, firm, other, uni, model.params.replace(**{lever: 1.0}))
        expected = np.zeros(4)
        expected[position] = fee[position] * ws.ratio[0]
        np.testing.assert_allclose(value - base, expected, atol=1e-15, err_msg=lever)


def test_no_subsidy_is_expected_while_policy_is_off(make_model):
    model = make_model(n_firms=200)
    ws = model.state
    i, j, _ = _pairs_in_region_zero(ws)
    params = model.params.replace(cross_cluster_subsidy=1.0)
    ws.policy_on = False
    _, share = link_terms(ws, np.array([i]), np.array([j]), np.array([False]), params.policy)
    assert share.tolist() == [0.0]


def test_missing_link_targeting_subsidises_only_links_bringing_a_target_field(make_model):
    model = make_model(n_firms=200)
    ws = model.state
    f = ws.firms
    i = int(np.flatnonzero(f.region == 0)[0])
    others = np.flatnonzero((f.region == 0) & (np.arange(len(f)) != i))
    params = model.params.replace(cross_cluster_subsidy=0.5, intra_cluster_subsidy=0.5)
    params = params.replace(subsidy_targeting="missing_link")
    firm = np.full(others.size, i)
    uni = np.zeros(others.size, bool)
    target = np.zeros_like(ws.target_fields)
    target[0, 3] = True
    ws.target_fields = target
    _, share = link_terms(ws, firm, others, uni, params.policy)
    brings = brings_fields(f.knowledge[firm], f.knowledge[others])
    np.testing.assert_array_equal(share > 0, brings[:, 3])
    assert (share[share > 0] == 0.5).all()
    ws.target_fields = np.zeros_like(target)
    _, share = link_terms(ws, firm, others, uni, params.policy)
    assert not share.any()


# --- search, capacity, renewal ----------------------------------------------------------------


def _active_partnerships(ws):
    links = ws.links
    live = np.flatnonzero(links.active & (links.kind != LinkKind.SUPPLY))
    uni = links.kind[live] == LinkKind.UNIVERSITY
    a, b = links.a[live], links.b[live]
    return [
        ("u", int(x), int(y)) if u else ("f", min(int(x), int(y)), max(int(x), int(y)))
        for x, y, u in zip(a, b, uni, strict=True)
    ]


def test_partner_capacity_is_never_exceeded_after_many_steps(make_model):
    model = make_model(
        "ris3_relatedness",
        rng=4,
        n_firms=250,
        partner_capacity_elasticity=0.0,  # every firm's cap is 2, whatever its size
        partner_capacity_scale=2.0,
        university_capacity=3,
        search_probability=1.0,
        link_benefit_scale=5.0,
    )
    ws = model.state
    for _ in range(15):
        model.step()
        per_firm, per_uni = partner_counts(
            ws.links.a, ws.links.b, ws.links.kind, ws.links.active, len(ws.firms), len(ws.unis)
        )
        assert per_firm.max() <= 2
        assert per_uni.max() <= 3
    assert per_firm.max() == 2, "no firm reached its cap: the test would prove nothing"
    assert per_uni.max() == 3


def test_no_pair_is_linked_twice(make_model):
    model = make_model(
        "ris3_relatedness", rng=3, n_firms=300, search_probability=1.0, link_benefit_scale=5.0
    )
    for _ in range(10):
        model.step()
        pairs = _active_partnerships(model.state)
        assert len(pairs) == len(set(pairs))
    assert len(pairs) > 50


def test_search_partners_forms_valid_links(make_model):
    model = make_model("ris3_relatedness", rng=6, n_firms=200, search_probability=1.0)
    ws = model.state
    start = len(ws.links)
    formed = search_partners(ws, model.params, np.random.default_rng(0))
    new = np.arange(start, len(ws.links))
    assert formed == new.size > 0
    links, f = ws.links, ws.firms
    uni = links.kind[new] == LinkKind.UNIVERSITY
    assert f.alive[links.a[new]].all()
    assert f.alive[links.b[new][~uni]].all()
    assert (links.a[new][~uni] != links.b[new][~uni]).all()
    assert (links.expires[new] == ws.step + model.params.networking.link_duration).all()
    b = links.b[new]
    b_region = np.where(uni, ws.unis.region[np.where(uni, b, 0)], f.region[np.where(uni, 0, b)])
    b_cluster = np.where(uni, -1, f.cluster[np.where(uni, 0, b)])
    expected = instrument_of_links(
        f.cluster[links.a[new]], b_cluster, f.region[links.a[new]], b_region, uni
    )
    np.testing.assert_array_equal(links.instrument[new], expected)
    np.testing.assert_array_equal(links.interregional[new], f.region[links.a[new]] != b_region)
    events = ws.events.columns("link")
    assert events["firm"][-new.size :].tolist() == f.id[links.a[new]].tolist()  # ids, not rows


def test_links_expire_unless_still_worth_their_fee(make_model, add_link):
    model = make_model(n_firms=100, burn_in=0)
    ws = model.state
    ws.links = LinkTable.empty(0)
    due = add_link(ws, 1, 2, expires=ws.step)
    later = add_link(ws, 3, 4, expires=ws.step + 2)
    worthless = model.params.replace(link_benefit_scale=0.0)
    assert renew_or_expire(ws, worthless) == 1
    assert not ws.links.active[due]
    assert ws.links.active[later]
    # a valuable link is renewed for another term
    renewed = add_link(ws, 5, 6, expires=ws.step)
    # firm 6 knows much that firm 5 lacks, at exactly the optimal distance
    ws.firms.knowledge[5] = 0.2
    ws.firms.knowledge[5, 0] = 0.9
    ws.firms.knowledge[6] = 0.9
    d = cognitive_distance_rows(
        ws.firms.knowledge[[5]], ws.firms.knowledge[[6]], ws.space.proximity
    )
    valuable = model.params.replace(
        link_benefit_scale=100.0, optimal_cognitive_distance=float(d[0])
    )
    assert renew_or_expire(ws, valuable) == 0
    assert ws.links.active[renewed]
    assert ws.links.expires[renewed] == ws.step + model.params.networking.link_duration


# --- network mechanisms: capacity, partners of partners, shared partners ----------------------


def test_partner_capacity_grows_sub_linearly_with_size_hand_computed():
    net = NetworkingParams(min_partners=0)  # kappa = 1, beta = 0.5, at most 30, no floor
    employees = np.array([1.0, 3.0, 4.0, 16.0, 24.9, 100.0, 899.0, 1e5])
    # floor(sqrt(E)): 1, 1.73, 2, 4, 4.99, 10, 29.98 -> 1, 1, 2, 4, 4, 10, 29; 316 -> cap 30
    assert partner_capacity(employees, net).tolist() == [1, 1, 2, 4, 4, 10, 29, 30]
    double = NetworkingParams(partner_capacity_scale=2.0, partner_capacity_elasticity=1.0)
    assert partner_capacity(np.array([3.0, 20.0]), double).tolist() == [6, 30]


def test_partner_capacity_has_a_floor_hand_computed():
    employees = np.array([0.5, 1.0, 8.9, 9.0, 16.0])
    # floor(sqrt(E)) = 0, 1, 2, 3, 4, raised to at least 2, then to at least 3
    assert partner_capacity(employees, NetworkingParams()).tolist() == [2, 2, 2, 3, 4]
    assert partner_capacity(employees, NetworkingParams(min_partners=3)).tolist() == [3] * 4 + [4]
    # the cap wins over the floor
    assert partner_capacity(employees, NetworkingParams(min_partners=5, max_partners=4)).max() == 4


def test_partner_capacity_draws_on_the_group_hand_computed():
    employees = np.array([4.0, 12.0, 9.0, 100.0])
    group = np.array([7, 7, 3, 7])  # firms 0, 1 and 3 form one group of 116 employees
    net = NetworkingParams(min_partners=0)
    # whole group: floor(sqrt(116)) = 10 for its three firms, floor(sqrt(9)) = 3 alone
    assert partner_capacity(employees, net, group).tolist() == [10, 10, 3, 10]
    # half the group's other staff: 4 + 0.5 * 112 = 60 -> 7; 12 + 52 = 64 -> 8; 100 + 8 -> 10
    half = NetworkingParams(min_partners=0, partner_capacity_group_share=0.5)
    assert partner_capacity(employees, half, group).tolist() == [7, 8, 3, 10]
    none = NetworkingParams(min_partners=0, partner_capacity_group_share=0.0)
    assert partner_capacity(employees, none, group).tolist() == [2, 3, 3, 10]


def _graph(ws_links_kind_pairs, n_firms, n_unis):
    """A PartnerGraph from (a, b, is_university) triples."""
    a = np.array([p[0] for p in ws_links_kind_pairs])
    b = np.array([p[1] for p in ws_links_kind_pairs])
    kind = np.array(
        [LinkKind.UNIVERSITY if p[2] else LinkKind.COLLABORATION for p in ws_links_kind_pairs]
    )
    links = LinkTable.empty(0)
    n = a.size
    links.append(
        a=a,
        b=b,
        kind=kind,
        formed=np.zeros(n, np.int64),
        expires=np.full(n, 3),
        cross_cluster=np.zeros(n, bool),
        interregional=np.zeros(n, bool),
        fee=np.zeros(n),
        instrument=np.zeros(n, np.int64),
        eligible_share=np.zeros(n),
        viable_unsubsidised=np.ones(n, bool),
        active=np.ones(n, bool),
    )
    return PartnerGraph.of(links, n_firms, n_unis)


def test_partner_graph_neighbour_lists_hand_built():
    # firms 0-1, 1-2 collaborate; firm 2 and firm 3 work with university 0 (node 4)
    g = _graph([(0, 1, False), (2, 1, False), (2, 0, True), (3, 0, True)], 4, 1)
    assert [g.neighbours[g.indptr[v] : g.indptr[v + 1]].tolist() for v in range(5)] == [
        [1],
        [0, 2],
        [1, 4],
        [4],
        [2, 3],
    ]
    assert g.degree(np.arange(5)).tolist() == [1, 2, 2, 1, 2]


def test_referral_candidates_are_partners_of_partners_hand_built_small_world(rng):
    # two triangles of firms (0, 1, 2) and (3, 4, 5) bridged by 2-3, firm 0 also works with
    # university 0 (node 6), which works with firm 5
    pairs = [(0, 1, False), (1, 2, False), (0, 2, False), (3, 4, False), (4, 5, False)]
    pairs += [(3, 5, False), (2, 3, False), (0, 0, True), (5, 0, True)]
    g = _graph(pairs, 6, 1)
    s, c, uni = referral_candidates(g, np.array([0, 4]), 400, rng)
    assert s.tolist() == [0] * 400 + [4] * 400
    # firm 0's partners: 1, 2, university 0 -> their partners: {0, 2}, {0, 1, 3}, {0, 5}
    found_0 = {(int(x), bool(u)) for x, u in zip(c[s == 0], uni[s == 0], strict=True)}
    assert found_0 == {(0, False), (1, False), (2, False), (3, False), (5, False)}
    # firm 4's partners 3 and 5 -> {4, 5, 2} and {3, 4, university 0}
    found_4 = {(int(x), bool(u)) for x, u in zip(c[s == 4], uni[s == 4], strict=True)}
    assert found_4 == {(2, False), (3, False), (4, False), (5, False), (0, True)}


def test_referral_search_finds_nobody_without_partners(rng):
    g = _graph([(0, 1, False)], 3, 0)
    s, c, uni = referral_candidates(g, np.array([2]), 5, rng)
    assert s.size == c.size == uni.size == 0
    s, c, _ = partners_of(g, np.array([2, 2, 2]), np.array([0, 2, 1]), rng)
    assert s.tolist() == [2, 2]
    assert c.tolist() == [1, 0]  # the partners of 0 and of 1


def test_shared_partners_hand_computed():
    # partners: firm 0 {2, u0}, firm 1 {2, u0, 3}, firm 2 {0, 1}, firm 3 {1}, u0 (node 4) {0, 1}
    pairs = [(0, 2, False), (1, 2, False), (0, 0, True), (1, 0, True), (3, 1, False)]
    g = _graph(pairs, 4, 1)
    got = shared_partners(g, np.array([0, 0, 1, 2]), np.array([1, 3, 0, 4]))
    assert got.tolist() == [2, 0, 2, 2]  # {2, u0}; none; {2, u0}; {0, 1}


def test_shared_partner_bonus_raises_link_value_hand_computed(make_model, add_link):
    model = make_model(n_firms=100, burn_in=0)
    ws = model.state
    ws.links = LinkTable.empty(0)
    add_link(ws, 1, 3)
    add_link(ws, 2, 3)  # firms 1 and 2 share partner 3
    add_link(ws, 4, 0, kind=LinkKind.UNIVERSITY)  # firm 4 shares nothing with 1
    firm, other, uni = np.array([1, 1]), np.array([2, 4]), np.zeros(2, bool)
    params = model.params.replace(shared_partner_bonus=0.0)
    v0 = link_value(ws, firm, other, uni, params)[0]
    v1 = link_value(ws, firm, other, uni, params.replace(shared_partner_bonus=0.7))[0]
    nodes = NodeKnowledge.of(ws.firms.knowledge, ws.unis.knowledge, ws.space.proximity)
    c = complementarity(nodes, firm, other, params.learning.optimal_cognitive_distance)
    # v = B c (1 + tau n) - f: one shared partner adds B c tau; none adds nothing
    b = params.networking.link_benefit_scale
    np.testing.assert_allclose(v1 - v0, [b * c[0] * 0.7, 0.0], atol=1e-12)
    assert c[0] > 0
    assert v1[0] > v0[0]


def test_partner_search_is_deterministic(make_model):
    runs = []
    for _ in range(2):
        model = make_model("ris3_relatedness", rng=5, n_firms=300, search_probability=0.8)
        for _ in range(8):
            model.step()
        links = model.state.links
        runs.append((links.a.copy(), links.b.copy(), links.kind.copy(), links.active.copy()))
    for x, y in zip(*runs, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("seed", range(5))
def test_referrals_close_triangles(make_model, seed):
    """With partner-of-partner search the knowledge network clusters more than without it.

    Average clustering of collaboration and university links (universities as nodes) after
    40 years of 600 firms: 0.10-0.15 with referrals against 0.03-0.06 without, seeds 0-4.
    """
    clustering = []
    for k in (0, 4):
        model = make_model(rng=seed, n_firms=600, referral_candidates=k)
        for _ in range(40):
            model.step()
        links = model.state.links
        live = np.flatnonzero(links.active & (links.kind != LinkKind.SUPPLY))
        uni = links.kind[live] == LinkKind.UNIVERSITY
        b = np.where(uni, -1 - links.b[live], links.b[live])  # universities: negative nodes
        graph = nx.Graph(zip(links.a[live].tolist(), b.tolist(), strict=True))
        clustering.append(nx.average_clustering(graph))
    assert clustering[1] > 1.5 * clustering[0]


@pytest.mark.parametrize("seed", range(5))
def test_shared_partners_is_the_set_intersection(seed):
    rng = np.random.default_rng(seed)
    n_firms, n_unis = 30, 3
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n_firms, (60, 2)) if a != b}
    pairs = {(min(p), max(p)) for p in pairs}
    unis = {
        (int(a), int(u))
        for a, u in zip(rng.integers(0, n_firms, 20), rng.integers(0, n_unis, 20), strict=True)
    }
    g = _graph(
        [(a, b, False) for a, b in sorted(pairs)] + [(a, u, True) for a, u in sorted(unis)],
        n_firms,
        n_unis,
    )
    nbrs = {v: set() for v in range(n_firms + n_unis)}
    for a, b in pairs:
        nbrs[a].add(b)
        nbrs[b].add(a)
    for a, u in unis:
        nbrs[a].add(n_firms + u)
        nbrs[n_firms + u].add(a)
    qa, qb = rng.integers(0, n_firms + n_unis, (2, 200))
    expected = [len(nbrs[x] & nbrs[y]) for x, y in zip(qa.tolist(), qb.tolist(), strict=True)]
    assert shared_partners(g, qa, qb).tolist() == expected
