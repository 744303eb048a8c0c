"""Each policy lever's channel traced stage by stage (issue #15, item 3; ODD §8.1).

Common random numbers: for each seed the same economy and draws run with the lever at 0
and at a high value (``policy_budget`` 1000 M€ in both arms, so nothing is rationed);
the per-seed difference lever-on minus lever-off is taken at each stage of the funnel
links formed -> knowledge moved -> fits crossing the division threshold -> divisions
opened (into industries the region lacks) -> divisions surviving to age 5 -> persistent
entries (RCA), and of the radical-innovation chain. A stage that moves is asserted in
its documented direction: mean difference over :data:`SEEDS` of that sign and that sign
in a majority of the seeds. Where the effect stops, the test asserts what is true there
(no rise in every seed) and ODD §8.1 says so: if a later change makes the
channel carry through, update the ODD and the assertion together.

Run ``pytest -s`` to print the per-stage mean differences (the figures quoted in ODD §8.1).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from model.diversification import present_industries
from model.kernels import backend
from model.knowledge import NodeKnowledge, recipe_fit
from model.learning import knowledge_moved, learn_from_partners, link_pairs
from model.presets import preset
from model.record import ECONOMY, FUNNEL_COLUMNS
from model.simulate import simulate

pytestmark = pytest.mark.skipif(
    backend() != "numba",
    reason="the ODD §8.1 figures are the numba backend's draws; on the numpy backend's "
    "supplier draws (same distribution) two 5-seed majority claims fail (issue #18)",
)

N_FIRMS, STEPS, SEEDS = 400, 20, (0, 1, 2, 3, 4)
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


def trace(lever: str, stages: list[str]) -> pd.DataFrame:
    """Per-seed differences lever-on minus lever-off at each stage (rows: seeds)."""
    off, on = (tuple(sorted(a.items())) for a in ARMS[lever])
    rows = [{s: _run(on, seed)[s] - _run(off, seed)[s] for s in stages} for seed in SEEDS]
    d = pd.DataFrame(rows, index=list(SEEDS))
    table = pd.DataFrame({"mean": d.mean(), "up": (d > 0).sum(), "down": (d < 0).sum()})
    print(f"\n{lever} (on - off, {len(SEEDS)} seeds)\n{table.round(2).to_string()}")  # noqa: T201 - the ODD figures (pytest -s)
    return d


def moves(d: pd.DataFrame, stage: str, sign: int = 1) -> None:
    """The stage moves in direction ``sign``: mean of that sign and a majority of seeds."""
    x = sign * d[stage].to_numpy()
    assert x.mean() > 0, (stage, d[stage].tolist())
    assert (x > 0).sum() > len(x) / 2, (stage, d[stage].tolist())


def stops(d: pd.DataFrame, stage: str) -> None:
    """Where the effect stops: the lever does not raise this stage in every seed (ODD §8.1).

    Only the absence of a consistent rise is asserted (a consistent fall would still be
    an effect that stops here); if a later change makes the channel carry through, this
    fails on purpose: update ODD §8.1 and the test together.
    """
    x = d[stage].to_numpy()
    assert np.isfinite(x).all()
    assert not (x > 0).all(), (stage, x.tolist())


DIVERSIFICATION = [*FUNNEL_COLUMNS, "persistent_entries"]
RADICAL = ["recombinant_innovations", "radical_innovations"]


def test_cross_cluster_subsidy_channel():
    d = trace(
        "cross_cluster_subsidy",
        [
            "spend_cross_cluster",
            "links_formed_cross_cluster",
            "cross_links",
            *DIVERSIFICATION,
            *RADICAL,
        ],
    )
    for stage in ("spend_cross_cluster", "links_formed_cross_cluster", "cross_links"):
        moves(d, stage)
    for stage in ("knowledge_moved_outside", "fit_crossings", "divisions_opened"):
        moves(d, stage)
    moves(d, "divisions_new_to_region")
    stops(d, "divisions_surviving_5y")  # a few divisions either way (ODD §8.1)
    stops(d, "persistent_entries")
    moves(d, "recombinant_innovations")
    moves(d, "radical_innovations")


def test_intra_cluster_subsidy_channel():
    d = trace(
        "intra_cluster_subsidy",
        [
            "spend_intra_cluster",
            "links_formed_intra_cluster",
            "intra_links",
            "cross_links",
            *DIVERSIFICATION,
            *RADICAL,
            "radical_innovations_new_to_region",
        ],
    )
    moves(d, "links_formed_intra_cluster")
    moves(d, "intra_links")
    moves(d, "cross_links", -1)  # crowds out links to other chains
    moves(d, "knowledge_moved")  # more, but from partners of the same chain
    moves(d, "knowledge_moved_outside", -1)
    stops(d, "fit_crossings")  # same-chain knowledge does not open other industries
    stops(d, "divisions_opened")
    stops(d, "divisions_new_to_region")
    stops(d, "persistent_entries")
    stops(d, "radical_innovations_new_to_region")


def test_university_link_subsidy_channel():
    d = trace(
        "university_link_subsidy",
        [
            "spend_university_link",
            "links_formed_university_link",
            "university_links",
            *DIVERSIFICATION,
            *RADICAL,
        ],
    )
    moves(d, "spend_university_link")
    moves(d, "links_formed_university_link", -1)  # subsidised links are renewed, not re-formed
    moves(d, "university_links")  # a slightly larger stock of university links
    # knowledge moved from outside the cluster: no consistent change (2 of 5 seeds up,
    # before and after clusters could be founded during the run; ODD §8.1)
    moves(d, "fit_crossings", -1)
    stops(d, "divisions_opened")
    stops(d, "divisions_surviving_5y")
    stops(d, "persistent_entries")
    moves(d, "radical_innovations")  # university partners raise recombination success


def test_interregional_subsidy_channel():
    d = trace(
        "interregional_subsidy",
        [
            "spend_interregional",
            "links_formed_interregional",
            "interregional_links",
            *DIVERSIFICATION,
            *RADICAL,
            "radical_innovations_new_to_region",
        ],
    )
    for stage in ("spend_interregional", "links_formed_interregional", "interregional_links"):
        moves(d, stage)
    for stage in ("knowledge_moved_outside", "fit_crossings", "divisions_opened"):
        moves(d, stage)
    moves(d, "divisions_surviving_5y")
    stops(d, "persistent_entries")
    moves(d, "recombinant_innovations")


def test_cluster_org_funding_channel():
    d = trace(
        "cluster_org_funding",
        [
            "spend_cluster_org",
            "org_budget",
            "links_formed",
            *DIVERSIFICATION,
            *RADICAL,
            "radical_innovations_new_to_region",
        ],
    )
    moves(d, "spend_cluster_org")
    moves(d, "org_budget")
    moves(d, "links_formed", -1)
    moves(d, "knowledge_moved", -1)
    stops(d, "fit_crossings")
    moves(d, "recombinant_innovations")
    moves(d, "radical_innovations")
    stops(d, "persistent_entries")


def test_sme_rd_grant_channel():
    d = trace(
        "sme_rd_grant",
        [
            "spend_sme_rd_grant",
            "links_formed",
            *DIVERSIFICATION,
            *RADICAL,
            "radical_innovations_new_to_region",
        ],
    )
    moves(d, "spend_sme_rd_grant")
    moves(d, "knowledge_moved")
    moves(d, "fit_crossings")
    moves(d, "divisions_new_to_region")
    moves(d, "recombinant_innovations")
    moves(d, "radical_innovations")
    moves(d, "divisions_opened")
    moves(d, "divisions_surviving_5y")
    stops(d, "persistent_entries")


def test_challenge_demand_channel():
    d = trace(
        "challenge_demand",
        ["spend_procurement", "challenge_employment", *DIVERSIFICATION, *RADICAL],
    )
    moves(d, "spend_procurement")
    moves(d, "challenge_employment")
    moves(d, "divisions_opened")
    stops(d, "divisions_surviving_5y")  # a few divisions either way (ODD §8.1)
    stops(d, "persistent_entries")


MODIFIER = ["policy_spend", "links_formed_cross_cluster", *DIVERSIFICATION, *RADICAL]


def test_policy_budget_channel():
    # SME grant and cross-cluster subsidy at 1 with a budget of 2 vs 1000 M€/region/year
    d = trace("policy_budget", MODIFIER)
    for stage in ("policy_spend", "links_formed_cross_cluster", "knowledge_moved_outside"):
        moves(d, stage)
    for stage in ("fit_crossings", "divisions_opened", "divisions_new_to_region"):
        moves(d, stage)
    moves(d, "divisions_surviving_5y")
    stops(d, "persistent_entries")
    moves(d, "radical_innovations")


def test_subsidy_targeting_channel():
    # cross-cluster subsidy at 1: missing_link vs blanket targeting
    d = trace("subsidy_targeting", MODIFIER)
    moves(d, "policy_spend", -1)  # fewer links qualify
    moves(d, "links_formed_cross_cluster", -1)
    moves(d, "knowledge_moved_outside", -1)
    stops(d, "fit_crossings")
    stops(d, "divisions_opened")
    stops(d, "persistent_entries")


def test_allocation_channel():
    # SME grant and cross-cluster subsidy at 1, budget 2: call vs pro rata
    d = trace("allocation", MODIFIER)
    assert np.allclose(d["policy_spend"], 0.0, atol=1e-6)  # both spend the whole budget
    moves(d, "knowledge_moved_outside")
    stops(d, "fit_crossings")  # where the diversification effect stops
    stops(d, "divisions_new_to_region")
    stops(d, "persistent_entries")
    moves(d, "radical_innovations", -1)  # the call funds links before SME grants


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
