"""Novelty and atypicality of combinations of knowledge fields.

A combination is an unordered pair of distinct fields, given as a row ``(a, b)`` of an
integer array; fields are numbered 0..n_fields-1.

Novelty is judged either against every combination ever made
(:func:`first_combinations`) or against the recent past only
(:func:`recent_combinations`, :func:`classify_novelty`): a record keeps the last year
each pair was combined, with the sentinels :data:`NEVER` (not combined yet) and
:data:`ALWAYS` (permanently familiar, e.g. pairs used together in production).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.metrics._numeric import safe_divide
from clusterlab.model.metrics._validation import MetricError, as_binary_matrix, as_square_matrix

__all__ = [
    "ALWAYS",
    "NEVER",
    "atypicality_z",
    "classify_novelty",
    "combination_incidence",
    "first_combinations",
    "last_combined_from",
    "recent_combinations",
]

_Mask = npt.NDArray[np.bool_]
_Years = npt.NDArray[np.int64]

NEVER = np.iinfo(np.int64).min // 4
"""Last-combined year of a pair never combined (novel whatever the memory)."""

ALWAYS = np.iinfo(np.int64).max // 4
"""Last-combined year of a permanently familiar pair (never novel)."""


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


def last_combined_from(known: npt.ArrayLike) -> _Years:
    """Start a last-combined record: :data:`ALWAYS` where ``known``, :data:`NEVER` elsewhere.

    Parameters
    ----------
    known : array_like of bool or 0/1, shape (..., n_fields, n_fields)
        Pairs that are permanently familiar (e.g. fields used together in one recipe).

    Examples
    --------
    >>> last = last_combined_from([[0, 1], [1, 0]])
    >>> bool(last[0, 1] == ALWAYS), bool(last[0, 0] == NEVER)
    (True, True)
    """
    return np.where(np.asarray(known, dtype=bool), ALWAYS, NEVER).astype(np.int64)


def _years(last: npt.ArrayLike, ndim: int, name: str, owner: str) -> _Years:
    """Validate an integer record of years, square and symmetric in its last two axes."""
    arr = np.asarray(last)
    square = arr.ndim == ndim and arr.shape[-1] == arr.shape[-2]
    if not square or not np.issubdtype(arr.dtype, np.integer):
        raise MetricError(
            f"The '{name}' argument of {owner} must be a {ndim}-D integer array of years, "
            f"square in its last two axes. Got dtype {arr.dtype} and shape {arr.shape}."
        )
    if not np.array_equal(arr, np.swapaxes(arr, -1, -2)):
        raise MetricError(
            f"The '{name}' argument of {owner} must be symmetric. Got an asymmetric one."
        )
    return arr.astype(np.int64)


def _first_of(key: npt.NDArray[np.intp]) -> _Mask:
    """Flag the first occurrence of each value of ``key``."""
    first = np.zeros(key.size, dtype=bool)
    first[np.unique(key, return_index=True)[1]] = True
    return first


def recent_combinations(
    pairs: npt.ArrayLike, last: npt.ArrayLike, step: int, memory: int
) -> tuple[_Mask, _Years]:
    r"""Flag combinations not made within the last ``memory`` years.

    Parameters
    ----------
    pairs : array_like of int, shape (n, 2)
        Combinations made in year ``step``, in order; ``(a, b)`` and ``(b, a)`` are the
        same combination.
    last : array_like of int, shape (n_fields, n_fields)
        Symmetric record of the last year each pair was combined (:data:`NEVER`,
        :data:`ALWAYS` allowed); not modified.
    step : int
        The current year.
    memory : int
        Years a combination stays familiar.

    Returns
    -------
    novel : numpy.ndarray of bool, shape (n,)
        True at the first occurrence in ``pairs`` of a pair with
        :math:`t - \mathrm{last}_{ab} > M` (not combined in years t-M .. t).
    last_after : numpy.ndarray of int64, shape (n_fields, n_fields)
        A copy of ``last`` with :math:`\max(\mathrm{last}_{ab}, t)` for every pair made.

    Raises
    ------
    MetricError
        If ``last`` is not a symmetric square integer matrix or ``pairs`` is not an
        (n, 2) integer array of distinct fields in [0, n_fields).

    Notes
    -----
    Knowledge of a combination depreciates: Fleming (2001) discounts each past use of a
    combination by :math:`e^{-\Delta t / 5\,\mathrm{years}}` when measuring how familiar it
    is, after the organisational forgetting of Argote, Beckman & Epple (1990). The
    window M is the simplest form of that depreciation: a pair unused for more than M
    years counts as novel again. With M larger than the run, this is
    :func:`first_combinations` (Verhoeven et al. 2016: never combined before).

    References
    ----------
    Fleming, L. (2001). Recombinant uncertainty in technological search. Management
    Science, 47(1), 117-132. https://doi.org/10.1287/mnsc.47.1.117.10671

    Argote, L., Beckman, S. L., & Epple, D. (1990). The persistence and transfer of
    learning in industrial settings. Management Science, 36(2), 140-154.
    https://doi.org/10.1287/mnsc.36.2.140

    Examples
    --------
    >>> last = np.full((3, 3), NEVER)
    >>> last[0, 1] = last[1, 0] = 5
    >>> novel, after = recent_combinations([[1, 0], [1, 2], [2, 1]], last, 15, 10)
    >>> novel.tolist(), int(after[0, 1]), int(after[2, 1])
    ([False, True, False], 15, 15)
    >>> recent_combinations([[1, 0]], last, 16, 10)[0].tolist()
    [True]
    """
    owner = "recent_combinations"
    record = _years(last, 2, "last", owner).copy()
    arr = _pairs(pairs, record.shape[0], owner)
    low, high = arr.min(axis=1), arr.max(axis=1)
    novel = _first_of(low * record.shape[0] + high) & (step - record[low, high] > memory)
    _stamp(record, (low, high), step)
    return novel, record


def _stamp(record: _Years, index: tuple[npt.NDArray[np.intp], ...], step: int) -> None:
    """Set the last year of the pairs at ``index`` (..., low, high) to at least ``step``."""
    *lead, low, high = index
    for where in ((*lead, low, high), (*lead, high, low)):
        record[where] = np.maximum(record[where], step)


def classify_novelty(
    pairs: npt.ArrayLike,
    region: npt.ArrayLike,
    world_last: npt.ArrayLike,
    region_last: npt.ArrayLike,
    step: int,
    memory: int,
) -> tuple[_Mask, _Mask, _Years, _Years]:
    r"""Split this year's combinations into new to the world and new to the region.

    Parameters
    ----------
    pairs : array_like of int, shape (n, 2)
        Combinations made in year ``step``, in the order they were made.
    region : array_like of int, shape (n,)
        Region of the actor that made each combination, in [0, n_regions).
    world_last : array_like of int, shape (n_fields, n_fields)
        Last year each pair was combined anywhere (see :func:`recent_combinations`).
    region_last : array_like of int, shape (n_regions, n_fields, n_fields)
        Last year each pair was combined in each region.
    step, memory : int
        The current year and the years a combination stays familiar.

    Returns
    -------
    new_to_world : numpy.ndarray of bool, shape (n,)
        Not combined anywhere within the memory, first time this year
        (:func:`recent_combinations`).
    new_to_region : numpy.ndarray of bool, shape (n,)
        Not new to the world, but not combined in its own region within the memory:
        first occurrence of (region, pair) this year with
        :math:`t - \mathrm{last}_{r,ab} > M`. The two flags never both hold.
    world_after, region_after : numpy.ndarray of int64
        Copies of the records with year ``step`` stamped on every pair made.

    Raises
    ------
    MetricError
        If a record has the wrong shape, type or is asymmetric, a region is out of
        range, or ``pairs`` is invalid.

    Notes
    -----
    The distinction follows the innovation surveys (new to the market vs new to the
    firm: OECD/Eurostat 2018, Oslo Manual, 4th ed.) applied to places: a
    combination made elsewhere but new where it is made is an imitation at world
    level and a novelty for its region's knowledge base (Castaldi, Frenken & Los 2015).

    Examples
    --------
    >>> world = np.full((3, 3), NEVER)
    >>> world[0, 1] = world[1, 0] = 9  # region 1 made (0, 1) last year
    >>> regional = np.full((2, 3, 3), NEVER)
    >>> regional[1, 0, 1] = regional[1, 1, 0] = 9
    >>> w, r, _, _ = classify_novelty([[0, 1], [1, 2], [2, 1]], [0, 0, 1], world, regional, 10, 5)
    >>> w.tolist(), r.tolist()
    ([False, True, False], [True, False, True])
    """
    owner = "classify_novelty"
    new_world, world_after = recent_combinations(pairs, world_last, step, memory)
    regional = _years(region_last, 3, "region_last", owner).copy()
    if regional.shape[1] != world_after.shape[0]:
        raise MetricError(
            f"The 'region_last' argument of {owner} must have {world_after.shape[0]} fields "
            f"like 'world_last'. Got shape {regional.shape}."
        )
    arr = _pairs(pairs, world_after.shape[0], owner)
    reg = np.asarray(region, dtype=np.intp).reshape(-1)
    if reg.size != arr.shape[0] or np.any((reg < 0) | (reg >= regional.shape[0])):
        raise MetricError(
            f"The 'region' argument of {owner} must hold one region in "
            f"[0, {regional.shape[0] - 1}] per pair. Got {reg.size} values for "
            f"{arr.shape[0]} pairs, in [{reg.min(initial=0)}, {reg.max(initial=0)}]."
        )
    k = world_after.shape[0]
    low, high = arr.min(axis=1), arr.max(axis=1)
    first = _first_of((reg * k + low) * k + high)
    stale = step - regional[reg, low, high] > memory
    new_region = first & stale & ~new_world
    _stamp(regional, (reg, low, high), step)
    return new_world, new_region, world_after, regional


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
