import math

import numpy as np
import pytest

from clusterlab.model.innovation import (
    attempt_rate,
    breakthroughs,
    choose_fields,
    choose_pool_fields,
    family_encounter_weight,
    incremental_success,
    pick_partner,
    radical_success_probability,
    recombination_gain,
    regional_pool,
    resource_factor,
    roadmap_weights,
    run_incremental,
    run_radical,
)
from clusterlab.model.metrics.novelty import ALWAYS, NEVER
from clusterlab.model.params import InnovationParams
from clusterlab.model.state import LinkKind, LinkTable

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
    won = ws.firms.rows_of(ws.events.columns("innovation")["firm"][n_events:])  # ids -> rows
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


def _pair_keys(ev, k):
    low, high = np.minimum(ev["field_a"], ev["field_b"]), np.maximum(ev["field_a"], ev["field_b"])
    return low, high, low * k + high


def test_run_radical_flags_pairs_not_combined_within_the_memory(make_model):
    model = make_model("ris3_relatedness", rng=2)
    for _ in range(3):
        model.step()
    ws = model.state
    params = _eager(model)
    memory = params.innovation.novelty_memory
    before = ws.last_combined.copy()
    start = ws.events.columns("innovation")["firm"].size
    recombinant, radical, _ = run_radical(ws, params, np.random.default_rng(0))
    ev = _new_events(ws, start)
    assert ev["firm"].size > 0
    assert (ev["field_a"] != ev["field_b"]).all()
    low, high, key = _pair_keys(ev, ws.space.n_fields)
    for pair in np.unique(key):
        mine = key == pair
        stale = ws.step - before[low[mine][0], high[mine][0]] > memory
        # a stale pair is novel exactly once this year (whoever came first); a recent one never
        assert ev["novel"][mine].sum() == int(stale)
    # radical: new to the world and joining two knowledge families (the default keeps no
    # new pair of one family)
    family = ws.space.family
    broke = ev["novel"] & (family[ev["field_a"]] != family[ev["field_b"]])
    assert 0 < broke.sum() <= ev["novel"].sum()
    assert radical.size == broke.sum()
    assert recombinant.size == (~broke).sum()
    assert (ev["kind"][broke] == "radical").all()
    assert (ev["kind"][~broke] == "recombinant").all()
    expected = before.copy()
    expected[low, high] = expected[high, low] = np.maximum(before[low, high], ws.step)
    np.testing.assert_array_equal(ws.last_combined, expected)
    # The same pairs made again this year are recent: none of them is radical a second time.
    start = ws.events.columns("innovation")["firm"].size
    run_radical(ws, params, np.random.default_rng(1))
    again = _new_events(ws, start)
    made = set(key.tolist())
    assert not again["novel"][np.isin(_pair_keys(again, ws.space.n_fields)[2], list(made))].any()


def test_nothing_is_novel_once_every_pair_is_permanently_familiar(make_model):
    model = make_model("ris3_relatedness", rng=2)
    for _ in range(3):
        model.step()
    ws = model.state
    params = _eager(model)
    ws.last_combined[:] = ALWAYS
    ws.region_last_combined[:] = ALWAYS
    recombinant, radical, new_to_region = run_radical(ws, params, np.random.default_rng(0))
    assert radical.size == new_to_region.size == 0
    assert recombinant.size > 0


def test_pairs_made_elsewhere_recently_are_new_to_region_only(make_model):
    # Hand-built: every pair was combined somewhere last year (nothing new to the world);
    # region 0 has never combined any pair, the others combined all of them last year.
    model = make_model("ris3_relatedness", rng=2)
    for _ in range(3):
        model.step()
    ws = model.state
    params = _eager(model)
    ws.last_combined[:] = ws.step - 1
    ws.region_last_combined[:] = ws.step - 1
    ws.region_last_combined[0] = NEVER
    start = ws.events.columns("innovation")["firm"].size
    _, radical, new_to_region = run_radical(ws, params, np.random.default_rng(0))
    ev = _new_events(ws, start)
    assert radical.size == 0
    assert (new_to_region == 0).all()
    home = ev["region"] == 0
    assert home.any()
    assert (~home).any()
    _, _, key = _pair_keys(ev, ws.space.n_fields)
    # region 0: each distinct pair is new to the region once; elsewhere nothing is new
    assert ev["novelty"][home].tolist().count("region") == np.unique(key[home]).size
    assert (ev["novelty"][~home] == "none").all()


def test_radical_search_needs_a_collaboration_partner(make_model, add_link):
    model = make_model(rng=2)
    ws = model.state
    params = _eager(model)
    ws.links = LinkTable.empty(0)
    for i in range(20):
        add_link(ws, i, i + 20, LinkKind.SUPPLY)
    start = ws.events.columns("innovation")["firm"].size
    alone = params.replace(local_search_rate=0.0)
    recombinant, radical, new_to_region = run_radical(ws, alone, np.random.default_rng(0))
    assert recombinant.size == radical.size == new_to_region.size == 0
    assert ws.events.columns("innovation")["firm"].size == start
    # with local search on, firms without a partner still recombine, all with the pool
    run_radical(ws, params.replace(local_search_rate=1.0), np.random.default_rng(0))
    ev = _new_events(ws, start)
    assert ev["firm"].size > 0
    assert (ev["partner_type"] == "none").all()
    assert (ev["field_b_source"] == "region").all()


@pytest.mark.parametrize(("preset_name", "seed"), [("ris3_relatedness", 1), ("governance", 4)])
def test_a_pair_is_radical_at_most_once_per_memory_window(make_model, preset_name, seed):
    model = make_model(preset_name, rng=seed, n_firms=250, novelty_memory=3)
    for _ in range(15):
        model.step()
    ws = model.state
    ev = ws.events.columns("innovation")
    novel = ev["novel"]
    assert novel.sum() > 0, "no radical innovation: the test would prove nothing"
    low, high, key = _pair_keys({k: v[novel] for k, v in ev.items()}, ws.space.n_fields)
    steps = ev["step"][novel]
    for pair in np.unique(key):
        years = np.sort(steps[key == pair])
        assert (np.diff(years) > 3).all(), f"pair {pair} novel again within the memory"
    for r in ws.industries.recipes:
        used = set(np.flatnonzero(r > 0).tolist())
        inside = {(x, y) for x, y in zip(low.tolist(), high.tolist(), strict=True)}
        inside = {(x, y) for x, y in inside if x in used and y in used}
        assert not inside, f"pairs inside an initial recipe flagged novel: {inside}"
    assert (ws.last_combined[low, high] >= steps).all()
    # summed yearly counts agree with the event log
    eco = [row for row in model.recorder.rows if row["scope"] == "economy"]
    run = ev["step"] >= 1
    radical = ev["kind"] == "radical"
    assert (novel[radical]).all()
    assert sum(row["radical"] for row in eco) == (radical & run).sum()
    regional = ev["novelty"] == "region"
    assert sum(row["radical_new_to_region"] for row in eco) == (regional & run).sum()
    assert not (regional & novel).any()


def test_novelty_regenerates_over_a_long_run(make_model):
    # With a fixed stock (memory longer than the run) novelty is used up; with recency the
    # second half of the run produces at least as many radicals as the first. Pooled over
    # five seeds: how fast one small economy uses its stock varies (in one seed in eight
    # the fixed stock is not yet exhausted by year 40), and so, by a few radicals, do the
    # halves of one run with recency (seed 1: 78 then 77), so the halves are pooled too.
    # Seeds 1-5: 404 radicals in years 1-20, 423 in 21-40; 189 in 21-40 with the fixed stock.
    second_half = {5: 0.0, 1000: 0.0}
    first_half = 0.0
    for seed in range(1, 6):
        for memory in second_half:
            model = make_model("ris3_relatedness", rng=seed, n_firms=250, novelty_memory=memory)
            for _ in range(40):
                model.step()
            eco = [row for row in model.recorder.rows if row["scope"] == "economy"]
            first = sum(row["radical"] for row in eco if 0 < row["step"] <= 20)
            second = sum(row["radical"] for row in eco if row["step"] > 20)
            if memory == 5:
                first_half += first
            second_half[memory] += second
    assert second_half[5] >= first_half
    assert second_half[5] > 1.2 * second_half[1000]


# --- regional knowledge pool -------------------------------------------------------------------


def test_regional_pool_hand_computed():
    knowledge = np.array([[0.9, 0.1, 0.6], [0.2, 0.7, 0.5], [0.8, 0.8, 0.1]])
    employees = np.array([10.0, 30.0, 5.0])
    region = np.array([0, 0, 1])
    share, best = regional_pool(knowledge, employees, region, 3)
    # region 0 (40 employees): field 0 strong at firm 0 (10/40), field 1 at firm 1
    # (30/40), field 2 at both (40/40); region 1: fields 0, 1; region 2 is empty
    np.testing.assert_allclose(share, [[0.25, 0.75, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(best, [[0.9, 0.7, 0.6], [0.8, 0.8, 0.1], [0.0, 0.0, 0.0]])


def test_pool_draws_only_fields_the_region_holds(rng):
    m = 4000
    own = np.tile([0.9, 0.1, 0.1, 0.1, 0.1], (m, 1))
    pool = np.tile([1.0, 0.5, 0.04, 0.0, 0.2], (m, 1))
    a = np.zeros(m, np.int64)
    b = choose_pool_fields(own, pool, a, np.zeros((m, 5)), 0.05, rng)
    # fields 2 (4% < 5%) and 3 (nobody strong) are not held; field 0 is the own field a
    assert set(b.tolist()) == {1, 4}
    # held fields are equally likely whatever their share (weights (1 - 0.1) each)
    assert (b == 1).mean() == pytest.approx(0.5, abs=0.03)
    # with a zero minimum share, any field someone is strong in is held, and only those
    b0 = choose_pool_fields(own, pool, a, np.zeros((m, 5)), 0.0, rng)
    assert set(b0.tolist()) == {1, 2, 4}
    # a region holding nothing else gives -1 (the partner's field is used instead)
    empty = choose_pool_fields(own[:3], np.zeros((3, 5)), a[:3], np.zeros((3, 5)), 0.05, rng)
    assert (empty == -1).all()


def test_run_radical_pool_fields_are_held_by_the_firms_region(make_model):
    model = make_model("ris3_relatedness", rng=2, regional_pool_share=1.0)
    for _ in range(3):
        model.step()
    ws = model.state
    params = _eager(model)
    f = ws.firms
    live = np.flatnonzero(f.alive)
    share, _ = regional_pool(f.knowledge[live], f.employees[live], f.region[live], 4)
    start = ws.events.columns("innovation")["firm"].size
    run_radical(ws, params, np.random.default_rng(0))
    ev = _new_events(ws, start)
    pooled = ev["field_b_source"] == "region"
    assert pooled.sum() > 10
    region = f.region[f.rows_of(ev["firm"][pooled])]
    assert (share[region, ev["field_b"][pooled]] >= params.innovation.pool_min_share).all()


def test_radical_innovation_is_deterministic(make_model):
    events = []
    for _ in range(2):
        model = make_model("ris3_relatedness", rng=7, n_firms=250)
        for _ in range(6):
            model.step()
        events.append(model.state.events.columns("innovation"))
        last = model.state.last_combined, model.state.region_last_combined
    assert events[0].keys() == events[1].keys()
    for k in events[0]:
        np.testing.assert_array_equal(events[0][k], events[1][k])
    assert (last[0] != NEVER).any()


def test_family_encounter_weight_hand_computed():
    # one region, two families of two fields; employment 3 : 1 by family -> shares 0.75,
    # 0.25; field 3 is not held, so family 1 has one held field: 0.75 / 2 = 0.375 for
    # fields 0 and 1, 0.25 / 1 for field 2, 0 for field 3
    held = np.array([[True, True, True, False]])
    fam = np.array([0, 0, 1, 1])
    out = family_encounter_weight(np.array([[3.0, 1.0]]), held, fam, 1.0)
    np.testing.assert_allclose(out, [[0.375, 0.375, 0.25, 0.0]])
    # exponent 2 squares them; exponent 0 weighs every held field alike
    np.testing.assert_allclose(
        family_encounter_weight(np.array([[3.0, 1.0]]), held, fam, 2.0),
        [[0.140625, 0.140625, 0.0625, 0.0]],
    )
    zero = family_encounter_weight(np.array([[3.0, 1.0]]), held, fam, 0.0)
    np.testing.assert_allclose(zero, [[1.0, 1.0, 1.0, 0.0]])
    # an empty region meets nothing
    empty = family_encounter_weight(np.zeros((1, 2)), held, fam, 1.0)
    np.testing.assert_allclose(empty, [[0.0, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("seed", range(5))
def test_more_even_families_give_more_unrelated_pairs(seed):
    # a firm strong in field 0 (family 0) draws its second field from a pool holding all
    # fields; field 0 is its own, fields 1, 2, 3 weigh P_0 / 2, P_1 / 2, P_1 / 2 (times
    # the same weakness 0.9), so family 1 is drawn with P_1 / (P_0 / 2 + P_1): 0.1 / 0.55
    # in a region 90:10 and 0.5 / 0.75 in a region 50:50, whose unrelated variety (the
    # entropy of the family shares) is higher
    rng = np.random.default_rng(seed)
    m, fam = 20_000, np.array([0, 0, 1, 1])
    own = np.tile([0.9, 0.1, 0.1, 0.1], (m, 1))
    held = np.ones((1, 4), bool)
    cross = []
    for employment in ([[9.0, 1.0]], [[5.0, 5.0]]):
        visit = family_encounter_weight(np.array(employment), held, fam, 1.0)
        w = np.repeat(visit, m, axis=0)
        zeros = np.zeros((m, 4))
        b = choose_pool_fields(own, np.ones((m, 4)), np.zeros(m, np.int64), zeros, 0.05, rng, w)
        cross.append(float((fam[b] == 1).mean()))
    assert cross[0] == pytest.approx(1 / 10 / (1 / 10 + 9 / 20), abs=0.02)
    assert cross[1] == pytest.approx(0.5 / (0.5 + 0.25), abs=0.02)
    assert cross[1] > cross[0] + 0.3


# --- breakthroughs: radical novelty needs unrelated fields -------------------------------------


def test_breakthroughs_hand_values():
    novel = np.array([True, True, False, False])
    unrelated = np.array([True, False, True, False])
    rng = np.random.default_rng(0)
    # rho = 0: new and unrelated only; rho = 1: every new pair (no draw either way)
    assert breakthroughs(novel, unrelated, 0.0, rng).tolist() == [True, False, False, False]
    assert breakthroughs(novel, unrelated, 1.0, rng).tolist() == [True, True, False, False]
    state = rng.bit_generator.state
    breakthroughs(novel, unrelated, 0.0, rng)
    breakthroughs(novel, unrelated, 1.0, rng)
    assert rng.bit_generator.state == state


@pytest.mark.parametrize("seed", range(5))
def test_related_new_pairs_count_with_probability_rho(seed):
    rng = np.random.default_rng(seed)
    m = 20_000
    out = breakthroughs(np.ones(m, bool), np.zeros(m, bool), 0.3, rng)
    assert out.mean() == pytest.approx(0.3, abs=0.015)
    assert breakthroughs(np.zeros(m, bool), np.ones(m, bool), 0.3, rng).sum() == 0


@pytest.mark.parametrize("seed", range(5))
def test_related_share_changes_only_what_is_counted_radical(make_model, seed):
    # rho in {0, 1} draws nothing: the two runs are the same economy, event for event;
    # rho = 1 counts every new-to-world pair (the old rule), rho = 0 only unrelated ones
    runs = []
    for rho in (0.0, 1.0):
        model = make_model(
            "ris3_relatedness",
            rng=seed,
            n_firms=250,
            novelty_memory=3,
            related_breakthrough_share=rho,
        )
        for _ in range(12):
            model.step()
        runs.append((model.state.firms.productivity.copy(), model.state.events))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    ev0, ev1 = (r[1].columns("innovation") for r in runs)
    np.testing.assert_array_equal(ev0["novel"], ev1["novel"])
    np.testing.assert_array_equal(ev1["kind"] == "radical", ev1["novel"])
    family = model.state.space.family
    unrelated = family[ev0["field_a"]] != family[ev0["field_b"]]
    radical0 = ev0["kind"] == "radical"
    np.testing.assert_array_equal(radical0, ev0["novel"] & unrelated)
    assert ev0["novel"].sum() > radical0.sum() > 0


# --- exposure to unrelated knowledge sets the attempt rate -------------------------------------


def test_attempt_rate_hand_values():
    # region 0: families 50:50 (G = 2, so 1 - 1/G = 0.5); region 1: 90:10; region 2 empty
    emp = np.array([[5.0, 5.0], [9.0, 1.0], [0.0, 0.0]])
    region, family = np.array([0, 1, 1, 2]), np.array([0, 0, 1, 1])
    # 0.3 * (0.5 / 0.5) = 0.3; 0.3 * (0.1 / 0.5) = 0.06; 0.3 * (0.9 / 0.5) = 0.54; empty: 0.3
    out = attempt_rate(emp, region, family, 0.3, 1.0)
    np.testing.assert_allclose(out, [0.3, 0.06, 0.54, 0.3])
    # squared exposure: 0.3 * 0.2**2 = 0.012, 0.3 * 1.8**2 = 0.972; capped at 1 with p = 0.9
    np.testing.assert_allclose(attempt_rate(emp, region, family, 0.3, 2.0)[1:3], [0.012, 0.972])
    assert attempt_rate(emp, region, family, 0.9, 2.0)[2] == 1.0
    np.testing.assert_allclose(attempt_rate(emp, region, family, 0.3, 0.0), 0.3)


@pytest.mark.parametrize("seed", range(5))
def test_firms_of_dominant_families_recombine_less(make_model, seed):
    # the same economy and draws, exposure off and on: with it on, the firms that succeed
    # come from families with a smaller share of their region's employment
    model = make_model("ris3_relatedness", rng=seed, unrelated_exposure_exponent=0.0)
    for _ in range(3):
        model.step()
    ws = model.state
    f = ws.firms
    live = np.flatnonzero(f.alive)
    emp = np.zeros((ws.geo.n_regions, len(ws.space.family_names)))
    fam = ws.industries.family[f.industry]
    np.add.at(emp, (f.region[live], fam[live]), f.employees[live])
    share = emp / emp.sum(axis=1, keepdims=True)
    mean_share = []
    for exponent in (0.0, 3.0):
        params = _eager(model).replace(
            radical_attempt_rate=0.5, unrelated_exposure_exponent=exponent
        )
        links, knowledge, productivity = ws.links, f.knowledge.copy(), f.productivity.copy()
        last, region_last = ws.last_combined.copy(), ws.region_last_combined.copy()
        start = ws.events.columns("innovation")["firm"].size
        run_radical(ws, params, np.random.default_rng(seed))
        rows = f.rows_of(_new_events(ws, start)["firm"])
        mean_share.append(float(share[f.region[rows], fam[rows]].mean()))
        ws.links, f.knowledge[:], f.productivity[:] = links, knowledge, productivity
        ws.last_combined, ws.region_last_combined = last, region_last
    assert mean_share[1] < mean_share[0]
