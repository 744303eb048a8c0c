r"""Random nearby firms: up to k firms of a pool within a radius of each searcher.

Definition: a searcher s finds a uniformly random set of min(k, m_s) distinct firms among
the m_s firms of the pool that lie within ``radius`` cells of it (Euclidean distance
between cells, :math:`\sqrt{dx^2 + dy^2} \le r`), belong to its zone (regions: a
searcher only finds firms of its own region) and are not the searcher itself; the firms
come in random order. Each of the :math:`\binom{m_s}{k}` sets is equally likely.

How it is drawn (:func:`clusterlab.model.kernels.draw_nearby`: a numpy reference and a numba twin
that draw the same firms from the same generator state): the pool is sorted by (zone, x,
y). The cells within the radius of a searcher form 2R + 1 rows (R = floor(r)), and the
firms of the searcher's zone in one row's span of cells are one contiguous run of the
sorted pool, found by binary search within the row. So m_s is counted without listing a
firm, and rank j (0 <= j < m_s, the searcher's own place skipped) is turned into a firm
by walking the row counts. The min(k, m_s) ranks are drawn without replacement (a
uniform u gives rank floor(u m)): by rejection of repeats when m_s is large compared
with k, by a partial Fisher-Yates shuffle otherwise.
Cost: about (2R + 1) binary searches and k + (a few) draws per searcher, whatever the
density of firms (a searcher in a 100,000-firm cluster core with thousands of firms in
reach costs what a searcher in the periphery does).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from clusterlab.model.kernels import draw_nearby
from clusterlab.model.kernels.reference_draws import SHUFFLE_PER_K
from clusterlab.model.ordering import stable_order

__all__ = ["SHUFFLE_PER_K", "row_spans", "sample_nearby"]

IntArray = npt.NDArray[np.int64]


def row_spans(radius: float) -> IntArray:
    """Half-width of the span of cells within ``radius`` in each row dx = -R..R.

    ``spans[R + dx]`` is the largest dy >= 0 with ``hypot(dx, dy) <= radius``: the same
    test on the same numbers as the distance between two cells. ``R = floor(radius)``.
    """
    reach = max(0, math.floor(radius))
    rows = np.arange(-reach, reach + 1)
    dy = np.arange(reach + 1)
    inside = np.hypot(rows[:, None], dy[None, :]) <= radius
    return inside.sum(axis=1).astype(np.int64) - 1  # rows are prefixes: dy = 0, 1, ...


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
        Firm rows that search; a row listed twice searches once.
    pool : ndarray of int
        Distinct firm rows that may be found.
    x, y : ndarray of int
        Cell of every firm row.
    radius : float
        Reach, in cells (Euclidean), at least 0.
    k : int
        Most firms found per searcher.
    rng : numpy.random.Generator
        Source of the draws (about k uniforms per searcher).
    zone : ndarray of int, optional
        Zone of every firm row; a searcher finds firms of its zone only. Default: one zone.

    Returns
    -------
    (searcher, candidate) : ndarrays of int
        Pairs sorted by the searcher's zone, then searcher row; each searcher's firms in
        the random order they were drawn.
    """
    empty = np.zeros(0, np.int64)
    if radius < 0 or not math.isfinite(radius):
        raise ValueError(f"radius must be a finite number >= 0, got {radius}")
    if k <= 0 or searchers.size == 0 or pool.size == 0:
        return empty, empty.copy()
    zone = np.zeros(x.size, np.int64) if zone is None else np.asarray(zone, np.int64)
    x, y = np.asarray(x, np.int64), np.asarray(y, np.int64)
    mark = np.zeros(x.size, bool)
    mark[searchers] = True
    searchers = np.flatnonzero(mark)  # sorted, each once (as np.unique)
    searchers = searchers[stable_order(zone[searchers])]
    spans = row_spans(radius)
    reach = spans.size // 2
    every = np.concatenate([pool, searchers])
    low = (int(zone[every].min()), int(x[every].min()) - reach, int(y[every].min()) - reach)
    size = (int(x[every].max()) + reach + 1 - low[1], int(y[every].max()) + reach + 1 - low[2])
    key = _cell_key(x[pool], y[pool], zone[pool], low, size)
    order = stable_order(key)
    firms, keys = np.asarray(pool, np.int64)[order], key[order]
    place = np.full(x.size, -1, np.int64)
    place[firms] = np.arange(firms.size)
    k = min(k, firms.size)  # nobody finds more firms than the pool holds
    found = np.empty(searchers.size * k, np.int64)
    kept = np.zeros(searchers.size, np.int64)
    n_rows = (int(zone[every].max()) + 1 - low[0]) * size[0]
    row_first = np.searchsorted(keys, np.arange(n_rows + 1) * size[1])
    draw_nearby(
        _cell_key(x[searchers], y[searchers], zone[searchers], low, size),
        place[searchers],
        firms,
        keys,
        row_first,
        spans,
        size[1],
        k,
        rng,
        found,
        kept,
    )
    keep = np.arange(k) < kept[:, None]
    return np.repeat(searchers, kept), found.reshape(-1, k)[keep]


def _cell_key(
    x: IntArray, y: IntArray, zone: IntArray, low: tuple[int, int, int], size: tuple[int, int]
) -> IntArray:
    """Sort key of (zone, x, y): cells of one zone and row are consecutive keys."""
    return ((zone - low[0]) * size[0] + (x - low[1])) * size[1] + (y - low[2])
