import math

import numpy as np
import pytest

from model.knowledge import NodeKnowledge, cognitive_distance_rows
from model.networking import (
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
from model.policy import instrument_of_links
from model.state import Instrument, LinkKind, LinkTable

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
    # distance 5 and 0: f0 (1 + 5 / 10) and f0
    np.testing.assert_allclose(fee, [0.03 * 1.5, 0.03])


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
        sme_employee_limit=1e6,  # every firm is an SME, so its cap never changes
        max_partners_sme=2,
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
