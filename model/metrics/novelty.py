"""Novelty and atypicality of combinations of knowledge fields.

A combination is an unordered pair of distinct fields, given as a row ``(a, b)`` of an
integer array; fields are numbered 0..n_fields-1.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from model.metrics._numeric import safe_divide
from model.metrics._validation import MetricError, as_binary_matrix, as_square_matrix

__all__ = ["atypicality_z", "combination_incidence", "first_combinations"]

_Mask = npt.NDArray[np.bool_]


def _pairs(pairs: npt.ArrayLike, n_fields: int, owner: str) -> npt.NDArray[np.intp]:
    """Validate an (n, 2) integer array of distinct fields in [0, n_fields)."""
    arr = np.asarray(pairs)
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.intp)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.issubdtype(arr.dtype, np.integer):
        raise MetricError(
            f"The 'pairs' argument of {owner} must be an (n, 2) integer array. "
            f"Got dtype {arr.dtype} and shape {arr.shape}."
        )
    bad = (arr < 0) | (arr >= n_fields)
    if np.any(bad):
        raise MetricError(
            f"The 'pairs' argument of {owner} must hold fields in [0, {n_fields - 1}]. "
            f"Got {int(arr[bad][0])} in row {int(np.argwhere(bad)[0, 0])}."
        )
    same = arr[:, 0] == arr[:, 1]
    if np.any(same):
        row = int(np.argmax(same))
        raise MetricError(
            f"The 'pairs' argument of {owner} must combine two distinct fields. "
            f"Got ({arr[row, 0]}, {arr[row, 1]}) in row {row}."
        )
    return arr.astype(np.intp)


def first_combinations(pairs: npt.ArrayLike, seen: npt.ArrayLike) -> tuple[_Mask, _Mask]:
    """Flag combinations made for the first time ever.

    Parameters
    ----------
    pairs : array_like of int, shape (n, 2)
        Combinations in the order they were made; ``(a, b)`` and ``(b, a)`` are the
        same combination. A pair of a field with itself is an error.
    seen : array_like of bool or 0/1, shape (n_fields, n_fields)
        Symmetric record of combinations made before; not modified.

    Returns
    -------
    novel : numpy.ndarray of bool, shape (n,)
        True where the combination is not in `seen` and not earlier in `pairs`.
    seen_after : numpy.ndarray of bool, shape (n_fields, n_fields)
        A copy of `seen` with every combination in `pairs` recorded (both orders).

    Raises
    ------
    MetricError
        If `seen` is not a symmetric 0/1 square matrix, or `pairs` is not an (n, 2)
        integer array of distinct fields in [0, n_fields).

    Notes
    -----
    A novel combination in the sense of Verhoeven et al. (2016): a pair of
    technology fields never combined before.

    References
    ----------
    Verhoeven, D., Bakker, J., & Veugelers, R. (2016). Measuring technological novelty
    with patent-based indicators. Research Policy, 45(3), 707-723.
    https://doi.org/10.1016/j.respol.2015.11.010

    Examples
    --------
    >>> seen = np.zeros((3, 3), dtype=bool)
    >>> novel, after = first_combinations([[0, 1], [1, 0], [1, 2]], seen)
    >>> novel.tolist(), bool(after[1, 0]), bool(seen[1, 0])
    ([True, False, True], True, False)
    """
    owner = "first_combinations"
    as_binary_matrix(seen, "seen", owner)
    record = as_square_matrix(seen, "seen", owner, symmetric=True).astype(bool)
    arr = _pairs(pairs, record.shape[0], owner)
    low, high = arr.min(axis=1), arr.max(axis=1)
    first = np.zeros(arr.shape[0], dtype=bool)
    first[np.unique(low * record.shape[0] + high, return_index=True)[1]] = True
    novel = first & ~record[low, high]
    record[low, high] = True
    record[high, low] = True
    return novel, record


def combination_incidence(pairs: npt.ArrayLike, n_fields: int) -> _Mask:
    """Turn a list of two-field combinations into an items-by-fields incidence matrix.

    Parameters
    ----------
    pairs : array_like of int, shape (n, 2)
        Combinations of two distinct fields.
    n_fields : int
        Number of fields, K.

    Returns
    -------
    numpy.ndarray of bool, shape (n, n_fields)
        True at the two fields of each combination.

    Raises
    ------
    MetricError
        If `n_fields` is not a non-negative integer or `pairs` is not an (n, 2)
        integer array of distinct fields in [0, K).

    Examples
    --------
    >>> combination_incidence([[0, 2]], 3).tolist()
    [[True, False, True]]
    """
    if isinstance(n_fields, bool) or not isinstance(n_fields, int | np.integer):
        raise MetricError(
            "The 'n_fields' argument of combination_incidence must be an integer >= 0. "
            f"Got {n_fields!r}."
        )
    if n_fields < 0:
        raise MetricError(
            "The 'n_fields' argument of combination_incidence must be an integer >= 0. "
            f"Got {n_fields!r}."
        )
    arr = _pairs(pairs, int(n_fields), "combination_incidence")
    incidence = np.zeros((arr.shape[0], int(n_fields)), dtype=bool)
    rows = np.arange(arr.shape[0])
    incidence[rows, arr[:, 0]] = True
    incidence[rows, arr[:, 1]] = True
    return incidence


def atypicality_z(incidence: npt.ArrayLike) -> npt.NDArray[np.float64]:
    r"""Z-score of how often two fields co-occur against a hypergeometric null.

    Parameters
    ----------
    incidence : array_like of bool or 0/1, shape (n_items, n_fields)
        Which fields each item (paper, patent, innovation) combines; see
        :func:`combination_incidence` for two-field combinations.

    Returns
    -------
    numpy.ndarray of float64, shape (n_fields, n_fields)
        Symmetric z-scores with zero diagonal; negative values mark atypical (rarer
        than chance) combinations, positive values conventional ones. 0 where the
        null has no variance (a field in no item or in every item) and everywhere
        when there are fewer than two items.

    Raises
    ------
    MetricError
        If `incidence` is not a 2-D array of zeros and ones.

    Notes
    -----
    With N items, :math:`n_i` items containing field i and :math:`o_{ij}` containing
    both, the null draws the :math:`n_j` items of field j at random among the N
    (hypergeometric):

    .. math::

        z_{ij} = \frac{o_{ij} - \mu_{ij}}{\sigma_{ij}}, \quad
        \mu_{ij} = \frac{n_i n_j}{N}, \quad
        \sigma^2_{ij} = \frac{n_i n_j (N - n_i)(N - n_j)}{N^2 (N - 1)}.

    Uzzi et al. (2013) compare with a Monte Carlo rewiring of citations that keeps
    each item's size; this analytic null, as in Teece et al. (1994), is the cheap
    approximation. For two-field items it ignores that each item holds exactly two
    fields.

    References
    ----------
    Uzzi, B., Mukherjee, S., Stringer, M., & Jones, B. (2013). Atypical combinations
    and scientific impact. Science, 342(6157), 468-472.
    https://doi.org/10.1126/science.1240474

    Teece, D. J., Rumelt, R., Dosi, G., & Winter, S. (1994). Understanding corporate
    coherence. Journal of Economic Behavior & Organization, 23(1), 1-30.
    https://doi.org/10.1016/0167-2681(94)90094-9

    Examples
    --------
    >>> z = atypicality_z([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]])
    >>> round(float(z[0, 1]), 6), round(float(z[0, 2]), 6)
    (1.732051, -1.732051)
    """
    x = as_binary_matrix(incidence, "incidence", "atypicality_z")
    n_items = x.shape[0]
    z = np.zeros((x.shape[1], x.shape[1]))
    if n_items < 2:
        return z
    counts = x.sum(axis=0)
    mean = np.outer(counts, counts) / n_items
    spread = counts * (n_items - counts)
    variance = np.outer(spread, spread) / (n_items**2 * (n_items - 1))
    z = safe_divide(x.T @ x - mean, np.sqrt(variance))
    np.fill_diagonal(z, 0.0)
    return z
