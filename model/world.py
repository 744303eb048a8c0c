"""Initial world: grid geometry, regions, clusters, firms, universities, organizations.

Everything here runs once, when a model is built. The grid is square; regions tile it in
a near-square arrangement of rectangles. Each region draws 2-3 clusters, each a spatial
blob of firms in the industries of one value chain around a centre.

The *economy* (industries, the chains and centres of each region's clusters, where the
initial firms sit and in which industry, the universities) is drawn from its own
generators (:func:`economy_streams` of ``economy_seed``); a run's generator draws only the
firms' own attributes (size, productivity, knowledge). So every run of one economy seed
starts from the same region x industry structure, whatever its run seed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from clusterlab.model.industries import MARCHE, Industries
from clusterlab.model.knowledge import KnowledgeSpace
from clusterlab.model.params import Economy, ModelParams
from clusterlab.model.regions import is_table_economy, load_region_table
from clusterlab.model.state import FOUNDED_UNKNOWN, FirmTable, OrgTable, Origin, UniversityTable

__all__ = [
    "EconomyStreams",
    "Geography",
    "build_firms",
    "build_geography",
    "build_orgs",
    "build_universities",
    "economy_streams",
    "set_roadmaps",
]

IntArray = npt.NDArray[np.int64]

CHALLENGE_START_SHARE = 0.005
"""Share of initial firms in each challenge industry (they start tiny)."""


class EconomyStreams(NamedTuple):
    """The generators of an economy, one per part, all from one ``economy_seed``.

    Separate streams keep the parts apart: the industries do not change when the number
    of firms does, nor the universities when the firms are placed differently.
    """

    industries: np.random.Generator
    clusters: np.random.Generator  # chains of each region's clusters, cluster centres
    placement: np.random.Generator  # cells, clusters and industries of the initial firms
    universities: np.random.Generator


def economy_streams(economy_seed: int) -> EconomyStreams:
    """Return the economy's generators: the four children of ``SeedSequence(economy_seed)``."""
    children = np.random.SeedSequence(economy_seed).spawn(len(EconomyStreams._fields))
    return EconomyStreams(*(np.random.default_rng(c) for c in children))


@functools.lru_cache(maxsize=4)
def _length_table(side: int) -> npt.NDArray[np.float64]:
    """``np.hypot(i, j)`` for cell offsets 0 <= i, j < side (read-only)."""
    offsets = np.arange(side, dtype=np.float64)
    table = np.hypot(offsets[:, None], offsets[None, :])
    table.flags.writeable = False
    return table


@dataclass(frozen=True, slots=True)
class Geography:
    """The square grid and how regions tile it.

    Attributes
    ----------
    side : int
        Cells along each side.
    region_of_cell : ndarray of int, shape (side, side)
        Region index of cell ``[x, y]``.
    bounds : ndarray of int, shape (R, 4)
        ``x0, x1, y0, y1`` (half-open) of each region's rectangle.
    region_names : tuple of str
    """

    side: int
    region_of_cell: IntArray
    bounds: IntArray
    region_names: tuple[str, ...]

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.region_names)

    def distance(self, dx: IntArray, dy: IntArray) -> npt.NDArray[np.float64]:
        """Euclidean length of cell offsets, ``np.hypot(dx, dy)`` to the bit, from a table.

        Offsets between cells of the grid are integers below ``side`` in size, so their
        lengths are read from a (side, side) table of ``np.hypot`` values (made once per
        grid size) instead of calling ``hypot`` per pair.
        """
        return _length_table(self.side)[np.abs(dx), np.abs(dy)]

    def clip_to_region(
        self, region: IntArray, x: IntArray, y: IntArray
    ) -> tuple[IntArray, IntArray]:
        """Clip positions into the rectangle of the given regions."""
        b = self.bounds[region]
        return np.clip(x, b[:, 0], b[:, 1] - 1), np.clip(y, b[:, 2], b[:, 3] - 1)

    def random_cells(self, region: IntArray, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
        """Uniformly random cells inside each given region's rectangle."""
        b = self.bounds[region]
        x = b[:, 0] + np.floor(rng.random(region.size) * (b[:, 1] - b[:, 0])).astype(np.int64)
        y = b[:, 2] + np.floor(rng.random(region.size) * (b[:, 3] - b[:, 2])).astype(np.int64)
        return x, y


def build_geography(params: ModelParams) -> Geography:
    """Size the grid from the number of firms and tile it into regions.

    Notes
    -----
    ``side = ceil(sqrt(n_firms * cells_per_firm))``; tiles form ``cols = ceil(sqrt(R))``
    columns and ``ceil(R / cols)`` rows; surplus tiles of the last row go to the last
    region, so every region is a rectangle and every cell belongs to one region.
    """
    w = params.world
    n_reg = w.n_regions
    side = max(8, math.ceil(math.sqrt(w.n_firms * w.cells_per_firm)))
    cols = math.ceil(math.sqrt(n_reg))
    rows = math.ceil(n_reg / cols)
    coord = np.arange(side)
    tx = coord * cols // side
    ty = coord * rows // side
    region = np.minimum(ty[None, :] * cols + tx[:, None], n_reg - 1)
    bounds = np.zeros((n_reg, 4), dtype=np.int64)
    for r in range(n_reg):
        xs, ys = np.nonzero(region == r)
        bounds[r] = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    if is_table_economy(w.economy):
        names = load_region_table(w.economy).regions
    elif w.economy is Economy.MARCHE:
        names = tuple(
            MARCHE["region_names"][r] if r < 4 else f"Region {r + 1}" for r in range(n_reg)
        )
    else:
        names = tuple(f"R{r + 1}" for r in range(n_reg))
    return Geography(side=side, region_of_cell=region, bounds=bounds, region_names=names)


def _cluster_chains(
    params: ModelParams, industries: Industries, rng: np.random.Generator
) -> list[list[int]]:
    """Chains of the clusters of each region (distinct within a region)."""
    w = params.world
    out = []
    for r in range(w.n_regions):
        fixed = MARCHE["region_chains"]
        if w.economy is Economy.MARCHE and r < len(fixed):
            out.append(list(fixed[r]))
            continue
        n_c = int(rng.integers(w.min_clusters_per_region, w.max_clusters_per_region + 1))
        n_c = min(n_c, industries.n_chains)
        out.append([int(c) for c in rng.choice(industries.n_chains, size=n_c, replace=False)])
    return out


def _cluster_centres(
    geo: Geography, region: int, n: int, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """Spread-out centres: each is the farthest of 20 random candidates from the others."""
    x0, x1, y0, y1 = geo.bounds[region]
    mx, my = max(1, (x1 - x0) // 6), max(1, (y1 - y0) // 6)
    centres: list[tuple[int, int]] = []
    for _ in range(n):
        cx = rng.integers(x0 + mx, max(x0 + mx + 1, x1 - mx), size=20)
        cy = rng.integers(y0 + my, max(y0 + my + 1, y1 - my), size=20)
        if centres:
            c = np.array(centres)
            d = np.min(np.hypot(cx[:, None] - c[:, 0], cy[:, None] - c[:, 1]), axis=1)
            best = int(np.argmax(d))
        else:
            best = 0
        centres.append((int(cx[best]), int(cy[best])))
    return centres


def initial_knowledge(
    recipes: npt.NDArray[np.float64], industry: IntArray, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Knowledge of new firms: low background, strong on their recipe's fields.

    Background expertise is U(0, 0.15); on the fields their industry's recipe uses it is
    U(0.45, 0.8).
    """
    n, k = industry.size, recipes.shape[1]
    knowledge = 0.15 * rng.random((n, k))
    used = recipes[industry] > 0
    knowledge[used] = 0.45 + 0.35 * rng.random(int(used.sum()))
    return knowledge


def build_firms(
    params: ModelParams,
    geo: Geography,
    industries: Industries,
    economy: EconomyStreams,
    rng: np.random.Generator,
) -> tuple[FirmTable, OrgTable]:
    """Place the initial firms: clustered blobs, scattered firms, a few challenge firms.

    Where firms sit, in which cluster and industry, comes from the ``economy``'s streams;
    their size, productivity and knowledge from the run's ``rng``.

    Returns
    -------
    (FirmTable, OrgTable)
        The firms, and one organization row per cluster (roadmaps filled later).
    """
    w = params.world
    if is_table_economy(w.economy):
        from clusterlab.model.table_economy import table_firms  # noqa: PLC0415 - it imports this module

        return table_firms(params, geo, industries, economy, rng)
    chains = _cluster_chains(params, industries, economy.clusters)
    place = economy.placement
    n_challenge = int(industries.is_challenge.sum())
    per_challenge = max(1, round(CHALLENGE_START_SHARE * w.n_firms)) if n_challenge else 0
    n_rest = w.n_firms - per_challenge * n_challenge
    per_region = np.full(w.n_regions, n_rest // w.n_regions)
    per_region[: n_rest % w.n_regions] += 1
    ordinary = np.flatnonzero(~industries.is_challenge)
    cols: dict[str, list[npt.NDArray]] = {
        k: [] for k in ("region", "x", "y", "cluster", "industry")
    }
    org_rows: dict[str, list[int]] = {k: [] for k in ("region", "chain", "x", "y")}

    def add(region: int, x: IntArray, y: IntArray, cluster: int, industry: IntArray) -> None:
        rr = np.full(x.size, region)
        x, y = geo.clip_to_region(rr, x, y)
        for key, val in (
            ("region", rr),
            ("x", x),
            ("y", y),
            ("cluster", np.full(x.size, cluster)),
            ("industry", industry),
        ):
            cols[key].append(np.asarray(val, dtype=np.int64))

    for r in range(w.n_regions):
        n_clustered = round(w.clustered_share * per_region[r])
        centres = _cluster_centres(geo, r, len(chains[r]), economy.clusters)
        sizes = np.full(len(chains[r]), n_clustered // len(chains[r]))
        sizes[: n_clustered % len(chains[r])] += 1
        for (cx, cy), chain, size in zip(centres, chains[r], sizes, strict=True):
            cluster = len(org_rows["region"])
            for key, val in (("region", r), ("chain", chain), ("x", cx), ("y", cy)):
                org_rows[key].append(val)
            members = industries.chain_industries(chain)
            x = np.rint(cx + w.cluster_spread * place.standard_normal(size)).astype(np.int64)
            y = np.rint(cy + w.cluster_spread * place.standard_normal(size)).astype(np.int64)
            add(r, x, y, cluster, members[np.arange(size) % members.size])
        n_scattered = per_region[r] - n_clustered
        x, y = geo.random_cells(np.full(n_scattered, r), place)
        add(r, x, y, -1, place.choice(ordinary, size=n_scattered))
    for p in np.flatnonzero(industries.is_challenge):
        regions = place.integers(w.n_regions, size=per_challenge)
        x, y = geo.random_cells(regions, place)
        for r in np.unique(regions):
            sel = regions == r
            add(int(r), x[sel], y[sel], -1, np.full(int(sel.sum()), p))
    firms = _firm_rows(params, {k: np.concatenate(v) for k, v in cols.items()}, industries, rng)
    orgs = _org_rows(org_rows, industries.recipes.shape[1])
    return firms, orgs


def _firm_rows(
    params: ModelParams,
    cols: dict[str, IntArray],
    industries: Industries,
    rng: np.random.Generator,
    employees: npt.NDArray[np.float64] | None = None,
) -> FirmTable:
    """Draw the initial attributes of the placed firms (their sizes unless given)."""
    n = cols["region"].size
    m = params.market
    if employees is None:
        employees = np.maximum(1.0, np.exp(np.log(10.0) + 1.0 * rng.standard_normal(n)))
    productivity = np.exp(0.15 * rng.standard_normal(n))
    revenue = employees * m.output_per_employee * productivity
    firms = FirmTable.empty(industries.recipes.shape[1])
    firms.append(
        id=np.arange(n),
        group=np.arange(n),
        alive=np.ones(n, bool),
        origin=np.full(n, Origin.INITIAL),
        parent=np.full(n, -1),
        born=np.full(n, -params.world.burn_in),
        died=np.full(n, np.iinfo(np.int64).max),
        knowledge=initial_knowledge(industries.recipes, cols["industry"], rng),
        productivity=productivity,
        employees=employees,
        cash=0.3 * revenue,
        revenue=revenue,
        profit=np.zeros(n),
        rd_budget=np.zeros(n),
        rd_support=np.zeros(n),
        loss_streak=np.zeros(n, np.int64),
        **cols,
    )
    return firms


def _org_rows(rows: dict[str, list[int]], n_fields: int) -> OrgTable:
    n = len(rows["region"])
    orgs = OrgTable.empty(n_fields)
    orgs.append(
        roadmap=np.zeros((n, n_fields), bool),
        partner=np.full(n, -1),
        budget=np.zeros(n),
        public_funding=np.zeros(n),
        brokerage=np.zeros(n, np.int64),
        founded=np.full(n, FOUNDED_UNKNOWN),
        **{k: np.asarray(v, dtype=np.int64) for k, v in rows.items()},
    )
    return orgs


def build_universities(
    params: ModelParams,
    geo: Geography,
    space: KnowledgeSpace,
    industries: Industries,
    orgs: OrgTable,
    rng: np.random.Generator,
) -> UniversityTable:
    """Place 1..max universities per region, strong in the region's families and one more.

    With ``max_universities_per_region`` 0 the table is empty: the world has no
    universities (no university links, candidates or academic spin-offs).

    A university's home families are the dominant families of its region's cluster
    chains plus one random family; its expertise there is U(0.75, 0.95), elsewhere
    U(0.2, 0.3).
    """
    w = params.world
    if is_table_economy(w.economy) and load_region_table(w.economy).universities is not None:
        from clusterlab.model.table_economy import table_universities  # noqa: PLC0415 - imports this module

        return table_universities(params, geo, space, industries, rng)
    unis = UniversityTable.empty(space.n_fields)
    if w.max_universities_per_region == 0:
        return unis
    n_fam = len(space.family_names)
    for r in range(w.n_regions):
        count = int(rng.integers(1, w.max_universities_per_region + 1))
        chain_fams = {
            int(industries.family[industries.chain_industries(int(c))[0]])
            for c in orgs.chain[orgs.region == r]
        }
        for _ in range(count):
            fams = sorted(chain_fams | {int(rng.integers(n_fam))})
            add_university(unis, geo, space, r, fams, rng)
    unis.x, unis.y = geo.clip_to_region(unis.region, unis.x, unis.y)
    return unis


def add_university(
    unis: UniversityTable,
    geo: Geography,
    space: KnowledgeSpace,
    region: int,
    families: list[int],
    rng: np.random.Generator,
) -> None:
    """Append one university of ``region``, at home in ``families``.

    Its expertise is U(0.75, 0.95) in the fields of its home families and U(0.2, 0.3)
    elsewhere; it sits in the middle half of its region's box (draws in that order).
    """
    home = np.isin(space.family, families)
    knowledge = np.where(
        home,
        0.75 + 0.2 * rng.random(space.n_fields),
        0.2 + 0.1 * rng.random(space.n_fields),
    )
    x0, x1, y0, y1 = geo.bounds[region]
    unis.append(
        region=[region],
        x=[int(rng.integers(x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4 + 1))],
        y=[int(rng.integers(y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4 + 1))],
        knowledge=knowledge[None, :],
        home_families=home[None, :],
    )


def build_orgs(
    orgs: OrgTable, space: KnowledgeSpace, industries: Industries, roadmap_size: int
) -> None:
    r"""Set each organization's roadmap: fields it lacks that lead toward challenges.

    Notes
    -----
    For a chain using fields U, field k not in U scores
    :math:`\max_{u \in U} \psi_{ku} \, (1 + 2 w_k)` where :math:`w_k` is the weight of
    k in the challenge recipes; the top ``roadmap_size`` fields form the roadmap (a
    long-term vision: related new competences, pulled toward the transitions).
    """
    set_roadmaps(orgs, space, industries, roadmap_size, np.arange(len(orgs)))


def set_roadmaps(
    orgs: OrgTable,
    space: KnowledgeSpace,
    industries: Industries,
    roadmap_size: int,
    rows: IntArray,
) -> None:
    """Set the roadmaps of organization ``rows`` as :func:`build_orgs` describes.

    Used at initialisation and for the organizations founded during a run
    (:mod:`clusterlab.model.emergence`); chain -1 (challenge industries) uses their fields.
    """
    challenge_weight = industries.recipes[industries.is_challenge].sum(axis=0)
    for c in rows.tolist():
        used = industries.recipes[industries.chain_industries(int(orgs.chain[c]))].sum(axis=0) > 0
        score = space.proximity[:, used].max(axis=1) * (1 + 2 * challenge_weight)
        score[used] = -np.inf
        top = np.argsort(-score, kind="stable")[:roadmap_size]
        orgs.roadmap[c, top] = True
