"""The initial world of a region table (``economy = "csv:<path>"``).

See :mod:`clusterlab.model.regions`.

The table fixes what the generic economy draws: the regions (its NUTS codes), the
industries (its NACE divisions, plus the ``n_challenge_industries`` challenge industries,
seeded as in the generic economy with a few scattered firms, 0.5% of the table's firm count
each, sized like generic firms), the number of firms in every region and industry of the
table, and their employment. The economy's generators (``economy_seed``) still draw the knowledge
structure (recipes, hence relatedness), the cluster centres, where firms sit and the
universities; the run's generator draws each firm's share of its cell's employment.

- Industries: each NACE division lies in a value chain of :mod:`clusterlab.model.nace`; the
  industries of a chain present in the table are ordered upstream first (by division) and
  each buys from the previous one. Industry s of a chain of family f uses fields
  ``(s + g) mod F`` and ``(s + g + 1) mod F`` of family f (g: the chain group, F: fields per
  family) with weights U(0.4, 0.7), and one field of a neighbouring family, U(0.1, 0.3),
  as the generic economy does (:func:`clusterlab.model.industries._generic`).
- Firms: the table's firm counts, or ``n_firms`` shared out by employment (at least one
  firm per non-empty cell). A cell with employment E and n firms gives firm i
  ``1 + (E - n) w_i / sum(w)`` employees, ``w_i`` lognormal(0, 1): every firm has at least
  one employee and the cell's employment is the table's exactly (up to floating point).
- Clusters: the chains flagged in ``cluster_org``, otherwise in each region the chains
  whose employment share in the region exceeds their share in the table (chain RCA > 1),
  the strongest ``max_clusters_per_region``. A ``clustered_share`` of a cluster chain's
  firms sit around the cluster centre; the others anywhere in the region.
- Universities: those of the ``universities`` column (home families: the industry's
  family and one drawn), otherwise drawn as in the generic economy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.industries import (
    SECOND_UPSTREAM_PROBABILITY,
    Industries,
    _add_challenge_industries,
    _challenge_suppliers,
    _finish,
)
from clusterlab.model.knowledge import KnowledgeSpace, build_knowledge_space
from clusterlab.model.nace import GROUP_FAMILY, chain_group, division_of
from clusterlab.model.params import ModelParams, WorldParams
from clusterlab.model.regions import RegionTable, load_region_table
from clusterlab.model.state import FirmTable, OrgTable, UniversityTable
from clusterlab.model.world import (
    CHALLENGE_START_SHARE,
    EconomyStreams,
    Geography,
    _cluster_centres,
    _firm_rows,
    _org_rows,
    add_university,
)

__all__ = [
    "cluster_chains",
    "table_economy",
    "table_firm_counts",
    "table_firms",
    "table_sizes",
    "table_universities",
]

IntArray = npt.NDArray[np.int64]


def table_sizes(params: ModelParams) -> ModelParams:
    """Return ``params`` with the table's ``n_regions`` (and ``n_firms``, if it counts firms)."""
    table = load_region_table(params.world.economy)
    sizes = {"n_regions": len(table.regions)}
    if table.firms is not None:
        sizes["n_firms"] = int(table.firms.sum())
    return params.replace(**sizes)


def _groups(table: RegionTable) -> tuple[IntArray, IntArray]:
    """Chain group of each table industry, and the dense chain index of each."""
    groups = np.array([chain_group(division_of(code)) for code in table.industries])
    present = np.unique(groups)
    return groups, np.searchsorted(present, groups)


def table_economy(
    world: WorldParams, rng: np.random.Generator
) -> tuple[KnowledgeSpace, Industries]:
    """Knowledge space and industries of a region table's economy."""
    table = load_region_table(world.economy)
    space = build_knowledge_space(
        world.n_families, world.fields_per_family, world.field_proximity_scale
    )
    n_fam, per_fam = world.n_families, world.fields_per_family
    groups, chains = _groups(table)
    recipes, links = [], []
    for p, g in enumerate(groups):
        fam = GROUP_FAMILY[g] % n_fam
        s = int(np.sum(chains[:p] == chains[p]))  # position in its chain, upstream first
        own = fam * per_fam + np.array([(s + g) % per_fam, (s + g + 1) % per_fam])
        neighbour_fam = (fam + (1 if rng.random() < 0.5 else -1)) % n_fam
        r = np.zeros(space.n_fields)
        r[own] = 0.4 + 0.3 * rng.random(2)
        r[neighbour_fam * per_fam + int(rng.integers(per_fam))] += 0.1 + 0.2 * rng.random()
        recipes.append(r)
        if s > 0:  # buys from the previous industry of its chain
            links.append((int(np.flatnonzero(chains[:p] == chains[p])[-1]), p))
    for q in range(len(recipes)):
        downstream = bool(np.any(chains[:q] == chains[q]))
        if downstream and rng.random() < SECOND_UPSTREAM_PROBABILITY:
            others = np.flatnonzero(chains != chains[q])
            if others.size:
                links.append((int(rng.choice(others)), q))
    _add_challenge_industries(space, recipes, world.n_challenge_industries, rng)
    names = [
        *table.industries,
        *(f"Challenge {i + 1}" for i in range(world.n_challenge_industries)),
    ]
    chain = [*chains.tolist(), *([-1] * world.n_challenge_industries)]
    rec = np.array(recipes)
    supplies = _challenge_suppliers(space, rec, np.asarray(chain) < 0)
    for p, q in links:
        supplies[p, q] = True
    return space, _finish(space, names, rec, chain, supplies)


def table_firm_counts(table: RegionTable, n_firms: int) -> IntArray:
    """Firms per region and industry: the table's, or ``n_firms`` shared out by employment.

    Shares are floors of ``n_firms * E_rp / E`` (at least 1 in a non-empty cell, at most
    ``floor(E_rp)``: a firm employs at least one person); the firms left over go to the
    largest remainders, a surplus comes off the largest counts.
    """
    if table.firms is not None:
        return table.firms.copy()
    emp = table.employment.ravel()
    nonzero = emp > 0
    quota = n_firms * emp / emp.sum()
    counts = np.where(nonzero, np.maximum(1, np.floor(quota)), 0).astype(np.int64)
    cap = np.floor(emp).astype(np.int64)
    remainder = np.where(counts < cap, quota - np.floor(quota), -np.inf)
    for i in np.argsort(-remainder, kind="stable")[: max(0, n_firms - counts.sum())]:
        counts[i] += counts[i] < cap[i]
    while counts.sum() > n_firms and counts.max() > 1:
        counts[int(np.argmax(counts))] -= 1
    return np.minimum(counts, cap).reshape(table.employment.shape)


def firm_sizes(
    employment: npt.NDArray[np.float64], cell: IntArray, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Employees of firms in cells (flat index ``cell``) summing to each cell's employment."""
    w = np.exp(rng.standard_normal(cell.size))
    n = np.bincount(cell, minlength=employment.size)
    total_w = np.bincount(cell, weights=w, minlength=employment.size)
    return 1.0 + (employment[cell] - n[cell]) * w / total_w[cell]


def cluster_chains(table: RegionTable, max_clusters: int) -> list[list[int]]:
    """Chains of each region's clusters: flagged in the table, or chain RCA > 1 (top ones)."""
    _, chains = _groups(table)
    n_chains = int(chains.max()) + 1
    out = []
    for r in range(len(table.regions)):
        if table.cluster_org is not None:
            out.append(sorted({int(c) for c in chains[table.cluster_org[r]]}))
            continue
        by_chain = np.zeros((len(table.regions), n_chains))
        np.add.at(by_chain.T, chains, table.employment.T)
        share = by_chain[r] / by_chain[r].sum()
        rca = share / (by_chain.sum(axis=0) / by_chain.sum())
        order = np.argsort(-rca, kind="stable")
        out.append([int(c) for c in order[rca[order] > 1][:max_clusters]])
    return out


def table_firms(
    params: ModelParams,
    geo: Geography,
    industries: Industries,
    economy: EconomyStreams,
    rng: np.random.Generator,
) -> tuple[FirmTable, OrgTable]:
    """Place the table's firms (see the module notes); returns firms and cluster organizations."""
    w = params.world
    table = load_region_table(w.economy)
    counts = table_firm_counts(table, w.n_firms)
    _, chains = _groups(table)
    place = economy.placement
    cols: dict[str, list[IntArray]] = {k: [] for k in ("region", "x", "y", "cluster", "industry")}
    org_rows: dict[str, list[int]] = {k: [] for k in ("region", "chain", "x", "y")}
    for r, region_chains in enumerate(cluster_chains(table, w.max_clusters_per_region)):
        centres = _cluster_centres(geo, r, len(region_chains), economy.clusters)
        cluster_of = {}
        for (cx, cy), chain in zip(centres, region_chains, strict=True):
            cluster_of[chain] = (len(org_rows["region"]), cx, cy)
            for key, val in (("region", r), ("chain", chain), ("x", cx), ("y", cy)):
                org_rows[key].append(val)
        for p in np.flatnonzero(counts[r]):
            n = int(counts[r, p])
            x, y = geo.random_cells(np.full(n, r), place)
            cluster = np.full(n, -1)
            if int(chains[p]) in cluster_of:
                c, cx, cy = cluster_of[int(chains[p])]
                k = round(w.clustered_share * n)
                x[:k] = np.rint(cx + w.cluster_spread * place.standard_normal(k))
                y[:k] = np.rint(cy + w.cluster_spread * place.standard_normal(k))
                cluster[:k] = c
            x, y = geo.clip_to_region(np.full(n, r), x, y)
            for key, val in (("region", np.full(n, r)), ("x", x), ("y", y), ("cluster", cluster)):
                cols[key].append(val.astype(np.int64))
            cols["industry"].append(np.full(n, p, dtype=np.int64))
    n_table = sum(v.size for v in cols["region"])
    _add_challenge_firms(cols, geo, industries, int(counts.sum()), place)
    flat = {k: np.concatenate(v) for k, v in cols.items()}
    cell = flat["region"][:n_table] * counts.shape[1] + flat["industry"][:n_table]
    employees = np.concatenate(
        [
            firm_sizes(table.employment.ravel(), cell, rng),
            np.maximum(
                1.0, np.exp(np.log(10.0) + rng.standard_normal(flat["region"].size - n_table))
            ),
        ]
    )
    firms = _firm_rows(params, flat, industries, rng, employees=employees)
    return firms, _org_rows(org_rows, industries.recipes.shape[1])


def _add_challenge_firms(
    cols: dict[str, list[IntArray]],
    geo: Geography,
    industries: Industries,
    n_table_firms: int,
    place: np.random.Generator,
) -> None:
    """Seed each challenge industry as the generic economy does: a few scattered firms."""
    per = max(1, round(CHALLENGE_START_SHARE * n_table_firms))
    for p in np.flatnonzero(industries.is_challenge):
        regions = place.integers(geo.n_regions, size=per)
        x, y = geo.random_cells(regions, place)
        for key, val in (("region", regions), ("x", x), ("y", y), ("cluster", np.full(per, -1))):
            cols[key].append(np.asarray(val, dtype=np.int64))
        cols["industry"].append(np.full(per, p, dtype=np.int64))


def table_universities(
    params: ModelParams,
    geo: Geography,
    space: KnowledgeSpace,
    industries: Industries,
    rng: np.random.Generator,
) -> UniversityTable:
    """Place the universities of the table's ``universities`` column (see the module notes)."""
    table = load_region_table(params.world.economy)
    unis = UniversityTable.empty(space.n_fields)
    n_fam = len(space.family_names)
    for r, p in zip(*np.nonzero(table.universities), strict=True):
        for _ in range(int(table.universities[r, p])):
            fams = [int(industries.family[p]), int(rng.integers(n_fam))]
            add_university(unis, geo, space, int(r), fams, rng)
    unis.x, unis.y = geo.clip_to_region(unis.region, unis.x, unis.y)
    return unis
