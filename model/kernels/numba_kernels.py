"""Numba twins of the kernels: an optional accelerator of :mod:`clusterlab.model.kernels.reference`.

The numpy functions of :mod:`clusterlab.model.kernels.reference` (and
:mod:`clusterlab.model.kernels.reference_draws`) define what each kernel computes; the functions
here compute the same in one compiled pass each, and ``tests/model/test_kernels.py``
holds the two to a stated tolerance. This module (with :mod:`.numba_nearby` and
:mod:`.numba_sampling`) is the only one that imports numba, and only when the numba
backend is selected (:func:`clusterlab.model.kernels.use_backend`). Kernels are compiled on first
use and cached on disk (``cache=True``), so a new process (a worker of the experiment
runner, say) loads them instead of compiling them again. They run on one thread:
parallelism is the runner's business (one simulation per worker).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from clusterlab.model.kernels.numba_nearby import draw_nearby
from clusterlab.model.kernels.numba_sampling import draw_suppliers

__all__ = [
    "add_gains",
    "add_shortfall",
    "best_per_group",
    "common_counts",
    "doing_rows",
    "draw_nearby",
    "draw_suppliers",
    "group_unit_sums",
    "linked_pairs",
    "local_knowledge",
    "node_distance_gap",
    "own_recipe_fit",
    "row_distances",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@njit(cache=True, nogil=True)
def local_knowledge(
    x: IntArray,
    y: IntArray,
    employees: FloatArray,
    knowledge: FloatArray,
    side: int,
    kernel: FloatArray,
) -> FloatArray:
    r"""Kernel- and employment-weighted knowledge around each firm, less its own.

    :math:`L_i = \sum_{j \ne i} K_{ij} E_j k_j / \sum_{j \ne i} K_{ij} E_j`, clipped to
    [0, 1]; a firm with nothing in reach (denominator at most 1e-9) keeps its own
    knowledge. Firms are summed by cell (each cell adds its firms in order); the kernel
    sums run over the occupied cells within reach of each occupied cell (cells beyond the
    grid count as empty); the firm's own contribution (kernel weight 1) is then taken
    out. Offsets of the (2r + 1)-square ``kernel`` are relative to the receiving cell.
    """
    n, k = knowledge.shape
    slot, cell, cx, cy = _sum_by_cell(x, y, employees, knowledge, side)
    near = _kernel_sums(slot, cell, cx, cy, kernel)
    out = np.empty((n, k))
    for i in range(n):
        s = slot[x[i], y[i]]
        denom = near[s, k] - employees[i]
        for f in range(k):
            if denom > 1e-9:
                value = (near[s, f] - employees[i] * knowledge[i, f]) / denom
                out[i, f] = min(max(value, 0.0), 1.0)
            else:
                out[i, f] = knowledge[i, f]
    return out


@njit(cache=True, nogil=True)
def _sum_by_cell(
    x: IntArray, y: IntArray, employees: FloatArray, knowledge: FloatArray, side: int
) -> tuple[IntArray, FloatArray, IntArray, IntArray]:
    """Employment-weighted knowledge and employment summed by occupied cell, in firm order.

    Returns the (side, side) slot of each cell (-1: empty), the sums (slots, K + 1) and
    the cell of each slot.
    """
    n, k = knowledge.shape
    slot = np.full((side, side), -1, np.int64)
    cell = np.zeros((n, k + 1))
    cx = np.empty(n, np.int64)
    cy = np.empty(n, np.int64)
    occupied = 0
    for i in range(n):
        s = slot[x[i], y[i]]
        if s < 0:
            s = occupied
            slot[x[i], y[i]] = s
            cx[s], cy[s] = x[i], y[i]
            occupied += 1
        for f in range(k):
            cell[s, f] += employees[i] * knowledge[i, f]
        cell[s, k] += employees[i]
    return slot, cell[:occupied], cx[:occupied], cy[:occupied]


@njit(cache=True, nogil=True)
def _kernel_sums(
    slot: IntArray, cell: FloatArray, cx: IntArray, cy: IntArray, kernel: FloatArray
) -> FloatArray:
    """Kernel-weighted sums of the occupied cells' rows within reach of each occupied cell.

    Each cell's sums run over the offsets in kernel order into a local row (which the
    compiler keeps apart from ``cell``), then are stored.
    """
    side = slot.shape[0]
    r = kernel.shape[0] // 2
    c = cell.shape[1]
    near = np.empty(cell.shape)
    acc = np.empty(c)
    for s in range(cx.size):
        acc[:] = 0.0
        x0, y0 = cx[s], cy[s]
        for dx in range(-r, r + 1):
            gx = x0 - dx
            if gx < 0 or gx >= side:
                continue
            for dy in range(-r, r + 1):
                gy = y0 - dy
                if gy < 0 or gy >= side:
                    continue
                t = slot[gx, gy]
                if t < 0:
                    continue
                w = kernel[dx + r, dy + r]
                for f in range(c):
                    acc[f] += w * cell[t, f]
        near[s] = acc
    return near


@njit(cache=True, nogil=True, inline="always")
def _distance(similarity: float, norm2_a: float, norm2_b: float) -> float:
    """1 - cosine from a'Psi b, a'Psi a and b'Psi b; 1 where a norm is 0, clipped to [0, 1]."""
    scale = math.sqrt(max(norm2_a, 0.0)) * math.sqrt(max(norm2_b, 0.0))
    cosine = similarity / scale if scale > 0.0 else 0.0
    return 1.0 - min(max(cosine, 0.0), 1.0)


@njit(cache=True, nogil=True)
def row_distances(a: FloatArray, b: FloatArray, a_psi: FloatArray, b_psi: FloatArray) -> FloatArray:
    r"""Cognitive distance of row i of ``a`` to row i of ``b``, given ``a @ Psi``, ``b @ Psi``.

    :math:`d_i = 1 - \mathrm{clip}(a_i^\top \Psi b_i / \sqrt{a_i^\top \Psi a_i\,
    b_i^\top \Psi b_i}, 0, 1)`, and 1 where a norm is 0: what
    :func:`clusterlab.model.metrics.heterogeneity.cognitive_distance_rows` returns, in one pass
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
        out[i] = _distance(sim, aa, bb)
    return out


@njit(cache=True, nogil=True)
def node_distance_gap(
    knowledge: FloatArray, projected: FloatArray, a: IntArray, b: IntArray, with_gap: bool
) -> tuple[FloatArray, FloatArray]:
    r"""Cognitive distance and mean knowledge gap from node ``a[i]`` to node ``b[i]``.

    Parameters
    ----------
    knowledge : ndarray, shape (nodes, K)
    projected : ndarray, shape (nodes, K)
        ``knowledge @ Psi``.
    a, b : ndarray of int, shape (m,)
    with_gap : bool
        Whether to compute the gap (False: an empty gap, and a quarter less work).

    Returns
    -------
    distance : ndarray, shape (m,)
        As :func:`row_distances` of the rows ``a`` and ``b``, with the same sums.
    gap : ndarray, shape (m,)
        :math:`\frac{1}{K}\sum_f \max(0, k_{b f} - k_{a f})`: what b knows beyond a.
    """
    m, k = a.size, knowledge.shape[1]
    distance = np.empty(m)
    gap = np.empty(m if with_gap else 0)
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
            if with_gap:
                beyond = knowledge[j, f] - knowledge[i, f]
                if beyond > 0.0:
                    total += beyond
        distance[r] = _distance(sim, aa, bb)
        if with_gap:
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


@njit(cache=True, nogil=True)
def doing_rows(
    knowledge: FloatArray,
    rows: IntArray,
    industry: IntArray,
    recipes: FloatArray,
    share: FloatArray,
    rate: float,
    decay: float,
) -> None:
    r"""Learning by doing and forgetting of the given rows of ``knowledge``, in place.

    A field the firm's industry q uses (``recipes[q, f] > 0``) becomes
    :math:`k + (\rho\, s_{qf})(1 - k)`, with s = ``share`` (recipe weight over the
    recipe's largest); any other field :math:`(1 - \delta)\, k`.
    """
    for r in range(rows.size):
        i = rows[r]
        q = industry[i]
        for f in range(knowledge.shape[1]):
            k = knowledge[i, f]
            if recipes[q, f] > 0:
                knowledge[i, f] = k + rate * share[q, f] * (1.0 - k)
            else:
                knowledge[i, f] = (1.0 - decay) * k


@njit(cache=True, nogil=True)
def add_shortfall(
    target: FloatArray, rows: IntArray, goal: FloatArray, own: FloatArray, rate: float
) -> None:
    r"""Add :math:`\rho \max(0, g_{rf} - o_{if})` to ``target[i, f]``, i = ``rows[r]``.

    ``target[rows] += rate * np.maximum(0, goal - own[rows])``, in place, to the bit.
    """
    for r in range(rows.size):
        i = rows[r]
        for f in range(target.shape[1]):
            target[i, f] += rate * max(0.0, goal[r, f] - own[i, f])


@njit(cache=True, nogil=True)
def best_per_group(value: FloatArray, group: IntArray, n_groups: int) -> IntArray:
    """Index of the highest ``value`` of each group, the first listed among ties; -1: none.

    What a stable sort by (group, -value) gives as each group's first entry, for values
    that are not NaN.
    """
    best = np.full(n_groups, -1, np.int64)
    for i in range(value.size):
        g = group[i]
        j = best[g]
        if j < 0 or value[i] > value[j]:
            best[g] = i
    return best


@njit(cache=True, nogil=True)
def linked_pairs(
    a: IntArray, b: IntArray, kind: IntArray, n_firms: int, query_a: IntArray, query_b: IntArray
) -> npt.NDArray[np.bool_]:
    """Whether node pair i of the queries is joined by one of the links ``a``-``b``.

    Nodes are coded as firm row f -> 2f and university u -> 2u + 1. A link of ``kind`` 1
    (collaboration) joins a and b both ways, of kind 2 (university) a to university b;
    other kinds are ignored. The links are listed per firm (counting sort), so each query
    scans the links of its first node only.
    """
    count = np.zeros(n_firms + 1, np.int64)
    for r in range(a.size):
        if kind[r] == 1:
            count[a[r] + 1] += 1
            count[b[r] + 1] += 1
        elif kind[r] == 2:
            count[a[r] + 1] += 1
    start = np.cumsum(count)
    fill = start[:-1].copy()
    other = np.empty(start[-1], np.int64)
    for r in range(a.size):
        if kind[r] == 1:
            other[fill[a[r]]] = 2 * b[r]
            fill[a[r]] += 1
            other[fill[b[r]]] = 2 * a[r]
            fill[b[r]] += 1
        elif kind[r] == 2:
            other[fill[a[r]]] = 2 * b[r] + 1
            fill[a[r]] += 1
    out = np.zeros(query_a.size, np.bool_)
    for q in range(query_a.size):
        f = query_a[q]
        for t in range(start[f], start[f + 1]):
            if other[t] == query_b[q]:
                out[q] = True
                break
    return out


@njit(cache=True, nogil=True, inline="always")
def _pairwise_sum(a: FloatArray, n: int) -> float:
    """Sum of ``a[:n]`` for n <= 128, in the order numpy's ``add.reduce`` adds it.

    numpy sums a contiguous row of up to 128 values with eight running sums, combined
    as a tree, then adds the rest in turn; the result equals ``a[:n].sum()`` to the bit.
    """
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def own_recipe_fit(
    knowledge: FloatArray, recipes: FloatArray, industry: IntArray, rows: IntArray
) -> FloatArray:
    r"""Fit of each of the firm ``rows`` with its own industry's recipe.

    :math:`\sum_f k_{if} R_{q_i f}`: ``(knowledge[rows] * recipes[industry[rows]]).sum(
    axis=1)`` to the last bit (up to 128 fields), without the gathered copies.
    """
    k = knowledge.shape[1]
    if k > 128:
        raise ValueError("own_recipe_fit: at most 128 fields")
    out = np.empty(rows.size)
    product = np.empty(k)
    for r in range(rows.size):
        i = rows[r]
        q = industry[i]
        for f in range(k):
            product[f] = knowledge[i, f] * recipes[q, f]
        out[r] = _pairwise_sum(product, k)
    return out


@njit(cache=True, nogil=True)
def group_unit_sums(
    knowledge: FloatArray, proximity: FloatArray, group: IntArray, n_groups: int
) -> tuple[FloatArray, FloatArray]:
    r"""Per group, the sum of its rows scaled to unit Psi-norm, and how many were summed.

    Row i scaled is :math:`k_i / \sqrt{k_i^\top \Psi k_i}`; rows of norm 0 are skipped.
    What :func:`clusterlab.model.metrics.group_heterogeneity` sums with numpy (up to rounding).
    """
    n, k = knowledge.shape
    total = np.zeros((n_groups, k))
    count = np.zeros(n_groups)
    projected = np.empty(k)
    for i in range(n):
        projected[:] = 0.0
        for h in range(k):
            a = knowledge[i, h]
            if a != 0.0:
                for f in range(k):
                    projected[f] += a * proximity[h, f]
        norm2 = 0.0
        for f in range(k):
            norm2 += projected[f] * knowledge[i, f]
        if norm2 <= 0.0:
            continue
        norm = math.sqrt(norm2)
        g = group[i]
        count[g] += 1.0
        for f in range(k):
            total[g, f] += knowledge[i, f] / norm
    return total, count


@njit(cache=True, nogil=True)
def common_counts(indptr: IntArray, nbr: IntArray, a: IntArray, b: IntArray) -> IntArray:
    """Size of the intersection of the sorted neighbour lists of a[i] and b[i] (merge)."""
    out = np.zeros(a.size, np.int64)
    for q in range(a.size):
        i, i_end = indptr[a[q]], indptr[a[q] + 1]
        j, j_end = indptr[b[q]], indptr[b[q] + 1]
        n = 0
        while i < i_end and j < j_end:
            if nbr[i] == nbr[j]:
                n += 1
                i += 1
                j += 1
            elif nbr[i] < nbr[j]:
                i += 1
            else:
                j += 1
        out[q] = n
    return out
