"""Cluster emergence: a cluster organization is founded where a value chain reaches critical mass.

The clusters a run starts with are there from year 0; further clusters are born during the
run. Each year, in every region and value chain (the challenge industries count as one
chain of their own, a new industry), the alive firms of the chain that belong to no
cluster are counted around each of them, within the reach at which entrants join a
cluster (``2 x cluster_spread`` cells, :func:`clusterlab.model.demography.nearby_cluster`). Where
the densest such agglomeration holds at least ``cluster_founding_mass`` firms and lies
beyond that reach from every organization of its region, a cluster organization is
founded at its densest firm's cell, and the unclustered firms of the chain within reach
become its first members; firms that enter nearby later join it as they join any
cluster. Its founding year is recorded, so its age counts from its birth.

This is the emergence phase of the cluster life cycle: a cluster starts from a thematic
core of co-located firms of one value chain, often the spin-offs of a few parents
(Klepper 2007; Boschma & Wenting 2007), grows as firms with diverse backgrounds enter,
and is formalised by the firms of the core as a cluster initiative once they are enough
to organise (Menzel & Fornahl 2010; ter Wal & Boschma 2011; Sölvell, Lindqvist & Ketels
2003).

References
----------
Boschma, R., & Wenting, R. (2007). The spatial evolution of the British automobile
industry: does location matter? Industrial and Corporate Change, 16(2), 213-238.
https://doi.org/10.1093/icc/dtm004
Klepper, S. (2007). Disagreements, spinoffs, and the evolution of Detroit as the capital
of the U.S. automobile industry. Management Science, 53(4), 616-631.
https://doi.org/10.1287/mnsc.1060.0683
Menzel, M.-P., & Fornahl, D. (2010). Cluster life cycles - dimensions and rationales of
cluster evolution. Industrial and Corporate Change, 19(1), 205-238.
https://doi.org/10.1093/icc/dtp036
Sölvell, Ö., Lindqvist, G., & Ketels, C. (2003). The Cluster Initiative Greenbook.
Stockholm: Ivory Tower.
ter Wal, A. L. J., & Boschma, R. (2011). Co-evolution of firms, industries and networks in
space. Regional Studies, 45(7), 919-933. https://doi.org/10.1080/00343400802662658
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

from clusterlab.model.params import ModelParams
from clusterlab.model.state import Instrument, LinkKind, WorldState
from clusterlab.model.world import set_roadmaps

__all__ = ["disc_offsets", "found_clusters", "local_counts"]

IntArray = npt.NDArray[np.int64]


@functools.lru_cache(maxsize=8)
def disc_offsets(reach: float) -> tuple[IntArray, IntArray]:
    r"""Cell offsets (dx, dy) with :math:`\sqrt{dx^2 + dy^2} \le` ``reach`` (read-only)."""
    r = math.floor(reach)
    dx, dy = np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="ij")
    inside = np.hypot(dx, dy) <= reach
    out = dx[inside].astype(np.int64), dy[inside].astype(np.int64)
    for a in out:
        a.flags.writeable = False
    return out


PAIRWISE_POINTS = 128
"""Up to this many points, :func:`local_counts` compares every pair."""


@functools.lru_cache(maxsize=8)
def _half_widths(reach: float) -> tuple[int, ...]:
    """Largest |dy| of the disc's cells in each row dx = -R .. R (:func:`disc_offsets`)."""
    dx, dy = disc_offsets(reach)
    r = math.floor(reach)
    return tuple(int(dy[dx == row].max()) for row in range(-r, r + 1))


def local_counts(x: IntArray, y: IntArray, reach: float) -> IntArray:
    """For each point, the points (itself included) within ``reach`` cells of it.

    Points are counted per cell on the box around them; with prefix sums of those counts
    along y, each of the 2R + 1 rows of the disc (:func:`disc_offsets`, R = floor(reach))
    is one difference per point, all rows of all points gathered at once: cost
    O(points x R + box cells), no pairwise distance matrix (up to
    :data:`PAIRWISE_POINTS` points, the matrix: the same counts, faster).
    """
    if x.size <= PAIRWISE_POINTS:  # few points: the distance matrix is cheaper
        d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
        return (d <= reach).sum(axis=1).astype(np.int64)
    r = math.floor(reach)
    x0, y0 = int(x.min()) - r, int(y.min()) - r
    w, h = int(x.max()) + r + 1 - x0, int(y.max()) + r + 1 - y0
    grid = np.bincount((x - x0) * h + (y - y0), minlength=w * h).reshape(w, h)
    prefix = np.zeros((w, h + 1), np.int64)
    np.cumsum(grid, axis=1, out=prefix[:, 1:])
    # flat index of (row x - x0 + dx, column y - y0) for the disc's rows dx = -R .. R
    cell = ((x - x0)[:, None] + np.arange(-r, r + 1)) * (h + 1) + (y - y0)[:, None]
    half = np.asarray(_half_widths(reach), np.int64)  # the row's cells: |dy| <= half
    flat = prefix.ravel()
    return (flat[cell + half + 1] - flat[cell - half]).sum(axis=1)


def _chain_of(ws: WorldState, industry: IntArray) -> IntArray:
    """Value chain of each industry; all challenge industries form chain -1."""
    return ws.industries.chain[industry]


def _site(
    ws: WorldState, rows: IntArray, reach: float, mass: int, region: int
) -> tuple[int, IntArray] | None:
    """Find the founding site among unclustered firm ``rows`` of one chain and region.

    Returns the row of the centre firm and the rows within reach of it, or None when no
    firm has ``mass`` firms within reach beyond ``reach`` from every organization of
    ``region``.
    """
    f, orgs = ws.firms, ws.orgs
    if rows.size < mass:
        return None
    count = local_counts(f.x[rows], f.y[rows], reach)
    mine = np.flatnonzero(orgs.region == region)
    if mine.size:
        d = ws.geo.distance(
            f.x[rows][:, None] - orgs.x[mine][None, :], f.y[rows][:, None] - orgs.y[mine][None, :]
        )
        count = np.where(d.min(axis=1) > reach, count, 0)
    best = int(np.argmax(count))  # first of the densest, in row order
    if count[best] < mass:
        return None
    centre = rows[best]
    d = ws.geo.distance(f.x[rows] - f.x[centre], f.y[rows] - f.y[centre])
    return int(centre), rows[d <= reach]


def found_clusters(ws: WorldState, params: ModelParams) -> IntArray:
    """Found a cluster organization wherever a chain's unclustered firms reach critical mass.

    At most one founding per region and chain a year (regions, then chains, in index
    order); deterministic (no draw). The new organization sits at the centre firm's cell,
    has the centre's region and chain, no partner, zero budget and brokerage until the
    next year's funding, founding year ``ws.step`` and the roadmap of its chain
    (:func:`clusterlab.model.world.set_roadmaps`). Returns the new organization rows.
    """
    mass = params.governance.cluster_founding_mass
    f = ws.firms
    if mass == 0:
        return np.zeros(0, np.int64)
    reach = 2 * params.world.cluster_spread
    free = np.flatnonzero(f.alive & (f.cluster < 0))
    if free.size < mass:
        return np.zeros(0, np.int64)
    span = ws.industries.n_chains + 1  # chains -1 .. n_chains - 1
    key = f.region[free] * span + _chain_of(ws, f.industry[free]) + 1
    order = np.argsort(key, kind="stable")  # by region, then chain; rows ascending within
    free, key = free[order], key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], key.size]
    new = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start < mass:
            continue
        r, q = divmod(int(key[start]), span)
        q -= 1
        site = _site(ws, free[start:end], reach, mass, r)
        if site is None:
            continue
        centre, members = site
        row = ws.orgs.append(
            region=[r],
            chain=[int(q)],
            x=[f.x[centre]],
            y=[f.y[centre]],
            roadmap=np.zeros((1, ws.space.n_fields), bool),
            partner=[-1],
            budget=[0.0],
            public_funding=[0.0],
            brokerage=[0],
            founded=[ws.step],
        )
        f.cluster[members] = row[0]
        new.append(row)
    if not new:
        return np.zeros(0, np.int64)
    rows = np.concatenate(new)
    set_roadmaps(ws.orgs, ws.space, ws.industries, params.governance.roadmap_size, rows)
    _now_inside(ws, rows)
    return rows


def _now_inside(ws: WorldState, rows: IntArray) -> None:
    """Collaboration links whose two ends are now members of one new cluster become internal.

    They were links between firms of no cluster (cross-cluster, ``CROSS_CLUSTER``); they
    are now intra-cluster links (``INTRA_CLUSTER``). Their subsidy share stays as agreed
    until their renewal recomputes it (:func:`clusterlab.model.networking.renew_or_expire`).
    """
    links, f = ws.links, ws.firms
    collab = np.flatnonzero(links.active & (links.kind == LinkKind.COLLABORATION))
    ca, cb = f.cluster[links.a[collab]], f.cluster[links.b[collab]]
    inside = collab[(ca == cb) & np.isin(ca, rows)]
    links.cross_cluster[inside] = False
    links.instrument[inside] = Instrument.INTRA_CLUSTER
