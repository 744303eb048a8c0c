"""Tests of clusterlab.model.calls: the budget-clearing call, its scores and the deadweight flag."""

import numpy as np
import pytest

from clusterlab.model.calls import call_scores, clear_call, viable_unsubsidised
from clusterlab.model.state import Instrument

# --- clear_call ----------------------------------------------------------------------------


def test_clear_call_hand_computed():
    # One region, budget 2.5. Ranking: b (score 1.0), then a and c (0.5, a listed first).
    # b asks 1.0 -> funded (1.5 left); a asks 2.0 -> gets 1.5 of 2.0 = 0.75; c -> nothing.
    phi = clear_call(np.array([2.0, 1.0, 3.0]), np.array([0, 0, 0]), np.array([0.5, 1.0, 0.5]), 2.5)
    assert phi.tolist() == [0.75, 1.0, 0.0]


def test_clear_call_regions_have_their_own_budget_and_lottery_breaks_ties():
    amount = np.array([1.0, 1.0, 1.0, 0.5])
    region = np.array([1, 1, 0, 1])
    score = np.ones(4)
    # region 1 ranks by lottery: row 3 (0.1), row 1 (0.2), row 0 (0.9); budget 1.2:
    # row 3 takes 0.5, row 1 gets 0.7 of 1.0, row 0 nothing; region 0 funds its 1.0.
    phi = clear_call(amount, region, score, 1.2, lottery=np.array([0.9, 0.2, 0.5, 0.1]))
    np.testing.assert_allclose(phi, [0.0, 0.7, 1.0, 1.0])


def test_clear_call_degenerate_inputs():
    assert clear_call(np.zeros(0), np.zeros(0, np.int64), np.zeros(0), 1.0).size == 0
    # zero budget funds nothing; a 0 M€ proposal "fits" while money is left
    assert clear_call(np.array([1.0]), np.array([0]), np.ones(1), 0.0).tolist() == [0.0]
    phi = clear_call(np.array([0.0, 2.0]), np.array([2, 2]), np.ones(2), 1.0)
    assert phi.tolist() == [1.0, 0.5]  # region 2 only: regions 0 and 1 have no proposal


@pytest.mark.parametrize("seed", range(5))
def test_clear_call_spends_min_of_budget_and_demand_in_score_order(seed):
    rng = np.random.default_rng(seed)
    n, n_regions, budget = 300, 4, 5.0
    amount = rng.exponential(0.1, n) * rng.integers(1, 4, n)
    region = rng.integers(0, n_regions, n)
    score = rng.choice([0.0, 0.5, 1.0], n)
    phi = clear_call(amount, region, score, budget, rng.random(n))
    assert ((phi >= 0) & (phi <= 1)).all()
    paid = np.bincount(region, weights=amount * phi, minlength=n_regions)
    demand = np.bincount(region, weights=amount, minlength=n_regions)
    np.testing.assert_allclose(paid, np.minimum(budget, demand), rtol=1e-12)
    assert (paid <= budget * (1 + 1e-12)).all(), "never overspends"
    for r in range(n_regions):
        mine = region == r
        funded, unfunded = score[mine & (phi > 0)], score[mine & (phi < 1)]
        if funded.size and unfunded.size:
            assert funded.min() >= unfunded.max(), "a lower score was funded before a higher"
        assert ((phi[mine] > 0) & (phi[mine] < 1)).sum() <= 1, "one marginal proposal"


# --- call_scores ---------------------------------------------------------------------------


def test_call_scores_rank_additional_links_and_org_above_sme_grants_above_deadweight():
    instrument = np.array(
        [
            Instrument.CROSS_CLUSTER,
            Instrument.UNIVERSITY_LINK,
            Instrument.SME_RD_GRANT,
            Instrument.CLUSTER_ORG,
            Instrument.PROCUREMENT,
        ]
    )
    viable = np.array([True, False, True, True, True])  # ignored but for links
    # deadweight link 0; additional link 1; SME grant 1 / (1 + 0.3); org and procurement 1
    np.testing.assert_allclose(call_scores(instrument, viable, 0.3), [0.0, 1.0, 1 / 1.3, 1.0, 1.0])


# --- viable_unsubsidised -------------------------------------------------------------------


def test_viable_unsubsidised_hand_checked():
    # Fee 0.1 on every link; values already count the expected subsidy share e.
    value = np.array([0.08, 0.04, 0.08, 0.02, 0.03])
    expected = np.array([0.5, 0.5, 0.5, 0.0, 0.5])
    back = np.array([0.07, 0.07, 0.03, 0.01, -1.0])
    back_expected = np.array([0.5, 0.5, 0.5, 0.0, 0.0])
    university = np.array([False, False, False, False, True])
    fee = np.full(5, 0.1)
    out = viable_unsubsidised((value, fee, expected), (back, fee, back_expected), university)
    # 0: 0.08 - 0.05 = 0.03 > 0 and 0.07 - 0.05 = 0.02 > 0      -> would form anyway
    # 1: 0.04 - 0.05 < 0: the firm needed the subsidy              -> additional
    # 2: partner 0.03 - 0.05 < 0: the partner needed it            -> additional
    # 3: no subsidy (e = 0): the flag is the acceptance itself     -> viable
    # 4: a university partner accepts anyway: 0.03 - 0.05 < 0     -> additional
    assert out.tolist() == [True, False, False, True, False]


# --- the flag and its records in a run ------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_links_need_a_subsidy_only_when_there_is_one(make_model, seed):
    # Without subsidy every link formed is viable unsubsidised (its acceptance); with a
    # full cross-cluster subsidy some cross-cluster links form only thanks to it.
    for share, some_additional in ((0.0, False), (1.0, True)):
        model = make_model("baseline", rng=seed, cross_cluster_subsidy=share)
        for _ in range(5):
            model.step()
        links = model.state.links
        new = (links.formed > 0) & (links.kind != 0)
        subsidised = new & (links.eligible_share > 0)
        assert links.viable_unsubsidised[new & ~subsidised].all()
        assert (~links.viable_unsubsidised[subsidised]).any() == some_additional


def test_new_link_counts_and_deadweight_shares_in_the_outputs(small_result):
    ts, s = small_result.timeseries, small_result.summary
    eco = ts[ts["scope"] == "economy"].set_index("step").iloc[1:]
    events = small_result.events["link"]
    events = events[events["step"] >= 1]
    for instrument in ("cross_cluster", "university_link"):
        mine = events[events["instrument"] == instrument]
        assert eco[f"links_formed_{instrument}"].sum() == len(mine)
        subsidised = mine["eligible_share"] > 0
        assert eco[f"links_subsidised_{instrument}"].sum() == subsidised.sum() > 0
        dead = (subsidised & mine["viable_unsubsidised"]).sum()
        assert eco[f"links_deadweight_{instrument}"].sum() == dead
        assert s[f"deadweight_share_{instrument}"] == pytest.approx(dead / subsidised.sum())
    assert np.isnan(s["deadweight_share_interregional"]), "nothing subsidised: no share"
    spend = [s[f"spend_{i.name.lower()}"] for i in Instrument if i is not Instrument.NONE]
    assert sum(spend) == pytest.approx(s["policy_spend"])


def test_a_tiny_proposal_gets_all_it_asks_without_overflow():
    # 1e-313 is a subnormal amount: budget / amount overflows, but the share is 1
    with np.errstate(over="raise"):
        out = clear_call(np.array([1e-313, 3.0]), np.array([0, 0]), np.array([2.0, 1.0]), 2.0)
    np.testing.assert_array_equal(out, [1.0, (2.0 - 1e-313) / 3.0])


def test_a_tiny_proposal_after_the_budget_is_gone_gets_nothing_without_overflow():
    # ranked first, 250 M€ takes the whole budget of 1; then 5e-324 M€ is left -249
    with np.errstate(over="raise"):
        out = clear_call(np.array([5e-324, 250.0]), np.array([0, 0]), np.array([1.0, 2.0]), 1.0)
    np.testing.assert_array_equal(out, [0.0, 1.0 / 250.0])
