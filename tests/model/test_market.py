from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from clusterlab.model.market import (
    Accounts,
    adjust_employment,
    book_accounts,
    firm_relatedness_density,
    grow_final_demand,
    input_coefficients,
    market_shares,
    procurement_revenue,
    regional_relatedness_density,
    related_input_saving,
    related_labour_premium,
    run_market,
    set_rd_budgets,
    share_shocks,
    share_weights,
    shares_from_log,
    shock_sd,
    total_demand,
)
from clusterlab.model.params import MarketParams, ModelParams
from clusterlab.model.policy import run_policy
from clusterlab.model.state import FirmTable

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
    # capacity E * theta: 4 * 1 and 9 * 1; ln(4^0.5 * 2^1) = ln 4; ln(9^0.5 * 0.5) = ln 1.5
    out = share_weights(np.array([4.0, 9.0]), np.ones(2), np.array([2.0, 0.5]), market, rng)
    np.testing.assert_allclose(out, np.log([4.0, 1.5]))


def test_more_competitive_firms_get_larger_shares(rng):
    market = MarketParams(demand_noise=0.0)
    c = np.array([0.5, 1.0, 2.0])
    weight = share_weights(np.full(3, 10.0), np.ones(3), c, market, rng)
    shares = shares_from_log(np.zeros(3, np.int64), weight, 1)
    assert (np.diff(shares) > 0).all()


def test_share_weights_of_firms_without_staff_are_zero_or_ignored(rng):
    emp, ones = np.array([0.0, 5.0]), np.ones(2)
    w = share_weights(emp, ones, np.array([0.0, 1.0]), MarketParams(demand_noise=0.0), rng)
    assert w.tolist() == [-np.inf, np.log(5.0)]
    flat = MarketParams(demand_noise=0.0, size_elasticity=0.0, competitiveness_elasticity=0.0)
    assert share_weights(emp, ones, np.zeros(2), flat, rng).tolist() == [0.0, 0.0]


def test_shares_from_log_do_not_overflow_and_handle_zero_weights():
    industry = np.array([0, 0, 1, 1, 2])
    log_w = np.array([800.0, 800.0 + np.log(3.0), -np.inf, -np.inf, -900.0])
    # industry 0: 1:3 despite e^800 overflowing; industry 1: all zero, equal; 2: alone
    np.testing.assert_allclose(shares_from_log(industry, log_w, 3), [0.25, 0.75, 0.5, 0.5, 1.0])


def test_shock_sd_falls_with_size_hand_computed():
    market = MarketParams(demand_noise=0.5, noise_size_exponent=0.2)
    # 0.5 * max(E, 1)^-0.2: E = 0.5 and 1 -> 0.5; E = 32 -> 0.5 / 2 = 0.25
    np.testing.assert_allclose(shock_sd(np.array([0.5, 1.0, 32.0]), market), [0.5, 0.5, 0.25])


@pytest.mark.parametrize("sd", [0.05, 0.3, 0.6])
def test_share_shocks_have_mean_one_and_the_given_sd(sd):
    eps = share_shocks(np.full(400_000, sd), np.random.default_rng(3))
    # E[e^eps] = E_V[E[e^(s sqrt(V) Z - s^2 V / 2) | V]] = 1; var(eps) = s^2 E[V] + s^4 var(V)/4
    assert np.exp(eps).mean() == pytest.approx(1.0, abs=0.01)
    assert eps.std() == pytest.approx(np.sqrt(sd**2 + sd**4 / 4), rel=0.02)


def test_share_shocks_are_tent_shaped():
    eps = share_shocks(np.full(200_000, 0.1), np.random.default_rng(4))
    # a normal-exponential variance mixture is Laplace: excess kurtosis 3 (normal: 0)
    assert stats.kurtosis(eps) == pytest.approx(3.0, abs=0.3)


@pytest.mark.parametrize("seed", range(5))
def test_expected_share_growth_does_not_depend_on_size(seed):
    # Gibrat: four size classes (2 to 2000 employees) of 500 equally competitive firms in
    # one industry; over 40 draws, each class keeps its expected share of the market.
    market = MarketParams()
    rng = np.random.default_rng(seed)
    emp = np.repeat([2.0, 20.0, 200.0, 2000.0], 500)
    share = emp / emp.sum()
    growth = np.zeros((40, 4))
    for t in range(40):
        new = shares_from_log(
            np.zeros(emp.size, np.int64),
            share_weights(emp, np.ones(emp.size), np.ones(emp.size), market, rng),
            1,
        )
        growth[t] = (new / share).reshape(4, 500).mean(axis=1)
    np.testing.assert_allclose(growth.mean(axis=0), 1.0, atol=0.03)


def test_productivity_raises_size_hand_computed(rng):
    # Two firms of equal staff, one 20% more productive; no noise, full adjustment. Shares
    # follow capacity E * theta times theta^sigma, employment S / (y theta); so the
    # employment ratio grows by 1.2^sigma a year: after 20 years 1.2^(0.2 * 20) = 1.2^4.
    market = MarketParams(demand_noise=0.0, employment_adjustment=1.0)
    emp, theta = np.array([10.0, 10.0]), np.array([1.2, 1.0])
    for _ in range(20):
        w = share_weights(emp, theta, theta, market, rng)
        revenue = 2.0 * shares_from_log(np.zeros(2, np.int64), w, 1)
        emp = adjust_employment(emp, revenue, theta, market)
    assert emp[0] / emp[1] == pytest.approx(1.2**4, rel=1e-9)


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
    market = MarketParams(
        output_per_employee=0.1,
        employment_adjustment=0.5,
        input_share=0.4,
        fixed_cost_per_year=0.03,
    )
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


# --- related-variety externality ---------------------------------------------------------


# Three regions, three industries; 0 and 1 are related (phi = 1), 2 is related to nothing.
# Employment by region x industry:
#   region 0: [10, 10, 0] -> RCA: industry totals [20, 10, 10], region total 20, grand 40
#             RCA_00 = (10/20)/(20/40) = 1, RCA_01 = (10/20)/(10/40) = 2 -> M = [1, 1, 0]
#   region 1: [10, 0, 0]  -> RCA_10 = (10/10)/(20/40) = 2 -> M = [1, 0, 0]
#   region 2: [0, 0, 10]  -> RCA_22 = 4 -> M = [0, 0, 1]
_PHI = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
_REGION = np.array([0, 0, 1, 2])
_INDUSTRY = np.array([0, 1, 0, 2])
_EMPLOYEES = np.array([10.0, 10.0, 10.0, 10.0])


def _world(saving_firms: tuple[np.ndarray, np.ndarray, np.ndarray]) -> SimpleNamespace:
    region, industry, employees = saving_firms
    return SimpleNamespace(
        firms=SimpleNamespace(region=region, industry=industry, employees=employees),
        industries=SimpleNamespace(relatedness=_PHI),
        geo=SimpleNamespace(n_regions=3),
    )


def test_regional_relatedness_density_hand_computed():
    # d_rp = sum_q M_rq phi_pq / sum_q phi_pq: industry 0's only relative is 1 and vice
    # versa; industry 2 has none (density 0).
    d = regional_relatedness_density(_REGION, _INDUSTRY, _EMPLOYEES, _PHI, 3)
    np.testing.assert_allclose(d, [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])


def test_related_input_saving_favours_firms_in_related_regions_hand_computed():
    # Firms of industry 0 in region 0 (specialised in related industry 1: d = 1) and in
    # region 1 (not: d = 0); kappa = 0.3 -> savings 0.3 and 0.
    ws = _world((_REGION, _INDUSTRY, _EMPLOYEES))
    live = np.arange(4)
    saving = related_input_saving(ws, live, MarketParams(related_input_saving=0.3))
    np.testing.assert_allclose(saving, [0.3, 0.3, 0.0, 0.0])
    zero = related_input_saving(ws, live, MarketParams(related_input_saving=0.0))
    np.testing.assert_array_equal(zero, np.zeros(4))


def _one_market(make_model, seed: int, **changes: float) -> tuple[np.ndarray, ...]:
    """One market run with ``changes`` (market parameters) after a default model's burn-in.

    Returns the alive firms' profit, revenue and industry after it, and the relatedness
    density of their region around their industry (the same draws for any ``changes``).
    """
    model = make_model(n_firms=150, rng=seed)
    ws = model.state
    p = model.params.replace(**{f"market.{k}": v for k, v in changes.items()})
    ws.compact()
    f = ws.firms
    sme = f.employees < p.market.sme_employee_limit
    set_rd_budgets(f, sme, p, ws.policy_on)
    year = run_policy(ws, p, sme)
    live = np.flatnonzero(f.alive)
    density = firm_relatedness_density(ws, live)
    run_market(ws, p, year, np.random.default_rng(seed))
    return f.profit[live].copy(), f.revenue[live].copy(), f.industry[live].copy(), density


def test_related_input_saving_raises_profit_in_a_model(make_model):
    # Same seed, same market draws, same revenue: with kappa = 0.5 a firm's profit rises
    # by what it saves on inputs, input_share * revenue * 0.5 * d, more where d is higher.
    p0, r0, _, density = _one_market(make_model, 4, related_input_saving=0.0)
    p1, r1, _, _ = _one_market(make_model, 4, related_input_saving=0.5)
    np.testing.assert_array_equal(r1, r0)
    assert np.ptp(density) > 0
    share = MarketParams().input_share
    np.testing.assert_allclose(p1 - p0, share * r0 * 0.5 * density, rtol=1e-9, atol=1e-12)


def test_related_labour_premium_hand_computed():
    # Same firms as above: d = [1, 1, 0, 0]; lambda = 0.5 -> 1 + 0.5 d = [1.5, 1.5, 1, 1].
    ws = _world((_REGION, _INDUSTRY, _EMPLOYEES))
    live = np.arange(4)
    premium = related_labour_premium(ws, live, MarketParams(related_labour_premium=0.5))
    np.testing.assert_allclose(premium, [1.5, 1.5, 1.0, 1.0])
    off = related_labour_premium(ws, live, MarketParams(related_labour_premium=0.0))
    np.testing.assert_array_equal(off, np.ones(4))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_related_labour_premium_moves_market_share_to_related_regions(make_model, seed):
    # Same draws: ln(S1 / S0) = sigma ln(1 + lambda d) minus a constant per industry, so
    # within each industry the revenue ratio rises with the density d (exactly, up to
    # rounding), and some industry has firms in regions of different density.
    _, r0, industry, density = _one_market(make_model, seed, related_labour_premium=0.0)
    _, r1, _, _ = _one_market(make_model, seed, related_labour_premium=1.0)
    ok = r0 > 0
    gain = np.log(r1[ok] / r0[ok])
    sigma = MarketParams().competitiveness_elasticity
    expected = sigma * np.log1p(density[ok])
    compared = 0
    for q in np.unique(industry[ok]):
        rows = industry[ok] == q
        if np.ptp(density[ok][rows]) > 0:
            compared += 1
            shift = gain[rows] - expected[rows]
            np.testing.assert_allclose(shift, shift[0], atol=1e-9)
    assert compared > 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_default_related_labour_pool_tilts_each_industry_toward_related_regions(make_model, seed):
    # The default pool is on. Same draws with lambda = default and 0: each firm's share
    # is multiplied by (1 + lambda d)^sigma / (industry mean), so in every industry with
    # firms in regions of different density the revenue-weighted mean density rises, and
    # the industry's revenue is only moved between its firms, not created (no procurement).
    assert MarketParams().related_labour_premium > 0
    _, r0, industry, density = _one_market(make_model, seed, related_labour_premium=0.0)
    _, r1, _, _ = _one_market(make_model, seed)
    compared = 0
    for q in np.unique(industry):
        rows = (industry == q) & (r0 > 0)
        if np.ptp(density[rows]) == 0:
            continue
        compared += 1
        np.testing.assert_allclose(r1[rows].sum(), r0[rows].sum(), rtol=1e-9)
        before = np.average(density[rows], weights=r0[rows])
        assert np.average(density[rows], weights=r1[rows]) > before
    assert compared > 0


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
    ws.compact()  # the step compacts first: row numbers stay as they are now
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


def test_market_books_profit_to_cash_and_balances_the_accounts(make_model):
    model = make_model(n_firms=150, related_input_saving=0.1)  # off by default: book it too
    ws, p = model.state, model.params
    ws.compact()
    f = ws.firms
    sme = f.employees < p.market.sme_employee_limit
    set_rd_budgets(f, sme, p, ws.policy_on)
    year = run_policy(ws, p, sme)
    live = np.flatnonzero(f.alive)
    cash, emp, theta = f.cash[live].copy(), f.employees[live].copy(), f.productivity[live]
    saving = related_input_saving(ws, live, p.market)  # from employment before the market
    assert (saving > 0).any()
    run_market(ws, p, year, np.random.default_rng(0))
    m = p.market
    wage = m.wage_per_employee * (theta * emp).sum() / emp.sum()  # at employment before
    member = np.where(f.cluster[live] >= 0, p.governance.member_fee_per_year, 0.0)
    revenue = f.revenue[live]
    inputs = m.input_share * revenue * (1.0 - saving)
    costs = wage * f.employees[live] + inputs + f.rd_budget[live]
    costs += m.fixed_cost_per_year + year.fees[live] + member - year.subsidies[live]
    np.testing.assert_allclose(f.profit[live], revenue - costs, rtol=1e-9, atol=1e-12)
    payout = m.payout_share * np.maximum(f.profit[live], 0.0)
    np.testing.assert_allclose(f.cash[live], cash + f.profit[live] - payout, rtol=1e-12)


def _run_is_finite(model, steps: int) -> None:
    for _ in range(steps):
        model.step()
    f = model.state.firms
    for col in (f.employees, f.revenue, f.profit, f.cash, f.productivity):
        assert np.isfinite(col).all()


@pytest.mark.parametrize(
    "override",
    [
        {"size_elasticity": 0.0},
        {"size_elasticity": 1.0},
        {"competitiveness_elasticity": 0.0},
        {"competitiveness_elasticity": 10.0},
        {"demand_noise": 0.0},
        {"demand_noise": 1.0},
        {"noise_size_exponent": 0.0},
        {"noise_size_exponent": 0.5},
        {"demand_noise": 1.0, "noise_size_exponent": 0.0, "competitiveness_elasticity": 10.0},
        {"fixed_cost_per_year": 100.0},
        {"entry_rate": 0.5, "entrant_employees": 1000.0},
        {"related_input_saving": 0.0},
        {"related_input_saving": 1.0},
    ],
)
def test_market_stays_finite_at_the_extremes(make_model, override):
    _run_is_finite(make_model(n_firms=120, **override), 15)


def test_market_is_deterministic(make_model):
    a, b = make_model(n_firms=120, rng=3), make_model(n_firms=120, rng=3)
    for model in (a, b):
        for _ in range(5):
            model.step()
    np.testing.assert_array_equal(a.state.firms.employees, b.state.firms.employees)
    np.testing.assert_array_equal(a.state.firms.cash, b.state.firms.cash)
