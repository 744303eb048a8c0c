"""Entries into and exits from specialisation between two periods.

An entry is a region becoming specialised (M from 0 to 1) in an industry; entries are
split into related and unrelated ones by the relatedness density of the region around
the industry at the start of the period. These are raw crossings of the threshold: a
cell near RCA = 1 crosses it back and forth; :mod:`clusterlab.model.metrics.persistence` counts
only changes that hold.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.metrics._validation import (
    as_binary_matrix,
    as_matrix,
    check_same_shape,
    check_threshold,
)

__all__ = ["classify_by_density", "classify_entries", "entry_exit"]

_Mask = npt.NDArray[np.bool_]


def entry_exit(m_before: npt.ArrayLike, m_after: npt.ArrayLike) -> tuple[_Mask, _Mask]:
    r"""Entries into and exits from specialisation between two periods.

    Parameters
    ----------
    m_before, m_after : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Specialisation matrices at the start and at the end of the period.

    Returns
    -------
    entries : numpy.ndarray of bool, shape (n_regions, n_industries)
        :math:`M^{t}_{ri} = 0` and :math:`M^{t+1}_{ri} = 1`.
    exits : numpy.ndarray of bool, shape (n_regions, n_industries)
        :math:`M^{t}_{ri} = 1` and :math:`M^{t+1}_{ri} = 0`.

    Raises
    ------
    MetricError
        If either matrix is not binary or their shapes differ.

    References
    ----------
    Neffke, F., Henning, M., & Boschma, R. (2011). How do regions diversify over time?
    Economic Geography, 87(3), 237-265.
    https://doi.org/10.1111/j.1944-8287.2011.01121.x

    Examples
    --------
    >>> entries, exits = entry_exit([[1, 0, 1]], [[0, 1, 1]])
    >>> entries.tolist(), exits.tolist()
    ([[False, True, False]], [[True, False, False]])
    """
    before = as_binary_matrix(m_before, "m_before", "entry_exit").astype(bool)
    after = as_binary_matrix(m_after, "m_after", "entry_exit").astype(bool)
    check_same_shape(before, after, ("m_before", "m_after"), "entry_exit")
    return ~before & after, before & ~after


def classify_entries(
    m_before: npt.ArrayLike,
    m_after: npt.ArrayLike,
    density_before: npt.ArrayLike,
    threshold: float | None = None,
) -> tuple[_Mask, _Mask]:
    r"""Split entries into related and unrelated ones by density at the start.

    Parameters
    ----------
    m_before, m_after : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Specialisation matrices at the start and at the end of the period.
    density_before : array_like, shape (n_regions, n_industries)
        Relatedness density at the start (:func:`relatedness_density` of `m_before`).
    threshold : float or None, default=None
        Density at or above which an entry is related. None uses the median density
        over the cells not specialised at the start (the candidates for entry).

    Returns
    -------
    related : numpy.ndarray of bool, shape (n_regions, n_industries)
        Entries with ``density_before >= threshold``.
    unrelated : numpy.ndarray of bool, shape (n_regions, n_industries)
        The other entries. Both are all False when there is no entry (for instance,
        when every cell is specialised at the start and the median is undefined).

    Raises
    ------
    MetricError
        If a matrix is not binary, `density_before` is not finite and non-negative,
        shapes differ, or `threshold` is not finite.

    Notes
    -----
    .. math::

        \text{related}_{ri} = E_{ri} \wedge RD^{t}_{ri} \ge \tau, \qquad
        \text{unrelated}_{ri} = E_{ri} \wedge RD^{t}_{ri} < \tau

    with :math:`E` the entries of :func:`entry_exit` and :math:`\tau` the threshold.

    References
    ----------
    Neffke, F., Henning, M., & Boschma, R. (2011). Economic Geography, 87(3),
    237-265. https://doi.org/10.1111/j.1944-8287.2011.01121.x

    Examples
    --------
    >>> related, unrelated = classify_entries([[1, 0, 0]], [[1, 1, 1]], [[0, 80, 20]])
    >>> related.tolist(), unrelated.tolist()
    ([[False, True, False]], [[False, False, True]])
    """
    owner = "classify_entries"
    before = as_binary_matrix(m_before, "m_before", owner).astype(bool)
    after = as_binary_matrix(m_after, "m_after", owner).astype(bool)
    density = as_matrix(density_before, "density_before", owner)
    check_same_shape(before, after, ("m_before", "m_after"), owner)
    check_same_shape(before, density, ("m_before", "density_before"), owner)
    if threshold is not None:
        check_threshold(threshold, "threshold", owner, positive=False)
    return classify_by_density(~before & after, density, ~before, threshold)


def classify_by_density(
    entries: npt.ArrayLike,
    density: npt.ArrayLike,
    candidates: npt.ArrayLike,
    threshold: float | None = None,
) -> tuple[_Mask, _Mask]:
    r"""Split given entries into related and unrelated ones by a density.

    Parameters
    ----------
    entries : array_like of 0/1 or bool, shape (n_regions, n_industries)
        The entries to split (e.g. from :func:`entry_exit` or :func:`persistent_update`).
    density : array_like, shape (n_regions, n_industries)
        Relatedness density at the reference time (before the entries).
    candidates : array_like of 0/1 or bool, shape (n_regions, n_industries)
        The cells that could have been entered at the reference time (not specialised
        then); their median density is the threshold when `threshold` is None.
    threshold : float or None, default=None
        Density at or above which an entry is related.

    Returns
    -------
    related, unrelated : numpy.ndarray of bool, shape (n_regions, n_industries)
        Entries with ``density >= threshold`` and the other entries. Both are all False
        when `threshold` is None and there is no candidate (median undefined).

    Raises
    ------
    MetricError
        If a mask is not binary, `density` is not finite and non-negative, shapes
        differ, or `threshold` is not finite.

    Examples
    --------
    >>> related, unrelated = classify_by_density([[0, 1, 1]], [[0, 80, 20]], [[0, 1, 1]])
    >>> related.tolist(), unrelated.tolist()
    ([[False, True, False]], [[False, False, True]])
    """
    owner = "classify_by_density"
    entered = as_binary_matrix(entries, "entries", owner).astype(bool)
    dens = as_matrix(density, "density", owner)
    open_cells = as_binary_matrix(candidates, "candidates", owner).astype(bool)
    check_same_shape(entered, dens, ("entries", "density"), owner)
    check_same_shape(entered, open_cells, ("entries", "candidates"), owner)
    if threshold is not None:
        tau = check_threshold(threshold, "threshold", owner, positive=False)
    elif open_cells.any():
        tau = float(np.median(dens[open_cells]))
    else:
        return np.zeros_like(entered), np.zeros_like(entered)
    related = entered & (dens >= tau)
    return related, entered & ~related
