import copy

import numpy as np

from clusterlab.model.demography import regional_means
from clusterlab.model.diversification import (
    MIN_AGE,
    choice_probabilities,
    diversify,
    draw_choices,
    expected_values,
    present_industries,
    support_startups,
)
from clusterlab.model.knowledge import recipe_fit
from clusterlab.model.learning import NodeKnowledge, learn_from_partners
from clusterlab.model.state import Origin


def test_expected_values_hand_computed():
    fit = np.array([[0.5, 1.0], [0.2, 0.1]])
    demand, n_firms, growth = np.array([10.0, 4.0]), np.array([4, 1]), np.array([0.0, 0.5])
    v = expected_values(fit, demand, n_firms, growth, 0.2)
    # market per firm after entry, grown: [10/5 * 1, 4/2 * 1.5] = [2, 3]
    np.testing.assert_allclose(v, [[0.5 * 2 - 0.2, 1.0 * 3 - 0.2], [0.2 * 2 - 0.2, 0.1 * 3 - 0.2]])


def test_choice_probabilities_hand_computed():
    values = np.array([[2.0, 1.0, 5.0, -1.0], [-1.0, 0.0, 3.0, 3.0]])
    allowed = np.array([[True, True, False, True], [True, True, False, False]])
    p = choice_probabilities(values, allowed, 0.5)
    # row 0: candidates 0, 1 (2 not allowed, 3 negative); z = [1, 0.5] -> e^0 : e^-1
    e = np.exp(-1.0)
    np.testing.assert_allclose(p[0], [1 / (1 + e), e / (1 + e), 0.0, 0.0])
    # row 1: no allowed industry with positive value -> no choice at all
    np.testing.assert_allclose(p[1], 0.0)


def test_choice_tends_to_the_best_at_low_temperature_and_to_uniform_at_high():
    values, allowed = np.array([[3.0, 2.0, 1.0]]), np.ones((1, 3), bool)
    cold = choice_probabilities(values, allowed, 0.01)
    hot = choice_probabilities(values, allowed, 1000.0)
    assert cold[0, 0] > 0.999
    np.testing.assert_allclose(hot[0], 1 / 3, atol=1e-3)
    mid = choice_probabilities(values, allowed, 0.25)[0]
    assert mid[0] > mid[1] > mid[2] > 0, "probability falls with value, none is excluded"


def test_draw_choices_follow_the_probabilities_and_skip_zero_rows(rng):
    prob = np.tile([0.0, 0.2, 0.0, 0.8], (20000, 1))
    prob[:10] = 0.0
    pick = draw_choices(prob, rng)
    assert (pick[:10] == -1).all()
    share = np.bincount(pick[10:], minlength=4) / (pick.size - 10)
    assert share[0] == 0
    assert share[2] == 0
    assert abs(share[1] - 0.2) < 0.015  # 5 s.e. of a share of 20,000 draws


def test_diversify_is_deterministic_for_a_seed(make_model):
    out = []
    for _ in range(2):
        model = make_model(n_firms=200, burn_in=3)
        ws = model.state
        ws.firms.cash[:] = 10.0
        ws.firms.profit[:] = 1.0
        params = model.params.replace(diversification_rate=0.5, fit_threshold=0.0)
        new = diversify(ws, params, model.demand, np.random.default_rng(3))
        out.append((ws.firms.industry[new].tolist(), ws.firms.parent[new].tolist()))
    assert out[0] == out[1]


def test_present_industries_include_alive_divisions(make_model):
    ws = make_model(n_firms=100, burn_in=0).state
    f = ws.firms
    parent = 0
    other = (f.industry[parent] + 1) % ws.industries.n
    f.origin[1], f.parent[1], f.industry[1] = Origin.DIVISION, parent, other
    f.group[1] = f.group[parent]
    out = present_industries(ws)
    assert out[parent, f.industry[parent]]
    assert out[parent, other]
    f.alive[1] = False
    assert not present_industries(ws)[parent, other]


def test_a_dead_founders_industry_no_longer_counts_for_its_divisions(make_model):
    ws = make_model(n_firms=100, burn_in=0).state
    f = ws.firms
    founder, division = 0, 1
    other = (f.industry[founder] + 1) % ws.industries.n
    f.origin[division], f.parent[division], f.industry[division] = Origin.DIVISION, founder, other
    f.group[division] = f.group[founder]
    assert present_industries(ws)[division, f.industry[founder]]  # the group is there
    f.alive[founder] = False
    out = present_industries(ws)
    assert not out[division, f.industry[founder]]  # nobody of the group is there any more
    assert out[division, other]  # its own industry always counts


def test_divisions_open_next_to_their_parent_in_a_new_industry(make_model):
    model = make_model(n_firms=200, burn_in=3)
    ws = model.state
    params = model.params.replace(diversification_rate=1.0, fit_threshold=0.0, division_cost=0.05)
    f = ws.firms
    f.cash[:] = 10.0
    f.profit[:] = 1.0
    cash = f.cash.copy()
    present = present_industries(ws)
    new = diversify(ws, params, model.demand, np.random.default_rng(0))
    assert new.size > 0
    parents = f.rows_of(f.parent[new])  # the table keeps the parent's id
    assert (f.origin[new] == Origin.DIVISION).all()
    assert (f.group[new] == f.group[parents]).all(), "a division joins its parent's group"
    assert not present[parents, f.industry[new]].any(), "a division enters a new industry"
    assert (np.abs(f.x[new] - f.x[parents]) <= 1).all()
    assert (np.abs(f.y[new] - f.y[parents]) <= 1).all()
    same_region = f.region[new] == f.region[parents]
    assert (f.cluster[new][same_region] == f.cluster[parents][same_region]).all()
    assert (f.cluster[new][~same_region] == -1).all()
    np.testing.assert_allclose(f.cash[parents], cash[parents] - 0.05)
    np.testing.assert_allclose(f.employees[new], params.diversification.division_employees)
    assert (ws.step - f.born[parents] >= MIN_AGE).all()
    births = ws.events.columns("birth")
    assert set(f.id[new].tolist()) <= set(births["firm"].tolist())


def test_no_divisions_when_nothing_fits_or_cash_is_short(make_model):
    model = make_model(n_firms=200, burn_in=3)
    ws = model.state
    ws.firms.profit[:] = 1.0
    ws.firms.cash[:] = 10.0
    strict = model.params.replace(diversification_rate=1.0, fit_threshold=1.0)
    assert diversify(ws, strict, np.ones(ws.industries.n), np.random.default_rng(0)).size == 0
    ws.firms.cash[:] = 0.0
    poor = model.params.replace(diversification_rate=1.0, fit_threshold=0.0, division_cost=0.1)
    assert diversify(ws, poor, np.ones(ws.industries.n), np.random.default_rng(0)).size == 0


def _young_divisions(ws, parent, rows, age):
    """Make ``rows`` divisions of ``parent`` aged ``age``; every firm profitable."""
    f = ws.firms
    f.profit[:] = 1.0
    f.origin[rows], f.parent[rows], f.group[rows] = Origin.DIVISION, f.id[parent], f.group[parent]
    f.born[rows] = ws.step - age


def test_parents_cover_their_young_divisions_losses_hand_computed(make_model):
    model = make_model(n_firms=100, burn_in=0)
    ws, params = model.state, model.params.replace(startup_years=5, division_employees=8.0)
    f = ws.firms
    _young_divisions(ws, 0, [1, 2], age=2)
    f.profit[[1, 2]] = [-0.3, -0.1]
    f.cash[[0, 1, 2]] = [1.0, 0.05, 0.0]
    f.loss_streak[[1, 2]] = 2
    f.employees[[1, 2]] = [3.0, 20.0]
    supported = support_startups(ws, params)
    assert sorted(supported.tolist()) == [1, 2]
    # the parent pays both losses (0.4 <= its cash 1.0)
    np.testing.assert_allclose(f.cash[[0, 1, 2]], [0.6, 0.35, 0.1])
    assert f.loss_streak[[1, 2]].tolist() == [0, 0]
    # the parent keeps the start-up team: employment at least division_employees
    np.testing.assert_allclose(f.employees[[1, 2]], [8.0, 20.0])


def test_a_parent_short_of_cash_pays_pro_rata_and_the_loss_streak_goes_on(make_model):
    model = make_model(n_firms=100, burn_in=0)
    ws, params = model.state, model.params.replace(startup_years=5)
    f = ws.firms
    _young_divisions(ws, 0, [1, 2], age=1)
    f.profit[[1, 2]] = [-0.3, -0.1]
    f.cash[[0, 1, 2]] = [0.2, 0.0, 0.0]
    f.loss_streak[[1, 2]] = 1
    group_cash = f.cash[[0, 1, 2]].sum()
    support_startups(ws, params)
    # owed 0.4, cash 0.2: share 0.5 of each loss -> 0.15 and 0.05
    np.testing.assert_allclose(f.cash[[0, 1, 2]], [0.0, 0.15, 0.05], atol=1e-15)
    np.testing.assert_allclose(f.cash[[0, 1, 2]].sum(), group_cash)
    assert f.loss_streak[[1, 2]].tolist() == [1, 1], "a loss not paid in full still counts"


def test_a_parent_that_pays_all_its_cash_ends_with_exactly_none(make_model):
    model = make_model(n_firms=100, burn_in=0)
    ws, params = model.state, model.params.replace(startup_years=5)
    f = ws.firms
    _young_divisions(ws, 0, [1], age=1)
    f.profit[1] = -0.56
    f.cash[[0, 1]] = [0.22, 0.0]
    support_startups(ws, params)
    # owed 0.56 > cash 0.22: pays share 0.22 / 0.56 of the loss, all its cash; in binary
    # floating point 0.56 * (0.22 / 0.56) = 0.22000000000000003, and 0.22 - that < 0
    assert f.cash[0] == 0.0


def test_no_support_after_the_startup_period_or_without_a_live_parent(make_model):
    model = make_model(n_firms=100, burn_in=0)
    ws, params = model.state, model.params.replace(startup_years=3)
    f = ws.firms
    _young_divisions(ws, 0, [1], age=4)  # too old
    _young_divisions(ws, 3, [2], age=2)
    f.profit[:] = 1.0
    f.profit[[1, 2]] = -0.5
    f.alive[3] = False  # parent of 2 has exited
    cash = f.cash.copy()
    assert support_startups(ws, params).size == 0
    np.testing.assert_allclose(f.cash, cash)
    assert support_startups(ws, params.replace(startup_years=0)).size == 0


def test_new_divisions_hire_the_regions_know_how_in_their_industry(make_model):
    model = make_model(n_firms=300, burn_in=3)
    ws = model.state
    f = ws.firms
    f.cash[:], f.profit[:] = 10.0, 1.0
    params = model.params.replace(diversification_rate=1.0, fit_threshold=0.0, hiring_share=0.9)
    know = regional_means(ws)[1].copy()
    parent_know = f.knowledge.copy()
    new = diversify(ws, params, model.demand, np.random.default_rng(0))
    assert new.size > 0
    parents = f.rows_of(f.parent[new])
    expected = np.maximum(parent_know[parents], 0.9 * know[f.region[new], f.industry[new]])
    np.testing.assert_allclose(f.knowledge[new], expected)
    assert (f.knowledge[new] > parent_know[parents] + 1e-9).any(), "hiring added know-how"


def _chain_share(model, firm, chain, seeds):
    """Share of ``seeds`` in which ``firm`` opens its division in ``chain``."""
    hits = 0
    for seed in seeds:
        ws = copy.deepcopy(model.state)
        f = ws.firms
        f.cash[:], f.profit[:] = 0.0, -1.0  # nobody else diversifies
        f.cash[firm], f.profit[firm] = 10.0, 1.0
        params = model.params.replace(diversification_rate=1.0, fit_threshold=0.0)
        new = diversify(ws, params, model.demand, np.random.default_rng(seed))
        hits += bool(new.size) and ws.industries.chain[f.industry[new[0]]] == chain
    return hits / len(seeds)


def test_partner_knowledge_from_another_chain_leads_divisions_into_that_chain(make_model):
    # The lever's channel traced step by step: a link to a firm of another value chain
    # moves knowledge (learn_from_partners), which raises the firm's fit to that
    # chain's industries, which raises the chance its division goes there.
    for model_seed in (1, 2, 3):
        model = make_model(n_firms=300, burn_in=2, rng=model_seed)
        ws, lp = model.state, model.params.learning
        f, ind = ws.firms, ws.industries
        chain = ind.chain[f.industry]
        firm = int(np.flatnonzero(f.alive & (chain >= 0) & (ws.step - f.born >= MIN_AGE))[0])
        partner = int(np.flatnonzero(f.alive & (chain >= 0) & (chain != chain[firm]))[0])
        other = ind.chain[f.industry[partner]]
        before_fit = recipe_fit(f.knowledge[[firm]], ind.recipes)[0, ind.chain == other].max()
        before = _chain_share(model, firm, other, range(40))
        nodes = NodeKnowledge.of(f.knowledge, ws.unis.knowledge, ws.space.proximity)
        gained = f.knowledge.copy()
        for _ in range(10):  # ten years of learning from the partner (distance-optimal rate)
            learn_from_partners(nodes, np.array([firm]), np.array([partner]), 1.0, 1.0, gained)
            nodes = NodeKnowledge.of(gained, ws.unis.knowledge, ws.space.proximity)
        f.knowledge[firm] = np.clip(gained[firm], 0.0, 1.0)
        after_fit = recipe_fit(f.knowledge[[firm]], ind.recipes)[0, ind.chain == other].max()
        after = _chain_share(model, firm, other, range(40))
        assert after_fit > before_fit + 0.05, f"model seed {model_seed}: knowledge moved"
        assert after > before, f"model seed {model_seed}: {before} -> {after}"
        assert lp.interaction_rate > 0
