"""Each policy lever's channel traced stage by stage (issue #15, item 3; ODD §8.1).

Common random numbers: for each seed the same economy and draws run with the lever at 0
and at a high value (``policy_budget`` 1000 M€ in both arms, so nothing is rationed);
the per-seed difference lever-on minus lever-off is taken at each stage of the funnel
links formed -> knowledge moved -> fits crossing the division threshold -> divisions
opened (into industries the region lacks) -> divisions surviving to age 5 -> persistent
entries (RCA), and of the radical-innovation chain.

The claims are statistical and must survive a shift of the random stream alone. Each
stage's per-seed differences over :data:`SEEDS` (``N_SEEDS`` = 10) give a paired
t-statistic ``t = mean / (sd / sqrt(n))`` (9 degrees of freedom):

- ``moves(d, stage, sign)``: ``sign * t > T_MOVES`` = 3 (one-sided p < 0.008): the stage
  moves in that direction;
- ``stops(d, stage)``: ``t < T_STOPS`` = 3 (no rise significant at the same level): the
  effect does not carry through to this stage (a significant fall would still be
  an effect that stops here). If a later change makes the channel carry through, this
  fails on purpose: update ODD §8.1 and the test together.

A claim is asserted only if it held with a margin of 1 (moves: |t| >= 4; stops: t <= 2) on
three streams: seeds 0-9 and seeds 100-109 on the numba kernels, and seeds 0-9 on the
numpy kernels (``CLUSTERLAB_KERNELS=numpy``: the same distributions, other supplier
draws). A stage that did not (its sign or its significance differed between the
streams) gets no claim: a comment says so, and ODD §8.1 "no consistent change". To check
the claims on a shifted stream, set ``CLUSTERLAB_CHANNEL_SEED_OFFSET`` (read only here;
e.g. 100). Module CPU time: about 1 min on numba, 1.7 min on numpy.

Run ``pytest -s`` to print the per-stage mean differences and t (the ODD §8.1 figures).
"""

from __future__ import annotations

import os
from functools import cache

import numpy as np
import pandas as pd
import pytest

from clusterlab.model.diversification import present_industries
from clusterlab.model.knowledge import NodeKnowledge, recipe_fit
from clusterlab.model.learning import knowledge_moved, learn_from_partners, link_pairs
from clusterlab.model.presets import preset
from clusterlab.model.record import ECONOMY, FUNNEL_COLUMNS
from clusterlab.model.simulate import simulate

N_FIRMS, STEPS, N_SEEDS = 400, 20, 10
SEED_OFFSET = int(os.environ.get("CLUSTERLAB_CHANNEL_SEED_OFFSET", "0"))
SEEDS = tuple(range(SEED_OFFSET, SEED_OFFSET + N_SEEDS))
T_MOVES, T_STOPS = 3.0, 3.0
ARMS = {  # name: (lever-off overrides, lever-on overrides); both arms share the rest
    "cross_cluster_subsidy": ({}, {"cross_cluster_subsidy": 1.0}),
    "intra_cluster_subsidy": ({}, {"intra_cluster_subsidy": 1.0}),
    "university_link_subsidy": ({}, {"university_link_subsidy": 1.0}),
    "interregional_subsidy": ({}, {"interregional_subsidy": 1.0}),
    "cluster_org_funding": ({}, {"cluster_org_funding": 5.0}),
    "sme_rd_grant": ({}, {"sme_rd_grant": 1.0}),
    "challenge_demand": ({}, {"challenge_demand": 50.0}),
    # modifiers: the same instruments on in both arms, the modifier differs
    "policy_budget": (
        {"sme_rd_grant": 1.0, "cross_cluster_subsidy": 1.0, "policy_budget": 2.0},
        {"sme_rd_grant": 1.0, "cross_cluster_subsidy": 1.0},
    ),
    "subsidy_targeting": (
        {"cross_cluster_subsidy": 1.0},
        {"cross_cluster_subsidy": 1.0, "subsidy_targeting": "missing_link"},
    ),
    "allocation": (
        {"sme_rd_grant": 1.0, "cross_cluster_subsidy": 1.0, "policy_budget": 2.0},
        {
            "sme_rd_grant": 1.0,
            "cross_cluster_subsidy": 1.0,
            "policy_budget": 2.0,
            "allocation": "call",
        },
    ),
}


def _stages(overrides: tuple[tuple[str, object], ...], seed: int) -> dict[str, float]:
    """Summary scalars plus the link stocks and challenge employment of one run."""
    params = preset("baseline", **({"n_firms": N_FIRMS, "policy_budget": 1000.0} | dict(overrides)))
    r = simulate(params, seed=seed, steps=STEPS)
    eco = r.timeseries[r.timeseries["scope"] == ECONOMY]
    run = eco[eco["step"] > 0]
    knowledge = run["links_collaboration"] + run["links_university"]
    panel = r.panel[r.panel["step"] == STEPS]
    clusters = r.clusters[r.clusters["step"] > 0]
    return r.summary | {
        "cross_links": float((run["cross_cluster_share"] * run["links_collaboration"]).mean()),
        "intra_links": float(
            ((1 - run["cross_cluster_share"]) * run["links_collaboration"]).mean()
        ),
        "university_links": float(run["links_university"].mean()),
        "interregional_links": float((run["interregional_share"] * knowledge).mean()),
        "challenge_employment": float(
            panel.loc[panel["industry"].str.startswith("Challenge"), "employment"].sum()
        ),
        "org_budget": float(clusters["org_budget"].mean()),
    }


@cache
def _run(overrides: tuple[tuple[str, object], ...], seed: int) -> dict[str, float]:
    return _stages(overrides, seed)


def t_stat(x: np.ndarray) -> float:
    """Paired t-statistic of per-seed differences: mean / (sd / sqrt(n)), sd with n - 1.

    Differences that are all equal give 0 (all zero) or +-inf (a constant shift).
    """
    x = np.asarray(x, dtype=float)
    mean, sd = x.mean(), x.std(ddof=1)
    if sd == 0.0:
        return 0.0 if mean == 0.0 else float(np.sign(mean) * np.inf)
    return float(mean / (sd / np.sqrt(len(x))))


def trace(lever: str, stages: list[str]) -> pd.DataFrame:
    """Per-seed differences lever-on minus lever-off at each stage (rows: seeds)."""
    off, on = (tuple(sorted(a.items())) for a in ARMS[lever])
    rows = [{s: _run(on, seed)[s] - _run(off, seed)[s] for s in stages} for seed in SEEDS]
    d = pd.DataFrame(rows, index=list(SEEDS))
    table = pd.DataFrame(
        {
            "mean": d.mean(),
            "t": [t_stat(d[s]) for s in stages],
            "up": (d > 0).sum(),
            "down": (d < 0).sum(),
        }
    )
    print(f"\n{lever} (on - off, seeds {SEEDS[0]}-{SEEDS[-1]})\n{table.round(2).to_string()}")  # noqa: T201 - the ODD figures (pytest -s)
    return d


def moves(d: pd.DataFrame, stage: str, sign: int = 1) -> None:
    """The stage moves in direction ``sign``: paired t of that sign beyond ``T_MOVES``."""
    t = t_stat(d[stage])
    assert sign * t > T_MOVES, (stage, round(t, 2), d[stage].round(2).tolist())


def stops(d: pd.DataFrame, stage: str) -> None:
    """Where the effect stops: no significant rise, paired t below ``T_STOPS`` (ODD §8.1)."""
    x = d[stage].to_numpy()
    assert np.isfinite(x).all()
    t = t_stat(x)
    assert t < T_STOPS, (stage, round(t, 2), x.round(2).tolist())


def test_t_stat_by_hand():
    # [1, 2, 3]: mean 2, sd 1, t = 2 / (1 / sqrt 3) = 2 sqrt 3 = 3.4641
    assert t_stat(np.array([1.0, 2.0, 3.0])) == pytest.approx(2 * np.sqrt(3))
    # [-1, 1, -3]: mean -1, sd 2, t = -1 / (2 / sqrt 3) = -0.8660
    assert t_stat(np.array([-1.0, 1.0, -3.0])) == pytest.approx(-np.sqrt(3) / 2)
    assert t_stat(np.zeros(4)) == 0.0
    assert t_stat(np.full(4, -2.0)) == -np.inf


DIVERSIFICATION = [*FUNNEL_COLUMNS, "persistent_entries"]
RADICAL = ["recombinant_innovations", "radical_innovations", "radical_innovations_new_to_region"]
MODIFIER = ["policy_spend", "links_formed_cross_cluster"]
# No direction claim is made for a stage not named in a test's assertions: its sign or
# its significance differed between the three streams (ODD §8.1: "no consistent change").


def test_cross_cluster_subsidy_channel():
    first = ["spend_cross_cluster", "links_formed_cross_cluster", "cross_links"]
    d = trace("cross_cluster_subsidy", [*first, *DIVERSIFICATION, *RADICAL])
    for stage in (*first, "knowledge_moved", "knowledge_moved_outside"):
        moves(d, stage)
    stops(d, "fit_crossings")
    # divisions opened (also into industries the region lacks), alive at 5, persistent
    # entries: up in some streams, not with margin in all (no consistent change)
    for stage in RADICAL:  # no rise: partners replace local search (ODD §7.8)
        stops(d, stage)


def test_intra_cluster_subsidy_channel():
    first = ["spend_intra_cluster", "links_formed_intra_cluster", "intra_links"]
    d = trace("intra_cluster_subsidy", [*first, "cross_links", *DIVERSIFICATION, *RADICAL])
    for stage in first:
        moves(d, stage)
    # knowledge moved: up in every stream (t 2.6-6.4), not with margin in all
    stops(d, "cross_links")  # down in every stream, not significantly
    stops(d, "knowledge_moved_outside")  # likewise: the knowledge stays in the chain
    stops(d, "fit_crossings")
    # divisions and persistent entries: up in some streams (t up to 2.5), not in all
    for stage in RADICAL:
        stops(d, stage)


def test_university_link_subsidy_channel():
    first = ["spend_university_link", "links_formed_university_link", "university_links"]
    d = trace("university_link_subsidy", [*first, *DIVERSIFICATION, *RADICAL])
    moves(d, "spend_university_link")
    moves(d, "links_formed_university_link", -1)  # subsidised links are renewed, not re-formed
    moves(d, "university_links")  # a slightly larger stock of university links
    # knowledge moved in total: down in every stream, not significantly in all
    moves(d, "knowledge_moved_outside", -1)  # partners at home instead of elsewhere
    moves(d, "fit_crossings", -1)
    # divisions (opened, new to the region, alive at 5), persistent entries, recombinant
    # innovations: up in some streams, not with margin in all (no consistent change)
    stops(d, "radical_innovations")
    stops(d, "radical_innovations_new_to_region")


def test_interregional_subsidy_channel():
    first = ["spend_interregional", "links_formed_interregional", "interregional_links"]
    d = trace("interregional_subsidy", [*first, *DIVERSIFICATION, *RADICAL])
    for stage in (*first, "knowledge_moved", "knowledge_moved_outside"):
        moves(d, stage)
    # fits crossing (t 2.9-4.8), divisions and persistent entries (t -1.4 to 4.3): up in
    # some streams, not with margin in all (no consistent change)
    for stage in RADICAL:  # no rise: partners replace local search (ODD §7.8)
        stops(d, stage)


def test_cluster_org_funding_channel():
    first = ["spend_cluster_org", "org_budget", "links_formed"]
    d = trace("cluster_org_funding", [*first, *DIVERSIFICATION, *RADICAL])
    moves(d, "spend_cluster_org")
    moves(d, "org_budget")
    moves(d, "links_formed", -1)
    stops(d, "knowledge_moved")  # down in every stream (t -4.0 to -8.4)
    stops(d, "knowledge_moved_outside")
    # fits crossing, divisions (opened, new to the region, alive at 5) and persistent
    # entries: up in one stream or two (t up to 4.7), not with margin in all
    for stage in RADICAL:  # radical innovation is this lever's channel
        moves(d, stage)


def test_sme_rd_grant_channel():
    d = trace("sme_rd_grant", ["spend_sme_rd_grant", "links_formed", *DIVERSIFICATION, *RADICAL])
    moves(d, "spend_sme_rd_grant")
    # links formed, knowledge, fits and divisions: up in every stream, not with margin in all
    stops(d, "persistent_entries")
    for stage in RADICAL:
        moves(d, stage)


def test_challenge_demand_channel():
    first = ["spend_procurement", "challenge_employment"]
    d = trace("challenge_demand", [*first, *DIVERSIFICATION, *RADICAL])
    moves(d, "spend_procurement")
    moves(d, "challenge_employment")
    # knowledge moved, divisions and persistent entries: up in some streams, not with
    # margin in all (no consistent change); radicals: up (t 2.9-7.7), not with margin in all
    stops(d, "fit_crossings")
    stops(d, "radical_innovations_new_to_region")


def test_policy_budget_channel():
    # SME grant and cross-cluster subsidy at 1 with a budget of 2 vs 1000 M€/region/year
    d = trace("policy_budget", [*MODIFIER, *DIVERSIFICATION, *RADICAL])
    for stage in (*MODIFIER, *FUNNEL_COLUMNS):
        # fits crossing (t 3.2-3.5) and divisions new to the region (t 4.0-6.1): up in
        # every stream, not with margin in all
        if stage not in ("fit_crossings", "divisions_new_to_region"):
            moves(d, stage)
    stops(d, "persistent_entries")
    stops(d, "recombinant_innovations")
    stops(d, "radical_innovations")
    # radicals new to the region: up in every stream, not with margin


def test_subsidy_targeting_channel():
    # cross-cluster subsidy at 1: missing_link vs blanket targeting
    d = trace("subsidy_targeting", [*MODIFIER, *DIVERSIFICATION, *RADICAL])
    moves(d, "policy_spend", -1)  # fewer links qualify
    for stage in ("links_formed_cross_cluster", "knowledge_moved", "knowledge_moved_outside"):
        stops(d, stage)  # down in every stream, not significantly in all
    for stage in ("fit_crossings", "divisions_opened", "divisions_new_to_region"):
        stops(d, stage)
    stops(d, "divisions_surviving_5y")
    stops(d, "persistent_entries")
    stops(d, "radical_innovations")
    stops(d, "radical_innovations_new_to_region")
    # recombinant innovations: up in every stream (t 0.3-2.3), not with margin


def test_allocation_channel():
    # SME grant and cross-cluster subsidy at 1, budget 2: call vs pro rata
    d = trace("allocation", [*MODIFIER, *DIVERSIFICATION, *RADICAL])
    assert np.allclose(d["policy_spend"], 0.0, atol=1e-6)  # both spend the whole budget
    # links, knowledge, divisions: up in every stream or in some, not with margin in all
    stops(d, "fit_crossings")
    stops(d, "persistent_entries")
    # down in every stream (the call funds links before SME grants); radicals t -3.2 to
    # -7.0, not with margin in all
    moves(d, "recombinant_innovations", -1)
    stops(d, "radical_innovations")
    moves(d, "radical_innovations_new_to_region", -1)


# --- the funnel columns themselves (ODD §9.1) ---------------------------------------


def test_knowledge_moved_is_what_learning_from_partners_adds(make_model):

    model = make_model()
    model.step()
    ws, lp = model.state, model.params.learning
    nodes = NodeKnowledge.of(ws.firms.knowledge, ws.unis.knowledge, ws.space.proximity)
    learner, teacher, is_uni = link_pairs(ws, include_supply=False)
    into = np.zeros_like(ws.firms.knowledge)  # gains only, before clipping
    rate = lp.interaction_rate * np.where(is_uni, lp.university_teaching_multiplier, 1.0)
    node = nodes.node(teacher, is_uni)
    learn_from_partners(nodes, learner, node, rate, lp.optimal_cognitive_distance, into)
    moved = knowledge_moved(ws, nodes, model.params)
    assert is_uni.any()
    assert (~is_uni).any()
    np.testing.assert_allclose(moved["knowledge_moved"].sum(), into.sum(), rtol=1e-12)
    by_region = np.bincount(ws.firms.region, into.sum(axis=1), minlength=ws.geo.n_regions)
    np.testing.assert_allclose(moved["knowledge_moved"], by_region, rtol=1e-12)
    assert (moved["knowledge_moved_outside"] <= moved["knowledge_moved"] + 1e-12).all()
    # the outside share: every university pair counts, a same-cluster same-region pair not
    f = ws.firms
    firm = np.where(is_uni, 0, teacher)
    inside = ~is_uni & (f.cluster[learner] >= 0) & (f.cluster[learner] == f.cluster[firm])
    inside &= f.region[learner] == f.region[firm]
    only_inside = np.zeros_like(into)
    learn_from_partners(
        nodes,
        learner[inside],
        node[inside],
        rate[inside],
        lp.optimal_cognitive_distance,
        only_inside,
    )
    np.testing.assert_allclose(
        moved["knowledge_moved"].sum() - moved["knowledge_moved_outside"].sum(),
        only_inside.sum(),
        rtol=1e-9,
    )


def test_fit_crossings_count_pairs_newly_above_the_threshold(make_model):

    model = make_model()
    f, rec = model.state.firms, model.recorder
    threshold = model.params.diversification.fit_threshold
    for _ in range(3):
        old_ids, old_above = rec.previous_above
        model.step()
        live = np.flatnonzero(f.alive)
        fit = recipe_fit(f.knowledge[live], model.state.industries.recipes)
        above = (fit >= threshold) & ~present_industries(model.state)[live]
        expected = 0
        old_row = {int(i): r for r, i in enumerate(old_ids)}
        for r, firm_id in enumerate(f.id[live]):
            if int(firm_id) in old_row:
                expected += int((above[r] & ~old_above[old_row[int(firm_id)]]).sum())
        row = rec.rows[-(model.state.geo.n_regions + 1)]  # the economy row of this step
        assert row["scope"] == "economy"
        assert row["fit_crossings"] == expected


def test_division_columns_match_the_birth_events(small_result):
    ts = small_result.timeseries
    eco = ts[ts["scope"] == "economy"].set_index("step")
    births = small_result.events["birth"]
    divisions = births[(births["origin"] == "division") & (births["step"] >= 1)]
    opened = divisions.groupby("step").size().reindex(eco.index[1:], fill_value=0)
    assert (eco["divisions_opened"].iloc[1:].to_numpy() == opened.to_numpy()).all()
    assert (eco["divisions_new_to_region"] <= eco["divisions_opened"]).all()
    assert (eco["knowledge_moved_outside"] <= eco["knowledge_moved"] + 1e-9).all()
    for c in ("knowledge_moved", "fit_crossings", "divisions_surviving_5y"):
        assert (eco[c] >= 0).all()
