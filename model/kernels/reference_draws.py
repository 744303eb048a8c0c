r"""Numpy reference draws: nearby firms, suppliers.

See :mod:`clusterlab.model.nearby`, :mod:`clusterlab.model.sampling`.

The source of truth of the two random draws of the model; the numba twins
(:mod:`clusterlab.model.kernels.numba_nearby`, :mod:`clusterlab.model.kernels.numba_sampling`) are
optional accelerators.

- :func:`draw_nearby` consumes the generator's uniforms exactly as its twin does (one
  ``rng.random()`` per rank, in the same order), so the two return the same firms from
  the same generator state: the tests compare them element by element.
- :func:`draw_suppliers` draws successive sampling with the Gumbel top-k trick, densely
  (one Gumbel variate per customer and candidate; Vieira 2014; Kool, van Hoof & Welling
  2019, ICML, 3499-3508): the ordered top-m of :math:`\log w_{ij} + G_{ij}` is a draw of m
  winners without replacement, each proportional to its weight among those not drawn
  yet. Its twin draws the same distribution by rejection, with other random numbers, so
  the tests compare the two by frequencies, not element by element.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["SHUFFLE_PER_K", "draw_nearby", "draw_suppliers"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

SHUFFLE_PER_K = 4
"""Searchers with at most this many times k firms in reach draw by a partial shuffle."""

CHUNK = 1 << 20
"""Most customer-candidate pairs :func:`draw_suppliers` holds at once."""


def draw_nearby(
    centre: IntArray,
    own: IntArray,
    firms: IntArray,
    keys: IntArray,
    row_first: IntArray,
    spans: IntArray,
    row_size: int,
    k: int,
    rng: np.random.Generator,
    found: IntArray,
    kept: IntArray,
) -> None:
    """Fill ``found`` (searchers x k, flat) and ``kept`` (firms found per searcher).

    ``centre`` is each searcher's cell key, ``own`` its place in the sorted pool (-1: not
    in the pool), ``firms``/``keys`` the pool sorted by cell key, ``row_first`` the place
    of each (zone, x) row's first firm, ``spans`` the half-width of each row of the disc
    (:func:`clusterlab.model.nearby.row_spans`) and ``row_size`` the keys in one row. Firms in reach
    are counted row by row (binary search, all searchers at once); ranks among them are
    drawn per searcher (:func:`_draw_ranks`) and mapped back to firms.
    """
    n_rows = spans.size
    reach = n_rows // 2
    cell = centre[:, None] + (np.arange(n_rows) - reach) * row_size
    row = cell // row_size
    end = row_first[row + 1]
    lo = np.clip(np.searchsorted(keys, cell - spans), row_first[row], end)
    hi = np.clip(np.searchsorted(keys, cell + spans + 1), lo, end)
    before = np.zeros((centre.size, n_rows + 1), np.int64)
    np.cumsum(hi - lo, axis=1, out=before[:, 1:])
    inside = own >= 0
    skip = np.where(inside, before[:, reach] + own - lo[:, reach], before[:, n_rows])
    m = before[:, n_rows] - inside
    t = np.minimum(k, m)
    for s in range(centre.size):
        ranks = _draw_ranks(int(m[s]), int(t[s]), SHUFFLE_PER_K * k, rng)
        ranks += ranks >= skip[s]
        r = np.searchsorted(before[s, 1:], ranks, side="right")
        found[s * k : s * k + ranks.size] = firms[lo[s, r] + ranks - before[s, r]]
    kept[:] = t


def _draw_ranks(m: int, t: int, shuffle_up_to: int, rng: np.random.Generator) -> IntArray:
    """Draw t distinct uniform ranks of 0..m-1, in random order, one uniform each.

    A partial Fisher-Yates shuffle where m <= ``shuffle_up_to``, otherwise uniform draws
    with repeats drawn again. Rank ``floor(u m)`` (at most m - 1) of a uniform u.
    """
    if m <= shuffle_up_to:
        ranks = np.arange(m)
        pick = np.minimum((rng.random(t) * (m - np.arange(t))).astype(np.int64), m - 1)
        for j in range(t):
            i = j + min(int(pick[j]), m - j - 1)
            ranks[i], ranks[j] = ranks[j], ranks[i]
        return ranks[:t]
    kept: list[int] = []
    seen: set[int] = set()
    while len(kept) < t:  # a batch of the ranks still missing; repeats are dropped
        for value in np.minimum((rng.random(t - len(kept)) * m).astype(np.int64), m - 1):
            if int(value) not in seen:
                seen.add(int(value))
                kept.append(int(value))
    return np.array(kept, np.int64)


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
    """Every customer's winners, group by group.

    See :func:`clusterlab.model.sampling.successive_sample`.

    Customer i gets ``min(need[i], allowed candidates)`` winners of its group, in drawing
    order. ``block_scales``, ``max_blocks``, ``tail_share`` and ``max_fails`` tune the
    numba twin's envelopes and are not used here (the dense draw needs no tuning).
    """
    del block_scales, max_blocks, tail_share, max_fails
    m = cx.size
    group = np.repeat(np.arange(customer_start.size - 1), np.diff(customer_start))
    owner = np.repeat(np.arange(m), np.diff(taken_start))
    within = (taken_col >= candidate_start[group[owner]]) & (
        taken_col < candidate_start[group[owner] + 1]
    )
    pairs = np.unique(np.column_stack([owner, taken_col])[within], axis=0)
    n_taken = np.bincount(pairs[:, 0], minlength=m)
    free = np.diff(candidate_start)[group] - n_taken
    want = np.maximum(0, np.minimum(need, free))
    offset = np.zeros(m + 1, np.int64)
    np.cumsum(want, out=offset[1:])
    out_col = np.empty(offset[m], np.int64)
    for g in range(customer_start.size - 1):
        first, stop = int(candidate_start[g]), int(candidate_start[g + 1])
        step = max(1, CHUNK // max(1, stop - first))
        for c0 in range(int(customer_start[g]), int(customer_start[g + 1]), step):
            c1 = min(c0 + step, int(customer_start[g + 1]))
            if offset[c1] > offset[c0]:
                customers = np.arange(c0, c1)
                key = _gumbel_keys(customers, cx, cy, px, py, size, scale, first, stop, rng)
                excluded = pairs[(pairs[:, 0] >= c0) & (pairs[:, 0] < c1)]
                key[excluded[:, 0] - c0, excluded[:, 1] - first] = -np.inf
                out_col[offset[c0] : offset[c1]] = first + _top(key, want[c0:c1])
    return np.repeat(np.arange(m), want), out_col


def _gumbel_keys(
    customers: IntArray,
    cx: IntArray,
    cy: IntArray,
    px: IntArray,
    py: IntArray,
    size: FloatArray,
    scale: float,
    first: int,
    stop: int,
    rng: np.random.Generator,
) -> FloatArray:
    r"""Perturbed log weights :math:`\log s_j - d_{ij}/\lambda + G_{ij}`, candidates first:stop."""
    dx = cx[customers, None] - px[None, first:stop]
    dy = cy[customers, None] - py[None, first:stop]
    key = np.log(size[first:stop]) - np.hypot(dx, dy) / scale
    return key + rng.gumbel(size=key.shape)


def _top(key: FloatArray, want: IntArray) -> IntArray:
    """Pick the ``want[i]`` columns of row i with the largest keys, largest first, row by row."""
    most = int(want.max())
    if most < key.shape[1]:
        part = np.argpartition(-key, most - 1, axis=1)[:, :most]
    else:
        part = np.broadcast_to(np.arange(key.shape[1]), key.shape)
    order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    return top[np.arange(top.shape[1]) < want[:, None]]
