import dataclasses

import numpy as np
import pandas as pd
import pytest

from clusterlab.model import ClusterModel
from clusterlab.model.agents import ClusterOrganization, Firm, University
from clusterlab.model.errors import ParameterError
from clusterlab.model.networking import partner_counts
from clusterlab.model.presets import preset
from clusterlab.model.record import ECONOMY, SPEND_COLUMNS
from clusterlab.model.simulate import simulate
from clusterlab.model.state import LinkKind, Origin

# --- construction ------------------------------------------------------------------------------


def test_release_frees_mesa_registries(live_models):
    before = {id(m) for m in live_models()}
    model = ClusterModel(rng=1, n_firms=100, burn_in=0)
    model.release()
    assert len(model.agents) == 0
    del model
    assert [m for m in live_models() if id(m) not in before] == []


def test_simulate_leaves_no_model_in_mesa_registries(live_models):
    before = {id(m) for m in live_models()}
    simulate(preset("baseline", n_firms=100, burn_in=1), seed=3, steps=2)
    assert [m for m in live_models() if id(m) not in before] == []


def test_a_model_failing_half_built_leaves_nothing_in_mesa_registries(monkeypatch, live_models):
    import clusterlab.model.schedule as model_module  # the stages call its names

    def broken(*args, **kwargs):
        raise RuntimeError("market down")

    monkeypatch.setattr(model_module, "run_market", broken)  # fails in the burn-in
    before = {id(m) for m in live_models()}
    with pytest.raises(RuntimeError, match="market down"):
        ClusterModel(rng=1, n_firms=100, burn_in=1)  # after its Firm agents exist
    assert [m for m in live_models() if id(m) not in before] == []


def test_seed_must_be_an_integer():
    with pytest.raises(
        ParameterError,
        match=r"The 'rng' argument of ClusterModel must be an integer seed\. Got '7'",
    ):
        ClusterModel(rng="7", n_firms=100)


def test_shock_industry_beyond_the_industries_is_rejected():
    with pytest.raises(
        ParameterError,
        match=r"'shock_industry' parameter of MarketParams must be -1 or an industry index "
        r"below \d+\. Got 99\.",
    ):
        ClusterModel(rng=1, n_firms=100, shock_industry=99)


def test_unknown_override_is_rejected():
    with pytest.raises(ParameterError, match="Did you mean 'n_firms'"):
        ClusterModel(rng=1, n_firmz=100)


def test_preset_and_overrides(make_model):
    model = make_model("ris3_relatedness", cross_cluster_subsidy=0.2)
    assert model.params.policy.cross_cluster_subsidy == 0.2
    assert model.params.policy.university_link_subsidy == 0.5
    assert model.params.world.n_firms == 200


def test_params_object_with_overrides():
    params = preset("governance", n_firms=100, burn_in=0)
    model = ClusterModel(params=params, rng=1, sme_rd_grant=0.1)
    try:
        assert model.params.policy.sme_rd_grant == 0.1
        assert model.params.policy.cluster_org_funding == 0.5
    finally:
        model.release()


def test_agents_mirror_the_tables(make_model):
    model = make_model("ris3_relatedness", rng=2)
    for _ in range(4):
        model.step()
    ws = model.state
    alive = np.flatnonzero(ws.firms.alive)
    assert sorted(model.firm_agents) == ws.firms.id[alive].tolist()  # keyed by firm id
    assert ws.firms.id[alive].tolist() != alive.tolist(), "rows were renumbered: a real test"
    firms = model.agents_by_type[Firm]
    assert len(firms) == alive.size
    for agent in firms:
        assert ws.firms.id[agent.idx] == agent.firm_id
        assert agent.cell.coordinate == (ws.firms.x[agent.idx], ws.firms.y[agent.idx])
    assert len(model.agents_by_type[University]) == len(ws.unis)
    assert len(model.agents_by_type[ClusterOrganization]) == len(ws.orgs)


def test_burn_in_runs_without_policy(make_model):
    model = make_model("ris3_relatedness", burn_in=3, cluster_org_funding=1.0, sme_rd_grant=1.0)
    ws = model.state
    assert ws.step == 0
    assert ws.policy_on
    assert ws.spend.sum() == 0.0, "policy spent during the burn-in"
    assert (ws.orgs.public_funding == 0).all()
    births = ws.events.columns("birth")
    assert births["step"].min() >= -3
    assert births["step"].max() <= -1
    model.step()
    assert ws.step == 1
    assert ws.spend.sum() > 0


def test_step_records_one_row_per_scope(make_model):
    model = make_model(n_regions=3)
    assert len(model.recorder.rows) == 4
    model.step()
    model.step()
    assert len(model.recorder.rows) == 12
    assert [r["step"] for r in model.recorder.rows[-4:]] == [2, 2, 2, 2]


def test_same_seed_same_state_other_seed_other_state(make_model):
    states = []
    for seed in (5, 5, 6):
        model = make_model("governance", rng=seed)
        for _ in range(3):
            model.step()
        states.append(model.state.firms)
    for field in dataclasses.fields(states[0]):
        np.testing.assert_array_equal(
            getattr(states[0], field.name), getattr(states[1], field.name)
        )
    assert len(states[0]) != len(states[2]) or not np.array_equal(states[0].cash, states[2].cash)


# --- invariants over full runs -----------------------------------------------------------------

INVARIANT_RUNS = [
    (name, seed)
    for name in (
        "baseline",
        "intra_cluster",
        "ris3_targeted",
        "outward_looking",
        "governance",
        "mission",
        "marche_teaching",
    )
    for seed in (1, 2)
]


def _check_accounts(model, ids_before, cash_before):
    """Cash change of a firm alive all year is its profit minus payout and division costs.

    Firms are named by id: their rows change when last year's exits are dropped. Young
    divisions and their parents are left out: cash moves between them when the parent
    covers a start-up's losses (tested in test_diversification.py).
    """
    ws, p = model.state, model.params
    f = ws.firms
    rows = f.rows_of(ids_before)  # alive at the start of the year, so still in the table
    age = ws.step - f.born
    young = (f.origin == Origin.DIVISION) & (age >= 1)
    young &= age <= p.diversification.startup_years
    in_startup = np.isin(f.id, f.parent[young]) | young
    throughout = f.alive[rows] & ~in_startup[rows]
    births = ws.events.columns("birth")
    opened = (births["step"] == ws.step) & (births["origin"] == Origin.DIVISION)
    divisions = np.bincount(births["parent"][opened], minlength=ws.firm_ids_issued)[ids_before]
    profit = f.profit[rows]
    expected = (
        cash_before
        + profit
        - p.market.payout_share * np.maximum(profit, 0.0)
        - p.diversification.division_cost * divisions
    )
    np.testing.assert_allclose(
        f.cash[rows][throughout], expected[throughout], rtol=1e-10, atol=1e-12
    )


def _check_state(model):
    ws, p = model.state, model.params
    f, links = ws.firms, ws.links
    # budgets never overspent; spend by instrument is non-negative
    assert (ws.spend.sum(axis=1) <= p.policy.policy_budget * (1 + 1e-12)).all()
    assert (ws.spend >= 0).all()
    # stocks
    assert (f.employees[f.alive] >= 0).all()
    assert (f.knowledge >= 0).all()
    assert (f.knowledge <= 1).all()
    assert (ws.unis.knowledge <= 1).all()
    assert (f.productivity[f.alive] > 0).all()
    assert np.isfinite(f.productivity[f.alive]).all()
    assert np.isfinite(f.cash[f.alive]).all()
    # links join alive firms (and existing universities)
    live = links.active
    uni = links.kind == LinkKind.UNIVERSITY
    assert f.alive[links.a[live]].all()
    assert f.alive[links.b[live & ~uni]].all()
    assert (links.b[live & uni] < len(ws.unis)).all()
    # capacities
    per_firm, per_uni = partner_counts(
        links.a, links.b, links.kind, links.active, len(f), len(ws.unis)
    )
    cap = p.networking.max_partners
    assert per_firm.max(initial=0) <= cap
    assert per_uni.max(initial=0) <= p.networking.university_capacity
    # organizations' partnerships are mutual and across regions
    has = np.flatnonzero(ws.orgs.partner >= 0)
    assert (ws.orgs.partner[ws.orgs.partner[has]] == has).all()
    assert (ws.orgs.region[ws.orgs.partner[has]] != ws.orgs.region[has]).all()
    # every alive firm has its agent, and only those
    assert len(model.firm_agents) == f.alive.sum()
    # the table holds this year's firms only (last year's exits were dropped), by id
    assert (f.alive | (f.died == ws.step)).all()
    assert (np.diff(f.id) > 0).all()
    assert f.id.max(initial=-1) < ws.firm_ids_issued
    # a division belongs to its parent's group while the parent is in the table
    division = np.flatnonzero(f.origin == Origin.DIVISION)
    known = np.isin(f.parent[division], f.id)
    parents = f.rows_of(f.parent[division][known])
    assert (f.group[division][known] == f.group[parents]).all()
    assert (f.group[f.origin != Origin.DIVISION] == f.id[f.origin != Origin.DIVISION]).all()


def _check_timeseries(model):
    ts = pd.DataFrame(model.recorder.rows)
    eco = ts[ts["scope"] == ECONOMY].set_index("step")
    regions = ts[ts["scope"] != ECONOMY].groupby("step")
    additive = ["firms", "employment", "output", "births", "deaths", "radical", "incremental"]
    additive += ["links_collaboration", "links_university", "spend_total", "entries"]
    pd.testing.assert_frame_equal(eco[additive], regions[additive].sum(), check_names=False)
    np.testing.assert_allclose(ts[list(SPEND_COLUMNS)].sum(axis=1), ts["spend_total"])
    budget = model.params.policy.policy_budget
    assert (ts.loc[ts["scope"] != ECONOMY, "spend_total"] <= budget * (1 + 1e-12)).all()


@pytest.mark.parametrize(("preset_name", "seed"), INVARIANT_RUNS)
def test_invariants_hold_every_step(make_model, preset_name, seed):
    model = make_model(preset_name, rng=seed, n_firms=200)
    for _ in range(12):
        f = model.state.firms
        ids_before, cash_before = f.id[f.alive], f.cash[f.alive]
        model.step()
        _check_accounts(model, ids_before, cash_before)
        _check_state(model)
    _check_timeseries(model)
    assert model.state.firms.alive.sum() > 50, "the economy collapsed: invariants prove little"


def test_more_universities_than_firms_runs():
    # Regression: university candidate rows were once used as firm rows in partner search.
    from clusterlab.model import ClusterModel

    model = ClusterModel(n_regions=16, n_firms=20, rng=3, burn_in=1)
    try:
        assert len(model.state.unis) > len(model.state.firms) // 2
        for _ in range(5):
            model.step()
        assert model.steps == 5
    finally:
        model.release()


def test_a_division_that_exits_in_its_birth_year_never_gets_an_agent(make_model):
    # Regression (issue #17): divisions open before the exits, so one smaller than
    # min_employees exits in its birth year; removing its (never added) agent was a
    # KeyError.
    model = make_model(
        n_firms=200,
        min_employees=5.0,
        division_employees=2.0,
        diversification_rate=1.0,
        fit_threshold=0.0,
        division_cost=0.0,
    )
    for _ in range(3):
        model.step()
        _check_state(model)
    ws = model.state
    births, deaths = ws.events.columns("birth"), ws.events.columns("death")
    divisions = births["firm"][births["origin"] == Origin.DIVISION]
    same_year = deaths["firm"][deaths["age"] == 0]
    assert np.isin(same_year, divisions).sum() > 0, "the case under test happened"
    assert len(model.firm_agents) == ws.firms.alive.sum()
    assert not set(same_year.tolist()) & set(model.firm_agents)


def test_grid_is_mesas_moore_grid_of_the_geography(make_model):
    from mesa.discrete_space import OrthogonalMooreGrid

    model = make_model()
    side = model.state.geo.side
    assert isinstance(model.grid, OrthogonalMooreGrid)
    assert model.grid.dimensions == (side, side)
    assert not model.grid.torus
    assert len(model.grid.all_cells) == side * side
    corner, inner = model.grid[(0, 0)], model.grid[(1, 1)]
    assert (len(corner.connections), len(inner.connections)) == (3, 8)
