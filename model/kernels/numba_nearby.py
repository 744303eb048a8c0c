"""Numba twin of the nearby-firm draw.

See :func:`clusterlab.model.kernels.reference_draws.draw_nearby`.

An optional accelerator, imported only when the numba backend is selected
(:mod:`clusterlab.model.kernels`). It consumes the generator's uniforms in the same order as the
numpy reference, so the two return the same firms for the same generator state.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from clusterlab.model.kernels.reference_draws import SHUFFLE_PER_K

__all__ = ["draw_nearby"]

IntArray = npt.NDArray[np.int64]


@njit(cache=True, nogil=True)
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
    (:func:`row_spans`) and ``row_size`` the keys in one row.
    """
    n_rows = spans.size
    reach = n_rows // 2
    lo = np.empty(n_rows, np.int64)
    before = np.empty(n_rows + 1, np.int64)  # firms in reach in the rows before each row
    ranks = np.empty(SHUFFLE_PER_K * k, np.int64)
    for s in range(centre.size):
        _count_rows(centre[s], keys, row_first, spans, row_size, lo, before)
        m = before[n_rows]
        skip = m  # rank of the searcher itself among the firms in reach (m: none)
        if own[s] >= 0:
            skip = before[reach] + own[s] - lo[reach]
            m -= 1
        t = min(k, m)
        _draw_ranks(m, t, rng, ranks)
        for j in range(t):
            rank = ranks[j] + (ranks[j] >= skip)
            r = 0
            while before[r + 1] <= rank:
                r += 1
            found[s * k + j] = firms[lo[r] + rank - before[r]]
        kept[s] = t


@njit(cache=True, nogil=True)
def _count_rows(
    centre: int,
    keys: IntArray,
    row_first: IntArray,
    spans: IntArray,
    row_size: int,
    lo: IntArray,
    before: IntArray,
) -> None:
    """Fill ``lo`` (first firm of each row's span) and ``before`` (running counts)."""
    reach = spans.size // 2
    before[0] = 0
    for r in range(spans.size):
        cell = centre + (r - reach) * row_size
        row = cell // row_size
        end = row_first[row + 1]
        lo[r] = _first_at_least(keys, cell - spans[r], row_first[row], end)
        hi = _first_at_least(keys, cell + spans[r] + 1, lo[r], end)
        before[r + 1] = before[r] + hi - lo[r]


@njit(cache=True, nogil=True)
def _draw_ranks(m: int, t: int, rng: np.random.Generator, ranks: IntArray) -> None:
    """Fill ``ranks[:t]`` with t distinct uniform ranks of 0..m-1, in random order."""
    if m <= ranks.size:  # partial Fisher-Yates shuffle of 0..m-1
        for j in range(m):
            ranks[j] = j
        for j in range(t):
            i = j + _below(m - j, rng)
            ranks[i], ranks[j] = ranks[j], ranks[i]
        return
    for j in range(t):  # few ranks among many: redraw repeats
        repeat = True
        while repeat:
            ranks[j] = _below(m, rng)
            repeat = False
            for i in range(j):
                if ranks[i] == ranks[j]:
                    repeat = True
                    break


@njit(cache=True, nogil=True)
def _below(m: int, rng: np.random.Generator) -> int:
    """Draw a uniform integer in 0..m-1: a uniform double times m, rounded down.

    Each integer's probability is 1/m within a relative 2**-53 m (the doubles are a grid
    of 2**53 values), far below anything a run can detect; numba's ``rng.integers`` is
    about 15 times slower.
    """
    return min(int(rng.random() * m), m - 1)


@njit(cache=True, nogil=True)
def _first_at_least(keys: IntArray, value: int, lo: int, hi: int) -> int:
    """Index of the first of the sorted ``keys[lo:hi]`` that is >= ``value`` (else hi)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo
