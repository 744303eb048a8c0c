"""Cognitive distance between actors and technological heterogeneity of a group.

An actor's knowledge is a vector over fields with values in [0, 1]; fields are related
by a proximity matrix Psi (symmetric, ones on the diagonal, positive definite). The
cognitive distance is one minus the cosine similarity in the inner product Psi.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.kernels import group_unit_sums, row_distances
from clusterlab.model.metrics._validation import MetricError, as_matrix, as_square_matrix
from clusterlab.model.metrics.variety import entropy

__all__ = [
    "cognitive_distance",
    "cognitive_distance_rows",
    "group_heterogeneity",
    "knowledge_entropy",
    "pairwise_cognitive_distance",
    "technological_heterogeneity",
]

_Vector = npt.NDArray[np.float64]
_Matrix = npt.NDArray[np.float64]


def _field_proximity(proximity: npt.ArrayLike, owner: str) -> _Matrix:
    """Validate Psi: square, symmetric, in [0, 1], unit diagonal, positive definite."""
    psi = as_square_matrix(proximity, "proximity", owner, symmetric=True)
    if np.any(psi > 1 + 1e-12) or not np.allclose(np.diag(psi), 1.0):
        raise MetricError(
            f"The 'proximity' argument of {owner} must have entries in [0, 1] and ones "
            f"on the diagonal. Got entries in [{psi.min():g}, {psi.max():g}] and "
            f"diagonal in [{np.diag(psi).min():g}, {np.diag(psi).max():g}]."
        )
    try:
        np.linalg.cholesky(psi)
    except np.linalg.LinAlgError as exc:
        raise MetricError(
            f"The 'proximity' argument of {owner} must be positive definite. Got a "
            f"matrix with smallest eigenvalue {np.linalg.eigvalsh(psi).min():.3g}."
        ) from exc
    return psi


def _knowledge(k: npt.ArrayLike, name: str, owner: str, n_fields: int) -> _Matrix:
    """Validate a knowledge array (actors by fields, values in [0, 1])."""
    arr = as_matrix(k, name, owner, high=1.0)
    if arr.shape[1] != n_fields:
        raise MetricError(
            f"The '{name}' argument of {owner} must have one column per field of "
            f"'proximity' ({n_fields}). Got shape {arr.shape}."
        )
    return arr


def _psi_norms(k: _Matrix, psi: _Matrix) -> _Vector:
    """Psi-norm sqrt(k_a' Psi k_a) of each row."""
    return np.sqrt(np.maximum(((k @ psi) * k).sum(axis=1), 0.0))


def _distance(similarity: _Matrix, norm_a: _Matrix, norm_b: _Matrix) -> _Matrix:
    """1 - similarity / (norm_a norm_b), 1 where a norm is 0, clipped to [0, 1]."""
    scale = norm_a * norm_b
    cosine = np.divide(similarity, scale, out=np.zeros(scale.shape), where=scale > 0)
    # Cauchy-Schwarz bounds the cosine by 1; clipping only removes rounding error.
    return 1.0 - np.clip(cosine, 0.0, 1.0)


def pairwise_cognitive_distance(
    a: npt.ArrayLike, b: npt.ArrayLike, proximity: npt.ArrayLike
) -> _Matrix:
    r"""Cognitive distance between every row of `a` and every row of `b`.

    Parameters
    ----------
    a : array_like, shape (n_a, n_fields)
        Knowledge of the first actors, values in [0, 1].
    b : array_like, shape (n_b, n_fields)
        Knowledge of the second actors, values in [0, 1].
    proximity : array_like, shape (n_fields, n_fields)
        Field proximity Psi: symmetric, entries in [0, 1], ones on the diagonal,
        positive definite.

    Returns
    -------
    numpy.ndarray of float64, shape (n_a, n_b)
        Distances in [0, 1]; 1 where either row is all zero (no knowledge to share).

    Raises
    ------
    MetricError
        If a knowledge array is not 2-D with values in [0, 1] and one column per
        field, or `proximity` is not a valid field-proximity matrix.

    Notes
    -----
    .. math:: d(p, q) = 1 - \frac{p^\top \Psi q}{\sqrt{p^\top \Psi p \; q^\top \Psi q}}

    Scaling p or q leaves d unchanged, so raw knowledge rows are used.

    References
    ----------
    Jaffe, A. B. (1986). Technological opportunity and spillovers of R&D. American
    Economic Review, 76(5), 984-1001.

    Bloom, N., Schankerman, M., & Van Reenen, J. (2013). Identifying technology
    spillovers and product market rivalry. Econometrica, 81(4), 1347-1393.
    https://doi.org/10.3982/ECTA9466

    Nooteboom, B., Van Haverbeke, W., Duysters, G., Gilsing, V., & van den Oord, A.
    (2007). Optimal cognitive distance and absorptive capacity. Research Policy,
    36(7), 1016-1034. https://doi.org/10.1016/j.respol.2007.04.003
    """
    psi = _field_proximity(proximity, "pairwise_cognitive_distance")
    a = _knowledge(a, "a", "pairwise_cognitive_distance", psi.shape[0])
    b = _knowledge(b, "b", "pairwise_cognitive_distance", psi.shape[0])
    norm_a, norm_b = _psi_norms(a, psi), _psi_norms(b, psi)
    return _distance(a @ psi @ b.T, norm_a[:, np.newaxis], norm_b[np.newaxis, :])


def cognitive_distance_rows(
    a: npt.ArrayLike, b: npt.ArrayLike, proximity: npt.ArrayLike, *, check_input: bool = True
) -> _Vector:
    r"""Cognitive distance between row i of `a` and row i of `b`, for every i.

    Parameters
    ----------
    a, b : array_like, shape (n, n_fields)
        Knowledge of paired actors, values in [0, 1].
    proximity : array_like, shape (n_fields, n_fields)
        Field proximity Psi, as in :func:`pairwise_cognitive_distance`.
    check_input : bool, default=True
        Check the arguments. The model passes False: it calls this many times a year with
        float64 arrays that are valid by construction (its Psi is positive definite, its
        knowledge clipped to [0, 1]), where the checks cost more than the distances.
        Don't pass False unless the arrays are known to be valid.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Distances in [0, 1]; 1 where either row is all zero.

    Raises
    ------
    MetricError
        If `a` and `b` differ in shape or are invalid, or `proximity` is invalid.

    Notes
    -----
    .. math::

        d_i = 1 - \frac{a_i^\top \Psi b_i}
                       {\sqrt{a_i^\top \Psi a_i \; b_i^\top \Psi b_i}}

    References
    ----------
    Jaffe, A. B. (1986). Technological opportunity and spillovers of R&D. American
    Economic Review, 76(5), 984-1001.

    Bloom, N., Schankerman, M., & Van Reenen, J. (2013). Identifying technology
    spillovers and product market rivalry. Econometrica, 81(4), 1347-1393.
    https://doi.org/10.3982/ECTA9466
    """
    if check_input:
        psi = _field_proximity(proximity, "cognitive_distance_rows")
        a = _knowledge(a, "a", "cognitive_distance_rows", psi.shape[0])
        b = _knowledge(b, "b", "cognitive_distance_rows", psi.shape[0])
        if a.shape != b.shape:
            raise MetricError(
                "The 'b' argument of cognitive_distance_rows must have the shape of 'a', "
                f"{a.shape}. Got shape {b.shape}."
            )
    else:
        psi = proximity
    # the products with Psi by BLAS, the rest in one compiled pass over the rows
    return row_distances(a, b, a @ psi, b @ psi)


def cognitive_distance(a: npt.ArrayLike, b: npt.ArrayLike, proximity: npt.ArrayLike) -> float:
    r"""Cognitive distance between two knowledge vectors.

    Parameters
    ----------
    a, b : array_like, shape (n_fields,)
        Knowledge vectors, values in [0, 1].
    proximity : array_like, shape (n_fields, n_fields)
        Field proximity Psi, as in :func:`pairwise_cognitive_distance`.

    Returns
    -------
    float
        :math:`1 - a^\top \Psi b / \sqrt{a^\top \Psi a \; b^\top \Psi b}`, in [0, 1];
        1 if either vector is all zero.

    Raises
    ------
    MetricError
        If a vector is not 1-D with values in [0, 1] and one entry per field, or
        `proximity` is invalid.

    References
    ----------
    Jaffe, A. B. (1986). Technological opportunity and spillovers of R&D. American
    Economic Review, 76(5), 984-1001.

    Bloom, N., Schankerman, M., & Van Reenen, J. (2013). Identifying technology
    spillovers and product market rivalry. Econometrica, 81(4), 1347-1393.
    https://doi.org/10.3982/ECTA9466

    Examples
    --------
    >>> cognitive_distance([1, 0], [0, 1], [[1, 0.5], [0.5, 1]])
    0.5
    """
    owner = "cognitive_distance"
    vec_a = as_matrix(a, "a", owner, ndim=1, high=1.0)[np.newaxis, :]
    vec_b = as_matrix(b, "b", owner, ndim=1, high=1.0)[np.newaxis, :]
    return float(cognitive_distance_rows(vec_a, vec_b, proximity)[0])


def technological_heterogeneity(
    knowledge: npt.ArrayLike, proximity: npt.ArrayLike, *, check_input: bool = True
) -> float:
    r"""Mean pairwise cognitive distance among a set of actors.

    Parameters
    ----------
    knowledge : array_like, shape (n_actors, n_fields)
        Knowledge of each actor, values in [0, 1].
    proximity : array_like, shape (n_fields, n_fields)
        Field proximity Psi, as in :func:`pairwise_cognitive_distance`.
    check_input : bool, default=True
        Check the arguments; False skips the checks, as in
        :func:`cognitive_distance_rows`.

    Returns
    -------
    float
        Mean of :math:`d(a, b)` over unordered pairs of distinct actors, in [0, 1].
        Actors with no knowledge (all-zero rows) are skipped; 0 if fewer than two
        remain.

    Raises
    ------
    MetricError
        If `knowledge` or `proximity` is invalid.

    Notes
    -----
    With :math:`\hat p_a = p_a / \sqrt{p_a^\top \Psi p_a}` and
    :math:`S = \sum_a \hat p_a`,

    .. math::

        \frac{2}{n(n-1)} \sum_{a<b} d(a, b)
            = 1 - \frac{S^\top \Psi S - n}{n(n-1)},

    since :math:`\hat p_a^\top \Psi \hat p_a = 1`; this needs O(n) memory instead of an
    n-by-n distance matrix.

    References
    ----------
    Jaffe, A. B. (1986). Technological opportunity and spillovers of R&D. American
    Economic Review, 76(5), 984-1001.

    Bloom, N., Schankerman, M., & Van Reenen, J. (2013). Identifying technology
    spillovers and product market rivalry. Econometrica, 81(4), 1347-1393.
    https://doi.org/10.3982/ECTA9466

    Nooteboom, B., Van Haverbeke, W., Duysters, G., Gilsing, V., & van den Oord, A.
    (2007). Optimal cognitive distance and absorptive capacity. Research Policy,
    36(7), 1016-1034. https://doi.org/10.1016/j.respol.2007.04.003

    Examples
    --------
    >>> technological_heterogeneity([[1, 0], [0, 1], [0, 0]], [[1, 0.5], [0.5, 1]])
    0.5
    """
    if check_input:
        psi = _field_proximity(proximity, "technological_heterogeneity")
        k = _knowledge(knowledge, "knowledge", "technological_heterogeneity", psi.shape[0])
    else:
        psi, k = proximity, knowledge
    one_group = np.zeros(np.shape(k)[0], np.int64)
    return float(group_heterogeneity(k, psi, one_group, 1, check_input=False)[0])


def group_heterogeneity(
    knowledge: npt.ArrayLike,
    proximity: npt.ArrayLike,
    group: npt.ArrayLike,
    n_groups: int,
    *,
    check_input: bool = True,
) -> _Vector:
    r""":func:`technological_heterogeneity` of each group of actors, in one pass.

    Parameters
    ----------
    knowledge : array_like, shape (n_actors, n_fields)
        Knowledge of each actor, values in [0, 1].
    proximity : array_like, shape (n_fields, n_fields)
        Field proximity Psi.
    group : array_like of int, shape (n_actors,)
        Group of each actor, 0 to ``n_groups - 1``.
    n_groups : int
        Number of groups (groups without actors get 0).
    check_input : bool, default=True
        Check the arguments.

    Returns
    -------
    ndarray, shape (n_groups,)
        The heterogeneity of the actors of each group, as
        ``technological_heterogeneity(knowledge[group == g], proximity)`` (which is this
        function with one group).

    Raises
    ------
    MetricError
        If an argument is invalid.

    Examples
    --------
    >>> group_heterogeneity([[1, 0], [0, 1], [1, 0]], [[1, 0.5], [0.5, 1]], [0, 0, 1], 2)
    array([0.5, 0. ])
    """
    owner = "group_heterogeneity"
    if check_input:
        psi = _field_proximity(proximity, owner)
        k = _knowledge(knowledge, "knowledge", owner, psi.shape[0])
        g = np.asarray(group)
        if g.shape != (k.shape[0],) or g.dtype.kind not in "iu":
            raise MetricError(
                f"The 'group' argument of {owner} must be one integer per actor "
                f"({k.shape[0]}). Got shape {g.shape}, dtype {g.dtype}."
            )
        if g.size and (g.min() < 0 or g.max() >= n_groups):
            raise MetricError(
                f"The 'group' argument of {owner} must be 0 to n_groups - 1 = "
                f"{n_groups - 1}. Got {int(g.min())} to {int(g.max())}."
            )
    else:
        psi, k, g = proximity, knowledge, np.asarray(group)
    # each group's sum S of unit-norm rows (actors without knowledge skipped), compiled
    total, n = group_unit_sums(
        np.ascontiguousarray(k, np.float64),
        np.ascontiguousarray(psi, np.float64),
        g.astype(np.int64, copy=False),
        n_groups,
    )
    similarity = ((total @ psi) * total).sum(axis=1)
    pairs = n * (n - 1)
    mean = np.divide(similarity - n, pairs, out=np.ones(n_groups), where=pairs > 0)
    return np.clip(1.0 - mean, 0.0, 1.0)


def knowledge_entropy(knowledge: npt.ArrayLike) -> _Vector:
    r"""Shannon entropy (natural log) of each actor's knowledge shares.

    Parameters
    ----------
    knowledge : array_like, shape (n_actors, n_fields)
        Knowledge of each actor, values in [0, 1].

    Returns
    -------
    numpy.ndarray of float64, shape (n_actors,)
        :math:`-\sum_f s_{af} \ln s_{af}` with :math:`s_{af} = k_{af} / \sum_g k_{ag}`;
        in [0, log(n_fields)], 0 for an actor with no knowledge.

    Raises
    ------
    MetricError
        If `knowledge` is not 2-D with values in [0, 1].

    Examples
    --------
    >>> bool(np.isclose(knowledge_entropy([[0.5, 0.5]])[0], np.log(2)))
    True
    """
    return entropy(as_matrix(knowledge, "knowledge", "knowledge_entropy", high=1.0))
