"""Persistent specialisation: entries and exits that hold, not raw crossings.

Most year-to-year crossings of RCA = 1 are noise: a cell near the threshold crosses it
back and forth, and each upward crossing would count as a new specialisation. Here a
change of a region x industry cell counts only when it has held for several consecutive
years (and, optionally, cleared a band around the threshold): a re-crossing is not a new
entry, and a cell enters at most once unless it has first exited persistently.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from clusterlab.model.metrics._validation import (
    MetricError,
    as_binary_matrix,
    as_matrix,
    check_same_shape,
    check_threshold,
)

__all__ = [
    "PersistentPath",
    "PersistentUpdate",
    "persistent_specialisation",
    "persistent_update",
]

_Mask = npt.NDArray[np.bool_]
_Counts = npt.NDArray[np.int64]


class PersistentUpdate(NamedTuple):
    """One year of the persistence rule (:func:`persistent_update`)."""

    status: _Mask  # persistent specialisation after the year
    run: _Counts  # consecutive years spent on the other side of `status`
    entries: _Mask  # cells whose status turned 0 -> 1 this year
    exits: _Mask  # cells whose status turned 1 -> 0 this year


class PersistentPath(NamedTuple):
    """Persistent specialisation over a path of years (:func:`persistent_specialisation`)."""

    status: _Mask  # (T, n_regions, n_industries)
    entries: _Mask  # (T, n_regions, n_industries); all False at t = 0
    exits: _Mask  # (T, n_regions, n_industries); all False at t = 0


def _check_persistence(persistence: int, owner: str) -> int:
    if isinstance(persistence, bool) or not isinstance(persistence, int | np.integer):
        raise MetricError(
            f"The 'persistence' argument of {owner} must be an integer >= 1. Got {persistence!r}."
        )
    if persistence < 1:
        raise MetricError(
            f"The 'persistence' argument of {owner} must be an integer >= 1. Got {persistence}."
        )
    return int(persistence)


def persistent_update(
    status: npt.ArrayLike,
    run: npt.ArrayLike,
    above: npt.ArrayLike,
    below: npt.ArrayLike,
    persistence: int = 5,
) -> PersistentUpdate:
    r"""Advance persistent specialisation by one year.

    A cell (region x industry) changes status only after `persistence` consecutive years
    on the other side: a non-specialised cell enters when it has been `above` in each of
    the last `persistence` years; a specialised cell exits when it has been `below` in
    each of them. A year that is not on the other side resets the count, so a cell that
    crosses the threshold back and forth never changes status, and a cell enters at most
    once unless it has first exited persistently.

    Parameters
    ----------
    status : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Persistent specialisation S before the year.
    run : array_like of non-negative integers, shape (n_regions, n_industries)
        Consecutive years each cell has spent on the other side of its status (0 at the
        start).
    above : array_like of 0/1 or bool, shape (n_regions, n_industries)
        This year's cells clearly specialised, e.g. RCA >= upper.
    below : array_like of 0/1 or bool, shape (n_regions, n_industries)
        This year's cells clearly not specialised, e.g. RCA < lower. With a band
        (lower < upper) a cell can be neither; it can never be both.
    persistence : int, default=5
        Years L a change must hold; L = 1 without a band gives the raw
        :func:`entry_exit`.

    Returns
    -------
    PersistentUpdate
        ``status``, ``run`` after the year and this year's ``entries`` and ``exits``.

    Raises
    ------
    MetricError
        If a mask is not binary, `run` is negative or not integer, shapes differ, a cell
        is both above and below, or `persistence` is not an integer >= 1.

    Notes
    -----
    With :math:`O_t = A_t` where :math:`S_{t-1} = 0` and :math:`O_t = B_t` where
    :math:`S_{t-1} = 1`:

    .. math::

        c_t = (c_{t-1} + 1)\, O_t, \qquad F_t = [c_t \ge L], \qquad
        S_t = S_{t-1} \oplus F_t,

    entries :math:`= F_t (1 - S_{t-1})`, exits :math:`= F_t S_{t-1}`, and :math:`c_t` is
    reset to 0 where :math:`F_t`.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabasi, A.-L., & Hausmann, R. (2007). The product
    space conditions the development of nations. Science, 317(5837), 482-487.
    https://doi.org/10.1126/science.1144581 (transitions defined with RCA bands, so that
    noise around RCA = 1 is not counted as change).

    Bahar, D., Hausmann, R., & Hidalgo, C. A. (2014). Neighbors and the evolution of the
    comparative advantage of nations. Journal of International Economics, 92(1),
    111-123. https://doi.org/10.1016/j.jinteco.2013.11.001

    Examples
    --------
    >>> u = persistent_update([[0, 1]], [[1, 0]], [[1, 1]], [[0, 0]], persistence=2)
    >>> u.status.tolist(), u.entries.tolist(), u.run.tolist()
    ([[True, True]], [[True, False]], [[0, 0]])
    """
    owner = "persistent_update"
    length = _check_persistence(persistence, owner)
    before = as_binary_matrix(status, "status", owner).astype(bool)
    counts = as_matrix(run, "run", owner)
    if np.any(counts != np.round(counts)):
        raise MetricError(f"The 'run' argument of {owner} must hold non-negative integers.")
    up = as_binary_matrix(above, "above", owner).astype(bool)
    down = as_binary_matrix(below, "below", owner).astype(bool)
    for name, arr in (("run", counts), ("above", up), ("below", down)):
        check_same_shape(before, arr, ("status", name), owner)
    if np.any(up & down):
        raise MetricError(
            f"The 'above' and 'below' arguments of {owner} must not both be true in a cell "
            "(use lower <= upper)."
        )
    other_side = np.where(before, down, up)
    counts = np.where(other_side, counts.astype(np.int64) + 1, 0)
    flip = counts >= length
    return PersistentUpdate(
        status=before ^ flip,
        run=np.where(flip, 0, counts),
        entries=flip & ~before,
        exits=flip & before,
    )


def persistent_specialisation(
    rca_path: npt.ArrayLike,
    persistence: int = 5,
    lower: float = 1.0,
    upper: float = 1.0,
) -> PersistentPath:
    r"""Track persistent specialisation, entries and exits along a path of RCA matrices.

    The status starts as :math:`S_0 = [RCA_0 \ge (\text{lower} + \text{upper}) / 2]`
    (the plain threshold without a band) with no run under way,
    then follows :func:`persistent_update` with :math:`A_t = [RCA_t \ge \text{upper}]`
    and :math:`B_t = [RCA_t < \text{lower}]`. An entry is dated to the year it is
    confirmed (the last of the `persistence` years), so the first possible entry is at
    t = `persistence`. Entries minus exits of a cell add up to
    :math:`S_T - S_0`.

    Parameters
    ----------
    rca_path : array_like, shape (T, n_regions, n_industries)
        Non-negative RCA of each region in each industry, year by year.
    persistence : int, default=5
        Consecutive years L a change must hold.
    lower, upper : float, default=1.0
        Band: enter when RCA >= upper for L years, exit when RCA < lower for L years
        (hysteresis). ``lower = upper = 1`` is the plain threshold.

    Returns
    -------
    PersistentPath
        ``status``, ``entries`` and ``exits``, each of shape (T, n_regions,
        n_industries); entries and exits are all False at t = 0.

    Raises
    ------
    MetricError
        If `rca_path` is not a 3-D array of finite non-negative numbers, `lower` or
        `upper` is not positive and finite, ``lower > upper``, or `persistence` is not
        an integer >= 1.

    Examples
    --------
    RCA crosses 1 three times; with L = 2 only the spell of two years counts:

    >>> path = [[[0.8]], [[1.2]], [[0.9]], [[1.1]], [[1.3]], [[0.7]], [[1.4]]]
    >>> p = persistent_specialisation(path, persistence=2)
    >>> p.entries[:, 0, 0].astype(int).tolist(), bool(p.exits.any())
    ([0, 0, 0, 0, 1, 0, 0], False)
    """
    owner = "persistent_specialisation"
    length = _check_persistence(persistence, owner)
    path = as_matrix(rca_path, "rca_path", owner, ndim=3)
    low = check_threshold(lower, "lower", owner, positive=True)
    high = check_threshold(upper, "upper", owner, positive=True)
    if low > high:
        raise MetricError(
            f"The 'lower' argument of {owner} must be <= 'upper' ({high!r}). Got {low!r}."
        )
    status = np.zeros(path.shape, bool)
    entries, exits = np.zeros(path.shape, bool), np.zeros(path.shape, bool)
    if path.shape[0] == 0:
        return PersistentPath(status, entries, exits)
    status[0] = path[0] >= (low + high) / 2  # the start has no history: mid-band
    run = np.zeros(path.shape[1:], np.int64)
    for t in range(1, path.shape[0]):
        step = persistent_update(status[t - 1], run, path[t] >= high, path[t] < low, length)
        status[t], run, entries[t], exits[t] = step
    return PersistentPath(status, entries, exits)
