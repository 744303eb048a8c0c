import itertools

import numpy as np
import pytest

from clusterlab.model.industries import MARCHE, build_economy
from clusterlab.model.params import WorldParams


def generic(seed=3, **world):
    return build_economy(WorldParams(**world), np.random.default_rng(seed))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generic_recipes_are_distributions_over_fields(seed):
    space, ind = generic(seed)
    assert ind.recipes.shape == (ind.n, space.n_fields)
    assert (ind.recipes >= 0).all()
    np.testing.assert_allclose(ind.recipes.sum(axis=1), 1.0)
    assert len(set(ind.names)) == ind.n


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generic_chains_have_two_or_three_industries_each_buying_from_the_previous(seed):
    _, ind = generic(seed, n_chains=5)
    assert ind.n_chains == 5
    for c in range(ind.n_chains):
        members = ind.chain_industries(c)
        assert 2 <= members.size <= 3
        assert (np.diff(members) == 1).all(), "a chain's industries are consecutive"
        for up, down in itertools.pairwise(members):
            assert ind.supplies[up, down]
    assert not np.diag(ind.supplies).any(), "no industry supplies itself"


def test_ordinary_recipes_draw_mostly_on_one_family():
    space, ind = generic(4)
    for p in np.flatnonzero(~ind.is_challenge):
        weight_by_family = np.bincount(space.family, weights=ind.recipes[p])
        assert weight_by_family.max() > 0.5
        assert weight_by_family.argmax() == ind.family[p]


@pytest.mark.parametrize("n_challenge", [0, 1, 3])
def test_challenge_industries_span_three_families_and_buy_from_two(n_challenge):
    space, ind = generic(5, n_challenge_industries=n_challenge)
    assert ind.is_challenge.sum() == n_challenge
    assert (ind.chain[ind.is_challenge] == -1).all()
    for q in np.flatnonzero(ind.is_challenge):
        families = np.unique(space.family[ind.recipes[q] > 0])
        assert families.size == 3
        suppliers = np.flatnonzero(ind.supplies[:, q])
        assert suppliers.size == 2
        assert not ind.is_challenge[suppliers].any()


def test_relatedness_is_symmetric_in_unit_interval_with_zero_diagonal():
    _, ind = generic(6)
    np.testing.assert_allclose(ind.relatedness, ind.relatedness.T)
    assert (np.diag(ind.relatedness) == 0).all()
    assert (ind.relatedness >= 0).all()
    assert (ind.relatedness <= 1 + 1e-12).all()
    # Industries of one chain share fields, so they are more related than average.
    c0 = ind.chain_industries(0)
    assert ind.relatedness[c0[0], c0[1]] > ind.relatedness[~np.eye(ind.n, dtype=bool)].mean()


def test_same_generator_seed_same_economy_other_seed_other_economy():
    _, a = generic(11)
    _, b = generic(11)
    _, c = generic(12)
    np.testing.assert_array_equal(a.recipes, b.recipes)
    np.testing.assert_array_equal(a.supplies, b.supplies)
    assert a.recipes.shape != c.recipes.shape or not np.array_equal(a.recipes, c.recipes)


def test_marche_economy_is_the_named_teaching_set():
    space, ind = build_economy(WorldParams(economy="marche"), np.random.default_rng(0))
    assert ind.names == tuple(name for name, _, _ in MARCHE["industries"])
    assert space.family_names == MARCHE["families"]
    assert ind.is_challenge.sum() == 2
    names = list(ind.names)
    footwear = names.index("Footwear")
    assert ind.supplies[names.index("Leather tanning"), footwear]
    assert ind.supplies[names.index("Machinery"), footwear]
    assert ind.supplies[names.index("Machinery"), names.index("Furniture")]
    leather = space.field_names.index("Leather")
    assert ind.recipes[footwear, leather] == pytest.approx(0.4)


def test_marche_economy_does_not_use_the_generator():
    # A fixed teaching set: the same whatever the seed.
    _, a = build_economy(WorldParams(economy="marche"), np.random.default_rng(0))
    _, b = build_economy(WorldParams(economy="marche"), np.random.default_rng(99))
    np.testing.assert_array_equal(a.recipes, b.recipes)
    np.testing.assert_array_equal(a.supplies, b.supplies)
