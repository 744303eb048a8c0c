r"""Successive sampling of distance-decayed suppliers, by rejection from ring envelopes.

Each customer i draws up to :math:`m_i` candidates j without replacement (successive
sampling: each draw proportional to the weights of the candidates not drawn yet), with
weights :math:`w_{ij} = s_j e^{-d_{ij}/\lambda}` (:math:`s_j > 0` the size, :math:`d_{ij}`
the Euclidean distance between cells, :math:`\lambda` the decay length), never drawing an
excluded (taken) candidate. This is the distribution of the Gumbel top-k trick (Vieira
2014, Kool et al. 2019), drawn with a few random numbers per winner instead of one per
pair by the numba twin. How it is drawn (:func:`clusterlab.model.kernels.draw_suppliers`):

- the numpy reference (:func:`clusterlab.model.kernels.reference_draws.draw_suppliers`, the
  definition) adds a Gumbel variate to each log weight :math:`\log s_j - d_{ij}/\lambda`
  (excluded candidates: minus infinity) and takes each customer's ``m_i`` largest, in
  order: one random number per customer and candidate;
- the numba twin (:mod:`clusterlab.model.kernels.numba_sampling`) draws by rejection from ring
  envelopes of blocks of candidates (``BLOCK_SCALES``, ``TAIL_SHARE``, ``MAX_FAILS``
  tune it), a few random numbers per winner.

The two draw the same distribution with different random numbers: the same seed gives
the same winners on one backend, not across backends.

In the numba twin sizes are summed in floating point, so probabilities are exact up to
rounding (relative errors about 1e-13). A customer never gets a candidate twice, never an
excluded one, and gets :math:`\min(m_i, \text{allowed candidates})` winners, in drawing order.

References
----------
Vieira, T. (2014). Gumbel-max trick and weighted reservoir sampling.
https://timvieira.github.io/blog/post/2014/08/01/gumbel-max-trick-and-weighted-reservoir-sampling/

Kool, W., van Hoof, H., & Welling, M. (2019). Stochastic beams and where to find them:
the Gumbel-top-k trick for sampling sequences without replacement. ICML, 3499-3508.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.kernels import draw_suppliers

__all__ = ["successive_sample"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

BLOCK_SCALES = 1.0
"""Side of the candidate blocks, in decay lengths lambda (at least one cell)."""

MAX_BLOCKS = 1 << 20
"""Most blocks over the candidates' bounding box (the side grows to stay below)."""

TAIL_SHARE = 1.0 / 16.0
"""Rings are added until the tail bound is at most this share of the strips' bounds."""

MAX_FAILS = 64
"""Proposals in a row without a winner after which a customer is finished densely."""


def successive_sample(
    customer_xy: tuple[IntArray, IntArray],
    candidate_xy: tuple[IntArray, IntArray],
    size: FloatArray,
    scale: float,
    need: IntArray,
    rng: np.random.Generator,
    taken: tuple[IntArray, IntArray] | None = None,
    groups: tuple[IntArray, IntArray] | None = None,
) -> tuple[IntArray, IntArray]:
    r"""Draw, for each customer, candidates by successive sampling with distance decay.

    Parameters
    ----------
    customer_xy, candidate_xy : (x, y) pairs of int arrays, shapes (m,) and (n,)
        Cells of customers and candidates.
    size : ndarray, shape (n,)
        Positive size :math:`s_j` of each candidate.
    scale : float
        Distance decay length :math:`\lambda`, in cells.
    need : ndarray of int, shape (m,)
        Winners each customer draws (at most; fewer if fewer candidates are allowed).
    rng : numpy.random.Generator
    taken : (start, column) pair of int arrays, optional
        Excluded candidates, row by row (compressed rows): customer i may not draw
        candidates ``column[start[i]:start[i + 1]]``; ``start`` has m + 1 entries.
        Columns outside the customer's group, and repeats, are ignored.
    groups : (customer_start, candidate_start) pair of int arrays, optional
        Several independent draws in one call: the customers
        ``customer_start[g]:customer_start[g + 1]`` draw among the candidates
        ``candidate_start[g]:candidate_start[g + 1]`` only (both have G + 1 entries, from
        0 to m and n). By default, one group: every customer among every candidate.

    Returns
    -------
    (row, column) : ndarrays of int
        Winners (customer and candidate indices), customer by customer, each customer's
        in drawing order.
    """
    (cx, cy), (px, py) = customer_xy, candidate_xy
    m, n = len(cx), len(px)
    if groups is None:
        groups = (np.array([0, m]), np.array([0, n]))
    if taken is None:
        taken = (np.zeros(m + 1, np.int64), np.zeros(0, np.int64))
    as_int = [np.asarray(a, np.int64) for a in (cx, cy, px, py, need, *taken, *groups)]
    return draw_suppliers(
        *as_int,
        np.asarray(size, np.float64),
        float(scale),
        float(BLOCK_SCALES),
        MAX_BLOCKS,
        float(TAIL_SHARE),
        MAX_FAILS,
        rng,
    )
