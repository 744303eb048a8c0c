"""Compiled kernels (numba) for the loops that numpy can only do in many small passes.

Each kernel computes a quantity that a numpy function elsewhere also defines; the tests
compare the two. Kernels are compiled on first use and cached on disk
(``cache=True``), so a new process (a worker of the experiment runner, say) loads them
instead of compiling them again. They run on one thread: parallelism is the runner's
business (one simulation per worker).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = [
    "add_rows",
    "kernel_sums_at_cells",
    "mean_shortfall",
    "raster_channels_last",
    "row_distances",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@njit(cache=True, nogil=True)
def add_rows(target: FloatArray, rows: IntArray, values: FloatArray) -> None:
    """Add ``values`` (m, C) to the given rows of ``target`` (n, C), in place.

    ``np.add.at(target, rows, values)``: the same sums in the same order (to the last
    bit), without numpy's per-element dispatch.
    """
    for i in range(rows.size):
        for j in range(values.shape[1]):
            target[rows[i], j] += values[i, j]


@njit(cache=True, nogil=True)
def raster_channels_last(x: IntArray, y: IntArray, values: FloatArray, side: int) -> FloatArray:
    """Sum the rows of ``values`` (n, C) by grid cell: shape (side, side, C).

    Each cell adds its rows in their order, from zero (as ``np.add.at`` would).
    """
    n, c = values.shape
    grid = np.zeros((side, side, c))
    for i in range(n):
        for ch in range(c):
            grid[x[i], y[i], ch] += values[i, ch]
    return grid


@njit(cache=True, nogil=True)
def kernel_sums_at_cells(
    grid: FloatArray, cx: IntArray, cy: IntArray, kernel: FloatArray, mass: int
) -> FloatArray:
    r"""Kernel-weighted sums of a channels-last raster around the given cells.

    Parameters
    ----------
    grid : ndarray, shape (side, side, C)
        Raster, zero outside the grid.
    cx, cy : ndarray of int, shape (m,)
        Cells to evaluate.
    kernel : ndarray, shape (2r + 1, 2r + 1)
        Weights by offset; the centre is offset (0, 0).
    mass : int
        Channel that is zero wherever every channel is zero (employment, say): cells
        where it is zero are skipped, which changes no sum.

    Returns
    -------
    ndarray, shape (m, C)
        :math:`S_{ic} = \sum_{(dx, dy)} K_{dx, dy}\, G_{c_x + dx,\, c_y + dy,\, c}`, the
        ``mode="same"`` convolution of each channel with K at the given cells (K is
        symmetric, so convolution and correlation agree), summed directly.
    """
    side = grid.shape[0]
    c = grid.shape[2]
    r = kernel.shape[0] // 2
    out = np.zeros((cx.size, c))
    for i in range(cx.size):
        for dx in range(-r, r + 1):
            gx = cx[i] - dx
            if gx < 0 or gx >= side:
                continue
            for dy in range(-r, r + 1):
                gy = cy[i] - dy
                if gy < 0 or gy >= side or grid[gx, gy, mass] == 0.0:
                    continue
                w = kernel[dx + r, dy + r]
                for ch in range(c):
                    out[i, ch] += w * grid[gx, gy, ch]
    return out


@njit(cache=True, nogil=True)
def row_distances(a: FloatArray, b: FloatArray, a_psi: FloatArray, b_psi: FloatArray) -> FloatArray:
    r"""Cognitive distance of row i of ``a`` to row i of ``b``, given ``a @ Psi``, ``b @ Psi``.

    :math:`d_i = 1 - \mathrm{clip}(a_i^\top \Psi b_i / \sqrt{a_i^\top \Psi a_i\,
    b_i^\top \Psi b_i}, 0, 1)`, and 1 where a norm is 0: what
    :func:`model.metrics.heterogeneity.cognitive_distance_rows` returns, in one pass
    over the rows (numpy needs a dozen passes over short rows).
    """
    m, k = a.shape
    out = np.empty(m)
    for i in range(m):
        sim = 0.0
        aa = 0.0
        bb = 0.0
        for f in range(k):
            sim += a_psi[i, f] * b[i, f]
            aa += a_psi[i, f] * a[i, f]
            bb += b_psi[i, f] * b[i, f]
        scale = math.sqrt(max(aa, 0.0)) * math.sqrt(max(bb, 0.0))
        cosine = sim / scale if scale > 0.0 else 0.0
        out[i] = 1.0 - min(max(cosine, 0.0), 1.0)
    return out


@njit(cache=True, nogil=True)
def mean_shortfall(own: FloatArray, other: FloatArray) -> FloatArray:
    r"""Mean over columns of :math:`\max(0, \mathrm{other} - \mathrm{own})`, row by row.

    ``np.maximum(0, other - own).mean(axis=1)`` in one pass, without the temporary.
    """
    m, k = own.shape
    out = np.empty(m)
    for i in range(m):
        total = 0.0
        for f in range(k):
            gap = other[i, f] - own[i, f]
            if gap > 0.0:
                total += gap
        out[i] = total / k
    return out
