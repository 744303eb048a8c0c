import math

import numpy as np
import pytest

from clusterlab.model.industries import build_economy
from clusterlab.model.params import ModelParams
from clusterlab.model.state import Origin
from clusterlab.model.world import (
    CHALLENGE_START_SHARE,
    build_firms,
    build_geography,
    build_orgs,
    build_universities,
    economy_streams,
    initial_knowledge,
)


def build(seed=1, **overrides):
    params = ModelParams().replace(**({"n_firms": 300} | overrides))
    rng = np.random.default_rng(seed)
    economy = economy_streams(params.world.economy_seed + seed)
    space, industries = build_economy(params.world, economy.industries)
    geo = build_geography(params)
    firms, orgs = build_firms(params, geo, industries, economy, rng)
    build_orgs(orgs, space, industries, params.governance.roadmap_size)
    unis = build_universities(params, geo, space, industries, orgs, economy.universities)
    return params, space, industries, geo, firms, orgs, unis


# --- geography ---------------------------------------------------------------------------


def test_geography_hand_computed_for_four_regions():
    geo = build_geography(ModelParams().replace(n_firms=100, cells_per_firm=4.0, n_regions=4))
    assert geo.side == 20  # ceil(sqrt(100 * 4))
    # 2 x 2 tiles; region_of_cell is indexed [x, y] and tiles fill rows of x first.
    assert geo.bounds.tolist() == [
        [0, 10, 0, 10],
        [10, 20, 0, 10],
        [0, 10, 10, 20],
        [10, 20, 10, 20],
    ]
    assert geo.region_of_cell[3, 15] == 2
    assert geo.region_names == ("R1", "R2", "R3", "R4")


def test_grid_is_at_least_eight_cells_wide():
    assert build_geography(ModelParams().replace(n_firms=20, cells_per_firm=1.0)).side == 8


@pytest.mark.parametrize("n_regions", [1, 2, 3, 5, 7, 9, 16])
def test_regions_are_rectangles_that_tile_the_grid(n_regions):
    geo = build_geography(ModelParams().replace(n_firms=400, n_regions=n_regions))
    assert geo.side == math.ceil(math.sqrt(400 * 4.0))
    assert set(np.unique(geo.region_of_cell)) == set(range(n_regions))
    for r, (x0, x1, y0, y1) in enumerate(geo.bounds):
        inside = geo.region_of_cell[x0:x1, y0:y1]
        assert (inside == r).all()
        assert (geo.region_of_cell == r).sum() == (x1 - x0) * (y1 - y0)


def test_clip_and_random_cells_stay_in_the_region(rng):
    geo = build_geography(ModelParams().replace(n_firms=400, n_regions=4))
    region = np.repeat(np.arange(4), 50)
    x, y = geo.random_cells(region, rng)
    assert (geo.region_of_cell[x, y] == region).all()
    cx, cy = geo.clip_to_region(region, x + 100, y - 100)
    assert (geo.region_of_cell[cx, cy] == region).all()


def test_marche_regions_are_named():
    geo = build_geography(ModelParams().replace(economy="marche", n_regions=2))
    assert geo.region_names == ("Marche-like", "Partner region")


# --- firms -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_initial_firms_are_placed_in_their_region_with_valid_attributes(seed):
    params, space, _, geo, firms, _, _ = build(seed)
    assert len(firms) == params.world.n_firms
    assert (geo.region_of_cell[firms.x, firms.y] == firms.region).all()
    assert firms.knowledge.shape == (len(firms), space.n_fields)
    assert (firms.knowledge >= 0).all()
    assert (firms.knowledge <= 1).all()
    assert (firms.employees >= 1).all()
    assert (firms.productivity > 0).all()
    np.testing.assert_allclose(firms.cash, 0.3 * firms.revenue)
    np.testing.assert_allclose(
        firms.revenue, firms.employees * params.market.output_per_employee * firms.productivity
    )
    assert (firms.born == -params.world.burn_in).all()
    assert (firms.origin == Origin.INITIAL).all()
    assert firms.alive.all()


@pytest.mark.parametrize("seed", [1, 2])
def test_clusters_are_chains_of_their_region(seed):
    params, _, industries, _, firms, orgs, _ = build(seed)
    w = params.world
    for r in range(w.n_regions):
        chains = orgs.chain[orgs.region == r]
        assert w.min_clusters_per_region <= chains.size <= w.max_clusters_per_region
        assert np.unique(chains).size == chains.size, "a region's clusters have distinct chains"
    member = firms.cluster >= 0
    assert (orgs.region[firms.cluster[member]] == firms.region[member]).all()
    assert (industries.chain[firms.industry[member]] == orgs.chain[firms.cluster[member]]).all()
    # 70% of the non-challenge firms of each region are clustered (rounded).
    ordinary = ~industries.is_challenge[firms.industry]
    assert member.sum() / ordinary.sum() == pytest.approx(w.clustered_share, abs=0.02)


def test_clustered_firms_sit_near_their_cluster_centre():
    _, _, _, _, firms, orgs, _ = build(3)
    member = firms.cluster >= 0
    d = np.hypot(
        firms.x[member] - orgs.x[firms.cluster[member]],
        firms.y[member] - orgs.y[firms.cluster[member]],
    )
    # cluster_spread 2.5 cells: the median member is within about 1.2 spreads.
    assert np.median(d) < 2 * 2.5


def test_challenge_industries_start_tiny():
    _, _, industries, _, firms, _, _ = build(4, n_firms=1000)
    per = max(1, round(CHALLENGE_START_SHARE * 1000))
    for q in np.flatnonzero(industries.is_challenge):
        assert (firms.industry == q).sum() == per
        assert (firms.cluster[firms.industry == q] == -1).all()


def test_initial_knowledge_strong_on_the_recipe_weak_elsewhere(rng):
    recipes = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    industry = np.array([0, 1] * 200)
    k = initial_knowledge(recipes, industry, rng)
    used = recipes[industry] > 0
    assert k[used].min() >= 0.45
    assert k[used].max() <= 0.8
    assert k[~used].min() >= 0.0
    assert k[~used].max() <= 0.15


# --- universities and organizations --------------------------------------------------------


def test_universities_per_region_and_their_knowledge():
    params, space, _, geo, _, _, unis = build(5, max_universities_per_region=2)
    counts = np.bincount(unis.region, minlength=params.world.n_regions)
    assert ((counts >= 1) & (counts <= 2)).all()
    assert (geo.region_of_cell[unis.x, unis.y] == unis.region).all()
    home = unis.home_families
    assert (unis.knowledge[home] >= 0.75).all()
    assert (unis.knowledge[home] <= 0.95).all()
    assert (unis.knowledge[~home] >= 0.2).all()
    assert (unis.knowledge[~home] <= 0.3).all()
    # home fields are whole families
    for u in range(len(unis)):
        fams = np.unique(space.family[home[u]])
        assert home[u].sum() == fams.size * params.world.fields_per_family


def test_no_universities_when_max_is_zero():
    _, _, _, _, _, _, unis = build(5, max_universities_per_region=0)
    assert len(unis) == 0


def test_roadmaps_are_new_fields_for_the_chain():
    params, _, industries, _, _, orgs, _ = build(6)
    size = params.governance.roadmap_size
    assert (orgs.roadmap.sum(axis=1) == size).all()
    for c in range(len(orgs)):
        used = industries.recipes[industries.chain_industries(int(orgs.chain[c]))].sum(axis=0) > 0
        assert not (orgs.roadmap[c] & used).any()
    assert (orgs.partner == -1).all()


def test_cell_distance_is_hypot_to_the_bit():
    from clusterlab.model.presets import preset
    from clusterlab.model.world import build_geography

    geo = build_geography(preset("baseline", n_firms=600))
    offsets = np.arange(-geo.side + 1, geo.side)
    dx, dy = (a.ravel() for a in np.meshgrid(offsets, offsets))
    np.testing.assert_array_equal(geo.distance(dx, dy), np.hypot(dx, dy))
    first = geo.distance(np.array([3]), np.array([-4]))
    first[0] = 0.0  # a copy: the table is not changed
    assert geo.distance(np.array([3]), np.array([-4]))[0] == 5.0
