"""Market: demand, market shares, employment and the firm's profit-and-loss account.

Final demand of each industry grows each year (challenge industries faster). Total
demand adds the intermediate demand that flows up the value chains (a Leontief system).
Firms of an industry share its demand by replicator dynamics on last year's size: the
expected share grows in proportion to size (Gibrat), faster for the more competitive,
with tent-shaped shocks whose s.d. falls with size. Employment moves part of the way
toward what revenue supports, and profit is booked to cash.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from clusterlab.model.kernels import own_recipe_fit
from clusterlab.model.metrics.relatedness import relatedness_density
from clusterlab.model.metrics.specialisation import specialisation_matrix
from clusterlab.model.params import MarketParams, ModelParams
from clusterlab.model.policy import PolicyYear
from clusterlab.model.state import FirmTable, WorldState

__all__ = [
    "Accounts",
    "book_accounts",
    "firm_relatedness_density",
    "grow_final_demand",
    "input_coefficients",
    "market_shares",
    "regional_relatedness_density",
    "related_input_saving",
    "run_market",
    "set_rd_budgets",
    "total_demand",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def input_coefficients(supplies: BoolArray, input_share: float) -> FloatArray:
    """Leontief input coefficients: M€ of p bought per M€ of q produced.

    :math:`A_{pq} = s / n_q` if p supplies q, where s is the input share and :math:`n_q`
    the number of industries supplying q; zero otherwise.
    """
    n_up = supplies.sum(axis=0)
    return np.where(supplies, input_share / np.maximum(n_up, 1)[None, :], 0.0)


def total_demand(final: FloatArray, coefficients: FloatArray) -> FloatArray:
    """Gross output demanded of each industry, :math:`Y = (I - A)^{-1} F`.

    Examples
    --------
    >>> a = np.array([[0.0, 0.5], [0.0, 0.0]])  # industry 0 supplies half of 1's output
    >>> total_demand(np.array([1.0, 2.0]), a).tolist()  # 1 + 0.5 * 2
    [2.0, 2.0]
    """
    return np.linalg.solve(np.eye(final.size) - coefficients, final)


def grow_final_demand(
    final: FloatArray, is_challenge: BoolArray, market: MarketParams
) -> FloatArray:
    """One year of final-demand growth: ``F * (1 + g)``, g larger for challenge industries."""
    growth = np.where(is_challenge, market.challenge_demand_growth, market.demand_growth)
    return final * (1.0 + growth)


def market_shares(
    industry: IntArray,
    weight: FloatArray,
    n_industries: int,
) -> FloatArray:
    """Normalise weights within each industry so that the shares of an industry sum to 1.

    Firms of an industry whose weights are all zero get equal shares.
    """
    total = np.bincount(industry, weights=weight, minlength=n_industries)
    count = np.bincount(industry, minlength=n_industries)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[industry] > 0, weight / total[industry], 1.0 / count[industry])
    return share


def shock_sd(employees: FloatArray, market: MarketParams) -> FloatArray:
    r"""S.d. of a firm's yearly market-share shock, :math:`s_i = s_0 \max(E_i, 1)^{-\gamma}`.

    A firm is a portfolio of product lines, customers and plants that grow independently
    and whose sizes are broadly distributed, so the s.d. of its growth falls with size more
    slowly than :math:`1/\sqrt{n}`: :math:`\gamma \approx 0.15`-0.25 empirically (Stanley
    et al. 1996, Nature 379, 804, doi:10.1038/379804a0) and in the models of Sutton (2002,
    Physica A 312, 577, doi:10.1016/S0378-4371(02)00850-1) and Buldyrev et al. (2007, Eur.
    Phys. J. B 57, 131, doi:10.1140/epjb/e2007-00150-y). :math:`s_0` = ``demand_noise``,
    gamma = ``noise_size_exponent``.
    """
    return market.demand_noise * np.maximum(employees, 1.0) ** -market.noise_size_exponent


def _elastic_log(x: FloatArray, elasticity: float) -> FloatArray:
    """``elasticity * log(x)``, 0 when the elasticity is 0 (also for x = 0), -inf for x = 0."""
    if elasticity == 0.0:
        return np.zeros(x.size)
    with np.errstate(divide="ignore"):
        return elasticity * np.log(np.maximum(x, 0.0))


def regional_relatedness_density(
    region: IntArray,
    industry: IntArray,
    employees: FloatArray,
    relatedness: FloatArray,
    n_regions: int,
) -> FloatArray:
    r"""Relatedness density of each region around each industry, as a share (0 to 1).

    :math:`d_{rp} = \sum_q M_{rq} \phi_{pq} / \sum_q \phi_{pq}` with
    :math:`M_{rq} = 1[\text{RCA}_{rq} \ge 1]` from the employment of the firms passed
    (Hidalgo et al. 2007, Science 317, 482, doi:10.1126/science.1144581): the share of the
    industries related to p in which region r is specialised. Shape (R, P).

    Examples
    --------
    >>> phi = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> regional_relatedness_density(
    ...     np.array([0, 1]), np.array([0, 1]), np.array([5.0, 5.0]), phi, 2
    ... ).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    n_ind = relatedness.shape[0]
    emp = np.bincount(region * n_ind + industry, weights=employees, minlength=n_regions * n_ind)
    m = specialisation_matrix(emp.reshape(n_regions, n_ind))
    return relatedness_density(m, relatedness) / 100.0


def share_shocks(sd: FloatArray, rng: np.random.Generator) -> FloatArray:
    r"""Yearly log shocks to market share: Laplace-distributed with s.d. ``sd`` and mean one.

    A firm's growth is the sum of the business opportunities it wins in the year, and
    opportunities go preferentially to firms that already won some, so the number won is
    over-dispersed (Bottazzi & Secchi 2006, RAND J. Econ. 37, 235,
    doi:10.1111/j.1756-2171.2006.tb00014.x). With an exponentially distributed
    opportunity count V (mean 1) the shock is a normal with variance :math:`s^2 V`, i.e.
    a Laplace (tent-shaped) growth rate as observed (Stanley et al. 1996):

    .. math:: \varepsilon = s \sqrt{V} Z - s^2 V / 2,\qquad V \sim \mathrm{Exp}(1),\
        Z \sim \mathcal{N}(0, 1),

    centred so that :math:`E[e^{\varepsilon}] = 1` (the expected weight does not change).
    """
    v = rng.standard_exponential(sd.size)
    return sd * np.sqrt(v) * rng.standard_normal(sd.size) - 0.5 * sd**2 * v


def share_weights(
    employees: FloatArray,
    productivity: FloatArray,
    competitiveness: FloatArray,
    market: MarketParams,
    rng: np.random.Generator,
) -> FloatArray:
    r"""Log market-share weight: replicator dynamics on last year's output capacity.

    .. math:: \ln v_i = \beta \ln(E_i \theta_i) + \sigma \ln c_i + \varepsilon_i

    with :math:`E_i \theta_i` the output the firm can produce with last year's staff,
    c = productivity x recipe fit, beta = ``size_elasticity`` (1: Gibrat's law of
    proportional growth), sigma = ``competitiveness_elasticity`` and ε from
    :func:`share_shocks` with s.d. :func:`shock_sd`. The shock has mean one
    (:math:`E e^{\varepsilon} = 1`), so a firm's expected weight is proportional to its
    size whatever that size: shares evolve multiplicatively, differences persist and
    compound (Gibrat 1931; Gabaix 1999, QJE 114, 739, doi:10.1162/003355399556133), and
    the more competitive firms gain share year after year (replicator dynamics: Metcalfe
    1994, J. Evol. Econ. 4, 327; Dosi et al. 2017, Small Bus. Econ. 48, 413). Since the
    shares of an industry are normalised, a firm's share grows by
    :math:`(c_i / \bar c)^{\sigma} e^{\varepsilon_i}` relative to the industry's
    weighted mean. Returned in logs: :func:`shares_from_log` normalises without overflow.
    """
    noise = share_shocks(shock_sd(employees, market), rng)
    size = _elastic_log(employees * productivity, market.size_elasticity)
    return size + _elastic_log(competitiveness, market.competitiveness_elasticity) + noise


def shares_from_log(group: IntArray, log_weight: FloatArray, n_groups: int) -> FloatArray:
    """Shares ``exp(log_weight)`` normalised within each group, computed without overflow.

    Each group's largest log weight is subtracted before exponentiating; a group whose
    weights are all zero (log -inf) shares equally, as in :func:`market_shares`.

    Examples
    --------
    >>> shares_from_log(np.array([0, 0, 1]), np.array([1000.0, 1000.0 + np.log(3), -np.inf]), 2)
    array([0.25, 0.75, 1.  ])
    """
    top = np.full(n_groups, -np.inf)
    np.maximum.at(top, group, log_weight)
    with np.errstate(invalid="ignore"):
        weight = np.where(np.isfinite(top[group]), np.exp(log_weight - top[group]), 0.0)
    return market_shares(group, weight, n_groups)


@dataclass(frozen=True, slots=True)
class Accounts:
    """One year's profit-and-loss of the alive firms (M€; rows as passed in)."""

    revenue: FloatArray
    employees: FloatArray
    wages: FloatArray
    inputs: FloatArray
    rd: FloatArray
    fixed: FloatArray
    fees: FloatArray
    member_fees: FloatArray
    subsidies: FloatArray

    @property
    def profit(self) -> FloatArray:
        """Revenue - wages - inputs - R&D - overhead - link fees - member fees + subsidies."""
        return (
            self.revenue
            - self.wages
            - self.inputs
            - self.rd
            - self.fixed
            - self.fees
            - self.member_fees
            + self.subsidies
        )


def adjust_employment(
    employees: FloatArray,
    revenue: FloatArray,
    productivity: FloatArray,
    market: MarketParams,
) -> FloatArray:
    r"""Move employment part of the way toward the level revenue supports.

    Target :math:`E^* = \text{revenue} / (y \cdot \text{productivity})` with y the output
    per employee; :math:`E' = E + \lambda (E^* - E)`. Never negative.
    """
    target = revenue / (market.output_per_employee * productivity)
    return np.maximum(0.0, employees + market.employment_adjustment * (target - employees))


def book_accounts(
    revenue: FloatArray,
    employees: FloatArray,
    productivity: FloatArray,
    costs: dict[str, FloatArray],
    market: MarketParams,
    wage: float,
) -> Accounts:
    """Book a year: adjust employment, pay wages on it, inputs on revenue, and the rest.

    ``costs`` holds ``rd``, ``fees``, ``member_fees`` and ``subsidies`` per firm (M€);
    ``wage`` is this year's wage per employee (M€).
    """
    new_employees = adjust_employment(employees, revenue, productivity, market)
    return Accounts(
        revenue=revenue,
        employees=new_employees,
        wages=wage * new_employees,
        inputs=market.input_share * revenue,
        rd=costs["rd"],
        fixed=np.full(revenue.size, market.fixed_cost_per_year),
        fees=costs["fees"],
        member_fees=costs["member_fees"],
        subsidies=costs["subsidies"],
    )


def procurement_revenue(
    region: IntArray, challenge: BoolArray, weight: FloatArray, procurement: FloatArray
) -> FloatArray:
    """Split each region's challenge procurement over its challenge firms by share weight."""
    w = np.where(challenge, weight, 0.0)
    total = np.bincount(region, weights=w, minlength=procurement.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total[region] > 0, procurement[region] * w / total[region], 0.0)


def firm_relatedness_density(ws: WorldState, live: IntArray) -> FloatArray:
    """Relatedness density (0-1) of each firm's region around its industry, firms ``live``.

    :func:`regional_relatedness_density` of the firms' employment, read at each firm's
    (region, industry); what :func:`related_input_saving` and
    :func:`related_labour_premium` scale.
    """
    f = ws.firms
    region, industry = f.region[live], f.industry[live]
    density = regional_relatedness_density(
        region, industry, f.employees[live], ws.industries.relatedness, ws.geo.n_regions
    )
    return density[region, industry]


def related_input_saving(ws: WorldState, live: IntArray, market: MarketParams) -> FloatArray:
    r"""Share of its input bill each alive firm saves thanks to related local industries.

    :math:`\kappa\, d_{r_i p_i}`, with d the relatedness density (0-1) of the firm's region
    around its industry from :func:`regional_relatedness_density` (last year's
    employment) and kappa = ``related_input_saving``. A region specialised in industries
    related to the firm's own offers it shared suppliers, a shared pool of skilled labour
    and shared knowledge, which lower its costs (Marshallian externalities across related
    industries: Frenken, Van Oort & Verburg 2007, Regional Studies 41, 685,
    doi:10.1080/00343400601120296). The firm's margins are higher and it survives losses
    better: plants in industries related to their region's portfolio survive longer
    (Neffke, Henning, Boschma, Lundquist & Olander 2011, Regional Studies 45, 49,
    doi:10.1080/00343401003596307; Boschma & Wenting 2007, Industrial and Corporate
    Change 16, 213, doi:10.1093/icc/dtm004), and industries related to a region's
    portfolio are less likely to leave it (Neffke, Henning & Boschma 2011, Economic
    Geography 87, 237, doi:10.1111/j.1944-8287.2011.01121.x).
    """
    if market.related_input_saving == 0.0:
        return np.zeros(live.size)
    return market.related_input_saving * firm_relatedness_density(ws, live)


def related_labour_premium(ws: WorldState, live: IntArray, market: MarketParams) -> FloatArray:
    r"""Competitiveness multiplier of each alive firm from its region's related labour pool.

    :math:`1 + \lambda\, d_{r_i p_i}`, d the relatedness density (0-1) of the firm's
    region around its industry (:func:`regional_relatedness_density`, last year's
    employment), lambda = ``related_labour_premium``; it multiplies the competitiveness
    (productivity x fit) that :func:`share_weights` reads. Workers move mostly between
    skill-related industries of their region (Neffke & Henning 2013, Strategic Management
    Journal 34, 297, doi:10.1002/smj.2014), and plants that hire related skills raise
    their productivity faster (Boschma, Eriksson & Lindgren 2009, Journal of Economic
    Geography 9, 169, doi:10.1093/jeg/lbn041); a region specialised in industries related
    to a firm's own gives it that pool, so its firms gain market share from the same
    industry's firms in other regions and the industry grows there (related variety and
    employment growth: Frenken, Van Oort & Verburg 2007, Regional Studies 41, 685). Unlike
    :func:`related_input_saving`, which only raises margins, this moves employment: an
    industry without related local activities loses ground and leaves the region
    (Neffke, Henning & Boschma 2011, Economic Geography 87, 237). The saving alone (0.1,
    the former default) lowered exit from a region's specialisations only weakly while
    raising entry strongly; the pool supplies the exit channel, and the default (0.1, with
    the saving at 0) keeps the rise of entry with density within the 15-60% per 10
    points the validation asks (DESIGN.md section 2; docs/calibration.md). 0 leaves the
    market unchanged (the factor is 1).
    """
    if market.related_labour_premium == 0.0:
        return np.ones(live.size)
    return 1.0 + market.related_labour_premium * firm_relatedness_density(ws, live)


def run_market(
    ws: WorldState, params: ModelParams, year: PolicyYear, rng: np.random.Generator
) -> FloatArray:
    """One year of the market for all alive firms. Returns total demand by industry (M€)."""
    m, f, ind = params.market, ws.firms, ws.industries
    ws.final_demand = grow_final_demand(ws.final_demand, ind.is_challenge, m)
    if ws.policy_on and ws.step == m.shock_year and m.shock_industry >= 0:
        ws.final_demand[m.shock_industry] *= 1.0 - m.shock_size
    demand = total_demand(ws.final_demand, ws.coefficients)
    live = np.flatnonzero(f.alive)
    industry = f.industry[live]
    fit = own_recipe_fit(f.knowledge, ind.recipes, f.industry, live)
    fit = fit * related_labour_premium(ws, live, m)
    log_weight = share_weights(
        f.employees[live], f.productivity[live], f.productivity[live] * fit, m, rng
    )
    revenue = demand[industry] * shares_from_log(industry, log_weight, ind.n)
    challenge = ind.is_challenge[industry]
    region = f.region[live]
    in_region = shares_from_log(
        region, np.where(challenge, log_weight, -np.inf), len(year.procurement)
    )
    revenue += procurement_revenue(region, challenge, in_region, year.procurement)
    member_fee = np.where(f.cluster[live] >= 0, params.governance.member_fee_per_year, 0.0)
    emp = f.employees[live]
    # Wages follow the economy's mean productivity (a competitive labour market), so the
    # margin depends on productivity relative to others, not on its absolute level.
    mean_productivity = float((f.productivity[live] * emp).sum() / max(emp.sum(), 1e-12))
    acc = book_accounts(
        revenue,
        f.employees[live],
        f.productivity[live],
        {
            "rd": f.rd_budget[live],
            "fees": year.fees[live],
            "member_fees": member_fee,
            "subsidies": year.subsidies[live],
        },
        m,
        m.wage_per_employee * mean_productivity,
    )
    acc = replace(acc, inputs=acc.inputs * (1.0 - related_input_saving(ws, live, m)))
    f.employees[live] = acc.employees
    f.revenue[live] = revenue
    f.profit[live] = acc.profit
    f.cash[live] += acc.profit - m.payout_share * np.maximum(acc.profit, 0.0)
    f.loss_streak[live] = np.where(acc.profit < 0, f.loss_streak[live] + 1, 0)
    return demand


def set_rd_budgets(firms: FirmTable, sme: BoolArray, params: ModelParams, policy_on: bool) -> None:
    """R&D budget for the year from last year's revenue.

    Large firms spend ``rd_intensity_large`` of revenue; SMEs ``rd_intensity_sme`` times
    ``1 + sme_rd_grant`` (the grant reimburses that share of the total, and SMEs spend part
    of it on extra R&D: own net spend is :math:`i R (1 - g^2)`, partial additionality).
    """
    m = params.market
    g = params.policy.sme_rd_grant if policy_on else 0.0
    intensity = np.where(sme, m.rd_intensity_sme * (1.0 + g), m.rd_intensity_large)
    firms.rd_budget[:] = np.where(firms.alive, intensity * np.maximum(firms.revenue, 0.0), 0.0)
