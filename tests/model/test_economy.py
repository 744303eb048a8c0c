"""One economy, many runs: the economy comes from ``economy_seed``, the run from its seed."""

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from clusterlab.model import ClusterModel
from clusterlab.model.errors import ParameterError
from clusterlab.model.industries import MARCHE
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate
from clusterlab.model.state import WorldState

SMALL = {"n_firms": 200, "burn_in": 0}
"""No burn-in: step 0 is the initial placement, before any run-drawn entry or exit."""

RUN_SEEDS = (0, 1, 2, 3, 4)


@contextmanager
def built(seed: int, **overrides: object) -> Iterator[WorldState]:
    model = ClusterModel(params=preset("baseline", **(SMALL | overrides)), rng=seed)
    try:
        yield model.state
    finally:
        model.release()


def economy_of(ws: WorldState) -> dict[str, object]:
    """Everything that makes up the economy, as plain lists (compared with ==)."""
    f, o, u, ind = ws.firms, ws.orgs, ws.unis, ws.industries
    counts = np.zeros((ws.geo.n_regions, ind.n), np.int64)
    np.add.at(counts, (f.region[f.alive], f.industry[f.alive]), 1)
    return {
        "names": ind.names,
        "recipes": ind.recipes.tolist(),
        "relatedness": ind.relatedness.tolist(),
        "supplies": ind.supplies.tolist(),
        "field_proximity": ws.space.proximity.tolist(),
        "region_chains": [o.chain[o.region == r].tolist() for r in range(ws.geo.n_regions)],
        "cluster_centres": list(zip(o.x.tolist(), o.y.tolist(), strict=True)),
        "universities": (u.region.tolist(), u.x.tolist(), u.y.tolist(), u.knowledge.tolist()),
        "firm_places": (f.region.tolist(), f.x.tolist(), f.y.tolist(), f.cluster.tolist()),
        "firm_industries": f.industry.tolist(),
        "region_x_industry_counts": counts.tolist(),
    }


@pytest.mark.parametrize("economy_seed", [0, 7])
def test_economy_is_identical_for_every_run_seed(economy_seed):
    economies = []
    for seed in RUN_SEEDS:
        with built(seed, economy_seed=economy_seed) as ws:
            economies.append(economy_of(ws))
    for other in economies[1:]:
        for part, value in economies[0].items():
            assert other[part] == value, part


def test_runs_of_one_economy_still_differ():
    sizes = []
    for seed in RUN_SEEDS:
        with built(seed) as ws:
            sizes.append(ws.firms.employees.copy())
            assert ws.firms.knowledge.std() > 0
    for a in range(len(sizes)):
        for b in range(a + 1, len(sizes)):
            assert not np.array_equal(sizes[a], sizes[b])


def test_economy_seeds_give_different_economies():
    economies = []
    for economy_seed in range(5):
        with built(0, economy_seed=economy_seed) as ws:
            economies.append(economy_of(ws))
    for a in range(len(economies)):
        for b in range(a + 1, len(economies)):
            assert economies[a]["recipes"] != economies[b]["recipes"]
            assert economies[a]["firm_places"] != economies[b]["firm_places"]
    # Some economies differ even in their industries' number and names.
    assert len({e["names"] for e in economies}) > 1


def test_same_economy_and_run_seed_give_identical_runs():
    a = simulate(preset("baseline", n_firms=200, burn_in=1, economy_seed=3), seed=5, steps=3)
    b = simulate(preset("baseline", n_firms=200, burn_in=1, economy_seed=3), seed=5, steps=3)
    assert a.timeseries.equals(b.timeseries)
    assert a.panel.equals(b.panel)
    assert a.params["economy_seed"] == 3


def test_industries_and_universities_do_not_depend_on_the_number_of_firms():
    # Each part of the economy has its own stream: placing more firms leaves them alone.
    with built(0, economy_seed=4) as small, built(0, economy_seed=4, n_firms=500) as large:
        a, b = economy_of(small), economy_of(large)
    for part in ("names", "recipes", "supplies", "region_chains"):
        assert a[part] == b[part], part
    assert a["universities"][0] == b["universities"][0]  # count per region
    assert a["universities"][3] == b["universities"][3]  # knowledge


def test_shock_industry_is_checked_against_the_economy_not_the_run():
    with built(0, economy_seed=2) as ws:
        n = ws.industries.n
    for seed in RUN_SEEDS:
        with built(seed, economy_seed=2, shock_industry=n - 1) as ws:
            assert ws.industries.n == n
        with pytest.raises(ParameterError, match="shock_industry"):
            ClusterModel(params=preset("baseline", **SMALL, economy_seed=2, shock_industry=n))


def test_marche_keeps_its_recipes_and_region_chains_whatever_the_economy_seed():
    names = tuple(name for name, _, _ in MARCHE["industries"])
    for economy_seed in (0, 1, 9):
        with built(0, economy="marche", economy_seed=economy_seed) as ws:
            assert ws.industries.names == names
            chains = [ws.orgs.chain[ws.orgs.region == r].tolist() for r in range(2)]
            assert chains == [list(c) for c in MARCHE["region_chains"]]


@pytest.mark.parametrize("value", [-1, 2**31, 1.5])
def test_economy_seed_out_of_range_is_refused(value):
    with pytest.raises(ParameterError, match="economy_seed"):
        preset("baseline", economy_seed=value)
