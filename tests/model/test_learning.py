import math

import numpy as np
import pytest

from clusterlab.model.knowledge import NodeKnowledge, absorptive_capacity
from clusterlab.model.learning import (
    advance_universities,
    imitate,
    learn_by_doing,
    learn_from_partners,
    link_pairs,
    spillover_kernel,
    spillover_targets,
)
from clusterlab.model.state import LinkKind, LinkTable

# --- learning by doing -----------------------------------------------------------------------


def test_learn_by_doing_hand_computed():
    knowledge = np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]])
    recipes = np.array([[0.6, 0.3, 0.0], [0.0, 0.0, 1.0]])
    # industry 0: w = recipe / max = (1, 0.5, 0)
    # field 0: 0.5 + 0.1 * 1 * 0.5 = 0.55; field 1: 0.5 + 0.1 * 0.5 * 0.5 = 0.525
    # field 2 is unused: 0.5 * (1 - 0.2) = 0.4
    out = learn_by_doing(knowledge, np.array([0, 1]), recipes, rate=0.1, decay=0.2)
    np.testing.assert_allclose(out, [[0.55, 0.525, 0.4], [0.4, 0.4, 0.55]])
    # only the given rows learn; the input is not changed
    part = learn_by_doing(knowledge, np.array([0, 1]), recipes, 0.1, 0.2, rows=np.array([1]))
    np.testing.assert_allclose(part, [[0.5, 0.5, 0.5], [0.4, 0.4, 0.55]])
    assert (knowledge == 0.5).all()


def test_learn_by_doing_is_the_numpy_formula_to_the_bit(rng):
    recipes = rng.random((5, 8)) * (rng.random((5, 8)) < 0.5)
    industry = rng.integers(0, 5, 300)
    knowledge = rng.random((300, 8))
    used = recipes[industry]
    w = used / np.maximum(used.max(axis=1, keepdims=True), 1e-12)
    learned = knowledge + 0.07 * w * (1.0 - knowledge)
    expected = np.where(used > 0, learned, (1.0 - 0.03) * knowledge)
    got = learn_by_doing(knowledge, industry, recipes, 0.07, 0.03)
    np.testing.assert_array_equal(got, expected)


def test_learn_by_doing_moves_used_fields_toward_one_and_decays_unused(rng):
    knowledge = rng.random((20, 6))
    recipes = np.zeros((1, 6))
    recipes[0, :2] = [0.7, 0.3]
    industry = np.zeros(20, np.int64)
    k = knowledge
    for _ in range(200):
        new = learn_by_doing(k, industry, recipes, rate=0.1, decay=0.05)
        assert (new[:, :2] >= k[:, :2]).all()
        assert (new[:, 2:] <= k[:, 2:]).all()
        k = new
    assert (k[:, :2] > 0.99).all()
    assert (k[:, 2:] < 0.01).all()
    assert (k >= 0).all()
    assert (k <= 1).all()


# --- learning from partners ------------------------------------------------------------------


def learn_from_partners_rows(learner, teacher, proximity, rate, optimum):
    """Gains of each learner row from the paired teacher row (one partner each)."""
    m = learner.shape[0]
    nodes = NodeKnowledge.of(
        np.vstack([learner, teacher]), np.zeros((0, learner.shape[1])), proximity
    )
    into = np.zeros((2 * m, learner.shape[1]))
    learn_from_partners(nodes, np.arange(m), m + np.arange(m), rate, optimum, into)
    return into[:m]


def test_learn_from_partners_hand_computed():
    # identity proximity: learner (1, 0) and teacher (1, 1) have cosine 1/sqrt(2)
    learner, teacher = np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]])
    optimum = 1 - 1 / math.sqrt(2)  # so absorption is 1
    delta = learn_from_partners_rows(learner, teacher, np.eye(2), 0.2, optimum)
    np.testing.assert_allclose(delta, [[0.0, 0.2 * 1.0 * 1.0]])


def test_learn_from_partners_only_where_the_partner_knows_more(rng):
    learner = rng.random((200, 8))
    teacher = rng.random((200, 8))
    psi = np.exp(-np.abs(np.subtract.outer(np.arange(8), np.arange(8))) / 2.0)
    delta = learn_from_partners_rows(learner, teacher, psi, 0.3, 0.3)
    assert (delta >= 0).all()
    assert (delta[teacher <= learner] == 0).all()
    assert (delta[teacher > learner] > 0).any()
    assert (learner + delta <= np.maximum(learner, teacher) + 1e-12).all(), "no overshoot"


def test_learn_from_partners_nothing_from_an_identical_partner():
    k = np.array([[0.4, 0.9, 0.1]])
    assert not learn_from_partners_rows(k, k, np.eye(3), 0.5, 0.2).any()


def test_learning_is_largest_from_a_partner_at_the_optimal_distance():
    # Every teacher knows field 1 fully (gap 1 for the learner); its field-0 expertise a
    # sets the cognitive distance 1 - a / sqrt(a^2 + 1), which falls as a rises.
    a = np.array([0.1, 0.25, 0.5, 0.75, 1.0])
    teacher = np.column_stack([a, np.ones_like(a)])
    learner = np.tile([1.0, 0.0], (a.size, 1))
    distance = 1 - a / np.sqrt(a**2 + 1)
    optimum = distance[2]
    gained = learn_from_partners_rows(learner, teacher, np.eye(2), 0.2, optimum)[:, 1]
    assert np.argmax(gained) == 2
    np.testing.assert_allclose(gained, 0.2 * absorptive_capacity(distance, optimum))


def test_per_link_rates_scale_learning():
    learner, teacher = np.array([[1.0, 0.0]] * 2), np.array([[1.0, 1.0]] * 2)
    delta = learn_from_partners_rows(learner, teacher, np.eye(2), np.array([0.1, 0.2]), 0.3)
    assert delta[1, 1] == pytest.approx(2 * delta[0, 1])


# --- spillovers ------------------------------------------------------------------------------


def test_spillover_kernel_shape_and_values():
    kernel = spillover_kernel(2.0)
    assert kernel.shape == (13, 13)  # radius ceil(3 * 2) = 6
    assert kernel[6, 6] == 1.0
    assert kernel[6, 7] == pytest.approx(math.exp(-1 / 2))
    assert kernel[7, 7] == pytest.approx(math.exp(-math.sqrt(2) / 2))
    np.testing.assert_allclose(kernel, kernel.T)


def test_spillover_targets_hand_built_grid_excludes_the_firm_itself():
    # firms 0 and 1 share cell (2, 2); firm 2 is one cell away; firm 3 is out of reach
    x = np.array([2, 2, 3, 8])
    y = np.array([2, 2, 2, 8])
    employees = np.array([2.0, 1.0, 3.0, 1.0])
    knowledge = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.2]])
    kernel = spillover_kernel(1.0)  # reach 3 cells; w(0) = 1, w(1) = e^-1
    out = spillover_targets(x, y, employees, knowledge, 10, kernel)
    e = math.exp(-1)
    expected = np.array(
        [
            # firm 0 sees firm 1 (same cell) and firm 2, not itself
            (1 * 1 * np.array([0, 1]) + e * 3 * np.array([0.5, 0.5])) / (1 + 3 * e),
            # firm 1 sees firm 0 and firm 2
            (1 * 2 * np.array([1, 0]) + e * 3 * np.array([0.5, 0.5])) / (2 + 3 * e),
            # firm 2 sees firms 0 and 1, both at distance 1: (2 * (1, 0) + (0, 1)) / 3
            [2 / 3, 1 / 3],
            # firm 3 has no neighbour in reach: its own knowledge (nothing to learn)
            [0.2, 0.2],
        ]
    )
    np.testing.assert_allclose(out, expected, atol=1e-9)


def test_a_lone_firm_learns_nothing_from_spillovers():
    out = spillover_targets(
        np.array([4]),
        np.array([4]),
        np.array([5.0]),
        np.array([[0.3, 0.7]]),
        10,
        spillover_kernel(2.0),
    )
    np.testing.assert_allclose(out, [[0.3, 0.7]])


# --- imitation and universities --------------------------------------------------------------


def test_imitate_only_raises_laggards():
    productivity = np.array([1.0, math.e**2, 5.0])
    industry = np.array([0, 0, 1])
    employees = np.array([1.0, 1.0, 4.0])
    out = imitate(productivity, industry, employees, 2, rate=0.5)
    # industry 0 mean log productivity (0 + 2) / 2 = 1: the laggard closes half its gap
    # to exp(0.5); the leader stays; the lone firm of industry 1 is its own mean.
    np.testing.assert_allclose(out, [math.exp(0.5), math.e**2, 5.0])


def test_imitate_never_lowers_productivity(rng):
    productivity = np.exp(rng.normal(size=300))
    industry = rng.integers(0, 5, size=300)
    out = imitate(productivity, industry, rng.exponential(size=300), 5, rate=0.3)
    # leaders keep their productivity up to exp(log(p)) rounding
    assert (out >= productivity * (1 - 1e-12)).all()
    assert (out > productivity * 1.01).any()


def test_advance_universities_only_home_fields():
    k = np.array([[0.8, 0.2]])
    home = np.array([[True, False]])
    # 0.8 + 0.5 * (1 - 0.8) = 0.9
    np.testing.assert_allclose(advance_universities(k, home, 0.5), [[0.9, 0.2]])


# --- link pairs ------------------------------------------------------------------------------


def test_link_pairs_firm_links_teach_both_ways_universities_one_way(make_model, add_link):
    ws = make_model(n_firms=100, burn_in=0).state
    ws.links = LinkTable.empty(0)
    add_link(ws, 1, 2, LinkKind.SUPPLY)
    add_link(ws, 3, 4, LinkKind.COLLABORATION)
    add_link(ws, 5, 0, LinkKind.UNIVERSITY)
    add_link(ws, 6, 7, LinkKind.COLLABORATION, active=False)
    learner, teacher, is_uni = link_pairs(ws)
    pairs = set(zip(learner.tolist(), teacher.tolist(), is_uni.tolist(), strict=True))
    assert pairs == {(1, 2, False), (2, 1, False), (3, 4, False), (4, 3, False), (5, 0, True)}
    learner, teacher, is_uni = link_pairs(ws, include_supply=False)
    pairs = set(zip(learner.tolist(), teacher.tolist(), is_uni.tolist(), strict=True))
    assert pairs == {(3, 4, False), (4, 3, False), (5, 0, True)}


def test_gains_from_several_partners_add_up():
    # firm 0 learns from firm 1 and from university 0 (node 2)
    firms = np.array([[1.0, 0.0], [1.0, 1.0]])
    unis = np.array([[1.0, 1.0]])
    nodes = NodeKnowledge.of(firms, unis, np.eye(2))
    optimum = 1 - 1 / math.sqrt(2)  # absorption 1 from both
    into = firms.copy()
    learn_from_partners(
        nodes, np.array([0, 0]), np.array([1, 2]), np.array([0.1, 0.2]), optimum, into
    )
    np.testing.assert_allclose(into[0], [1.0, 0.0 + 0.1 + 0.2])
    np.testing.assert_array_equal(into[1], firms[1])


def test_run_learning_with_exited_rows_equals_the_run_without_them(make_model, assert_arrays_close):
    """Exited firms' rows neither learn nor teach: dropping them first changes nothing.

    Knowledge to the suite's tolerance: the partners' projections are one matrix product
    over every firm and university row, and with fewer rows a BLAS kernel may round a row
    differently in the last bit (docs/reproducibility.md).
    """
    import copy

    from clusterlab.model.learning import run_learning

    model = make_model(n_firms=300, burn_in=2)
    ws = model.state
    gone = np.arange(0, len(ws.firms), 7)
    ws.firms.alive[gone] = False
    ws.links.active[np.isin(ws.links.a, gone) | np.isin(ws.links.b, gone)] = False
    dropped = copy.deepcopy(ws)
    dropped.compact()
    before = ws.firms.knowledge[gone].copy()
    run_learning(ws, model.params)  # some rows exited: the rows are gathered
    run_learning(dropped, model.params)  # every row alive: views
    alive = ws.firms.alive
    assert_arrays_close(ws.firms.knowledge[alive], dropped.firms.knowledge)
    np.testing.assert_array_equal(ws.firms.productivity[alive], dropped.firms.productivity)
    np.testing.assert_array_equal(ws.firms.knowledge[gone], before)
