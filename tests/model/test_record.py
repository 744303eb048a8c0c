import numpy as np
import pandas as pd
import pytest

from clusterlab.model import ClusterModel
from clusterlab.model.change import (
    ABSOLUTE_SHARE,
    PERSISTENCE,
    PERSISTENT_ENTRY_COLUMNS,
    PERSISTENT_EVENT_COLUMNS,
)
from clusterlab.model.metrics import (
    absolute_diversity,
    classify_by_density,
    persistent_specialisation,
    rca,
    relatedness_density,
)
from clusterlab.model.presets import preset
from clusterlab.model.record import (
    ECONOMY,
    SPEND_COLUMNS,
    _link_stats,
    _links_per_cluster,
    region_industry_employment,
)
from clusterlab.model.simulate import simulate
from clusterlab.model.state import LinkKind, LinkTable

ADDITIVE = (
    "firms",
    "employment",
    "output",
    "births",
    "deaths",
    "incremental",
    "recombinant",
    "radical",
    "links_supply",
    "links_collaboration",
    "links_university",
    *SPEND_COLUMNS,
    "spend_total",
    "entries",
    "entries_related",
    "entries_unrelated",
    "exits",
    "persistent_entries",
    "persistent_exits",
    *PERSISTENT_ENTRY_COLUMNS,
)
MEAN_OVER_REGIONS = ("diversity", "mean_density", "persistent_diversity", "absolute_diversity")


def _economy_and_regions(ts):
    eco = ts[ts["scope"] == ECONOMY].set_index("step")
    regions = ts[ts["scope"] != ECONOMY]
    return eco, regions


def test_region_industry_employment_counts_alive_firms_only(make_model):
    ws = make_model(n_firms=150).state
    f = ws.firms
    f.alive[:5] = False
    out = region_industry_employment(ws)
    expected = np.zeros((ws.geo.n_regions, ws.industries.n))
    for i in np.flatnonzero(f.alive):
        expected[f.region[i], f.industry[i]] += f.employees[i]
    np.testing.assert_allclose(out, expected)


def test_link_stats_hand_built(make_model, add_link):
    ws = make_model(n_firms=100, burn_in=0, n_regions=2).state
    ws.links = LinkTable.empty(0)
    f = ws.firms
    r0 = np.flatnonzero(f.region == 0)
    r1 = np.flatnonzero(f.region == 1)
    add_link(ws, r0[0], r0[1], LinkKind.SUPPLY)
    add_link(ws, r0[0], r0[2], cross_cluster=True)
    add_link(ws, r0[1], r1[0], cross_cluster=True, interregional=True)
    add_link(ws, r0[3], 0, LinkKind.UNIVERSITY, interregional=False)
    add_link(ws, r1[1], r1[2], cross_cluster=False)
    add_link(ws, r1[3], r1[4], cross_cluster=True, active=False)
    per_region, everything = _link_stats(ws)
    region0 = per_region[0]
    # region 0's a-ends: 1 supply, 2 collaborations (both cross-cluster, one abroad), 1 uni
    assert region0 == {
        "links_supply": 1.0,
        "links_collaboration": 2.0,
        "links_university": 1.0,
        "cross_cluster_share": 1.0,
        "interregional_share": pytest.approx(1 / 3),
        "university_share": pytest.approx(1 / 3),
    }
    assert everything["links_collaboration"] == 3.0
    assert everything["cross_cluster_share"] == pytest.approx(2 / 3)
    assert everything["interregional_share"] == pytest.approx(1 / 4)
    assert everything["university_share"] == pytest.approx(1 / 4)


def test_economy_row_is_the_sum_of_region_rows_for_additive_columns(small_result):
    eco, regions = _economy_and_regions(small_result.timeseries)
    summed = regions.groupby("step")[list(ADDITIVE)].sum()
    pd.testing.assert_frame_equal(eco[list(ADDITIVE)], summed, check_names=False)
    mean = regions.groupby("step")[list(MEAN_OVER_REGIONS)].mean()
    pd.testing.assert_frame_equal(eco[list(MEAN_OVER_REGIONS)], mean, check_names=False)
    # KCI is z-scored across regions: it sums to zero there and is undefined economy-wide
    np.testing.assert_allclose(regions.groupby("step")["kci"].sum(), 0.0, atol=1e-9)
    assert eco["kci"].isna().all()


def test_spend_by_instrument_sums_to_spend_total(small_result):
    ts = small_result.timeseries
    np.testing.assert_allclose(ts[list(SPEND_COLUMNS)].sum(axis=1), ts["spend_total"])
    assert (ts[list(SPEND_COLUMNS)] >= 0).all().all()


def test_shares_are_shares(small_result):
    ts = small_result.timeseries
    for col in ("cross_cluster_share", "interregional_share", "university_share"):
        assert ts[col].between(0, 1).all(), col


def test_one_row_per_scope_per_step(small_result):
    ts = small_result.timeseries
    steps = small_result.steps
    scopes = [ECONOMY, *small_result.regions]
    assert len(ts) == (steps + 1) * len(scopes)
    assert ts.groupby("step")["scope"].apply(list).tolist() == [scopes] * (steps + 1)
    first = ts[ts["step"] == 0]
    assert (first[["entries", "exits", "radical", "spend_total"]] == 0).all().all()


def test_panel_adds_up_to_regional_employment(small_result):
    panel = small_result.panel.groupby(["step", "region"])["employment"].sum()
    regions = small_result.timeseries.query("scope != @ECONOMY").set_index(["step", "scope"])
    np.testing.assert_allclose(panel.to_numpy(), regions.loc[panel.index, "employment"].to_numpy())


def test_specialisation_events_match_entries_and_exits(small_result):
    events = small_result.events["specialisation"]
    eco, _ = _economy_and_regions(small_result.timeseries)
    entries = events[events["change"] == "entry"].groupby("step").size()
    exits = events[events["change"] == "exit"].groupby("step").size()
    np.testing.assert_array_equal(entries.reindex(eco.index, fill_value=0), eco["entries"])
    np.testing.assert_array_equal(exits.reindex(eco.index, fill_value=0), eco["exits"])
    related = events[(events["change"] == "entry") & events["related"]].groupby("step").size()
    np.testing.assert_array_equal(related.reindex(eco.index, fill_value=0), eco["entries_related"])


def test_cluster_table_one_row_per_cluster_per_step(small_result):
    clusters = small_result.clusters
    per_step = clusters.groupby("step")["cluster"]
    assert (per_step.nunique() == per_step.size()).all()  # one row per cluster and step
    by_cluster = clusters.groupby("cluster")
    first, founded = by_cluster["step"].min(), by_cluster["founded"].first()
    # every year from step 0 (clusters the run starts with) or from its founding on
    assert (by_cluster.size() == small_result.steps + 1 - first).all()
    assert (first[founded.isna()] == 0).all()
    born = founded.notna()  # founded during the burn-in: recorded from step 0
    assert (first[born] == founded[born].clip(lower=0)).all()
    assert (clusters["members"] >= 0).all()
    assert clusters["heterogeneity"].between(0, 1).all()
    assert clusters["external_link_share"].between(0, 1).all()
    assert set(clusters["region"]) <= set(small_result.regions)


# --- measures that see change (model/change.py) ------------------------------------------------


@pytest.fixture(scope="module")
def long_model():
    """A 200-firm baseline run of 30 years: long enough for persistent entries and exits."""
    model = ClusterModel(preset_name="baseline", rng=0, n_firms=200, burn_in=2)
    for _ in range(30):
        model.step()
    yield model
    model.release()


def _regions(model):
    ts = pd.DataFrame(model.recorder.rows)
    return ts[ts["scope"] != ECONOMY], ts[ts["scope"] == ECONOMY].set_index("step")


def _region_columns(regions, column):
    """(T, R) array of one column of the region rows."""
    return regions.pivot(index="step", columns="scope", values=column).to_numpy()


def test_recorded_persistent_entries_are_those_of_the_rca_path(long_model):
    # The recorder follows the RCA path year by year; the pure path function must agree.
    rca_path = np.stack([rca(emp) for emp in long_model.recorder.panel])
    path = persistent_specialisation(rca_path, PERSISTENCE)
    regions, _ = _regions(long_model)
    assert path.entries.sum() > 0  # the run is long enough for the test to mean something
    assert path.exits.sum() > 0
    np.testing.assert_array_equal(
        _region_columns(regions, "persistent_entries"), path.entries.sum(axis=2)
    )
    np.testing.assert_array_equal(
        _region_columns(regions, "persistent_exits"), path.exits.sum(axis=2)
    )
    np.testing.assert_array_equal(
        _region_columns(regions, "persistent_diversity"), path.status.sum(axis=2)
    )


def test_persistent_status_starts_as_diversity_and_changes_by_entries_minus_exits(long_model):
    regions, _ = _regions(long_model)
    status = _region_columns(regions, "persistent_diversity")
    np.testing.assert_array_equal(status[0], _region_columns(regions, "diversity")[0])
    net = _region_columns(regions, "persistent_entries") - _region_columns(
        regions, "persistent_exits"
    )
    np.testing.assert_array_equal(status - status[0], np.cumsum(net, axis=0))
    assert not net[:PERSISTENCE].any()  # a change needs PERSISTENCE years after step 0
    # every persistent entry follows its own raw crossing, so never more of them
    raw = np.cumsum(_region_columns(regions, "entries"), axis=0)
    assert (np.cumsum(_region_columns(regions, "persistent_entries"), axis=0) <= raw).all()


def test_related_and_unrelated_persistent_entries_add_up_for_both_measures(long_model):
    regions, _ = _regions(long_model)
    for measure in ("tech", "revealed"):
        total = (
            regions[f"persistent_entries_related_{measure}"]
            + regions[f"persistent_entries_unrelated_{measure}"]
        )
        np.testing.assert_array_equal(total, regions["persistent_entries"])


def test_persistent_entries_are_classified_at_the_year_before_their_spell(long_model):
    # An entry confirmed at t is related (technologically) if the density around it at
    # t - L, from the persistent status then, is at least the median over the cells not
    # persistently specialised at t - L.
    ws = long_model.state
    rca_path = np.stack([rca(emp) for emp in long_model.recorder.panel])
    path = persistent_specialisation(rca_path, PERSISTENCE)
    events = pd.DataFrame(ws.events.columns("persistent_specialisation"))
    entries = events[events["change"] == "entry"]
    assert len(entries) > 0
    for t, group in entries.groupby("step"):
        before = path.status[t - PERSISTENCE]
        density = relatedness_density(before, ws.industries.relatedness)
        related, _ = classify_by_density(path.entries[t], density, ~before)
        r, p = group["region"].to_numpy(), group["industry"].to_numpy()
        np.testing.assert_array_equal(group["related_tech"], related[r, p])
        np.testing.assert_allclose(group["density_tech_before"], density[r, p])


def test_persistent_events_match_the_columns(long_model):
    _, eco = _regions(long_model)
    events = pd.DataFrame(long_model.state.events.columns("persistent_specialisation"))
    for change, column in (("entry", "persistent_entries"), ("exit", "persistent_exits")):
        count = events[events["change"] == change].groupby("step").size()
        np.testing.assert_array_equal(count.reindex(eco.index, fill_value=0), eco[column])
    for measure in ("tech", "revealed"):
        related = events[(events["change"] == "entry") & events[f"related_{measure}"]]
        count = related.groupby("step").size().reindex(eco.index, fill_value=0)
        np.testing.assert_array_equal(count, eco[f"persistent_entries_related_{measure}"])


def test_absolute_diversity_is_the_metric_of_the_panel(long_model):
    regions, _ = _regions(long_model)
    expected = [absolute_diversity(emp, ABSOLUTE_SHARE) for emp in long_model.recorder.panel]
    np.testing.assert_array_equal(_region_columns(regions, "absolute_diversity"), expected)


def test_revealed_tech_correlation_is_economy_wide(long_model):
    regions, eco = _regions(long_model)
    assert regions["revealed_tech_correlation"].isna().all()
    corr = eco["revealed_tech_correlation"]
    # NaN while no group has combined two industries (here at step 0, after a 2-year burn-in)
    assert (corr.isna() | corr.between(-1, 1)).all()
    assert np.isfinite(corr.iloc[-1])


def test_persistent_events_have_their_documented_columns(long_model):
    events = long_model.state.events.columns("persistent_specialisation")
    assert tuple(events) == PERSISTENT_EVENT_COLUMNS
    # a run too short for a persistent change still has the table's columns
    short = simulate(preset("baseline", n_firms=100, burn_in=0), seed=1, steps=PERSISTENCE - 1)
    assert short.events["persistent_specialisation"].empty
    assert tuple(short.events["persistent_specialisation"]) == PERSISTENT_EVENT_COLUMNS


def test_links_per_cluster_count_each_cluster_of_a_link_once():
    # links: (0, 0) internal, (0, 1), (1, -1), (-1, -1), (2, 0); external: F, T, T, T, T
    a = np.array([0, 0, 1, -1, 2])
    b = np.array([0, 1, -1, -1, 0])
    external = np.array([False, True, True, True, True])
    links, ext = _links_per_cluster(a, b, external, 4)
    # cluster 0: links 0, 1, 4 (two external); 1: links 1, 2 (both); 2: link 4; 3: none
    assert links.tolist() == [3, 2, 1, 0]
    assert ext.tolist() == [2, 2, 1, 0]
    for c in range(3):  # the mask the cluster table used before
        mine = (a == c) | (b == c)
        assert ext[c] / links[c] == external[mine].mean()
