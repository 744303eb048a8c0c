r"""Numba twin of the supplier draw: successive sampling by rejection from ring envelopes.

An optional accelerator of :func:`clusterlab.model.kernels.reference_draws.draw_suppliers` (the
numpy reference, which draws the same distribution densely with the Gumbel top-k trick),
imported only when the numba backend is selected (:mod:`clusterlab.model.kernels`). It draws with a
few random numbers per winner instead of one per pair:

1. candidates are bucketed into square blocks of side about :math:`\lambda`
   (``BLOCK_SCALES``), listed twice, block row by block row and block column by block
   column, with running sums of size, so the total size of any run of blocks along a row
   or a column is a difference of two sums;
2. around customer i, the blocks at Chebyshev block distance r form a ring of four
   *strips* (a row above, a row below, a column left, a column right); the distance from
   i to any cell of a strip is at least the strip's distance along one axis,
   :math:`\delta`, so :math:`S \, e^{-\delta/\lambda}` (S the strip's total size) bounds
   the strip's total weight. Rings are added outwards until the weight outside them is
   bounded by a small share (``TAIL_SHARE``) of the strips' bounds; four more strips
   then cover everything outside (whole block rows above and below, whole block columns
   left and right, whose candidates above or below the rings are rejected);
3. a proposal takes a strip with probability proportional to its bound, a candidate of
   the strip with probability proportional to its size (binary search in the running
   sums) and accepts it with probability :math:`e^{-(d_{ij} - \delta)/\lambda}`; an
   accepted candidate that is excluded or already drawn is rejected. Every accepted
   proposal is thus candidate j with probability proportional to :math:`w_{ij}` among
   those still allowed, which is successive sampling;
4. after ``MAX_FAILS`` proposals in a row without a winner (most of the weight excluded
   or drawn), the customer is finished exactly by drawing each remaining winner with
   probability proportional to its weight among all its remaining candidates.

Sizes are summed in floating point, so probabilities are exact up to rounding (relative
errors about 1e-13).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["draw_suppliers"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_ROW, _COL, _SIDE = 0, 1, 2
"""Strip kinds: a run of the block-row listing, of the block-column listing, or of the
block-column listing whose candidates outside the rings' rows are rejected."""


@njit(cache=True, nogil=True)
def draw_suppliers(
    cx: IntArray,
    cy: IntArray,
    px: IntArray,
    py: IntArray,
    need: IntArray,
    taken_start: IntArray,
    taken_col: IntArray,
    customer_start: IntArray,
    candidate_start: IntArray,
    size: FloatArray,
    scale: float,
    block_scales: float,
    max_blocks: int,
    tail_share: float,
    max_fails: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Every customer's winners, group by group (:func:`successive_sample`)."""
    m = cx.size
    excluded = np.zeros(px.size, np.bool_)
    want = np.zeros(m, np.int64)
    # taken candidates of each customer, within its group's and each once
    start = np.zeros(m + 1, np.int64)
    column = np.empty(taken_col.size, np.int64)
    for g in range(customer_start.size - 1):
        for i in range(customer_start[g], customer_start[g + 1]):
            start[i + 1] = start[i]
            for p in range(taken_start[i], taken_start[i + 1]):
                c = taken_col[p]
                if candidate_start[g] <= c < candidate_start[g + 1] and not excluded[c]:
                    excluded[c] = True
                    column[start[i + 1]] = c
                    start[i + 1] += 1
            free = candidate_start[g + 1] - candidate_start[g] - (start[i + 1] - start[i])
            want[i] = max(0, min(need[i], free))
            for p in range(start[i], start[i + 1]):
                excluded[column[p]] = False
    offset = np.zeros(m + 1, np.int64)
    for i in range(m):
        offset[i + 1] = offset[i] + want[i]
    out_row = np.empty(offset[m], np.int64)
    out_col = np.empty(offset[m], np.int64)
    for g in range(customer_start.size - 1):
        first, stop = candidate_start[g], candidate_start[g + 1]
        if first == stop or customer_start[g] == customer_start[g + 1]:
            continue
        side = max(1, math.ceil(block_scales * scale))
        x, y = px[first:stop], py[first:stop]
        span = max(x.max() - x.min(), y.max() - y.min())
        while (span // side + 1) ** 2 > max_blocks:
            side *= 2
        _draw_group(
            customer_start[g], customer_start[g + 1], first,
            cx, cy, px[first:stop], py[first:stop], size[first:stop], scale, side,
            start, column, want, offset, excluded[first:stop],
            tail_share, max_fails, out_row, out_col, rng,
        )  # fmt: skip
    return out_row, out_col


@njit(cache=True, nogil=True)
def _listing(key: IntArray, n_keys: int, size: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Sort candidates by block key (counting sort): order, start per key, running size."""
    start = np.zeros(n_keys + 1, np.int64)
    for j in range(key.size):
        start[key[j] + 1] += 1
    for b in range(n_keys):
        start[b + 1] += start[b]
    fill = start[:-1].copy()
    order = np.empty(key.size, np.int64)
    for j in range(key.size):
        order[fill[key[j]]] = j
        fill[key[j]] += 1
    running = np.zeros(key.size + 1)
    for p in range(key.size):
        running[p + 1] = running[p] + size[order[p]]
    return order, start, running


@njit(cache=True, nogil=True)
def _draw_group(
    customer_first: int,
    customer_stop: int,
    shift: int,
    cx: IntArray,
    cy: IntArray,
    px: IntArray,
    py: IntArray,
    size: FloatArray,
    scale: float,
    side: int,
    taken_start: IntArray,
    taken_col: IntArray,
    want: IntArray,
    offset: IntArray,
    excluded: BoolArray,
    tail_share: float,
    max_fails: int,
    out_row: IntArray,
    out_col: IntArray,
    rng: np.random.Generator,
) -> None:
    """Winners of customers ``customer_first:customer_stop`` (module docstring).

    Candidates (``px``, ``py``, ``size``, ``excluded``) are the group's; taken columns and
    output columns are shifted by ``shift``, the group's first candidate.
    """
    x0, y0 = px.min(), py.min()
    nbx, nby = (px.max() - x0) // side + 1, (py.max() - y0) // side + 1
    grid = np.array([x0, y0, nbx, nby, side])
    bx, by = (px - x0) // side, (py - y0) // side
    row_order, row_start, row_run = _listing(by * nbx + bx, nbx * nby, size)
    col_order, col_start, col_run = _listing(bx * nby + by, nbx * nby, size)
    listings, starts, runs = (row_order, col_order), (row_start, col_start), (row_run, col_run)
    most = 4 * (max(nbx, nby) + 3)
    strip = np.empty((most, 3), np.int64)  # kind, run [lo, hi) of its listing
    dist = np.empty(most)  # distance along its axis
    cum = np.empty(most)  # running sum of the bounds
    factor = np.empty(4)
    distances = np.empty(px.size)  # dense finish
    for i in range(customer_first, customer_stop):
        out_row[offset[i] : offset[i + 1]] = i
        if want[i] == 0:
            continue
        taken = taken_col[taken_start[i] : taken_start[i + 1]]
        _mark(excluded, taken, shift, True)
        strips, ring = _envelope(
            cx[i], cy[i], grid, starts, runs, scale, tail_share, strip, dist, cum, factor
        )
        out = out_col[offset[i] : offset[i + 1]]
        _draw_winners(
            cx[i], cy[i], px, py, size, scale, grid, listings, runs, strip, dist, cum,
            strips, ring, excluded, max_fails, distances, out, rng,
        )  # fmt: skip
        _mark(excluded, out, 0, False)
        _mark(excluded, taken, shift, False)
        out += shift


@njit(cache=True, nogil=True, inline="always")
def _mark(excluded: BoolArray, columns: IntArray, shift: int, value: bool) -> None:
    """Set ``excluded`` at ``columns - shift``."""
    for c in columns:
        excluded[c - shift] = value


@njit(cache=True, nogil=True, inline="always")
def _envelope(
    xi: int,
    yi: int,
    grid: IntArray,
    starts: tuple[IntArray, IntArray],
    runs: tuple[FloatArray, FloatArray],
    scale: float,
    tail_share: float,
    strip: IntArray,
    dist: FloatArray,
    cum: FloatArray,
    factor: FloatArray,
) -> tuple[int, int]:
    r"""Fill the strips of customer (xi, yi)'s envelope (module docstring, step 2).

    The bound of a strip at distance :math:`\delta` is its size times
    :math:`e^{-(\delta - \mathrm{ref})/\lambda}`, ref the distance of the first non-empty
    strip (so that no bound underflows); ``factor`` holds that exponential for each edge of
    the next ring, shrunk by :math:`e^{-\mathrm{side}/\lambda}` a ring (no exponential a
    ring). Returns the strip count and the last ring.
    """
    x0, y0, nbx, nby, side = grid[0], grid[1], grid[2], grid[3], grid[4]
    cbx, cby = (xi - x0) // side, (yi - y0) // side
    # a ring r strip's distance along its axis is base + r * side
    base = (
        y0 + cby * side - yi,  # row above
        yi - (y0 + cby * side + side - 1),  # row below
        xi - (x0 + cbx * side + side - 1),  # column left
        x0 + cbx * side - xi,  # column right
    )
    shrink = math.exp(-side / scale)
    total = runs[0][-1]
    ring = max(0, -cbx, cbx - (nbx - 1), -cby, cby - (nby - 1))  # first with blocks
    last = max(cbx, nbx - 1 - cbx, cby, nby - 1 - cby)  # holds the farthest block
    strips = 0
    inside = 0.0
    ref = -1.0
    while True:
        for edge in range(4 if ring > 0 else 1):
            listing, first, stop = _ring_strip(edge, ring, cbx, cby, nbx, nby, starts)
            if first == stop:
                continue
            delta = 0.0 if ring == 0 else float(base[edge] + ring * side)
            if ref < 0.0:
                ref = delta
                for e in range(4):
                    factor[e] = math.exp(-(base[e] + ring * side - ref) / scale)
            weight = runs[listing][stop] - runs[listing][first]
            inside += weight
            bound = weight if ring == 0 else weight * factor[edge]
            strips = _append(strip, dist, cum, strips, listing, first, stop, delta, bound)
        factor *= shrink  # unset (and unused) until ref is set
        if ring >= last:
            return strips, ring
        # factor.max() is exp(-(distance to anything outside the rings - ref) / scale)
        if ref >= 0.0 and (total - inside) * factor.max() <= tail_share * cum[strips - 1]:
            for edge in range(4):
                kind, first, stop = _outside_strip(edge, ring, cbx, cby, nbx, nby, starts)
                run = runs[min(kind, _COL)]
                bound = (run[stop] - run[first]) * factor[edge]
                delta = float(base[edge] + (ring + 1) * side)
                strips = _append(strip, dist, cum, strips, kind, first, stop, delta, bound)
            return strips, ring
        ring += 1


@njit(cache=True, nogil=True, inline="always")
def _ring_strip(
    edge: int,
    ring: int,
    cbx: int,
    cby: int,
    nbx: int,
    nby: int,
    starts: tuple[IntArray, IntArray],
) -> tuple[int, int, int]:
    """Find the listing and run of an edge of a ring: row above, below, column left, right.

    The rows span the ring's block columns, the columns its block rows but the corners.
    """
    if edge < 2:
        b = cby + ring if edge == 0 else cby - ring
        a0, a1 = max(0, cbx - ring), min(nbx - 1, cbx + ring)
        if b < 0 or b >= nby or a0 > a1:
            return _ROW, 0, 0
        return _ROW, starts[_ROW][b * nbx + a0], starts[_ROW][b * nbx + a1 + 1]
    b = cbx - ring if edge == 2 else cbx + ring
    a0, a1 = max(0, cby - ring + 1), min(nby - 1, cby + ring - 1)
    if b < 0 or b >= nbx or a0 > a1:
        return _COL, 0, 0
    return _COL, starts[_COL][b * nby + a0], starts[_COL][b * nby + a1 + 1]


@njit(cache=True, nogil=True, inline="always")
def _outside_strip(
    edge: int,
    ring: int,
    cbx: int,
    cby: int,
    nbx: int,
    nby: int,
    starts: tuple[IntArray, IntArray],
) -> tuple[int, int, int]:
    """Find the kind and run of one of four strips covering all blocks outside the rings.

    Whole block rows above and below the rings, whole block columns left and right of
    them (kind ``_SIDE``: their candidates in the rows above or below are rejected when
    drawn, the row strips have them).
    """
    nb = nbx * nby
    if edge == 0:
        return _ROW, starts[_ROW][min(max(cby + ring + 1, 0), nby) * nbx], starts[_ROW][nb]
    if edge == 1:
        return _ROW, 0, starts[_ROW][min(max(cby - ring, 0), nby) * nbx]
    if edge == 2:
        return _SIDE, 0, starts[_COL][min(max(cbx - ring, 0), nbx) * nby]
    return _SIDE, starts[_COL][min(max(cbx + ring + 1, 0), nbx) * nby], starts[_COL][nb]


@njit(cache=True, nogil=True, inline="always")
def _append(
    strip: IntArray,
    dist: FloatArray,
    cum: FloatArray,
    strips: int,
    kind: int,
    first: int,
    stop: int,
    delta: float,
    weight: float,
) -> int:
    """Append a strip and its bound unless its run is empty; returns the strip count."""
    if first >= stop:
        return strips
    strip[strips, 0] = kind
    strip[strips, 1] = first
    strip[strips, 2] = stop
    dist[strips] = delta
    cum[strips] = weight + (cum[strips - 1] if strips > 0 else 0.0)
    return strips + 1


@njit(cache=True, nogil=True, inline="always")
def _draw_winners(
    xi: int,
    yi: int,
    px: IntArray,
    py: IntArray,
    size: FloatArray,
    scale: float,
    grid: IntArray,
    listings: tuple[IntArray, IntArray],
    runs: tuple[FloatArray, FloatArray],
    strip: IntArray,
    dist: FloatArray,
    cum: FloatArray,
    strips: int,
    ring: int,
    excluded: BoolArray,
    max_fails: int,
    distances: FloatArray,
    out: IntArray,
    rng: np.random.Generator,
) -> None:
    """Draw ``out.size`` winners into ``out`` (module docstring, steps 3 and 4)."""
    total = cum[strips - 1] if strips > 0 else 0.0
    cby = (yi - grid[1]) // grid[4]
    got = 0
    fails = 0
    while got < out.size:
        if fails >= max_fails or not total > 0.0:
            _finish_densely(xi, yi, px, py, size, scale, excluded, distances, out[got:], rng)
            return
        s = _first_above(cum, strips, rng.random() * total)
        kind, first, stop = strip[s, 0], strip[s, 1], strip[s, 2]
        run = runs[min(kind, _COL)]
        target = run[first] + rng.random() * (run[stop] - run[first])
        j = listings[min(kind, _COL)][_search(run, first, stop, target)]
        fails += 1
        if kind == _SIDE and abs((py[j] - grid[1]) // grid[4] - cby) > ring:
            continue  # a corner outside the rings: the strip above or below has it
        excess = math.hypot(float(xi - px[j]), float(yi - py[j])) - dist[s]
        if (excess > 0.0 and rng.random() >= math.exp(-excess / scale)) or excluded[j]:
            continue
        excluded[j] = True
        out[got] = j
        got += 1
        fails = 0


@njit(cache=True, nogil=True, inline="always")
def _search(run: FloatArray, first: int, stop: int, value: float) -> int:
    """Last index p in [first, stop) with ``run[p] <= value`` (``first`` if none)."""
    a, b = first, stop - 1
    while a < b:
        mid = (a + b + 1) // 2
        if run[mid] <= value:
            a = mid
        else:
            b = mid - 1
    return a


@njit(cache=True, nogil=True, inline="always")
def _first_above(cum: FloatArray, count: int, value: float) -> int:
    """First index k < ``count`` with ``cum[k] > value`` (``count - 1`` if none)."""
    a, b = 0, count - 1
    while a < b:
        mid = (a + b) // 2
        if cum[mid] > value:
            b = mid
        else:
            a = mid + 1
    return a


@njit(cache=True, nogil=True)
def _finish_densely(
    xi: int,
    yi: int,
    px: IntArray,
    py: IntArray,
    size: FloatArray,
    scale: float,
    excluded: BoolArray,
    distances: FloatArray,
    out: IntArray,
    rng: np.random.Generator,
) -> None:
    """Draw ``out.size`` more winners into ``out``, one by one, densely.

    Each winner is drawn with probability proportional to its weight among all candidates
    not excluded, then marked excluded. Weights are taken relative to the nearest allowed
    candidate, again at every draw, so that none underflows to zero while a winner is
    still needed.
    """
    n = px.size
    for j in range(n):
        distances[j] = math.hypot(float(xi - px[j]), float(yi - py[j]))
    for q in range(out.size):
        near = np.inf
        for j in range(n):
            if not excluded[j] and distances[j] < near:
                near = distances[j]
        total = 0.0
        for j in range(n):
            if not excluded[j]:
                total += size[j] * math.exp(-(distances[j] - near) / scale)
        v = rng.random() * total
        pick = -1
        for j in range(n):
            if not excluded[j]:
                pick = j  # the last allowed one, should rounding leave v unspent
                v -= size[j] * math.exp(-(distances[j] - near) / scale)
                if v < 0.0:
                    break
        excluded[pick] = True
        out[q] = pick
