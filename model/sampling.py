r"""Gumbel top-k sampling of distance-decayed suppliers, drawn densely, evaluated lazily.

Each customer i draws up to k suppliers without replacement among candidates j, with
weights :math:`w_{ij} = \exp(s_j - d_{ij} / \lambda)` (:math:`s_j` the log size,
:math:`d_{ij}` the distance in cells): every pair gets the key
:math:`\log w_{ij} + G_{ij}`, :math:`G_{ij}` standard Gumbel drawn row by row by
``Generator.gumbel``, and the k largest keys win, in decreasing order (the Gumbel top-k
trick; Vieira 2014, Kool et al. 2019).

:func:`dense_top_k` computes every key: two logarithms and a distance per pair, which
at 100,000 firms means hundreds of millions of pairs a year. Far candidates almost never
win, so :func:`top_k` draws the same uniforms (``gumbel`` uses one per pair) but
computes keys only where they can matter:

1. the keys of up to ``NEAR_PAIRS`` candidates of the 3 x 3 blocks (side 2 lambda)
   around the customer give kappa, a lower bound of its k-th largest key;
2. a candidate in block b beats kappa only if its Gumbel exceeds kappa - B_b, with B_b
   the largest log weight possible in b (largest log size in b, nearest cell of b):
   a condition on its uniform alone, checked for every pair by one comparison;
3. the keys of the remaining pairs are computed as ``gumbel`` computes them (with the C
   library's logarithm, not numpy's vectorised one, which may differ in the last bit),
   and the k largest win.

Bounds carry a slack of ``MARGIN``, so rounding never drops a winner: the result is that
of :func:`dense_top_k`, bit for bit. A zero uniform, which ``gumbel`` rejects and draws
again (probability 2**-53 a draw), sends the call to :func:`dense_top_k`.

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

__all__ = ["dense_top_k", "top_k"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MARGIN = 1e-6
"""Slack of the bounds, in key units (rounding errors are below 1e-13)."""

NEAR_PAIRS = 256
"""Most near candidates whose keys bound a customer's k-th key."""

GUMBEL_CAP = 20.0
"""Largest Gumbel a bound asks for (P(G > 20) = 2e-9)."""

CHUNK_PAIRS = 1 << 21
"""Customer-candidate pairs handled at once (bounds memory)."""

LAZY_MIN_PAIRS = 1 << 13
"""Below this many pairs :func:`top_k` computes every key (bookkeeping would cost more)."""


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
    rows = max(1, CHUNK_PAIRS // max(n, 1))
    lazy = m * n >= LAZY_MIN_PAIRS and k > 0
    blocks = _Blocks(px, py, cx, cy, log_size, max(1, math.ceil(2 * scale))) if lazy else None
    buffer = np.empty(min(m, rows) * n) if lazy else None
    found_row, found_col = [], []
    for start in range(0, m, rows):
        part = slice(start, start + rows)
        xy = (cx[part], cy[part])
        block_taken = None if taken is None else taken[part]
        if blocks is None:
            row, col = dense_top_k(xy, candidate_xy, log_size, scale, k, rng, block_taken)
        else:
            pairs = _Pairs(xy, candidate_xy, log_size, scale, block_taken)
            row, col = _lazy_top_k(pairs, blocks, k, rng, buffer)
        found_row.append(row + start)
        found_col.append(col)
    if not found_row:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_row), np.concatenate(found_col)


def _lazy_top_k(
    pairs: _Pairs, blocks: _Blocks, k: int, rng: np.random.Generator, buffer: FloatArray
) -> tuple[IntArray, IntArray]:
    """:func:`dense_top_k` for one block of customers, computing few keys."""
    m, n = pairs.cx.size, pairs.px.size
    state = rng.bit_generator.state
    pairs.uniform = rng.random(out=buffer[: m * n].reshape(m, n))
    if not pairs.uniform.all():  # gumbel would have drawn this one again
        rng.bit_generator.state = state
        xy = (pairs.cx, pairs.cy), (pairs.px, pairs.py)
        return dense_top_k(*xy, pairs.log_size, pairs.scale, k, rng, pairs.taken)
    kappa = _kth_key_bound(pairs, blocks, k)
    # A pair in block b reaches kappa only if its Gumbel reaches g = kappa - (best log
    # weight in b), i.e. its uniform is at most 1 - exp(-exp(-g)). Capping g at
    # GUMBEL_CAP keeps rounding (of 1 - u near 1) far below MARGIN; it only admits more.
    best = blocks.best_log_weight(pairs.cx, pairs.cy, pairs.scale)
    limit = -np.expm1(-np.exp(-np.minimum(kappa[:, None] - best - MARGIN, GUMBEL_CAP)))
    # (np.take keeps the (m, n) result C-ordered, as the uniforms are)
    hit = np.flatnonzero(pairs.uniform <= np.take(limit, blocks.of_candidate, axis=1))
    row, col = np.divmod(hit, n)
    approx = pairs.approx_keys(row, col)
    keep = approx >= np.maximum(kappa, _kth_largest(row, approx, k, m) - MARGIN)[row]
    row, col = row[keep], col[keep]
    key = pairs.exact_keys(row, col)
    finite = np.isfinite(key)
    row, col, key = row[finite], col[finite], key[finite]
    order = np.lexsort((-key, row))
    row, col = row[order], col[order]
    first = np.arange(row.size) - np.searchsorted(row, row, "left") < k
    return row[first], col[first]


def _kth_largest(row: IntArray, key: FloatArray, k: int, m: int) -> FloatArray:
    """Lower bound of the k-th largest key of each of m rows (``row`` sorted).

    -inf for a row with fewer than k keys. The k - 1 largest distinct values are struck
    out in turn (ties together, hence a bound: exact unless keys tie).
    """
    kth = np.full(m, -np.inf)
    if row.size == 0:
        return kth
    first = np.ones(row.size, bool)
    first[1:] = row[1:] != row[:-1]
    start = np.flatnonzero(first)
    segment = np.cumsum(first) - 1
    work = key.copy()
    for _ in range(k - 1):
        work[work == np.maximum.reduceat(work, start)[segment]] = -np.inf
    kth[row[start]] = np.maximum.reduceat(work, start)
    return kth


class _Pairs:
    """Keys of chosen (row, column) pairs of a block of customers, from their uniforms."""

    def __init__(
        self,
        customer_xy: tuple[IntArray, IntArray],
        candidate_xy: tuple[IntArray, IntArray],
        log_size: FloatArray,
        scale: float,
        taken: BoolArray | None,
    ) -> None:
        (self.cx, self.cy), (self.px, self.py) = customer_xy, candidate_xy
        self.log_size, self.scale, self.taken = log_size, scale, taken
        self.uniform = np.zeros((0, 0))  # drawn by _lazy_top_k

    def log_weight(self, row: IntArray, col: IntArray) -> FloatArray:
        """Log weight as :func:`dense_top_k` computes it (same operations, same bits)."""
        d = np.hypot(self.cx[row] - self.px[col], self.cy[row] - self.py[col])
        log_w = self.log_size[col] - d / self.scale
        if self.taken is not None:
            log_w = np.where(self.taken[row, col], -np.inf, log_w)
        return log_w

    def approx_keys(self, row: IntArray, col: IntArray) -> FloatArray:
        """Keys with numpy's logarithm: within 1e-13 of the exact keys."""
        u = 1.0 - self.uniform[row, col]
        return self.log_weight(row, col) - np.log(-np.log(u))

    def exact_keys(self, row: IntArray, col: IntArray) -> FloatArray:
        """Keys as ``Generator.gumbel`` draws them: ``0 - 1 * log(-log(1 - u))`` in C."""
        gumbel = [0.0 - 1.0 * math.log(-math.log(1.0 - u)) for u in self.uniform[row, col]]
        return self.log_weight(row, col) + np.asarray(gumbel, dtype=np.float64)


class _Blocks:
    """Candidates bucketed into square blocks (only blocks holding candidates count)."""

    def __init__(
        self,
        px: IntArray,
        py: IntArray,
        cx: IntArray,
        cy: IntArray,
        log_size: FloatArray,
        side: int,
    ) -> None:
        self.side = side
        self.x0 = int(min(px.min(), cx.min())) // side - 1
        self.y0 = int(min(py.min(), cy.min())) // side - 1
        self.n_y = int(max(py.max(), cy.max())) // side - self.y0 + 2
        n_x = int(max(px.max(), cx.max())) // side - self.x0 + 2
        block = self.index(px, py)
        self.occupied, self.of_candidate = np.unique(block, return_inverse=True)
        self.order = np.argsort(block, kind="stable")
        self.start = np.searchsorted(block[self.order], np.arange(n_x * self.n_y + 1))
        self.max_log = np.full(self.occupied.size, -np.inf)
        np.maximum.at(self.max_log, self.of_candidate, log_size)
        # block rows and columns (in cells) of the occupied blocks, one entry per distinct one
        bx, by = np.divmod(self.occupied, self.n_y)
        self.col_x, self.of_col = np.unique((bx + self.x0) * side, return_inverse=True)
        self.row_y, self.of_row = np.unique((by + self.y0) * side, return_inverse=True)

    def index(self, x: IntArray, y: IntArray) -> IntArray:
        """Block of each cell."""
        return (x // self.side - self.x0) * self.n_y + (y // self.side - self.y0)

    def best_log_weight(self, cx: IntArray, cy: IntArray, scale: float) -> FloatArray:
        """(m, occupied blocks): largest log weight a candidate of the block can have."""
        far = self.side - 1
        gap_x = np.maximum(np.maximum(self.col_x - cx[:, None], cx[:, None] - self.col_x - far), 0)
        gap_y = np.maximum(np.maximum(self.row_y - cy[:, None], cy[:, None] - self.row_y - far), 0)
        gap_x, gap_y = gap_x * gap_x, gap_y * gap_y
        distance = np.sqrt(gap_x[:, self.of_col] + gap_y[:, self.of_row])
        return self.max_log - distance / scale


def _kth_key_bound(pairs: _Pairs, blocks: _Blocks, k: int) -> FloatArray:
    """Lower bound of each customer's k-th largest key (-inf if unknown).

    The k-th largest approximate key among candidates of the 3 x 3 blocks around the
    customer (every s-th of each block when there are more than ``NEAR_PAIRS``), less
    ``MARGIN``.
    """
    m = pairs.cx.size
    home = blocks.index(pairs.cx, pairs.cy)
    steps = [dx * blocks.n_y + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    lo = np.column_stack([blocks.start[home + d] for d in steps]).ravel()
    size = np.column_stack([blocks.start[home + d + 1] for d in steps]).ravel() - lo
    owner = np.repeat(np.arange(m), len(steps))  # customer by customer
    total = np.bincount(owner, weights=size, minlength=m).astype(np.int64)
    stride = np.maximum(1, -(-total // NEAR_PAIRS))[owner]  # ceil(total / NEAR_PAIRS)
    picks = -(-size // stride)
    segment = np.repeat(np.arange(size.size), picks)
    step = np.arange(segment.size) - np.repeat(np.cumsum(picks) - picks, picks)
    row = owner[segment]
    key = pairs.approx_keys(row, blocks.order[lo[segment] + step * stride[segment]])
    return _kth_largest(row, key, k, m) - MARGIN
