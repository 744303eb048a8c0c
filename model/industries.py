"""Industries: recipes over knowledge fields, value chains and challenge industries.

A generic economy has ``n_chains`` value chains of two or three industries; the
industries of a chain draw on the fields of one family (plus one field of a neighbouring
family) and each buys from the previous one. Challenge industries (green/digital
transition) have recipes spanning three families and buy from the industries closest to
them. The stylised ``marche`` economy is a fixed, named teaching set (not calibrated).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clusterlab.model.knowledge import KnowledgeSpace, build_knowledge_space, recipe_relatedness
from clusterlab.model.params import Economy, WorldParams
from clusterlab.model.regions import is_table_economy

__all__ = ["MARCHE", "Industries", "build_economy"]

SECOND_UPSTREAM_PROBABILITY = 0.3
"""Chance that a downstream industry also buys from an industry of another chain."""


@dataclass(frozen=True, slots=True)
class Industries:
    """The industries of an economy.

    Attributes
    ----------
    names : tuple of str, length P
    recipes : ndarray, shape (P, K)
        Weight of each field in each industry's recipe; rows sum to 1.
    family : ndarray of int, shape (P,)
        Dominant knowledge family of each industry (the grouping for related variety).
    chain : ndarray of int, shape (P,)
        Value chain of each industry (-1 for challenge industries).
    is_challenge : ndarray of bool, shape (P,)
    supplies : ndarray of bool, shape (P, P)
        ``supplies[p, q]``: industry p is an upstream supplier of industry q.
    relatedness : ndarray, shape (P, P)
        Skill relatedness of recipes, zero diagonal.
    """

    names: tuple[str, ...]
    recipes: npt.NDArray[np.float64]
    family: npt.NDArray[np.int64]
    chain: npt.NDArray[np.int64]
    is_challenge: npt.NDArray[np.bool_]
    supplies: npt.NDArray[np.bool_]
    relatedness: npt.NDArray[np.float64]

    @property
    def n(self) -> int:
        """Number of industries P."""
        return len(self.names)

    def chain_industries(self, chain: int) -> npt.NDArray[np.int64]:
        """Return the indices of the industries of one value chain, upstream first."""
        return np.flatnonzero(self.chain == chain)

    @property
    def n_chains(self) -> int:
        """Number of value chains."""
        return int(self.chain.max()) + 1


def _finish(
    space: KnowledgeSpace,
    names: list[str],
    recipes: npt.NDArray[np.float64],
    chain: list[int],
    supplies: npt.NDArray[np.bool_],
) -> Industries:
    recipes = recipes / recipes.sum(axis=1, keepdims=True)
    n_fam = len(space.family_names)
    fam_weight = np.zeros((len(names), n_fam))
    np.add.at(fam_weight.T, space.family, recipes.T)
    chain_arr = np.asarray(chain, dtype=np.int64)
    return Industries(
        names=tuple(names),
        recipes=recipes,
        family=fam_weight.argmax(axis=1),
        chain=chain_arr,
        is_challenge=chain_arr < 0,
        supplies=supplies,
        relatedness=recipe_relatedness(recipes, space.proximity),
    )


def _add_challenge_industries(
    space: KnowledgeSpace,
    recipes: list[npt.NDArray[np.float64]],
    n_challenge: int,
    rng: np.random.Generator,
) -> None:
    """Append recipes of four fields drawn from three different families."""
    n_fam = len(space.family_names)
    for _ in range(n_challenge):
        fams = rng.choice(n_fam, size=min(3, n_fam), replace=False)
        fields = [int(rng.choice(np.flatnonzero(space.family == f))) for f in fams]
        extra = rng.choice(np.flatnonzero(space.family == fams[0]))
        fields.append(int(extra))
        r = np.zeros(space.n_fields)
        np.add.at(r, fields, 0.25)
        recipes.append(r)


def _challenge_suppliers(
    space: KnowledgeSpace,
    recipes: npt.NDArray[np.float64],
    is_challenge: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """Each challenge industry buys from the two ordinary industries closest to it."""
    phi = recipe_relatedness(recipes / recipes.sum(1, keepdims=True), space.proximity)
    supplies = np.zeros((len(recipes), len(recipes)), dtype=bool)
    ordinary = np.flatnonzero(~is_challenge)
    for q in np.flatnonzero(is_challenge):
        best = ordinary[np.argsort(-phi[ordinary, q], kind="stable")[:2]]
        supplies[best, q] = True
    return supplies


def _generic(world: WorldParams, rng: np.random.Generator) -> tuple[KnowledgeSpace, Industries]:
    space = build_knowledge_space(
        world.n_families, world.fields_per_family, world.field_proximity_scale
    )
    n_fam, per_fam = world.n_families, world.fields_per_family
    names, recipes, chain, links = [], [], [], []
    for c in range(world.n_chains):
        fam = c % n_fam
        length = int(rng.integers(2, 4))
        for s in range(length):
            own = fam * per_fam + np.array([s % per_fam, (s + 1) % per_fam])
            neighbour_fam = (fam + (1 if rng.random() < 0.5 else -1)) % n_fam
            other = neighbour_fam * per_fam + int(rng.integers(per_fam))
            r = np.zeros(space.n_fields)
            r[own] = 0.4 + 0.3 * rng.random(2)
            r[other] += 0.1 + 0.2 * rng.random()
            if s > 0:
                links.append((len(names) - 1, len(names)))
            names.append(f"C{c + 1}.{s + 1}")
            recipes.append(r)
            chain.append(c)
    n_ordinary = len(names)
    for q in range(n_ordinary):
        is_downstream = q > 0 and chain[q - 1] == chain[q]
        if is_downstream and rng.random() < SECOND_UPSTREAM_PROBABILITY:
            others = [p for p in range(n_ordinary) if chain[p] != chain[q]]
            links.append((int(rng.choice(others)), q))
    _add_challenge_industries(space, recipes, world.n_challenge_industries, rng)
    names += [f"Challenge {i + 1}" for i in range(world.n_challenge_industries)]
    chain += [-1] * world.n_challenge_industries
    rec = np.array(recipes)
    is_ch = np.asarray(chain) < 0
    supplies = _challenge_suppliers(space, rec, is_ch)
    for p, q in links:
        supplies[p, q] = True
    return space, _finish(space, names, rec, chain, supplies)


MARCHE: dict[str, object] = {
    "families": (
        "Materials",
        "Design",
        "Mechanics",
        "Electronics",
        "Digital",
        "Green chemistry",
    ),
    "fields": (
        ("Leather", "Wood", "Textiles", "Metals"),
        ("Fashion design", "Product design", "Craft", "Ergonomics"),
        ("Machining", "Hydraulics", "Motors", "Precision"),
        ("Sensors", "Power electronics", "Control", "Embedded"),
        ("Software", "Data", "Networks", "AI"),
        ("Bio-materials", "Recycling", "Coatings", "Energy efficiency"),
    ),
    # name, chain, {field: weight}; each chain lists upstream first.
    "industries": (
        ("Leather tanning", 0, {"Leather": 0.6, "Coatings": 0.3, "Textiles": 0.1}),
        ("Footwear", 0, {"Leather": 0.4, "Fashion design": 0.4, "Craft": 0.2}),
        ("Wood processing", 1, {"Wood": 0.7, "Coatings": 0.3}),
        ("Furniture", 1, {"Wood": 0.4, "Product design": 0.4, "Craft": 0.2}),
        (
            "Mechanical components",
            2,
            {"Machining": 0.5, "Metals": 0.3, "Precision": 0.2},
        ),
        (
            "Home appliances",
            2,
            {"Motors": 0.4, "Power electronics": 0.3, "Ergonomics": 0.3},
        ),
        ("Metalworking", 3, {"Metals": 0.5, "Machining": 0.5}),
        ("Machinery", 3, {"Machining": 0.3, "Hydraulics": 0.4, "Control": 0.3}),
        (
            "Electronic components",
            4,
            {"Sensors": 0.5, "Embedded": 0.3, "Power electronics": 0.2},
        ),
        ("Software services", 4, {"Software": 0.5, "Networks": 0.3, "Data": 0.2}),
        (
            "Circular materials (green)",
            -1,
            {"Bio-materials": 0.3, "Recycling": 0.3, "Leather": 0.2, "Data": 0.2},
        ),
        (
            "Smart appliances (digital)",
            -1,
            {"Embedded": 0.3, "AI": 0.3, "Motors": 0.2, "Energy efficiency": 0.2},
        ),
    ),
    "extra_supplies": (("Machinery", "Footwear"), ("Machinery", "Furniture")),
    "region_names": ("Marche-like", "Partner region", "Region 3", "Region 4"),
    "region_chains": ((0, 1, 2), (3, 4)),
}
"""The stylised Marche-like teaching economy: named, hand-written, NOT calibrated."""


def _marche(world: WorldParams) -> tuple[KnowledgeSpace, Industries]:
    fields = MARCHE["fields"]
    space = build_knowledge_space(
        len(fields),
        len(fields[0]),
        world.field_proximity_scale,
        family_names=MARCHE["families"],
        field_names=tuple(f for fam in fields for f in fam),
    )
    index = {name: k for k, name in enumerate(space.field_names)}
    names, recipes, chain = [], [], []
    for name, c, weights in MARCHE["industries"]:
        r = np.zeros(space.n_fields)
        for f, w in weights.items():
            r[index[f]] = w
        names.append(name)
        recipes.append(r)
        chain.append(c)
    rec = np.array(recipes)
    is_ch = np.asarray(chain) < 0
    supplies = _challenge_suppliers(space, rec, is_ch)
    for q in range(len(names)):
        if q > 0 and chain[q] >= 0 and chain[q - 1] == chain[q]:
            supplies[q - 1, q] = True
    for up, down in MARCHE["extra_supplies"]:
        supplies[names.index(up), names.index(down)] = True
    return space, _finish(space, names, rec, chain, supplies)


def build_economy(
    world: WorldParams, rng: np.random.Generator
) -> tuple[KnowledgeSpace, Industries]:
    """Build the knowledge space and the industries of the chosen economy.

    Parameters
    ----------
    world : WorldParams
    rng : numpy.random.Generator

    Returns
    -------
    (KnowledgeSpace, Industries)
    """
    if world.economy is Economy.MARCHE:
        return _marche(world)
    if is_table_economy(world.economy):
        from clusterlab.model.table_economy import table_economy  # noqa: PLC0415 - it imports this module

        return table_economy(world, rng)
    return _generic(world, rng)
