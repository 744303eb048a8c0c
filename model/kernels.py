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
    "add_gains",
    "kernel_sums_at_cells",
    "node_distance_gap",
    "raster_channels_last",
    "row_distances",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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
def node_distance_gap(
    knowledge: FloatArray, projected: FloatArray, a: IntArray, b: IntArray
) -> tuple[FloatArray, FloatArray]:
    r"""Cognitive distance and mean knowledge gap from node ``a[i]`` to node ``b[i]``.

    Parameters
    ----------
    knowledge : ndarray, shape (nodes, K)
    projected : ndarray, shape (nodes, K)
        ``knowledge @ Psi``.
    a, b : ndarray of int, shape (m,)

    Returns
    -------
    distance : ndarray, shape (m,)
        As :func:`row_distances` of the rows ``a`` and ``b``, with the same sums.
    gap : ndarray, shape (m,)
        :math:`\frac{1}{K}\sum_f \max(0, k_{b f} - k_{a f})`: what b knows beyond a.
    """
    m, k = a.size, knowledge.shape[1]
    distance = np.empty(m)
    gap = np.empty(m)
    for r in range(m):
        i, j = a[r], b[r]
        sim = 0.0
        aa = 0.0
        bb = 0.0
        total = 0.0
        for f in range(k):
            sim += projected[i, f] * knowledge[j, f]
            aa += projected[i, f] * knowledge[i, f]
            bb += projected[j, f] * knowledge[j, f]
            beyond = knowledge[j, f] - knowledge[i, f]
            if beyond > 0.0:
                total += beyond
        scale = math.sqrt(max(aa, 0.0)) * math.sqrt(max(bb, 0.0))
        cosine = sim / scale if scale > 0.0 else 0.0
        distance[r] = 1.0 - min(max(cosine, 0.0), 1.0)
        gap[r] = total / k
    return distance, gap


@njit(cache=True, nogil=True)
def add_gains(
    target: FloatArray,
    knowledge: FloatArray,
    learner: IntArray,
    teacher: IntArray,
    weight: FloatArray,
) -> None:
    r"""Add :math:`w_i \max(0, k_{t_i} - k_{l_i})` to row :math:`l_i` of ``target``, in order.

    The sums of ``np.add.at(target, learner, weight[:, None] * np.maximum(0, knowledge[
    teacher] - knowledge[learner]))``, to the last bit, without the temporaries.
    """
    for r in range(learner.size):
        i, j, w = learner[r], teacher[r], weight[r]
        for f in range(knowledge.shape[1]):
            target[i, f] += w * max(0.0, knowledge[j, f] - knowledge[i, f])
