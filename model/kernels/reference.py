r"""Numpy reference kernels: the definition of what every kernel computes.

These plain numpy functions are the source of truth; the numba twins in
:mod:`clusterlab.model.kernels.numba_kernels` are an optional accelerator that computes the same
quantities in one compiled pass each. ``tests/model/test_kernels.py`` holds each twin to
its reference on random inputs: to the bit where both do the same floating-point
operations in the same order (``add_gains``, ``add_shortfall``, ``doing_rows``,
``own_recipe_fit``, ``local_knowledge``) or where the work is integer (``best_per_group``,
``linked_pairs``, ``common_counts``), and to a relative 1e-12 where the sums run in
another order (``row_distances``, ``node_distance_gap``, ``group_unit_sums``).
Call them through :mod:`clusterlab.model.kernels`, which picks the backend.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "add_gains",
    "add_shortfall",
    "best_per_group",
    "common_counts",
    "doing_rows",
    "group_unit_sums",
    "linked_pairs",
    "local_knowledge",
    "node_distance_gap",
    "own_recipe_fit",
    "row_distances",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
    knowledge. Employment and employment-weighted knowledge are summed by occupied cell
    (firms in order); each occupied cell then adds ``kernel[dx + r, dy + r]`` times the
    sums of the occupied cell at offset (-dx, -dy), offsets in kernel order (cells off
    the grid count as empty); the firm's own contribution (kernel weight 1) is taken out.
    """
    k = knowledge.shape[1]
    cell = np.asarray(x, np.int64) * side + np.asarray(y, np.int64)
    occupied, slot_of_firm = np.unique(cell, return_inverse=True)
    sums = np.zeros((occupied.size, k + 1))
    np.add.at(sums, slot_of_firm, np.column_stack([employees[:, None] * knowledge, employees]))
    slot = np.full(side * side, -1, np.int64)
    slot[occupied] = np.arange(occupied.size)
    cx, cy = occupied // side, occupied % side
    near = np.zeros_like(sums)
    r = kernel.shape[0] // 2
    for dx in range(-r, r + 1):
        gx = cx - dx
        for dy in range(-r, r + 1):
            gy = cy - dy
            inside = np.flatnonzero((gx >= 0) & (gx < side) & (gy >= 0) & (gy < side))
            t = slot[gx[inside] * side + gy[inside]]
            hit = inside[t >= 0]
            near[hit] += kernel[dx + r, dy + r] * sums[t[t >= 0]]
    mine = near[slot_of_firm]
    denom = mine[:, k] - employees
    some = denom > 1e-9
    value = (mine[:, :k] - employees[:, None] * knowledge) / np.where(some, denom, 1.0)[:, None]
    return np.where(some[:, None], np.minimum(np.maximum(value, 0.0), 1.0), knowledge)


def _distance(similarity: FloatArray, norm2_a: FloatArray, norm2_b: FloatArray) -> FloatArray:
    """1 - cosine from a'Psi b, a'Psi a and b'Psi b; 1 where a norm is 0, clipped to [0, 1]."""
    scale = np.sqrt(np.maximum(norm2_a, 0.0)) * np.sqrt(np.maximum(norm2_b, 0.0))
    cosine = np.where(scale > 0.0, similarity / np.where(scale > 0.0, scale, 1.0), 0.0)
    return 1.0 - np.minimum(np.maximum(cosine, 0.0), 1.0)


def row_distances(a: FloatArray, b: FloatArray, a_psi: FloatArray, b_psi: FloatArray) -> FloatArray:
    r"""Cognitive distance of row i of ``a`` to row i of ``b``, given ``a @ Psi``, ``b @ Psi``.

    :math:`d_i = 1 - \mathrm{clip}(a_i^\top \Psi b_i / \sqrt{a_i^\top \Psi a_i\,
    b_i^\top \Psi b_i}, 0, 1)`, and 1 where a norm is 0: the diagonal of
    :func:`clusterlab.model.metrics.heterogeneity.pairwise_cognitive_distance`.
    """
    return _distance((a_psi * b).sum(axis=1), (a_psi * a).sum(axis=1), (b_psi * b).sum(axis=1))


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
        Whether to compute the gap (False: an empty gap).

    Returns
    -------
    distance : ndarray, shape (m,)
        :func:`row_distances` of the rows ``a`` and ``b``.
    gap : ndarray, shape (m,)
        :math:`\frac{1}{K}\sum_f \max(0, k_{b f} - k_{a f})`: what b knows beyond a.
    """
    distance = row_distances(knowledge[a], knowledge[b], projected[a], projected[b])
    if not with_gap:
        return distance, np.empty(0)
    k = knowledge.shape[1]
    return distance, np.maximum(knowledge[b] - knowledge[a], 0.0).sum(axis=1) / k


def add_gains(
    target: FloatArray,
    knowledge: FloatArray,
    learner: IntArray,
    teacher: IntArray,
    weight: FloatArray,
) -> None:
    r"""Add :math:`w_i \max(0, k_{t_i} - k_{l_i})` to row :math:`l_i` of ``target``, in order.

    ``knowledge`` is read as it was before the call (it must not be ``target``).
    """
    gains = weight[:, None] * np.maximum(0.0, knowledge[teacher] - knowledge[learner])
    np.add.at(target, learner, gains)


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
    recipe's largest); any other field :math:`(1 - \delta)\, k`. A row listed twice is
    updated twice.
    """
    rows = np.asarray(rows, np.int64)
    while rows.size:
        first, at = np.unique(rows, return_index=True)
        rows = np.delete(rows, at)  # repeats: the next pass updates them again
        q = industry[first]
        k = knowledge[first]
        learned = k + rate * share[q] * (1.0 - k)
        knowledge[first] = np.where(recipes[q] > 0, learned, (1.0 - decay) * k)


def add_shortfall(
    target: FloatArray, rows: IntArray, goal: FloatArray, own: FloatArray, rate: float
) -> None:
    r"""Add :math:`\rho \max(0, g_{rf} - o_{if})` to ``target[i, f]``, i = ``rows[r]``.

    ``own`` is read as it was before the call (it must not be ``target``).
    """
    np.add.at(target, rows, rate * np.maximum(0.0, goal - own[rows]))


def best_per_group(value: FloatArray, group: IntArray, n_groups: int) -> IntArray:
    """Index of the highest ``value`` of each group, the first listed among ties; -1: none.

    For values that are not NaN.
    """
    n = value.size
    top = np.full(n_groups, -np.inf)
    np.maximum.at(top, group, value)
    at = np.flatnonzero(value == top[group])
    best = np.full(n_groups, n, np.int64)
    np.minimum.at(best, group[at], at)
    best[best == n] = -1
    return best


def linked_pairs(
    a: IntArray, b: IntArray, kind: IntArray, n_firms: int, query_a: IntArray, query_b: IntArray
) -> BoolArray:
    """Whether node pair i of the queries is joined by one of the links ``a``-``b``.

    Nodes are coded as firm row f -> 2f and university u -> 2u + 1; ``query_a`` holds firm
    rows, ``query_b`` node codes. A link of ``kind`` 1 (collaboration) joins a and b both
    ways, of kind 2 (university) a to university b; other kinds are ignored.
    """
    del n_firms  # the numba twin sizes its per-firm lists with it
    collab, uni = kind == 1, kind == 2
    first = np.concatenate([a[collab], b[collab], a[uni]]).astype(np.int64)
    other = np.concatenate([2 * b[collab], 2 * a[collab], 2 * b[uni] + 1]).astype(np.int64)
    width = max(int(other.max(initial=0)), int(np.max(query_b, initial=0))) + 1
    return np.isin(np.asarray(query_a, np.int64) * width + query_b, first * width + other).astype(
        np.bool_
    )


def common_counts(indptr: IntArray, nbr: IntArray, a: IntArray, b: IntArray) -> IntArray:
    """Size of the (multiset) intersection of the sorted neighbour lists of a[i] and b[i].

    A neighbour listed p times for a and q times for b counts min(p, q) times.
    """
    n_nodes = indptr.size - 1
    owner = np.repeat(np.arange(n_nodes), np.diff(indptr))
    # occurrence of each entry among equal entries of its list: 0, 1, ...
    new = np.ones(nbr.size, bool)
    new[1:] = (owner[1:] != owner[:-1]) | (nbr[1:] != nbr[:-1])
    run_start = np.maximum.accumulate(np.where(new, np.arange(nbr.size), 0))
    occurrence = np.arange(nbr.size) - run_start
    depth = int(occurrence.max(initial=0)) + 1
    code = (owner * n_nodes + nbr) * depth + occurrence
    length = indptr[a + 1] - indptr[a]
    query = np.repeat(np.arange(a.size), length)
    entry = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    entry += np.repeat(indptr[a], length)
    wanted = (b[query] * n_nodes + nbr[entry]) * depth + occurrence[entry]
    return np.bincount(query[np.isin(wanted, code)], minlength=a.size).astype(np.int64)


def own_recipe_fit(
    knowledge: FloatArray, recipes: FloatArray, industry: IntArray, rows: IntArray
) -> FloatArray:
    r"""Fit of each of the firm ``rows`` with its own industry's recipe.

    :math:`\sum_f k_{if} R_{q_i f}`, numpy's row sum of the products.
    """
    return (knowledge[rows] * recipes[industry[rows]]).sum(axis=1)


def group_unit_sums(
    knowledge: FloatArray, proximity: FloatArray, group: IntArray, n_groups: int
) -> tuple[FloatArray, FloatArray]:
    r"""Per group, the sum of its rows scaled to unit Psi-norm, and how many were summed.

    Row i scaled is :math:`k_i / \sqrt{k_i^\top \Psi k_i}`; rows of norm 0 are skipped.
    """
    norm2 = ((knowledge @ proximity) * knowledge).sum(axis=1)
    has = norm2 > 0.0
    total = np.zeros((n_groups, knowledge.shape[1]))
    np.add.at(total, group[has], knowledge[has] / np.sqrt(norm2[has])[:, None])
    count = np.bincount(group[has], minlength=n_groups).astype(np.float64)
    return total, count
