"""Random nearby firms: up to k firms of a pool within a radius of each searcher.

The sample is defined by a listing of *pairs*, zone by zone (regions: a searcher only
finds firms of its own zone). Firms of the pool are bucketed into square blocks of side
``ceil(radius)`` cells (within a block they keep their order in the pool). For each of
the 3 x 3 block offsets in turn (x offset outer, y inner), for each searcher of the zone
in turn, every firm of the block at that offset from the searcher's block that lies within
``radius`` cells of it (other than the searcher) makes a pair. Each pair gets a uniform
key, drawn in listing order, and each searcher keeps the k pairs with the smallest keys,
listed by zone, searcher and key.

:func:`sample_nearby` draws this sample, key for key, in one of two ways, whichever is
cheaper for the call; both give the same result and leave the generator in the same
state (the tests compare each with the listing):

*Walking* (:func:`_walk_listing`, compiled), where searchers have few firms around them
(up to ``WALK_PER_SEARCHER`` firms in their 3 x 3 blocks on average): the listing is
walked pair by pair, each key drawn from the caller's generator as it goes, each
searcher's k smallest keys kept in a small sorted buffer. Ties between keys (probability
about 1e-16 a pair) go to the pair listed first, as a stable sort would.

*Counting* (numpy), where firms crowd (at 100,000 firms a searcher in a cluster core has
thousands of firms within 4 cells, and walking every pair would cost more than drawing
its key):

1. the pairs of each (offset, searcher) group are counted from per-cell firm counts of
   the block, so the position of every pair in the listing is known;
2. the keys are drawn in chunks, as one draw would give them; a key is kept only if below
   its searcher's threshold :math:`t = 8k/n` (n pairs), about 8k keys a searcher, which
   always include the k smallest when at least k pass (a searcher with fewer keeps all its
   keys: the draws are replayed, which happens with probability about 1e-10);
3. the k smallest keys of each searcher are turned into firms: the pair of rank r in a
   group is the (r + 1)-th firm of the block, in pool order, that lies within the
   radius, found by binary search on per-cell running counts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["sample_nearby"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

OFFSETS = np.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)])
"""Block offsets in listing order."""

OWN_BLOCK = 4
"""Index of offset (0, 0) in :data:`OFFSETS`."""

KEEP_PER_K = 8.0
"""Keys kept per searcher, in multiples of k, before the k smallest are chosen."""

TABLE_SIDE = 16
"""Largest block side for which :meth:`_Blocks.near_cells` uses a lookup table."""

CHUNK_KEYS = 1 << 22
"""Keys drawn at once (bounds memory)."""

WALK_PER_SEARCHER = 1500
"""Most firms in a searcher's 3 x 3 blocks, on average, for which the listing is walked.

Measured on the default preset: walking takes about 11 ns per firm in the blocks,
counting about 2 ms a call plus 7-20 ns per firm (1,000 firms: 60 a searcher, walking
4x faster; 10,000: 410, 2x faster; 100,000: 4,000, counting 2x faster)."""


@dataclass(frozen=True, slots=True)
class _Blocks:
    """The pool sorted into blocks; :meth:`with_counts` adds running counts per cell."""

    side: int
    near: BoolArray  # (2 side, 2 side): a cell |dx|, |dy| away is within the radius
    table: BoolArray  # (3, 3, side, side, side**2): near_cells by offset and place
    origin: tuple[int, int, int]  # zone and block coordinates of block 0
    shape: tuple[int, int]  # blocks along x and y in one zone
    firms: IntArray  # pool firms sorted by block (pool order within a block)
    start: IntArray  # (n_blocks + 1,): block b holds firms[start[b]:start[b + 1]]
    counts: npt.NDArray[np.int32]  # (n + 1, side**2): firms before a position, by cell

    @classmethod
    def build(
        cls,
        pool: IntArray,
        searchers: IntArray,
        x: IntArray,
        y: IntArray,
        zone: IntArray,
        radius: float,
    ) -> _Blocks:
        """Bucket ``pool``; the block range covers every searcher's 3 x 3 neighbourhood."""
        side = max(1, int(np.ceil(radius)))
        reach = np.arange(2 * side)
        # the same test, on the same numbers, as hypot(x_s - x_c, y_s - y_c) <= radius
        near = np.hypot(reach[:, None], reach[None, :]) <= radius
        every = np.concatenate([pool, searchers])
        bx, by, z = x[every] // side, y[every] // side, zone[every]
        origin = (int(z.min()), int(bx.min()) - 1, int(by.min()) - 1)
        n_z = int(z.max()) - origin[0] + 1
        shape = (int(bx.max()) - origin[1] + 2, int(by.max()) - origin[2] + 2)
        px, py = x[pool] // side - origin[1], y[pool] // side - origin[2]
        block = ((zone[pool] - origin[0]) * shape[0] + px) * shape[1] + py  # as in block()
        order = np.argsort(block, kind="stable")
        start = np.searchsorted(block[order], np.arange(n_z * shape[0] * shape[1] + 1))
        none = np.zeros((0, 0), np.int32)
        return cls(side, near, np.zeros(0, bool), origin, shape, pool[order], start, none)

    def with_counts(self, x: IntArray, y: IntArray) -> _Blocks:
        """Return these blocks with per-cell running counts and the near-cell table."""
        side = self.side
        cell = (x[self.firms] % side) * side + y[self.firms] % side
        counts = np.zeros((self.firms.size + 1, side * side), np.int32)
        counts[np.arange(1, self.firms.size + 1), cell] = 1
        np.cumsum(counts, axis=0, out=counts)
        blocks = replace(self, counts=counts)
        if side <= TABLE_SIDE:
            d = np.arange(-1, 2)[:, None, None, None]
            p = np.arange(side)
            place_x, place_y = np.meshgrid(p, p, indexing="ij")
            table = blocks.near_cells(place_x, place_y, d, d.transpose(1, 0, 2, 3))
            blocks = replace(blocks, table=table)
        return blocks

    def block(
        self, x: IntArray, y: IntArray, zone: IntArray, dx: IntArray | int, dy: IntArray | int
    ) -> IntArray:
        """Index of the block (dx, dy) blocks away from the block of cell (x, y) in ``zone``."""
        z0, x0, y0 = self.origin
        n_x, n_y = self.shape
        bx = x // self.side + dx - x0
        return ((zone - z0) * n_x + bx) * n_y + (y // self.side + dy - y0)

    def near_cells(
        self, x: IntArray, y: IntArray, dx: IntArray | int, dy: IntArray | int
    ) -> BoolArray:
        """Cells of the block (dx, dy) blocks away from cell (x, y) within the radius.

        Arguments broadcast to one shape S; returns shape S + (side**2,), cells in the
        order of :attr:`counts`.
        """
        s = self.side
        if self.table.size:  # look the answer up by offset and place in the block
            return self.table[dx + 1, dy + 1, x % s, y % s]
        u = np.arange(s)
        cx = ((x // s + dx) * s)[..., None] + u
        cy = ((y // s + dy) * s)[..., None] + u
        ax, ay = np.abs(cx - x[..., None]), np.abs(cy - y[..., None])
        cells = self.near[ax[..., :, None], ay[..., None, :]]
        return cells.reshape(*cells.shape[:-2], s * s)


def sample_nearby(
    searchers: IntArray,
    pool: IntArray,
    x: IntArray,
    y: IntArray,
    radius: float,
    k: int,
    rng: np.random.Generator,
    zone: IntArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Up to k random firms of ``pool`` within ``radius`` cells of each searcher.

    Parameters
    ----------
    searchers : ndarray of int, shape (n,)
        Firm rows that search (listing order matters for the draws).
    pool : ndarray of int
        Distinct firm rows that may be found.
    x, y : ndarray of int
        Cell of every firm row.
    radius : float
        Reach, in cells (Euclidean).
    k : int
        Most firms found per searcher.
    rng : numpy.random.Generator
        Consumes one uniform draw per pair of the listing (module docstring).
    zone : ndarray of int, optional
        Zone of every firm row; a searcher finds firms of its zone only. Zone by zone,
        the draws and the output are those of one call per zone. Default: one zone.

    Returns
    -------
    (searcher, candidate) : ndarrays of int
        Pairs sorted by zone, searcher and key.
    """
    empty = np.zeros(0, np.int64)
    if k == 0 or searchers.size == 0 or pool.size == 0:
        return empty, empty.copy()
    zone = np.zeros(x.size, np.int64) if zone is None else zone
    searchers = searchers[np.argsort(zone[searchers], kind="stable")]
    k = min(k, pool.size)  # nobody finds more firms than the pool holds
    blocks = _Blocks.build(pool, searchers, x, y, zone, radius)
    qx, qy, qz = x[searchers], y[searchers], zone[searchers]
    dx, dy = OFFSETS[:, :1], OFFSETS[:, 1:]  # (9, 1): offsets down, searchers across
    b = blocks.block(qx, qy, qz, dx, dy)
    in_blocks = int((blocks.start[b + 1] - blocks.start[b]).sum())
    if in_blocks <= WALK_PER_SEARCHER * searchers.size:
        return _sample_by_walking(blocks, searchers, x, y, zone, k, rng)
    return _sample_by_counting(blocks.with_counts(x, y), searchers, b, x, y, zone, k, rng)


def _sample_by_counting(
    blocks: _Blocks,
    searchers: IntArray,
    b: IntArray,
    x: IntArray,
    y: IntArray,
    zone: IntArray,
    k: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Draw the sample from pair counts, without listing the pairs (module docstring)."""
    qx, qy, qz = x[searchers], y[searchers], zone[searchers]
    position = np.full(x.size, -1)
    position[blocks.firms] = np.arange(blocks.firms.size)
    own = position[searchers]  # where the searcher itself sits in the blocks (-1: not in pool)
    dx, dy = OFFSETS[:, :1], OFFSETS[:, 1:]
    in_block = blocks.counts[blocks.start[b + 1]] - blocks.counts[blocks.start[b]]
    pairs = (in_block * blocks.near_cells(qx, qy, dx, dy)).sum(axis=-1)  # (9, n)
    pairs[OWN_BLOCK] -= own >= 0
    offset, column = _listing_order(qz)
    first = np.concatenate([[0], np.cumsum(pairs[offset, column])])
    where, key = _smallest_keys(first, column, pairs.sum(axis=0), k, rng)
    group = np.searchsorted(first, where, "right") - 1
    o, i = offset[group], column[group]
    order = _by_searcher_then_key(key, _searcher_rank(searchers, qz)[i])
    o, i, rank = o[order], i[order], (where - first[group])[order]
    s = searchers[i]
    new_run = np.ones(s.size, bool)
    new_run[1:] = s[1:] != s[:-1]
    run_first = np.flatnonzero(new_run)[np.cumsum(new_run) - 1]
    keep = np.arange(s.size) - run_first < k
    o, i, rank = o[keep], i[keep], rank[keep]
    mine = np.where(o == OWN_BLOCK, own[i], -1)
    found = _resolve(blocks, qx[i], qy[i], qz[i], OFFSETS[o], rank, mine)
    return s[keep], found


def _sample_by_walking(
    blocks: _Blocks,
    searchers: IntArray,
    x: IntArray,
    y: IntArray,
    zone: IntArray,
    k: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Draw the sample by walking the listing pair by pair (module docstring)."""
    rank = _searcher_rank(searchers, zone[searchers])
    n_slots = int(rank.max()) + 1
    keys = np.full((n_slots, k), np.inf)
    found = np.full((n_slots, k), -1, np.int64)
    kept = np.zeros(n_slots, np.int64)
    firms = blocks.firms
    _walk_listing(
        searchers,
        x[searchers],
        y[searchers],
        zone[searchers],
        rank,
        firms,
        x[firms],
        y[firms],
        blocks.start,
        np.array(blocks.origin, np.int64),
        np.array(blocks.shape, np.int64),
        blocks.side,
        blocks.near,
        rng,
        keys,
        found,
        kept,
    )
    owner = np.empty(n_slots, np.int64)
    owner[rank] = searchers
    return np.repeat(owner, kept), found[np.arange(k) < kept[:, None]]


def _searcher_rank(searchers: IntArray, zone: IntArray) -> IntArray:
    """Rank of each searcher column in (zone, firm row) order; repeated firms share one."""
    order = np.lexsort((searchers, zone))
    step = np.ones(order.size, np.int64)
    step[0] = 0
    step[1:] = (searchers[order][1:] != searchers[order][:-1]) | (
        zone[order][1:] != zone[order][:-1]
    )
    rank = np.empty(order.size, np.int64)
    rank[order] = np.cumsum(step)
    return rank


def _by_searcher_then_key(key: FloatArray, rank: IntArray) -> IntArray:
    """Order by searcher rank, then key, then position: ``np.lexsort((key, rank))``.

    Two passes, each faster than lexsort: a sort by key (quicksort; stable only if two
    keys are equal), then a stable sort by rank (a radix sort when ranks fit 16 bits).
    """
    by_key = np.argsort(key)
    if (np.diff(key[by_key]) == 0).any():
        by_key = np.argsort(key, kind="stable")
    small = np.uint16 if rank.size == 0 or rank.max() < 1 << 16 else np.int64
    return by_key[np.argsort(rank[by_key].astype(small), kind="stable")]


def _listing_order(zone: IntArray) -> tuple[IntArray, IntArray]:
    """(offset, searcher column) of each group in listing order: zone, offset, searcher.

    ``zone`` is the (sorted) zone of each searcher column.
    """
    n_offsets = OFFSETS.shape[0]
    col = np.arange(zone.size)
    zone_start = np.searchsorted(zone, zone, "left")
    zone_size = np.searchsorted(zone, zone, "right") - zone_start
    o = np.arange(n_offsets)[:, None]
    slot = n_offsets * zone_start + o * zone_size + (col - zone_start)  # (9, n)
    offset, column = np.empty(slot.size, np.int64), np.empty(slot.size, np.int64)
    offset[slot.ravel()] = np.repeat(np.arange(n_offsets), zone.size)
    column[slot.ravel()] = np.tile(col, n_offsets)
    return offset, column


def _smallest_keys(
    first: IntArray, column: IntArray, per_searcher: IntArray, k: int, rng: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    """Positions and keys of a superset of each searcher's k smallest keys.

    ``first`` (G + 1,) holds the listing position of each group's first pair, ``column``
    each group's searcher and ``per_searcher`` the pairs of each searcher. Draws exactly
    ``first[-1]`` uniforms, leaving ``rng`` as one draw of them all would.
    """
    limit = KEEP_PER_K * k / np.maximum(per_searcher, 1)
    state = rng.bit_generator.state
    where, key = _scan(first, limit[column], rng)
    owner = column[np.searchsorted(first, where, "right") - 1]
    short = np.bincount(owner, minlength=limit.size) < np.minimum(k, per_searcher)
    if short.any():  # replay the same draws, keeping every key of these searchers
        rng.bit_generator.state = state
        where, key = _scan(first, np.where(short, np.inf, limit)[column], rng)
    return where, key


def _scan(
    first: IntArray, limit: FloatArray, rng: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    """Draw one key per listing position, in chunks; keep those below their group's limit."""
    total = int(first[-1])
    where, keys = [np.zeros(0, np.int64)], [np.zeros(0)]
    buffer = np.empty(min(CHUNK_KEYS, total))
    for a in range(0, total, CHUNK_KEYS):
        b = min(a + CHUNK_KEYS, total)
        u = rng.random(out=buffer[: b - a])
        hit = _below_limit(u, a, first, limit, int(np.searchsorted(first, a, "right")) - 1)
        where.append(a + hit)
        keys.append(u[hit])
    return np.concatenate(where), np.concatenate(keys)


@njit(cache=True, nogil=True)
def _below_limit(
    u: FloatArray, offset: int, first: IntArray, limit: FloatArray, g: int
) -> IntArray:
    """Return the indices i of ``u`` below the limit of the group of position offset + i.

    ``first`` holds each group's first position; position ``offset`` is in group ``g``.
    """
    out = np.empty(u.size, np.int64)
    n = 0
    for i in range(u.size):
        while first[g + 1] <= offset + i:
            g += 1
        if u[i] < limit[g]:
            out[n] = i
            n += 1
    return out[:n].copy()


def _resolve(
    blocks: _Blocks,
    x: IntArray,
    y: IntArray,
    zone: IntArray,
    offset: npt.NDArray[np.int64],
    rank: IntArray,
    own: IntArray,
) -> IntArray:
    """Firm of each (searcher at x, y; block offset; rank) pair; ``own``: searcher's spot.

    The firm at ``rank`` is the (rank + 1)-th firm of the block, in pool order, within the
    radius and not the searcher: binary search for the shortest block prefix holding
    rank + 1 of them.
    """
    dx, dy = offset[:, 0], offset[:, 1]
    b = blocks.block(x, y, zone, dx, dy)
    base = blocks.start[b]
    cells = blocks.near_cells(x, y, dx, dy).astype(np.int32)
    # running counts start at the first block: `before` of those lie before this block
    before = (blocks.counts[base] * cells).sum(axis=1)
    target = rank + before + 1
    lo, hi = np.zeros(b.size, np.int64), blocks.start[b + 1] - base
    # invariant: fewer than rank + 1 such firms in the first lo, at least in the first hi
    for _ in range(int(hi.max(initial=0)).bit_length()):
        mid = (lo + hi) // 2
        found = (blocks.counts[base + mid] * cells).sum(axis=1)
        found -= (own >= 0) & (own < base + mid)
        enough = found >= target
        hi = np.where(enough, mid, hi)
        lo = np.where(enough, lo, mid)
    return blocks.firms[base + hi - 1]


@njit(cache=True, nogil=True)
def _walk_listing(
    searchers: IntArray,
    qx: IntArray,
    qy: IntArray,
    qz: IntArray,
    slot: IntArray,
    firms: IntArray,
    fx: IntArray,
    fy: IntArray,
    start: IntArray,
    origin: IntArray,
    shape: IntArray,
    side: int,
    near: BoolArray,
    rng: np.random.Generator,
    keys: FloatArray,
    found: IntArray,
    kept: IntArray,
) -> None:
    """Draw a key for every pair in listing order; keep each slot's k smallest (sorted).

    Searchers come sorted by zone; ``slot`` is each searcher's rank in (zone, firm row)
    order. ``keys``, ``found`` (slots x k) and ``kept`` (slots) are filled in place.
    """
    k = keys.shape[1]
    n = searchers.size
    g0 = 0
    while g0 < n:  # one zone at a time
        g1 = g0
        while g1 < n and qz[g1] == qz[g0]:
            g1 += 1
        for o in range(9):
            dx, dy = o // 3 - 1, o % 3 - 1
            for i in range(g0, g1):
                bx = qx[i] // side + dx - origin[1]
                by = qy[i] // side + dy - origin[2]
                b = ((qz[i] - origin[0]) * shape[0] + bx) * shape[1] + by
                s = slot[i]
                for p in range(start[b], start[b + 1]):
                    if firms[p] == searchers[i] or not near[abs(fx[p] - qx[i]), abs(fy[p] - qy[i])]:
                        continue
                    u = rng.random()
                    m = kept[s]
                    if m == k:
                        if u >= keys[s, k - 1]:
                            continue
                        m = k - 1
                    else:
                        kept[s] = m + 1
                    while m > 0 and keys[s, m - 1] > u:  # equal keys: the earlier stays first
                        keys[s, m] = keys[s, m - 1]
                        found[s, m] = found[s, m - 1]
                        m -= 1
                    keys[s, m] = u
                    found[s, m] = firms[p]
        g0 = g1
