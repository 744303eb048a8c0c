import numpy as np

from model.diversification import (
    MIN_AGE,
    diversification_targets,
    diversify,
    present_industries,
)
from model.state import Origin


def test_diversification_targets_hand_computed():
    fit = np.array([[0.9, 0.5, 0.6], [0.3, 0.2, 0.4], [0.8, 0.7, 0.9]])
    present = np.array([[True, False, False], [False, False, False], [False, False, False]])
    open_market = np.array([True, True, False])
    target, eligible = diversification_targets(fit, present, open_market, 0.45)
    # row 0: industry 0 present, 2 closed -> 1 (0.5 >= 0.45)
    # row 1: best open is 0 at 0.3 < 0.45 -> not eligible
    # row 2: 2 fits best but its market is closed -> 0 (0.8)
    assert target.tolist() == [1, 0, 0]
    assert eligible.tolist() == [True, False, True]


def test_fit_at_the_threshold_is_enough_and_nothing_allowed_is_never_eligible():
    fit = np.array([[0.45, 0.1], [0.99, 0.99]])
    present = np.array([[False, True], [True, True]])
    _, eligible = diversification_targets(fit, present, np.array([True, True]), 0.45)
    assert eligible.tolist() == [True, False]


def test_targets_are_never_present_or_closed(rng):
    fit = rng.random((300, 8))
    present = rng.random((300, 8)) < 0.3
    open_market = np.array([True] * 6 + [False] * 2)
    target, eligible = diversification_targets(fit, present, open_market, 0.2)
    rows = np.flatnonzero(eligible)
    assert rows.size > 0
    assert not present[rows, target[rows]].any()
    assert open_market[target[rows]].all()
    assert (fit[rows, target[rows]] >= 0.2).all()


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
    new = diversify(ws, params, np.ones(ws.industries.n, bool), np.random.default_rng(0))
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
    assert diversify(ws, strict, np.ones(ws.industries.n, bool), np.random.default_rng(0)).size == 0
    ws.firms.cash[:] = 0.0
    poor = model.params.replace(diversification_rate=1.0, fit_threshold=0.0, division_cost=0.1)
    assert diversify(ws, poor, np.ones(ws.industries.n, bool), np.random.default_rng(0)).size == 0
