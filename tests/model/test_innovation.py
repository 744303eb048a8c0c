import math

import numpy as np
import pytest

from model.innovation import (
    choose_fields,
    incremental_success,
    pick_partner,
    radical_success_probability,
    recombination_gain,
    resource_factor,
    roadmap_weights,
    run_incremental,
    run_radical,
)
from model.params import InnovationParams
from model.state import LinkKind, LinkTable

# --- incremental -----------------------------------------------------------------------------


def test_resource_factor_hand_values():
    out = resource_factor(np.array([0.0, 0.05, -1.0, 1e6]), 0.05)
    np.testing.assert_allclose(out, [0.0, 1 - math.exp(-1), 0.0, 1.0])


def test_no_incremental_innovation_without_rd(rng):
    fit = np.ones(5000)
    success, factor = incremental_success(fit, np.zeros(5000), InnovationParams(), rng)
    assert not success.any()
    assert (factor == 1.0).all()


def test_incremental_probability_is_fit_times_resource_factor(rng):
    params = InnovationParams(incremental_rd_scale=0.05, incremental_gain=0.02)
    n = 40_000
    success, factor = incremental_success(np.full(n, 0.5), np.full(n, 0.05), params, rng)
    # p = 0.5 * (1 - e^-1) = 0.316
    assert success.mean() == pytest.approx(0.5 * (1 - math.exp(-1)), abs=0.01)
    gains = factor[success] - 1
    assert gains.min() >= 0
    assert gains.max() <= 2 * 0.02
    assert gains.mean() == pytest.approx(0.02, rel=0.05)
    assert (factor[~success] == 1).all()


def test_run_incremental_does_nothing_without_rd(make_model):
    model = make_model(n_firms=150)
    ws = model.state
    ws.firms.rd_budget[:] = 0.0
    ws.firms.rd_support[:] = 0.0
    before = ws.firms.productivity.copy()
    regions = run_incremental(ws, model.params, np.random.default_rng(0))
    assert regions.size == 0
    np.testing.assert_array_equal(ws.firms.productivity, before)


def test_run_incremental_raises_productivity_of_the_winners(make_model):
    model = make_model(n_firms=150)
    ws = model.state
    ws.firms.rd_budget[:] = 10.0
    before = ws.firms.productivity.copy()
    n_events = len(ws.events.columns("innovation").get("firm", []))
    regions = run_incremental(ws, model.params, np.random.default_rng(0))
    won = ws.events.columns("innovation")["firm"][n_events:]
    assert regions.size == won.size > 0
    assert (ws.firms.productivity[won] >= before[won]).all()
    others = np.setdiff1d(np.arange(len(ws.firms)), won)
    np.testing.assert_array_equal(ws.firms.productivity[others], before[others])


# --- radical success ---------------------------------------------------------------------------


def test_radical_success_rises_with_resources_and_with_a_university():
    params = InnovationParams(radical_base_probability=0.5, university_radical_bonus=0.5)
    resources = np.array([0.0, 0.01, 0.05, 0.2, 1.0])
    d = np.full(resources.size, 0.15)
    firm = radical_success_probability(d, resources, np.zeros(5, bool), 0.15, params)
    uni = radical_success_probability(d, resources, np.ones(5, bool), 0.15, params)
    assert firm[0] == 0.0
    assert (np.diff(firm) > 0).all()
    np.testing.assert_allclose(uni, 1.5 * firm)
    # at the optimum with resources equal to the scale: 0.5 * 1 * (1 - e^-1)
    assert firm[2] == pytest.approx(0.5 * (1 - math.exp(-1)))


def test_radical_success_follows_the_inverted_u_and_is_capped_at_one():
    params = InnovationParams(radical_base_probability=1.0, university_radical_bonus=5.0)
    d = np.linspace(0.0, 1.0, 101)
    p = radical_success_probability(d, np.full(d.size, 1e3), np.zeros(d.size, bool), 0.3, params)
    assert d[np.argmax(p)] == pytest.approx(0.3)
    capped = radical_success_probability(
        d, np.full(d.size, 1e3), np.ones(d.size, bool), 0.3, params
    )
    assert capped.max() == 1.0
    assert (capped <= 1.0).all()


# --- field choice and payoff -------------------------------------------------------------------


def test_choose_fields_never_picks_the_same_field_twice(rng):
    own = rng.random((2000, 6))
    partner = rng.random((2000, 6))
    a, b = choose_fields(own, partner, np.zeros((2000, 6)), rng)
    assert (a != b).all()
    # even when nothing distinguishes the fields
    a, b = choose_fields(np.ones((500, 3)), np.ones((500, 3)), np.zeros((500, 3)), rng)
    assert (a != b).all()


def test_choose_fields_own_strength_and_partner_strength_where_firm_is_weak(rng):
    m = 2000
    own = np.tile([0.9, 0.1, 0.1, 0.1], (m, 1))
    partner = np.tile([0.9, 0.9, 0.2, 0.2], (m, 1))
    a, b = choose_fields(own, partner, np.zeros((m, 4)), rng)
    assert (a == 0).mean() > 0.9
    assert (b[a == 0] == 1).mean() > 0.9


def test_roadmap_weight_steers_the_partner_field(rng):
    m = 2000
    own = np.tile([0.9, 0.1, 0.1, 0.1], (m, 1))
    partner = np.tile([0.9, 0.9, 0.8, 0.2], (m, 1))
    steer = np.zeros((m, 4))
    steer[:, 2] = 2.0
    _, b_free = choose_fields(own, partner, np.zeros((m, 4)), rng)
    _, b_steered = choose_fields(own, partner, steer, rng)
    assert (b_steered == 2).mean() > (b_free == 2).mean() + 0.5


def test_novel_combinations_have_more_variable_payoffs(rng):
    params = InnovationParams(
        recombination_gain_mean=0.03,
        recombination_gain_sd=0.05,
        novel_gain_mean=0.02,
        novel_gain_sd=0.25,
    )
    novel = np.repeat([False, True], 20_000)
    log_gain = np.log(recombination_gain(novel, params, rng))
    assert log_gain[~novel].std() == pytest.approx(0.05, rel=0.05)
    assert log_gain[novel].std() == pytest.approx(0.25, rel=0.05)
    assert log_gain[~novel].mean() == pytest.approx(0.03, abs=0.005)


def test_pick_partner_one_pair_per_learner(rng):
    learner = np.array([3, 1, 3, 3, 1, 7])
    teacher = np.arange(6) + 100
    pick = pick_partner(learner, teacher, np.zeros(6, bool), rng)
    assert sorted(learner[pick].tolist()) == [1, 3, 7]


def test_roadmap_weights_only_on_the_roadmap_of_members(make_model):
    model = make_model(n_firms=150)
    ws = model.state
    ws.orgs.budget[:] = 0.1  # half of partnership_min_budget: capacity factor 0.5
    w = roadmap_weights(ws, np.arange(len(ws.firms)), model.params)
    outside = ws.firms.cluster < 0
    assert not w[outside].any()
    inside = np.flatnonzero(~outside)
    roadmap = ws.orgs.roadmap[ws.firms.cluster[inside]]
    # steering 1.0 x capacity 0.5 on roadmap fields, 0 elsewhere
    np.testing.assert_allclose(w[inside], 0.5 * roadmap)


# --- radical (novel pair) flagging ---------------------------------------------------------------


def _eager(model):
    """Make every firm with a partner attempt, and succeed whenever absorption allows."""
    model.state.firms.rd_budget[:] = 100.0
    return model.params.replace(radical_attempt_rate=1.0, radical_base_probability=1.0)


def _new_events(ws, start):
    cols = ws.events.columns("innovation")
    return {k: v[start:] for k, v in cols.items()}


def test_run_radical_flags_first_combinations_only(make_model):
    model = make_model("ris3_relatedness", rng=2)
    for _ in range(3):
        model.step()
    ws = model.state
    params = _eager(model)
    before = ws.combined.copy()
    start = ws.events.columns("innovation")["firm"].size
    recombinant, radical = run_radical(ws, params, np.random.default_rng(0))
    ev = _new_events(ws, start)
    assert ev["firm"].size > 0
    a, b = ev["field_a"], ev["field_b"]
    assert (a != b).all()
    low, high = np.minimum(a, b), np.maximum(a, b)
    key = low * ws.space.n_fields + high
    first = np.zeros(key.size, bool)
    first[np.unique(key, return_index=True)[1]] = True
    np.testing.assert_array_equal(ev["novel"], first & ~before[low, high])
    assert radical.size == ev["novel"].sum()
    assert recombinant.size == (~ev["novel"]).sum()
    assert (ev["kind"][ev["novel"]] == "radical").all()
    assert (ev["kind"][~ev["novel"]] == "recombinant").all()
    expected = before.copy()
    expected[low, high] = expected[high, low] = True
    np.testing.assert_array_equal(ws.combined, expected)
    # The same pairs made again are known: none of them is radical a second time.
    start = ws.events.columns("innovation")["firm"].size
    run_radical(ws, params, np.random.default_rng(1))
    again = _new_events(ws, start)
    made = set(zip(low.tolist(), high.tolist(), strict=True))
    for x, y, novel in zip(again["field_a"], again["field_b"], again["novel"], strict=True):
        if (min(x, y), max(x, y)) in made:
            assert not novel


def test_nothing_is_novel_once_every_pair_is_known(make_model):
    model = make_model("ris3_relatedness", rng=2)
    for _ in range(3):
        model.step()
    ws = model.state
    params = _eager(model)
    ws.combined[:] = True
    np.fill_diagonal(ws.combined, False)
    recombinant, radical = run_radical(ws, params, np.random.default_rng(0))
    assert radical.size == 0
    assert recombinant.size > 0


def test_radical_search_needs_a_collaboration_partner(make_model, add_link):
    model = make_model(rng=2)
    ws = model.state
    params = _eager(model)
    ws.links = LinkTable.empty(0)
    for i in range(20):
        add_link(ws, i, i + 20, LinkKind.SUPPLY)
    start = ws.events.columns("innovation")["firm"].size
    recombinant, radical = run_radical(ws, params, np.random.default_rng(0))
    assert recombinant.size == radical.size == 0
    assert ws.events.columns("innovation")["firm"].size == start


@pytest.mark.parametrize(("preset_name", "seed"), [("ris3_relatedness", 1), ("governance", 4)])
def test_a_novel_pair_is_radical_once_and_only_once_in_a_run(make_model, preset_name, seed):
    model = make_model(preset_name, rng=seed, n_firms=250)
    for _ in range(15):
        model.step()
    ws = model.state
    ev = ws.events.columns("innovation")
    novel = ev["novel"]
    assert novel.sum() > 0, "no radical innovation: the test would prove nothing"
    low = np.minimum(ev["field_a"][novel], ev["field_b"][novel])
    high = np.maximum(ev["field_a"][novel], ev["field_b"][novel])
    pairs = list(zip(low.tolist(), high.tolist(), strict=True))
    assert len(pairs) == len(set(pairs)), "a pair was flagged novel twice"
    for r in ws.industries.recipes:
        used = set(np.flatnonzero(r > 0).tolist())
        inside = {(x, y) for x, y in pairs if x in used and y in used}
        assert not inside, f"pairs inside an initial recipe flagged novel: {inside}"
    assert ws.combined[low, high].all()
    # summed yearly counts agree with the event log
    eco = [row for row in model.recorder.rows if row["scope"] == "economy"]
    recorded = sum(row["radical"] for row in eco)
    assert recorded == (novel & (ev["step"] >= 1)).sum()
