"""Input checks shared by the metrics.

Each check converts its argument to a numpy array or raises :class:`MetricError`
with one line that names the argument, the function it was passed to, what is allowed
and what was given, e.g. "The 'x' argument of rca must be a 2-D array of finite numbers
in [0, inf]. Got -1.0 at index (0, 2)."
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from clusterlab.model.errors import ClusterLabError

__all__ = [
    "MetricError",
    "as_binary_matrix",
    "as_matrix",
    "as_square_matrix",
    "check_same_shape",
    "check_threshold",
    "parse_choice",
]

_Choice = TypeVar("_Choice", bound=StrEnum)


class MetricError(ClusterLabError, ValueError):
    """An argument of a metric has the wrong type, shape or values."""


def _error(name: str, owner: str, allowed: str, got: str) -> MetricError:
    return MetricError(f"The '{name}' argument of {owner} must be {allowed}. Got {got}.")


def _first_bad(mask: npt.NDArray[np.bool_], values: npt.NDArray[np.float64]) -> str:
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"{float(values[index])!r} at index {index}"


def as_matrix(
    x: npt.ArrayLike,
    name: str,
    owner: str,
    *,
    ndim: int = 2,
    low: float = 0.0,
    high: float = np.inf,
) -> npt.NDArray[np.float64]:
    """Return `x` as a float64 `ndim`-D array of finite values in [low, high].

    Raises
    ------
    MetricError
        If `x` is not numeric, has another number of dimensions, or holds a NaN, an
        infinity or a value outside [low, high].
    """
    allowed = f"a {ndim}-D array of finite numbers in [{low:g}, {high:g}]"
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _error(name, owner, allowed, f"a non-numeric {type(x).__name__}") from exc
    if arr.ndim != ndim:
        raise _error(name, owner, allowed, f"an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise _error(name, owner, allowed, _first_bad(~np.isfinite(arr), arr))
    outside = (arr < low) | (arr > high)
    if np.any(outside):
        raise _error(name, owner, allowed, _first_bad(outside, arr))
    return arr


def as_binary_matrix(m: npt.ArrayLike, name: str, owner: str) -> npt.NDArray[np.float64]:
    """Return a 0/1 (or boolean) 2-D array as float64, so matrix products count.

    Raises
    ------
    MetricError
        If `m` is not a 2-D array of zeros and ones.
    """
    arr = as_matrix(m, name, owner)
    not_binary = (arr != 0) & (arr != 1)
    if np.any(not_binary):
        allowed = "a 2-D array of 0/1 or booleans (e.g. specialisation_matrix(x))"
        raise _error(name, owner, allowed, _first_bad(not_binary, arr))
    return arr


def as_square_matrix(
    c: npt.ArrayLike, name: str, owner: str, *, symmetric: bool
) -> npt.NDArray[np.float64]:
    """Return a square, non-negative, finite matrix; optionally check symmetry.

    Raises
    ------
    MetricError
        If `c` is not square, not symmetric when required, negative or not finite.
    """
    arr = as_matrix(c, name, owner)
    if arr.shape[0] != arr.shape[1]:
        raise _error(name, owner, "a square matrix", f"shape {arr.shape}")
    if symmetric and not np.allclose(arr, arr.T, rtol=1e-12, atol=1e-12):
        raise _error(name, owner, "a symmetric matrix", "an asymmetric one")
    return arr


def check_same_shape(
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    names: tuple[str, str],
    owner: str,
) -> None:
    """Raise :class:`MetricError` unless `a` and `b` have the same shape."""
    if a.shape != b.shape:
        allowed = f"an array of the shape of '{names[0]}', {a.shape}"
        raise _error(names[1], owner, allowed, f"shape {b.shape}")


def check_threshold(value: float, name: str, owner: str, *, positive: bool) -> float:
    """Return `value` as a float if finite (and > 0 when `positive`).

    Raises
    ------
    MetricError
        If `value` is not a finite real number, or not positive when required.
    """
    allowed = "a finite number" + (" > 0" if positive else "")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise _error(name, owner, allowed, repr(value)) from exc
    if not np.isfinite(number) or (positive and number <= 0):
        raise _error(name, owner, allowed, repr(value))
    return number


def parse_choice(value: str, choices: type[_Choice], name: str, owner: str) -> _Choice:
    """Parse a string (case-insensitive) into a member of the StrEnum `choices`.

    Raises
    ------
    MetricError
        If `value` is not one of the members' values; the message lists them.
    """
    allowed = "one of " + ", ".join(repr(c.value) for c in choices)
    try:
        return choices(str(value).lower())
    except ValueError as exc:
        raise _error(name, owner, allowed, repr(value)) from exc
