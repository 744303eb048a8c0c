r"""Gumbel top-k sampling of distance-decayed suppliers, drawn densely, evaluated lazily.

Each customer i draws up to k suppliers without replacement among candidates j, with
weights :math:`w_{ij} = \exp(s_j - d_{ij} / \lambda)` (:math:`s_j` the log size,
:math:`d_{ij}` the distance in cells): every pair gets the key
:math:`\log w_{ij} + G_{ij}`, :math:`G_{ij}` standard Gumbel drawn row by row by
``Generator.gumbel``, and the k largest keys win, in decreasing order (the Gumbel top-k
trick; Vieira 2014, Kool et al. 2019).

:func:`dense_top_k` computes every key: two logarithms and a distance per pair, which
at 100,000 firms means tens of millions of pairs a year. Far candidates almost never
win, so :func:`top_k` draws the same uniforms (``gumbel`` uses one per pair, as
:math:`G = -\log(-\log(1 - u))`) but computes keys only where they can matter, customer
by customer in compiled code (:func:`_lazy_rows`):

1. candidates are bucketed into square blocks of side :math:`2\lambda`; for each block b
   the largest log weight any of its candidates can have, :math:`B_b` (largest log size
   in b, at the distance of b's nearest cell), is an upper bound of their log weights;
2. the blocks next to the customer come first; once k keys are kept, with kappa the
   k-th largest, a candidate in block b can enter only if its Gumbel exceeds
   :math:`\kappa - B_b`, a condition on its uniform alone (one comparison per pair);
3. keys of the pairs that pass are computed as ``gumbel`` computes them (the C library's
   logarithm) and the k largest are kept, in decreasing order.

Bounds carry a slack of ``MARGIN``, so rounding never drops a winner: the result is that
of :func:`dense_top_k`, bit for bit (ties between keys, probability about 1e-16 a pair,
aside). A zero uniform, which ``gumbel`` rejects and draws again (probability 2**-53 a
draw), sends its block of customers to :func:`dense_top_k`.

References
----------
Vieira, T. (2014). Gumbel-max trick and weighted reservoir sampling.
https://timvieira.github.io/blog/post/2014/08/01/gumbel-max-trick-and-weighted-reservoir-sampling/

Kool, W., van Hoof, H., & Welling, M. (2019). Stochastic beams and where to find them:
the Gumbel-top-k trick for sampling sequences without replacement. ICML, 3499-3508.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["dense_top_k", "top_k"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MARGIN = 1e-6
"""Slack of the bounds, in key units (rounding errors are below 1e-13)."""

LIMIT_EXP_FROM = 4.0
"""From this Gumbel on, a bound's uniform limit is taken as exp(-g), above the exact
1 - exp(-exp(-g)) by less than 1% (it only admits a few more pairs)."""

BLOCK_SCALES = 2
"""Side of the candidate blocks, in decay lengths lambda."""

BLOCK_MIN_PAIRS = 1 << 13
"""Below this many pairs all candidates form one block."""

_ALL = 1 << 40
"""A block side larger than any grid: one block holds every candidate."""

CHUNK_PAIRS = 1 << 21
"""Customer-candidate pairs whose uniforms are drawn at once (bounds memory)."""


def dense_top_k(
    customer_xy: tuple[IntArray, IntArray],
    candidate_xy: tuple[IntArray, IntArray],
    log_size: FloatArray,
    scale: float,
    k: int,
    rng: np.random.Generator,
    taken: BoolArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Top-k candidates of each customer by Gumbel key, computing every key.

    Parameters
    ----------
    customer_xy, candidate_xy : (x, y) pairs of int arrays, shapes (m,) and (n,)
        Cells of customers and candidates.
    log_size : ndarray, shape (n,)
        Log size of each candidate.
    scale : float
        Distance decay length lambda, in cells.
    k : int
        Winners per customer (at most).
    rng : numpy.random.Generator
        Draws one Gumbel per (customer, candidate), row by row.
    taken : ndarray of bool, shape (m, n), optional
        Pairs that may not win (key minus infinity).

    Returns
    -------
    (row, column) : ndarrays of int
        Winners, row by row, each row's in decreasing key order; never a taken pair.
    """
    (cx, cy), (px, py) = customer_xy, candidate_xy
    log_w = log_size[None, :] - np.hypot(cx[:, None] - px, cy[:, None] - py) / scale
    if taken is not None:
        log_w = np.where(taken, -np.inf, log_w)
    keys = log_w + rng.gumbel(size=log_w.shape)
    if k < px.size:  # the k largest keys, then ordered among themselves
        top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
        pick = np.take_along_axis(
            top, np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1), axis=1
        )
    else:
        pick = np.argsort(-keys, axis=1, kind="stable")
    finite = np.isfinite(np.take_along_axis(keys, pick, axis=1))
    rows = np.broadcast_to(np.arange(cx.size)[:, None], pick.shape)
    return rows[finite], pick[finite]


def top_k(
    customer_xy: tuple[IntArray, IntArray],
    candidate_xy: tuple[IntArray, IntArray],
    log_size: FloatArray,
    scale: float,
    k: int,
    rng: np.random.Generator,
    taken: BoolArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Return what :func:`dense_top_k` returns, with the same draws, computing few keys.

    Customers are taken in blocks of about ``CHUNK_PAIRS`` pairs, so memory stays bounded;
    the uniforms are drawn block after block, row by row, as one draw would give them.
    """
    (cx, cy), (px, py) = customer_xy, candidate_xy
    m, n = cx.size, px.size
    if m == 0 or n == 0 or k == 0:
        return dense_top_k(customer_xy, candidate_xy, log_size, scale, k, rng, taken)
    k = min(k, n)  # a customer cannot win more candidates than there are
    # few pairs: one block (every key computed costs less than bucketing the candidates)
    side = max(1, math.ceil(BLOCK_SCALES * scale)) if m * n >= BLOCK_MIN_PAIRS else _ALL
    blocks = _CandidateBlocks(px, py, log_size, side)
    rows = max(1, CHUNK_PAIRS // n)
    buffer = np.empty(min(m, rows) * n)
    no_taken = np.zeros((0, 0), bool)
    found_row, found_col = [], []
    for start in range(0, m, rows):
        part = slice(start, start + rows)
        r = cx[part].size
        part_taken = None if taken is None else taken[part]
        state = rng.bit_generator.state
        uniform = rng.random(out=buffer[: r * n].reshape(r, n))
        if not uniform.all():  # gumbel would have drawn this one again
            rng.bit_generator.state = state
            xy = (cx[part], cy[part])
            row, col = dense_top_k(xy, candidate_xy, log_size, scale, k, rng, part_taken)
        else:
            cols, count = _lazy_rows(
                uniform,
                np.asarray(cx[part], np.int64),
                np.asarray(cy[part], np.int64),
                np.asarray(px, np.int64),
                np.asarray(py, np.int64),
                log_size,
                float(scale),
                k,
                no_taken if part_taken is None else part_taken,
                blocks.order,
                blocks.start,
                blocks.x,
                blocks.y,
                blocks.side,
                blocks.max_log,
            )
            row = np.repeat(np.arange(r), count)
            col = cols[np.arange(k) < count[:, None]]
        found_row.append(row + start)
        found_col.append(col)
    return np.concatenate(found_row), np.concatenate(found_col)


class _CandidateBlocks:
    """Candidates bucketed into square blocks of ``side`` cells (occupied blocks only)."""

    def __init__(self, px: IntArray, py: IntArray, log_size: FloatArray, side: int) -> None:
        self.side = side
        bx, by = np.asarray(px, np.int64) // side, np.asarray(py, np.int64) // side
        block = (bx - bx.min()) * (int(by.max() - by.min()) + 1) + (by - by.min())
        occupied, of_candidate = np.unique(block, return_inverse=True)
        self.order = np.argsort(of_candidate, kind="stable").astype(np.int64)
        self.start = np.searchsorted(of_candidate[self.order], np.arange(occupied.size + 1))
        first = self.order[self.start[:-1]]
        self.x, self.y = bx[first] * side, by[first] * side  # lowest cell of each block
        self.max_log = np.full(occupied.size, -np.inf)
        np.maximum.at(self.max_log, of_candidate, log_size)


@njit(cache=True, nogil=True)
def _lazy_rows(
    uniform: FloatArray,
    cx: IntArray,
    cy: IntArray,
    px: IntArray,
    py: IntArray,
    log_size: FloatArray,
    scale: float,
    k: int,
    taken: BoolArray,
    order: IntArray,
    start: IntArray,
    block_x: IntArray,
    block_y: IntArray,
    side: int,
    max_log: FloatArray,
) -> tuple[IntArray, IntArray]:
    """Each customer's k largest keys (module docstring): columns (m, k) and counts (m,).

    ``taken`` is (m, n), or empty for none taken.
    """
    m = uniform.shape[0]
    n_blocks = max_log.size
    has_taken = taken.shape[0] > 0
    cols = np.full((m, k), -1, np.int64)
    count = np.zeros(m, np.int64)
    keys = np.empty(k)
    bound = np.empty(n_blocks)
    for i in range(m):
        for b in range(n_blocks):  # largest log weight in b: nearest cell, largest size
            gx = max(block_x[b] - cx[i], cx[i] - block_x[b] - side + 1, 0)
            gy = max(block_y[b] - cy[i], cy[i] - block_y[b] - side + 1, 0)
            bound[b] = max_log[b] - math.sqrt(gx * gx + gy * gy) / scale
        kept = 0
        kth = -np.inf
        for near in (True, False):  # blocks next to the customer first
            for b in range(n_blocks):
                close = abs(block_x[b] - cx[i]) < 2 * side and abs(block_y[b] - cy[i]) < 2 * side
                if close != near:
                    continue
                limit = _uniform_limit(kth, bound[b]) if kept == k else 1.0
                for p in range(start[b], start[b + 1]):
                    j = order[p]
                    u = uniform[i, j]
                    if u > limit or (has_taken and taken[i, j]):
                        continue
                    d = math.hypot(float(cx[i] - px[j]), float(cy[i] - py[j]))
                    key = (log_size[j] - d / scale) + (0.0 - 1.0 * math.log(-math.log(1.0 - u)))
                    if not math.isfinite(key) or (kept == k and key <= kth):  # as dense
                        continue
                    kept = _insert(keys, cols[i], kept, key, j)
                    if kept == k:
                        kth = keys[k - 1]
                        limit = _uniform_limit(kth, bound[b])
        count[i] = kept
    return cols, count


@njit(cache=True, nogil=True)
def _uniform_limit(kth: float, bound: float) -> float:
    r"""Largest uniform whose Gumbel can lift a log weight of at most ``bound`` to ``kth``.

    :math:`G = -\log(-\log(1 - u)) > g` iff :math:`u < 1 - e^{-e^{-g}}`, with
    :math:`g = \kappa - B - \mathrm{MARGIN}`; from ``LIMIT_EXP_FROM`` on the limit is
    :math:`e^{-g}`, larger (so it only admits more pairs) and one exponential cheaper.
    """
    g = kth - bound - MARGIN
    if g > LIMIT_EXP_FROM:  # 1 - exp(-x) < x: one exponential, a limit only a bit higher
        return math.exp(-g)
    return -math.expm1(-math.exp(-g))


@njit(cache=True, nogil=True)
def _insert(keys: FloatArray, cols: IntArray, kept: int, key: float, col: int) -> int:
    """Insert (key, col) into the first ``kept`` entries, sorted by decreasing key.

    With all k places taken the smallest drops out; an equal key goes after those already
    there. Returns the new count.
    """
    k = keys.size
    if kept == k:
        q = k - 1
    else:
        q = kept
        kept += 1
    while q > 0 and keys[q - 1] < key:
        keys[q] = keys[q - 1]
        cols[q] = cols[q - 1]
        q -= 1
    keys[q] = key
    cols[q] = col
    return kept
