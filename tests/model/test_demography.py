import numpy as np
import pytest
from scipy import stats

from clusterlab.model.demography import (
    _kernel_mass_on_grid,
    academic_spinoffs,
    add_firms,
    entrants,
    entry_cells,
    exits,
    incumbent_productivity,
    near_cells,
    nearby_cluster,
    outside_entrants,
    regional_means,
    spinoffs,
)
from clusterlab.model.learning import spillover_kernel
from clusterlab.model.metrics.specialisation import specialisation_matrix
from clusterlab.model.state import LinkKind, LinkTable, Origin


def test_near_cells_within_radius_and_inside_the_grid(make_model, rng):
    ws = make_model(n_firms=100, burn_in=0).state
    side = ws.geo.side
    x = np.array([0, side - 1, 10] * 300)
    y = np.array([0, side - 1, 10] * 300)
    nx, ny = near_cells(ws, x, y, 3, rng)
    assert (np.maximum(np.abs(nx - x), np.abs(ny - y)) <= 3).all()
    assert ((nx >= 0) & (nx < side) & (ny >= 0) & (ny < side)).all()
    # every offset of the 7 x 7 square is reachable from an interior cell
    inner = x == 10
    assert np.unique(np.column_stack([nx[inner], ny[inner]]), axis=0).shape[0] == 49


def test_nearby_cluster_nearest_organization_of_the_same_region(make_model):
    ws = make_model(n_firms=200, burn_in=0).state
    orgs = ws.orgs
    assert nearby_cluster(ws, orgs.x, orgs.y, 0.5).tolist() == list(range(len(orgs)))
    # a corner cell far from every centre has no cluster within 0.5 cells
    far = nearby_cluster(ws, np.array([0]), np.array([0]), 0.5)
    at_corner = (orgs.x == 0) & (orgs.y == 0)
    assert far.tolist() == ([int(np.flatnonzero(at_corner)[0])] if at_corner.any() else [-1])


def test_add_firms_with_no_rows_adds_nothing(make_model):
    model = make_model(n_firms=100, burn_in=0)
    ws = model.state
    n = len(ws.firms)
    empty = np.zeros(0, np.int64)
    out = add_firms(ws, model.params, x=empty, y=empty)
    assert out.size == 0
    assert len(ws.firms) == n
    assert ws.events.columns("birth") == {}


# --- exit --------------------------------------------------------------------------------------


def test_exit_after_sustained_losses_or_below_min_employees(make_model, add_link):
    model = make_model(n_firms=100, burn_in=0, exit_after_losses=3, min_employees=1.0)
    ws = model.state
    f = ws.firms
    f.loss_streak[:] = 0
    f.employees[:] = np.maximum(f.employees, 5.0)
    ws.links = LinkTable.empty(0)
    f.cash[:] = 1.0
    f.loss_streak[[0, 1, 6]] = [3, 2, 5]  # 0 has lost long enough, 1 not yet
    f.cash[[0, 1]] = -0.1  # 0 and 1 cannot finance the losses; 6 still can
    f.employees[2] = 0.5  # too small to go on
    supply_in = add_link(ws, 3, 0, LinkKind.SUPPLY)  # 0 supplies 3
    collab_out = add_link(ws, 0, 4)
    collab_in = add_link(ws, 5, 2)
    uni = add_link(ws, 2, 0, LinkKind.UNIVERSITY)  # b=0 is university 0, not firm 0
    keep = add_link(ws, 1, 4)
    ws.step = 7
    out = exits(ws, model.params)
    assert sorted(out.tolist()) == [0, 2]
    assert not f.alive[[0, 2]].any()
    assert f.alive[[1, 6]].all()
    assert (f.died[[0, 2]] == 7).all()
    assert not ws.links.active[[supply_in, collab_out, collab_in, uni]].any()
    assert ws.links.active[keep]
    deaths = ws.events.columns("death")
    assert sorted(deaths["firm"].tolist()) == [0, 2]
    assert (deaths["step"] == 7).all()


def test_nobody_exits_when_everyone_is_healthy(make_model):
    model = make_model(n_firms=100, burn_in=0)
    ws = model.state
    ws.firms.loss_streak[:] = 0
    ws.firms.employees[:] = 10.0
    assert exits(ws, model.params).size == 0
    assert ws.firms.alive.all()


# --- spin-offs and entry -----------------------------------------------------------------------


def test_spinoffs_land_near_their_parent_in_its_industry(make_model):
    model = make_model(
        n_firms=200,
        spinoff_rate=1.0,
        spinoff_min_margin=-1.0,
        spinoff_radius=2,
        spinoff_related_share=0.0,
    )
    ws = model.state
    f = ws.firms
    f.revenue[:] = np.maximum(f.revenue, 1.0)
    f.profit[:] = 0.1 * f.revenue
    parent_knowledge = f.knowledge.copy()
    new = spinoffs(ws, model.params, np.random.default_rng(0))
    assert new.size == (f.alive[: new.min()]).sum(), "spinoff_rate 1: every firm spawns"
    parent = np.searchsorted(f.id, f.parent[new])  # ids increase with rows; parent holds ids
    assert (f.id[parent] == f.parent[new]).all()
    assert (f.origin[new] == Origin.SPINOFF).all()
    chebyshev = np.maximum(np.abs(f.x[new] - f.x[parent]), np.abs(f.y[new] - f.y[parent]))
    assert chebyshev.max() <= 2
    assert (f.industry[new] == f.industry[parent]).all()
    # a spin-off joins its parent's cluster unless it landed in another region
    same_region = f.region[new] == f.region[parent]
    assert same_region.any()
    assert (f.cluster[new][same_region] == f.cluster[parent][same_region]).all()
    assert (f.cluster[new][~same_region] == -1).all()
    assert (f.knowledge[new] <= parent_knowledge[parent] + 1e-12).all()
    assert (f.knowledge[new] >= 0.85 * parent_knowledge[parent] - 1e-12).all()
    assert (f.region[new] == ws.geo.region_of_cell[f.x[new], f.y[new]]).all()
    np.testing.assert_allclose(f.employees[new], model.params.demography.entrant_employees)


def test_no_spinoffs_below_the_margin(make_model):
    model = make_model(n_firms=200, spinoff_rate=1.0, spinoff_min_margin=0.5)
    ws = model.state
    ws.firms.profit[:] = 0.1 * ws.firms.revenue  # margin 0.1 < 0.5
    assert spinoffs(ws, model.params, np.random.default_rng(0)).size == 0


def test_academic_spinoffs_land_near_their_university(make_model):
    model = make_model(n_firms=200, university_spinoff_rate=5.0)
    ws = model.state
    new = academic_spinoffs(ws, model.params, np.random.default_rng(0))
    assert new.size > 10
    f = ws.firms
    uni = -1 - f.parent[new]
    assert ((uni >= 0) & (uni < len(ws.unis))).all()
    chebyshev = np.maximum(np.abs(f.x[new] - ws.unis.x[uni]), np.abs(f.y[new] - ws.unis.y[uni]))
    assert chebyshev.max() <= 2
    assert (f.origin[new] == Origin.ACADEMIC_SPINOFF).all()
    np.testing.assert_allclose(f.knowledge[new], 0.6 * ws.unis.knowledge[uni])


def test_no_academic_spinoffs_at_rate_zero(make_model):
    model = make_model(n_firms=100, university_spinoff_rate=0.0)
    assert academic_spinoffs(model.state, model.params, np.random.default_rng(0)).size == 0


def entry_weights_by_formula(ws, q, kernel):
    """w_c = 1e-3 + sum_i E_i (phi_{p_i q} + [p_i = q]) K(c - c_i), cell by cell."""
    f, side = ws.firms, ws.geo.side
    reach = kernel.shape[0] // 2
    live = np.flatnonzero(f.alive)
    related = ws.industries.relatedness[f.industry[live], q] + (f.industry[live] == q)
    w = np.full((side, side), 1e-3)
    for i, a in zip(live, f.employees[live] * related, strict=True):
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                cx, cy = f.x[i] + dx, f.y[i] + dy
                if 0 <= cx < side and 0 <= cy < side:
                    w[cx, cy] += a * kernel[reach + dx, reach + dy]
    return w.ravel()


def chisquare_pvalue(cells, weights):
    """p-value of the cells' counts against the weights; rare cells pooled into one bin."""
    expected = weights / weights.sum() * cells.size
    seen = np.bincount(cells, minlength=weights.size)
    big = expected >= 5
    observed, wanted = seen[big], expected[big]
    if (~big).any():
        observed, wanted = np.r_[observed, seen[~big].sum()], np.r_[wanted, expected[~big].sum()]
    return stats.chisquare(observed, wanted).pvalue


@pytest.mark.parametrize("scale", [1.0, 2.5])
def test_entry_cells_follow_the_weights_cell_by_cell(make_model, scale):
    """Chi-square of 60,000 entrant cells against the formula (edges and floor included)."""
    ws = make_model(n_firms=40).state
    q = int(ws.firms.industry[0])
    kernel = spillover_kernel(scale)
    weights = entry_weights_by_formula(ws, q, kernel)
    cells = entry_cells(ws, np.full(60_000, q), kernel, np.random.default_rng(5))
    assert cells.min() >= 0
    assert cells.max() < ws.geo.side**2
    assert chisquare_pvalue(cells, weights) > 1e-4


def test_entry_cells_without_the_edge_correction_fail_the_test(make_model, monkeypatch):
    """The test above can fail: ignoring the kernel's mass lost off the grid is detected."""
    from clusterlab.model import demography

    ws = make_model(n_firms=40).state
    q = int(ws.firms.industry[0])
    kernel = spillover_kernel(2.5)
    weights = entry_weights_by_formula(ws, q, kernel)
    monkeypatch.setattr(demography, "_kernel_mass_on_grid", lambda k, x, y, side: np.ones(x.size))
    cells = entry_cells(ws, np.full(60_000, q), kernel, np.random.default_rng(5))
    assert chisquare_pvalue(cells, weights) < 1e-4


def test_kernel_mass_on_grid_sums_the_offsets_that_stay_on_it():
    kernel = spillover_kernel(1.0)  # 7 x 7
    side = 5
    x, y = np.array([0, 2, 4, 1]), np.array([0, 2, 1, 4])
    expected = [
        sum(
            kernel[3 + dx, 3 + dy]
            for dx in range(-3, 4)
            for dy in range(-3, 4)
            if 0 <= cx + dx < side and 0 <= cy + dy < side
        )
        for cx, cy in zip(x, y, strict=True)
    ]
    np.testing.assert_allclose(_kernel_mass_on_grid(kernel, x, y, side), expected, rtol=1e-12)


def test_entry_cells_with_no_firm_alive_are_uniform(make_model):
    ws = make_model(n_firms=40).state
    ws.firms.alive[:] = False
    cells = entry_cells(
        ws, np.zeros(20_000, np.int64), spillover_kernel(2.0), np.random.default_rng(1)
    )
    assert chisquare_pvalue(cells, np.ones(ws.geo.side**2)) > 1e-4


def test_entrants_choose_industries_with_demand(make_model):
    model = make_model(n_firms=200, entry_rate=0.5, outside_entry_share=0.0)
    ws = model.state
    demand = np.zeros(ws.industries.n)
    demand[[1, 3]] = [1.0, 3.0]
    new = entrants(ws, model.params, demand, np.random.default_rng(0))
    assert new.size > 50
    industry = ws.firms.industry[new]
    assert set(industry.tolist()) <= {1, 3}
    assert (industry == 3).mean() == pytest.approx(0.75, abs=0.12)
    assert (ws.firms.origin[new] == Origin.ENTRANT).all()


def test_no_entrants_at_rate_zero(make_model):
    model = make_model(n_firms=100, entry_rate=0.0)
    ws = model.state
    assert entrants(ws, model.params, np.ones(ws.industries.n), np.random.default_rng(0)).size == 0


def test_related_spinoffs_carry_the_parents_competences_into_another_open_industry(make_model):
    model = make_model(
        n_firms=200, spinoff_rate=1.0, spinoff_min_margin=-1.0, spinoff_related_share=1.0
    )
    ws = model.state
    f = ws.firms
    f.revenue[:] = np.maximum(f.revenue, 1.0)
    f.profit[:] = 0.1 * f.revenue
    parent_knowledge = f.knowledge.copy()
    open_market = np.ones(ws.industries.n, bool)
    open_market[0] = False
    new = spinoffs(ws, model.params, np.random.default_rng(0), open_market)
    parent = f.rows_of(f.parent[new])  # the table keeps the parent's id
    assert new.size > 100
    assert (f.industry[new] != f.industry[parent]).all()
    assert (f.industry[new] != 0).all(), "closed markets are never entered"
    assert (f.knowledge[new] <= parent_knowledge[parent] + 1e-12).all()
    # fit^4 choice: the new industry fits the inherited knowledge better than a random one
    fit = f.knowledge[new] @ ws.industries.recipes.T
    chosen = fit[np.arange(new.size), f.industry[new]]
    assert chosen.mean() > fit.mean()


def test_the_entrant_mix_follows_the_outside_entry_share(make_model):
    for share, outside in ((0.0, False), (1.0, True)):
        model = make_model(n_firms=200, entry_rate=0.5, outside_entry_share=share)
        ws = model.state
        new = entrants(ws, model.params, model.demand, np.random.default_rng(0))
        assert new.size > 50
        assert ((ws.firms.origin[new] == Origin.OUTSIDE_ENTRANT) == outside).all()


def test_outside_entrants_bring_an_industrys_know_how_from_another_region(make_model):
    model = make_model(n_firms=300)
    ws = model.state
    emp, know, _ = regional_means(ws)
    new = outside_entrants(ws, model.params, model.demand, 300, np.random.default_rng(0))
    assert new.size == 300
    f = ws.firms
    assert (f.origin[new] == Origin.OUTSIDE_ENTRANT).all()
    assert (f.parent[new] == -1).all()
    for row in new:
        r, q = f.region[row], f.industry[row]
        sources = [s for s in range(ws.geo.n_regions) if s != r and emp[s, q] > 0]
        assert sources, "the industry exists in another region"
        ok = [
            np.all(f.knowledge[row] <= know[s, q] + 1e-12)
            and np.all(f.knowledge[row] >= 0.85 * know[s, q] - 1e-12)
            for s in sources
        ]
        assert any(ok), "knowledge drawn around a source region's know-how"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_outside_entrants_enter_industries_their_host_lacks_more_often(make_model, seed):
    # Neffke et al. (2018): outside agents diversify regions into unrelated activities;
    # local entrants locate by related employment, so they reproduce the existing map.
    model = make_model(n_firms=300, rng=seed, entry_rate=0.5, outside_entry_share=0.0)
    ws = model.state
    lacks = ~specialisation_matrix(regional_means(ws)[0]).astype(bool)  # RCA < 1
    rng = np.random.default_rng(seed)
    local = entrants(ws, model.params, model.demand, rng)
    outside = outside_entrants(ws, model.params, model.demand, local.size, rng)
    f = ws.firms
    share_local = lacks[f.region[local], f.industry[local]].mean()
    share_outside = lacks[f.region[outside], f.industry[outside]].mean()
    assert share_outside > share_local


def test_entry_flow_scales_with_the_economy_not_with_the_incumbents(make_model):
    # Poisson(entry_rate * n_firms) whether 200 or 20 of the 200 firms are alive
    counts = {}
    for alive in (200, 20):
        model = make_model(n_firms=200, entry_rate=0.5)
        ws = model.state
        ws.firms.alive[alive:] = False
        rng = np.random.default_rng(2)
        counts[alive] = sum(
            entrants(ws, model.params, np.ones(ws.industries.n), rng).size for _ in range(1)
        )
    assert counts[200] == pytest.approx(100, abs=35)
    assert counts[20] == pytest.approx(100, abs=35)


def test_incumbent_productivity_is_the_employment_weighted_geometric_mean(make_model):
    ws = make_model(n_firms=100, burn_in=0).state
    f = ws.firms
    f.alive[:] = False
    f.alive[:3] = True
    f.industry[:3] = [0, 0, 1]
    f.employees[:3] = [1.0, 3.0, 5.0]
    f.productivity[:3] = [1.0, 16.0, 2.0]
    # industry 0: exp((1 ln 1 + 3 ln 16) / 4) = 16^(3/4) = 8; industry 1: 2; industry 2 has
    # no firm: all alive firms, exp((3 ln 16 + 5 ln 2) / 9) = 2^(17/9)
    out = incumbent_productivity(ws, np.array([0, 1, 2]))
    np.testing.assert_allclose(out, [8.0, 2.0, 2 ** (17 / 9)])


def test_entrants_start_near_their_industrys_productivity(make_model):
    model = make_model(n_firms=200, entry_rate=0.5)
    ws = model.state
    ws.firms.productivity[:] *= 5.0  # incumbents have innovated
    new = entrants(ws, model.params, np.ones(ws.industries.n), np.random.default_rng(0))
    ratio = ws.firms.productivity[new] / incumbent_productivity(ws, ws.firms.industry[new])
    assert np.exp(np.log(ratio).mean()) == pytest.approx(1.0, abs=0.05)
