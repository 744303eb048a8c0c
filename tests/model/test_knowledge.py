import math

import numpy as np
import pytest

from clusterlab.model.knowledge import (
    FIELD_RING_RADIUS,
    absorptive_capacity,
    build_knowledge_space,
    cognitive_distance_rows,
    recipe_fit,
    recipe_relatedness,
)

# --- knowledge space ---------------------------------------------------------------------


def test_layout_hand_computed_for_two_fields_per_family():
    space = build_knowledge_space(3, 2, scale=0.5)
    assert space.n_fields == 6
    assert space.family.tolist() == [0, 0, 1, 1, 2, 2]
    # Family 0 sits at (1, 0); its two fields at angles 0 and pi on a circle of radius 0.2.
    np.testing.assert_allclose(space.positions[0], [1 + FIELD_RING_RADIUS, 0.0], atol=1e-12)
    np.testing.assert_allclose(space.positions[1], [1 - FIELD_RING_RADIUS, 0.0], atol=1e-12)
    # Their distance is 0.4, so proximity exp(-0.4 / 0.5).
    assert space.proximity[0, 1] == pytest.approx(math.exp(-0.4 / 0.5))


def test_default_names_and_given_names():
    space = build_knowledge_space(2, 2, 0.5)
    assert space.family_names == ("F1", "F2")
    assert space.field_names == ("F1.1", "F1.2", "F2.1", "F2.2")
    named = build_knowledge_space(1, 2, 0.5, family_names=("Design",), field_names=("a", "b"))
    assert named.field_names == ("a", "b")
    assert named.family_names == ("Design",)


@pytest.mark.parametrize(("families", "per_family", "scale"), [(6, 4, 0.5), (4, 3, 0.2), (2, 8, 1)])
def test_proximity_is_a_valid_kernel(families, per_family, scale):
    psi = build_knowledge_space(families, per_family, scale).proximity
    np.testing.assert_allclose(psi, psi.T)
    np.testing.assert_allclose(np.diag(psi), 1.0)
    assert (psi > 0).all()
    assert (psi <= 1).all()
    np.linalg.cholesky(psi)  # raises LinAlgError unless positive definite
    assert np.linalg.eigvalsh(psi).min() > 0


def test_fields_of_one_family_are_closer_than_fields_of_different_families():
    space = build_knowledge_space(6, 4, 0.5)
    same = space.family[:, None] == space.family[None, :]
    off_diagonal = ~np.eye(space.n_fields, dtype=bool)
    assert space.proximity[same & off_diagonal].min() > space.proximity[~same].max()


def test_neighbouring_families_are_closer_than_opposite_ones():
    space = build_knowledge_space(6, 4, 0.5)
    # Field 0 is in family 0; family 1 neighbours it, family 3 is opposite on the circle.
    assert (
        space.proximity[0, space.family == 1].mean() > space.proximity[0, space.family == 3].mean()
    )


# --- absorptive capacity -----------------------------------------------------------------


@pytest.mark.parametrize("optimum", [0.1, 0.15, 0.5])
def test_absorptive_capacity_is_an_inverted_u(optimum):
    assert float(absorptive_capacity(0.0, optimum)) == 0.0
    assert float(absorptive_capacity(optimum, optimum)) == pytest.approx(1.0)
    below = np.linspace(0.0, optimum, 50)
    above = np.linspace(optimum, 1.0, 50)
    assert (np.diff(absorptive_capacity(below, optimum)) > 0).all()
    assert (np.diff(absorptive_capacity(above, optimum)) < 0).all()
    grid = np.linspace(0, 1, 1001)
    values = absorptive_capacity(grid, optimum)
    assert (values >= 0).all()
    assert (values <= 1 + 1e-12).all()
    assert grid[np.argmax(values)] == pytest.approx(optimum, abs=1e-3)


def test_absorptive_capacity_hand_values():
    # A(d) = (d/d* e^(1 - d/d*))^4
    assert float(absorptive_capacity(0.25, 0.5)) == pytest.approx((0.5 * math.e**0.5) ** 4)
    assert float(absorptive_capacity(1.0, 0.5)) == pytest.approx((2 * math.e**-1) ** 4)


def test_absorptive_capacity_clips_distance_to_unit_interval():
    assert float(absorptive_capacity(1.7, 0.3)) == float(absorptive_capacity(1.0, 0.3))
    assert float(absorptive_capacity(-0.2, 0.3)) == 0.0


# --- fit and relatedness -----------------------------------------------------------------


def test_recipe_fit_hand_computed():
    knowledge = np.array([[1.0, 0.5, 0.0], [0.2, 0.2, 1.0]])
    recipes = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    # row 0: 0.5*1 + 0.5*0.5 = 0.75 and 0; row 1: 0.5*0.2 + 0.5*0.2 = 0.2 and 1
    np.testing.assert_allclose(recipe_fit(knowledge, recipes), [[0.75, 0.0], [0.2, 1.0]])


def test_recipe_relatedness_hand_computed():
    recipes = np.array([[1.0, 0.0], [0.5, 0.5]])
    # identity proximity: 0.5 / (1 * sqrt(0.5)) = sqrt(0.5)
    phi = recipe_relatedness(recipes, np.eye(2))
    np.testing.assert_allclose(phi, [[0, math.sqrt(0.5)], [math.sqrt(0.5), 0]])
    # proximity 0.5 between the fields: r1'Psi r2 = 0.5 + 0.25 = 0.75, r2'Psi r2 = 0.75
    psi = np.array([[1.0, 0.5], [0.5, 1.0]])
    phi = recipe_relatedness(recipes, psi)
    assert phi[0, 1] == pytest.approx(0.75 / math.sqrt(1 * 0.75))
    assert phi[0, 0] == 0.0


def test_cognitive_distance_uses_field_proximity():
    space = build_knowledge_space(6, 4, 0.5)
    a = np.zeros((1, space.n_fields))
    related = np.zeros((1, space.n_fields))
    unrelated = np.zeros((1, space.n_fields))
    a[0, 0] = 1.0  # field 0, family 0
    related[0, 1] = 1.0  # another field of family 0
    unrelated[0, 12] = 1.0  # a field of the opposite family 3
    d_related = cognitive_distance_rows(a, related, space.proximity)[0]
    d_unrelated = cognitive_distance_rows(a, unrelated, space.proximity)[0]
    assert cognitive_distance_rows(a, a, space.proximity)[0] == pytest.approx(0.0)
    assert 0 < d_related < d_unrelated <= 1
