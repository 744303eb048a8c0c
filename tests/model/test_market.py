import numpy as np
import pytest

from model.market import (
    Accounts,
    adjust_employment,
    book_accounts,
    grow_final_demand,
    input_coefficients,
    market_shares,
    procurement_revenue,
    set_rd_budgets,
    share_weights,
    total_demand,
)
from model.params import MarketParams, ModelParams
from model.state import FirmTable

# --- demand --------------------------------------------------------------------------------


def test_input_coefficients_split_the_input_share_among_suppliers():
    supplies = np.array([[False, True, True], [False, False, True], [False, False, False]])
    a = input_coefficients(supplies, 0.4)
    # industry 1 has one supplier (0.4); industry 2 has two (0.2 each); 0 has none
    np.testing.assert_allclose(a, [[0, 0.4, 0.2], [0, 0, 0.2], [0, 0, 0]])


def test_total_demand_leontief_chain_hand_computed():
    # chain 0 -> 1 -> 2, each buying half its output's worth from the previous one
    a = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.5], [0.0, 0.0, 0.0]])
    final = np.array([1.0, 1.0, 1.0])
    y = total_demand(final, a)
    # Y2 = 1; Y1 = 1 + 0.5 * 1 = 1.5; Y0 = 1 + 0.5 * 1.5 = 1.75
    np.testing.assert_allclose(y, [1.75, 1.5, 1.0])
    np.testing.assert_allclose(y - a @ y, final)


def test_grow_final_demand_challenge_grows_faster():
    market = MarketParams(demand_growth=0.02, challenge_demand_growth=0.1)
    out = grow_final_demand(np.array([10.0, 10.0]), np.array([False, True]), market)
    np.testing.assert_allclose(out, [10.2, 11.0])


# --- shares and weights --------------------------------------------------------------------


def test_market_shares_hand_computed():
    industry = np.array([0, 0, 1, 2, 2])
    weight = np.array([1.0, 3.0, 5.0, 0.0, 0.0])
    # industry 0: 1/4 and 3/4; industry 1: alone; industry 2: all-zero weights share equally
    np.testing.assert_allclose(market_shares(industry, weight, 4), [0.25, 0.75, 1.0, 0.5, 0.5])


def test_market_shares_sum_to_one_in_every_industry(rng):
    industry = rng.integers(0, 7, size=500)
    shares = market_shares(industry, rng.exponential(size=500), 7)
    sums = np.bincount(industry, weights=shares, minlength=7)
    present = np.bincount(industry, minlength=7) > 0
    np.testing.assert_allclose(sums[present], 1.0)
    assert (shares > 0).all()


def test_share_weights_without_noise_hand_computed(rng):
    market = MarketParams(size_elasticity=0.5, competitiveness_elasticity=1.0, demand_noise=0.0)
    # 4^0.5 * 2^1 = 4; 9^0.5 * 0.5 = 1.5
    out = share_weights(np.array([4.0, 9.0]), np.array([2.0, 0.5]), market, rng)
    np.testing.assert_allclose(out, [4.0, 1.5])


def test_more_competitive_firms_get_larger_shares(rng):
    market = MarketParams(demand_noise=0.0)
    weight = share_weights(np.full(3, 10.0), np.array([0.5, 1.0, 2.0]), market, rng)
    shares = market_shares(np.zeros(3, np.int64), weight, 1)
    assert (np.diff(shares) > 0).all()


# --- employment and accounts ---------------------------------------------------------------


def test_adjust_employment_moves_part_of_the_way_to_target():
    market = MarketParams(output_per_employee=0.1, employment_adjustment=0.5)
    # target = 2 / (0.1 * 1) = 20; 10 + 0.5 * (20 - 10) = 15
    # target = 0.5 / (0.1 * 2) = 2.5; 10 + 0.5 * (2.5 - 10) = 6.25
    out = adjust_employment(
        np.array([10.0, 10.0]), np.array([2.0, 0.5]), np.array([1.0, 2.0]), market
    )
    np.testing.assert_allclose(out, [15.0, 6.25])


def test_adjust_employment_is_never_negative_and_respects_the_extremes():
    emp, prod = np.array([10.0]), np.array([1.0])
    full = MarketParams(employment_adjustment=1.0)
    assert adjust_employment(emp, np.array([-5.0]), prod, full).tolist() == [0.0]
    assert adjust_employment(emp, np.array([0.0]), prod, full).tolist() == [0.0]
    frozen = MarketParams(employment_adjustment=0.0)
    assert adjust_employment(emp, np.array([99.0]), prod, frozen).tolist() == [10.0]


def test_profit_identity_hand_computed():
    acc = Accounts(
        revenue=np.array([10.0]),
        employees=np.array([50.0]),
        wages=np.array([3.0]),
        inputs=np.array([4.0]),
        rd=np.array([0.5]),
        fixed=np.array([0.1]),
        fees=np.array([0.2]),
        member_fees=np.array([0.05]),
        subsidies=np.array([0.3]),
    )
    # 10 - 3 - 4 - 0.5 - 0.1 - 0.2 - 0.05 + 0.3
    assert acc.profit.tolist() == pytest.approx([2.45])


def test_book_accounts_pays_wages_on_new_employment_and_inputs_on_revenue():
    market = MarketParams(output_per_employee=0.1, employment_adjustment=0.5, input_share=0.4)
    costs = {
        "rd": np.array([0.1]),
        "fees": np.array([0.2]),
        "member_fees": np.array([0.0]),
        "subsidies": np.array([0.05]),
    }
    acc = book_accounts(np.array([2.0]), np.array([10.0]), np.array([1.0]), costs, market, 0.05)
    assert acc.employees.tolist() == [15.0]
    assert acc.wages.tolist() == pytest.approx([0.05 * 15])
    assert acc.inputs.tolist() == pytest.approx([0.8])
    assert acc.fixed.tolist() == [market.fixed_cost_per_year]
    # 2 - 0.75 - 0.8 - 0.1 - 0.03 - 0.2 - 0 + 0.05
    assert acc.profit.tolist() == pytest.approx([0.17])


def test_procurement_split_over_challenge_firms_of_each_region():
    region = np.array([0, 0, 1, 1, 2])
    challenge = np.array([True, True, False, True, False])
    weight = np.array([1.0, 3.0, 5.0, 2.0, 1.0])
    procurement = np.array([8.0, 6.0, 4.0])
    out = procurement_revenue(region, challenge, weight, procurement)
    # region 0: 8 split 1:3; region 1: all 6 to its one challenge firm; region 2: none
    np.testing.assert_allclose(out, [2.0, 6.0, 0.0, 6.0, 0.0])


def test_set_rd_budgets_sme_intensity_and_grant():
    firms = FirmTable.empty(1)
    cols = {name: np.zeros(3) for name in FirmTable.__dataclass_fields__}
    firms.append(**cols | {"alive": [True, True, False], "revenue": [10.0, 10.0, 10.0]})
    params = ModelParams().replace(rd_intensity_sme=0.02, rd_intensity_large=0.04, sme_rd_grant=0.5)
    sme = np.array([True, False, True])
    set_rd_budgets(firms, sme, params, policy_on=True)
    # SME: 0.02 * (1 + 0.5) * 10; large: 0.04 * 10; dead: 0
    np.testing.assert_allclose(firms.rd_budget, [0.3, 0.4, 0.0])
    set_rd_budgets(firms, sme, params, policy_on=False)
    np.testing.assert_allclose(firms.rd_budget, [0.2, 0.4, 0.0])


# --- run_market in a model -------------------------------------------------------------------


def test_demand_shock_hits_the_chosen_industry_in_its_year(make_model):
    model = make_model(n_firms=150, shock_industry=0, shock_year=1, shock_size=0.5)
    before = model.state.final_demand.copy()
    model.step()
    growth = np.where(
        model.state.industries.is_challenge,
        1 + model.params.market.challenge_demand_growth,
        1 + model.params.market.demand_growth,
    )
    expected = before * growth
    expected[0] *= 0.5
    np.testing.assert_allclose(model.state.final_demand, expected)


def test_firms_of_an_industry_share_its_total_demand(make_model):
    model = make_model(n_firms=150)
    ws = model.state
    at_market = ws.firms.alive.copy()  # the firms alive when the market runs
    model.step()
    f = ws.firms
    rows = np.flatnonzero(at_market)
    revenue = np.bincount(f.industry[rows], f.revenue[rows], ws.industries.n)
    # Ordinary industries sell exactly their total demand; challenge firms also get
    # procurement, which is zero in the baseline.
    served = np.bincount(f.industry[rows], minlength=ws.industries.n) > 0
    np.testing.assert_allclose(revenue[served], model.demand[served], rtol=1e-9)


def test_procurement_raises_challenge_firms_revenue(make_model):
    revenue = {}
    for demand in (0.0, 4.0):
        model = make_model("mission", rng=5, challenge_demand=demand)
        model.step()
        f = model.state.firms
        challenge = f.alive & model.state.industries.is_challenge[f.industry] & (f.born < 1)
        revenue[demand] = f.revenue[challenge].sum()
    assert revenue[4.0] > revenue[0.0] + 1.0
