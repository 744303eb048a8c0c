import numpy as np
import pytest

from clusterlab.model.params import PolicyParams
from clusterlab.model.policy import (
    apply_targeting,
    column,
    instrument_of_links,
    missing_link_fields,
    ration,
    run_policy,
    subsidy_shares,
    targeted,
)
from clusterlab.model.state import SPENDING_INSTRUMENTS, Instrument, LinkKind, LinkTable

# --- which instrument pays for which link ------------------------------------------------


@pytest.mark.parametrize(
    ("cluster_a", "cluster_b", "region_a", "region_b", "university", "expected"),
    [
        (0, 0, 0, 0, False, Instrument.INTRA_CLUSTER),
        (0, 1, 0, 0, False, Instrument.CROSS_CLUSTER),
        (0, -1, 0, 0, False, Instrument.CROSS_CLUSTER),  # a clustered firm with an unclustered one
        (-1, -1, 0, 0, False, Instrument.CROSS_CLUSTER),  # two unclustered firms share no cluster
        (0, 1, 0, 1, False, Instrument.INTERREGIONAL),  # interregional beats cross-cluster
        (0, 0, 0, 1, False, Instrument.INTERREGIONAL),  # ... and intra-cluster
        (0, -1, 0, 1, True, Instrument.UNIVERSITY_LINK),  # university beats interregional
        (0, -1, 0, 0, True, Instrument.UNIVERSITY_LINK),
    ],
)
def test_instrument_precedence_university_interregional_cross_intra(
    cluster_a, cluster_b, region_a, region_b, university, expected
):
    out = instrument_of_links(
        np.array([cluster_a]),
        np.array([cluster_b]),
        np.array([region_a]),
        np.array([region_b]),
        np.array([university]),
    )
    assert out.tolist() == [expected]
    assert out.dtype == np.int64


def test_subsidy_shares_map_each_link_instrument_to_its_lever():
    policy = PolicyParams(
        intra_cluster_subsidy=0.1,
        cross_cluster_subsidy=0.2,
        interregional_subsidy=0.3,
        university_link_subsidy=0.4,
    )
    instruments = np.array(list(Instrument))
    expected = {
        Instrument.INTRA_CLUSTER: 0.1,
        Instrument.CROSS_CLUSTER: 0.2,
        Instrument.INTERREGIONAL: 0.3,
        Instrument.UNIVERSITY_LINK: 0.4,
    }
    shares = subsidy_shares(instruments, policy)
    for instrument, share in zip(instruments, shares, strict=True):
        assert share == expected.get(Instrument(instrument), 0.0)


# --- missing-link targeting ----------------------------------------------------------------


def test_missing_link_fields_hand_computed():
    specialised = np.array([[True, False, False, False], [True, True, True, True]])
    density = np.array([[0.0, 10.0, 30.0, 50.0], [5.0, 5.0, 5.0, 5.0]])
    recipes = np.array(
        [
            [1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.5, 0.5, 0.0],
            [0.0, 0.0, 0.0, 0.5, 0.5],
        ]
    )
    out = missing_link_fields(specialised, density, recipes)
    # Region 0 lacks industries 1, 2, 3 with density 10, 30, 50: median 30, so industries 2
    # and 3 are its opportunities and their fields 2, 3, 4 its targets.
    assert out[0].tolist() == [False, False, True, True, True]
    # Region 1 lacks nothing: no targets.
    assert not out[1].any()


def test_targeted_and_apply_targeting_zero_links_bringing_no_target_field():
    target_fields = np.array([[False, True, False], [True, False, False]])
    brings = np.array([[True, False, False], [True, True, False], [True, False, False]])
    region = np.array([0, 0, 1])
    # link 0 brings field 0 (not a target of region 0), link 1 brings field 1 (a target),
    # link 2 brings field 0 (a target of region 1)
    assert targeted(brings, region, target_fields).tolist() == [False, True, True]
    share = np.array([0.5, 0.5, 0.5])
    targeted_policy = PolicyParams(subsidy_targeting="missing_link")
    out = apply_targeting(share, targeted_policy, brings, region, target_fields)
    assert out.tolist() == [0.0, 0.5, 0.5]
    blanket = apply_targeting(share, PolicyParams(), brings, region, target_fields)
    assert blanket.tolist() == [0.5, 0.5, 0.5]


# --- rationing -----------------------------------------------------------------------------


def test_ration_hand_computed():
    claims = np.array([[2.0, 2.0], [1.0, 0.0], [0.0, 0.0]])
    ratio, spend = ration(claims, 2.0)
    # region 0 asks 4 of 2: everything paid at half; region 1 asks 1: paid in full;
    # region 2 asks nothing: ratio 1
    assert ratio.tolist() == [0.5, 1.0, 1.0]
    assert spend.tolist() == [[1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]


def test_ration_never_overspends_and_is_pro_rata(rng):
    claims = rng.exponential(1.0, size=(50, len(SPENDING_INSTRUMENTS)))
    for budget in (0.0, 0.5, 3.0, 100.0):
        ratio, spend = ration(claims, budget)
        assert (spend.sum(axis=1) <= budget + 1e-12).all()
        assert ((ratio >= 0) & (ratio <= 1)).all()
        np.testing.assert_allclose(spend, claims * ratio[:, None])
        over = claims.sum(axis=1) > budget
        np.testing.assert_allclose(spend[over].sum(axis=1), budget)
        assert (ratio[~over] == 1).all()


def test_columns_follow_spending_instrument_order():
    assert [column(i) for i in SPENDING_INSTRUMENTS] == list(range(len(SPENDING_INSTRUMENTS)))
    assert column(Instrument.INTRA_CLUSTER) == 0


# --- run_policy: claims booked to the right region and instrument ---------------------------


@pytest.fixture
def policy_world(make_model, add_link):
    """A model whose links are replaced by three hand-made ones (two regions)."""
    model = make_model(n_firms=100, burn_in=0, n_regions=2)
    ws = model.state
    ws.links = LinkTable.empty(0)
    i = int(np.flatnonzero(ws.firms.region == 0)[0])
    j = int(np.flatnonzero(ws.firms.region == 1)[0])
    u = int(np.flatnonzero(ws.unis.region == 0)[0])
    add_link(ws, i, j, instrument=Instrument.INTERREGIONAL, eligible_share=0.5, fee=0.1)
    add_link(
        ws,
        i,
        u,
        LinkKind.UNIVERSITY,
        instrument=Instrument.UNIVERSITY_LINK,
        eligible_share=0.25,
        fee=0.2,
    )
    add_link(ws, j, i, LinkKind.SUPPLY)
    params = model.params.replace(
        policy_budget=100.0, sme_rd_grant=0.0, cluster_org_funding=0.0, challenge_demand=0.0
    )
    return ws, params, i, j


def test_each_end_of_a_link_claims_against_its_own_region(policy_world):
    ws, params, i, j = policy_world
    year = run_policy(ws, params, np.zeros(len(ws.firms), bool))
    # i (region 0) pays 0.1 + 0.2 in fees; j (region 1) pays its end of the collaboration.
    assert year.fees[i] == pytest.approx(0.3)
    assert year.fees[j] == pytest.approx(0.1)
    expected = np.zeros_like(year.spend)
    expected[0, column(Instrument.INTERREGIONAL)] = 0.1 * 0.5  # a-end, region 0
    expected[1, column(Instrument.INTERREGIONAL)] = 0.1 * 0.5  # b-end, region 1
    expected[0, column(Instrument.UNIVERSITY_LINK)] = 0.2 * 0.25
    np.testing.assert_allclose(year.spend, expected)
    assert year.subsidies[i] == pytest.approx(0.05 + 0.05)
    assert year.subsidies[j] == pytest.approx(0.05)
    assert year.ratio.tolist() == [1.0, 1.0]
    others = np.setdiff1d(np.arange(len(ws.firms)), [i, j])
    assert not year.fees[others].any()
    assert not year.subsidies[others].any()


def test_claims_are_rationed_by_region(policy_world):
    ws, params, i, j = policy_world
    year = run_policy(ws, params.replace(policy_budget=0.075), np.zeros(len(ws.firms), bool))
    # Region 0 asks 0.1 of 0.075: paid 75%; region 1 asks 0.05: paid in full.
    assert year.ratio.tolist() == pytest.approx([0.75, 1.0])
    assert year.spend[0].sum() == pytest.approx(0.075)
    assert year.subsidies[i] == pytest.approx(0.1 * 0.75)
    assert year.subsidies[j] == pytest.approx(0.05)


def test_dead_firms_and_policy_off_claim_nothing(policy_world):
    ws, params, i, j = policy_world
    ws.firms.alive[j] = False
    year = run_policy(ws, params, np.zeros(len(ws.firms), bool))
    assert year.spend[1].sum() == 0.0
    assert year.spend[0].sum() == pytest.approx(0.1)
    ws.policy_on = False
    year = run_policy(ws, params, np.zeros(len(ws.firms), bool))
    assert year.spend.sum() == 0.0
    assert year.subsidies.sum() == 0.0
    assert year.fees[i] == pytest.approx(0.3), "fees are owed with or without policy"


def test_sme_grants_org_funding_and_procurement_are_booked(policy_world):
    ws, params, _, _ = policy_world
    ws.links = LinkTable.empty(0)
    ws.firms.rd_budget[:] = 0.01
    sme = ws.firms.employees < 20
    params = params.replace(sme_rd_grant=0.5, cluster_org_funding=0.3, challenge_demand=2.0)
    year = run_policy(ws, params, sme)
    for r in range(2):
        in_r = ws.firms.region == r
        assert year.spend[r, column(Instrument.SME_RD_GRANT)] == pytest.approx(
            0.5 * 0.01 * (sme & in_r).sum()
        )
        orgs_r = (ws.orgs.region == r).sum()
        assert year.spend[r, column(Instrument.CLUSTER_ORG)] == pytest.approx(0.3 * orgs_r)
        has_challenge = ws.industries.is_challenge[ws.firms.industry[in_r]].any()
        assert year.procurement[r] == (2.0 if has_challenge else 0.0)
    np.testing.assert_allclose(year.org_funding, 0.3)
    assert not year.subsidies[~sme].any(), "large firms get no SME grant"


def test_a_tiny_budget_stops_subsidies_at_the_budget_every_step(make_model):
    budget = 0.01
    model = make_model(
        "ris3_relatedness",
        rng=3,
        policy_budget=budget,
        cross_cluster_subsidy=1.0,
        university_link_subsidy=1.0,
        sme_rd_grant=1.0,
        cluster_org_funding=1.0,
    )
    binding = 0
    for _ in range(8):
        model.step()
        spent = model.state.spend.sum(axis=1)
        assert (spent <= budget + 1e-12).all()
        binding += int((model.state.ratio < 1).sum())
        np.testing.assert_allclose(spent[model.state.ratio < 1], budget)
    assert binding > 0, "the budget never bound: the test would prove nothing"


# --- allocation = "call": a budget-clearing call -----------------------------------------


def _call(params, **changes):
    return params.replace(allocation="call", **changes)


def test_call_funds_the_link_that_needed_its_subsidy_before_the_deadweight_one(policy_world):
    ws, params, i, _ = policy_world
    # Region 0 claims 0.05 (interregional end of i) + 0.05 (university link of i).
    # The interregional link would have formed anyway (deadweight, score 0); the
    # university link needed its subsidy (score 1): with 0.06 it is funded first, in full.
    ws.links.viable_unsubsidised[:] = [True, False, True]
    year = run_policy(ws, _call(params, policy_budget=0.06), np.zeros(len(ws.firms), bool))
    assert year.spend[0, column(Instrument.UNIVERSITY_LINK)] == pytest.approx(0.05)
    assert year.spend[0, column(Instrument.INTERREGIONAL)] == pytest.approx(0.01)  # remainder
    assert year.spend[1, column(Instrument.INTERREGIONAL)] == pytest.approx(0.05)  # j: 0.05 < 0.06
    assert year.subsidies[i] == pytest.approx(0.06)
    assert year.ratio.tolist() == pytest.approx([0.6, 1.0])  # 0.06 of 0.1 claimed; all of 0.05


def test_call_without_binding_budget_pays_every_claim_as_pro_rata_does(policy_world):
    ws, params, _, _ = policy_world
    ws.firms.rd_budget[:] = 0.01
    sme = ws.firms.employees < 20
    params = params.replace(sme_rd_grant=0.5, cluster_org_funding=0.3, challenge_demand=2.0)
    rd_before = ws.firms.rd_budget.copy()
    pro_rata = run_policy(ws, params, sme)
    call = run_policy(ws, _call(params), sme, np.random.default_rng(0))
    for field in ("fees", "subsidies", "org_funding", "procurement", "ratio", "spend"):
        np.testing.assert_allclose(getattr(call, field), getattr(pro_rata, field), err_msg=field)
    np.testing.assert_array_equal(ws.firms.rd_budget, rd_before)  # funded SMEs keep their R&D


def test_call_unfunded_sme_does_no_extra_rd_and_gets_no_grant(policy_world):
    ws, params, _, _ = policy_world
    ws.links = LinkTable.empty(0)
    ws.firms.rd_budget[:] = 0.01 * 1.5  # iota S (1 + g) with g = 0.5
    sme = np.zeros(len(ws.firms), bool)
    in_0 = np.flatnonzero(ws.firms.region == 0)[:3]
    sme[in_0] = True
    # Three SMEs of region 0 ask 0.0075 each; a budget of 0.01 funds one in full and the
    # next (by lottery) for (0.01 - 0.0075) / 0.0075 = 1/3; the third gets nothing.
    params = _call(params, sme_rd_grant=0.5, policy_budget=0.01)
    year = run_policy(ws, params, sme, np.random.default_rng(1))
    grants = np.sort(year.subsidies[in_0])
    np.testing.assert_allclose(grants, [0.0, 0.0025, 0.0075])
    # R&D becomes iota S (1 + g phi): 0.01 * (1, 1 + 0.5 / 3, 1.5)
    np.testing.assert_allclose(
        np.sort(ws.firms.rd_budget[in_0]), [0.01, 0.01 * (1 + 0.5 / 3), 0.015]
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_call_never_overspends_and_spends_the_whole_budget_when_demand_exceeds_it(make_model, seed):
    budget = 0.05
    model = make_model(
        "ris3_relatedness",
        rng=seed,
        allocation="call",
        policy_budget=budget,
        cross_cluster_subsidy=1.0,
        university_link_subsidy=1.0,
        sme_rd_grant=1.0,
        cluster_org_funding=0.01,
    )
    binding = 0
    for _ in range(6):
        model.step()
        spent = model.state.spend.sum(axis=1)
        assert (spent <= budget * (1 + 1e-12)).all()
        short = model.state.ratio < 1  # demand exceeded the budget
        np.testing.assert_allclose(spent[short], budget, rtol=1e-12)
        binding += int(short.sum())
    assert binding > 0, "the budget never bound: the test would prove nothing"


def test_pro_rata_is_the_default_allocation():
    assert PolicyParams().allocation == "pro_rata"
