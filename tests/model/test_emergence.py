"""Cluster emergence: founding where a chain reaches critical mass, ages, entrants, invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterlab.model import ClusterModel
from clusterlab.model.agents import ClusterOrganization
from clusterlab.model.demography import nearby_cluster
from clusterlab.model.emergence import disc_offsets, found_clusters, local_counts
from clusterlab.model.errors import ParameterError
from clusterlab.model.params import ModelParams
from clusterlab.model.simulate import simulate
from clusterlab.model.state import FOUNDED_UNKNOWN, Instrument, LinkKind


def test_local_counts_by_hand():
    # (0,0) and (1,0) are 1 apart, (5,0) is 4-5 away: within 1.5 each of the first two
    # sees both, the third only itself; at reach 4 the (1,0)-(5,0) pair meets too.
    x, y = np.array([0, 1, 5]), np.array([0, 0, 0])
    assert local_counts(x, y, 1.5).tolist() == [2, 2, 1]
    assert local_counts(x, y, 4.0).tolist() == [2, 3, 2]
    assert local_counts(np.array([3, 3]), np.array([2, 2]), 0.5).tolist() == [2, 2]


@pytest.mark.parametrize("n", [129, 600])  # above PAIRWISE_POINTS (128)
@pytest.mark.parametrize("reach", [0.5, 1.0, 1.5, 5.0, 7.3])
def test_local_counts_equal_the_pairwise_definition(reach, n):
    rng = np.random.default_rng(int(reach * 10))
    x, y = rng.integers(0, 40, n), rng.integers(0, 40, n)
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.testing.assert_array_equal(local_counts(x, y, reach), (d <= reach).sum(axis=1))


def test_disc_offsets_are_the_cells_within_reach():
    dx, dy = disc_offsets(1.5)
    assert sorted(zip(dx.tolist(), dy.tolist(), strict=True)) == [
        (i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)
    ]
    assert len(disc_offsets(1.0)[0]) == 5  # the centre and its four neighbours


def _quiet_model(seed: int = 0) -> ClusterModel:
    """A built model in which no cluster is founded on its own (founding off)."""
    return ClusterModel(rng=seed, cluster_founding_mass=0)


def _far_cell(model: ClusterModel, region: int) -> tuple[int, int]:
    """The cell of ``region`` farthest from every organization of the region."""
    ws = model.state
    x0, x1, y0, y1 = ws.geo.bounds[region]
    xs, ys = np.meshgrid(np.arange(x0, x1), np.arange(y0, y1), indexing="ij")
    mine = ws.orgs.region == region
    d = np.hypot(xs.ravel()[:, None] - ws.orgs.x[mine], ys.ravel()[:, None] - ws.orgs.y[mine])
    best = int(np.argmax(d.min(axis=1)))
    return int(xs.ravel()[best]), int(ys.ravel()[best])


def _agglomerate(model: ClusterModel, n: int, cell: tuple[int, int], region: int = 0) -> np.ndarray:
    """Leave n unclustered firms of one chain at ``cell``; every other firm is clustered."""
    f = model.state.firms
    f.cluster[f.alive & (f.cluster < 0)] = int(np.flatnonzero(model.state.orgs.region == 0)[0])
    chain = model.state.industries.chain[f.industry]
    rows = np.flatnonzero(f.alive & (f.region == region) & (chain == chain[f.alive][0]))[:n]
    f.cluster[rows] = -1
    f.x[rows], f.y[rows] = cell
    return rows


@pytest.mark.parametrize(("n", "mass", "founded"), [(10, 10, 1), (9, 10, 0), (12, 5, 1)])
def test_a_cluster_is_founded_when_a_chain_reaches_critical_mass(n, mass, founded):
    model = _quiet_model()
    ws = model.state
    before = len(ws.orgs)
    cell = _far_cell(model, 0)
    assert np.hypot(*(np.array(cell)[:, None] - [ws.orgs.x, ws.orgs.y])).min() > 5.0
    rows = _agglomerate(model, n, cell)
    new = found_clusters(ws, model.params.replace(cluster_founding_mass=mass))
    assert new.size == founded == len(ws.orgs) - before
    if founded:
        c = int(new[0])
        assert (ws.firms.cluster[rows] == c).all()
        assert ws.orgs.founded[c] == ws.step
        assert (ws.orgs.x[c], ws.orgs.y[c]) == cell
        assert ws.orgs.region[c] == 0
        assert ws.orgs.partner[c] == -1
        assert ws.orgs.roadmap[c].sum() == model.params.governance.roadmap_size
        # entrants that land nearby join the new cluster
        assert nearby_cluster(ws, np.array([cell[0]]), np.array([cell[1]]), 5.0).tolist() == [c]
    else:
        assert (ws.firms.cluster[rows] == -1).all()
    model.release()


def test_links_between_founders_become_intra_cluster_links():
    model = _quiet_model()
    ws = model.state
    rows = _agglomerate(model, 10, _far_cell(model, 0))
    outsider = int(np.flatnonzero(ws.firms.alive & (ws.firms.cluster >= 0))[0])
    first = len(ws.links)
    ws.links.append(
        a=[rows[0], rows[1]],
        b=[rows[1], outsider],
        kind=[LinkKind.COLLABORATION] * 2,
        formed=[ws.step] * 2,
        expires=[ws.step + 5] * 2,
        cross_cluster=[True, True],
        interregional=[False, False],
        fee=[0.01, 0.01],
        instrument=[Instrument.CROSS_CLUSTER] * 2,
        eligible_share=[0.5, 0.5],
        active=[True, True],
        viable_unsubsidised=[False, False],
    )
    found_clusters(ws, model.params.replace(cluster_founding_mass=10))
    # founder-founder: now inside the new cluster; founder-outsider: still across clusters
    assert ws.links.cross_cluster[first:].tolist() == [False, True]
    assert ws.links.instrument[first:].tolist() == [
        Instrument.INTRA_CLUSTER,
        Instrument.CROSS_CLUSTER,
    ]
    assert ws.links.eligible_share[first:].tolist() == [0.5, 0.5]  # terms kept until renewal
    model.release()


def test_no_cluster_is_founded_within_reach_of_an_organization():
    model = _quiet_model()
    ws = model.state
    org = int(np.flatnonzero(ws.orgs.region == 0)[0])
    cell = (int(ws.orgs.x[org]) + 2, int(ws.orgs.y[org]))  # 2 cells from it: within reach
    _agglomerate(model, 15, cell)
    assert found_clusters(ws, model.params.replace(cluster_founding_mass=10)).size == 0
    model.release()


def test_no_founding_when_switched_off():
    result = simulate(ModelParams().replace(cluster_founding_mass=0, n_firms=300), 1, steps=20)
    assert result.clusters["founded"].isna().all()
    assert result.clusters.groupby("step").size().nunique() == 1


def test_a_newborn_cluster_is_recorded_with_age_zero_and_ages_by_one_a_year():
    c = simulate(ModelParams(), 0, steps=30).clusters
    initial = c[c["founded"].isna()]
    assert len(initial)
    assert initial["age"].isna().all()  # founded before the run: unknown
    new = c[c["founded"].notna()]
    assert new["cluster"].nunique() >= 1
    first = new.groupby("cluster").first()
    assert (first["age"] == 0).all()
    assert (first["step"] == first["founded"]).all()
    assert (new["age"] == new["step"] - new["founded"]).all()
    assert new["cluster"].min() >= initial["cluster"].max() + 1  # rows appended


@pytest.mark.parametrize("seed", range(5))
def test_heterogeneity_of_a_newborn_cluster_rises_in_its_first_years(seed):
    c = simulate(ModelParams(), seed, steps=40).clusters
    new = c[c["founded"].notna() & (c["members"] >= 2)]
    at = new.pivot_table(index="cluster", columns="age", values="heterogeneity")
    early = at[[0.0]].mean(axis=1)
    later = at[[a for a in (6.0, 7.0, 8.0) if a in at]].mean(axis=1)
    both = early.notna() & later.notna()
    assert both.sum() >= 3
    assert later[both].mean() > early[both].mean()


def test_organization_arrays_stay_consistent():
    model = ClusterModel(rng=3)
    ws = model.state
    initial = len(ws.orgs)
    for _ in range(25):
        model.step()
        n = len(ws.orgs)
        assert len(model.agents_by_type[ClusterOrganization]) == n
        for name in ("region", "chain", "x", "y", "roadmap", "partner", "budget", "founded"):
            assert getattr(ws.orgs, name).shape[0] == n
        f = ws.firms
        member = f.alive & (f.cluster >= 0)
        assert (f.cluster[f.alive] < n).all()
        assert (ws.orgs.region[f.cluster[member]] == f.region[member]).all()
        founded = ws.orgs.founded
        assert (founded[:initial] == FOUNDED_UNKNOWN).all()
        assert (founded[initial:] <= ws.step).all()
        assert (np.diff(founded[initial:]) >= 0).all()
        partner = ws.orgs.partner
        paired = np.flatnonzero(partner >= 0)
        assert (partner[partner[paired]] == paired).all()
    assert len(ws.orgs) > initial
    rows = pd.DataFrame(model.recorder.cluster_rows)
    assert rows.groupby("step").size().is_monotonic_increasing
    model.release()


def test_same_seed_same_clusters():
    p = ModelParams().replace(n_firms=400)
    a, b = simulate(p, 5, steps=25).clusters, simulate(p, 5, steps=25).clusters
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("mass", [1, 2, 10_000])
def test_every_critical_mass_in_range_runs(mass):
    result = simulate(ModelParams().replace(cluster_founding_mass=mass, n_firms=200), 2, steps=8)
    assert len(result.clusters)


@pytest.mark.parametrize("mass", [-1, 10_001])
def test_critical_mass_out_of_range_is_refused(mass):
    with pytest.raises(ParameterError, match="cluster_founding_mass"):
        ModelParams().replace(cluster_founding_mass=mass)
