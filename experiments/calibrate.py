"""Intensities calibrated to a spend target: equal realised cost by construction.

A policy budget is a cap, not a cost: a lever at a given intensity spends whatever its
claims come to. To compare instruments at equal realised cost, :func:`calibrate_intensity`
finds, for one lever, the intensity whose realised spend over a run matches a target in
M€ (mean over a few pilot runs with common seeds). It bisects on the lever's declared
range, assuming realised spend rises with the intensity (a higher subsidy share, grant or
funding claims more, and more links form), and checks that assumption on the points it
evaluated. Equal realised cost can also come from ``allocation = "call"``
(``model/calls.py``), which spends exactly the budget whenever demand exceeds it.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from clusterlab.model.errors import ParameterError
from clusterlab.model.params import ModelParams, param_specs, suggest
from clusterlab.model.simulate import simulate

__all__ = ["Calibration", "CalibrationWarning", "bisect_spend", "calibrate_intensity", "levers"]

SPEND = "policy_spend"
"""Summary key of a run's realised spend (M€ over years 1..T, all instruments)."""


class CalibrationWarning(UserWarning):
    """Realised spend did not rise with the lever on the points evaluated."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """Result of a calibration: the intensity found and how close its spend came."""

    lever: str
    target: float  # M€ over the run
    value: float  # intensity found
    achieved: float  # mean realised spend at ``value`` over the pilot seeds (M€)
    per_seed: tuple[float, ...]  # realised spend of each pilot run at ``value``
    tolerance: float  # relative tolerance asked
    evaluations: tuple[tuple[float, float], ...]  # (intensity, mean spend), in order
    monotone: bool  # spend never fell by more than the tolerance as the intensity rose

    @property
    def relative_error(self) -> float:
        """``|achieved - target| / target`` (the absolute error when the target is 0)."""
        gap = abs(self.achieved - self.target)
        return gap / self.target if self.target > 0 else gap

    @property
    def within(self) -> bool:
        """Whether the achieved spend is within the tolerance of the target."""
        return self.relative_error <= self.tolerance


def levers() -> list[str]:
    """Policy levers that can be calibrated: the numeric parameters of ``PolicyParams``."""
    return [s.name for s in param_specs().values() if s.group == "policy" and not s.choices]


def bisect_spend(
    spend_of: Callable[[float], float],
    low: float,
    high: float,
    target: float,
    tolerance: float,
    max_evaluations: int,
) -> tuple[float, list[tuple[float, float]]]:
    """Bisect for the intensity whose spend is within ``tolerance`` of ``target``.

    ``spend_of`` is assumed non-decreasing on ``[low, high]``. Evaluates both ends first;
    a target outside their spends returns the nearer end. Stops at the first point within
    tolerance, else after ``max_evaluations`` and returns the closest point evaluated.

    Returns
    -------
    value : float
    evaluations : list of (intensity, spend), in the order evaluated

    Examples
    --------
    >>> value, points = bisect_spend(lambda x: 100 * x, 0.0, 1.0, 30.0, 0.05, 20)
    >>> round(value, 4), len(points)  # 0.5, 0.25, 0.375, 0.3125 (31.25: within 5%)
    (0.3125, 6)
    """
    points = [(low, spend_of(low)), (high, spend_of(high))]
    if target <= points[0][1] or target >= points[1][1]:
        return min(points, key=lambda p: abs(p[1] - target))[0], points
    lo, hi = low, high
    while len(points) < max_evaluations:
        mid = 0.5 * (lo + hi)
        spend = spend_of(mid)
        points.append((mid, spend))
        if abs(spend - target) <= tolerance * target:
            break
        lo, hi = (mid, hi) if spend < target else (lo, mid)
    return min(points, key=lambda p: abs(p[1] - target))[0], points


def _spend(params: ModelParams, lever: str, value: float, seeds: Sequence[int], steps: int):
    """Realised spend (M€) of one pilot run per seed at ``lever = value``."""
    p = params.replace(**{lever: value})
    return np.array([simulate(p, seed=int(s), steps=steps).summary[SPEND] for s in seeds])


def calibrate_intensity(
    params: ModelParams,
    lever: str,
    target: float,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 50,
    tolerance: float = 0.05,
    max_evaluations: int = 12,
) -> Calibration:
    """Find the intensity of ``lever`` whose mean realised spend matches ``target`` M€.

    Parameters
    ----------
    params : ModelParams
        Everything else (the other levers, the budget, the world).
    lever : str
        A numeric policy lever (:func:`levers`); searched over its declared range.
    target : float
        M€ over years 1..``steps``, all instruments (the summary's ``policy_spend``),
        mean over ``seeds``.
    seeds : sequence of int
        Pilot runs; the same seeds at every intensity (common random numbers).
    tolerance : float
        Relative tolerance on the mean spend.
    max_evaluations : int
        Intensities evaluated at most (each costs ``len(seeds)`` runs).

    Returns
    -------
    Calibration
        ``within`` says whether the target was met; it is False when the target lies
        outside what the lever can spend (then ``value`` is the nearer end of its range).

    Raises
    ------
    ParameterError
        If the lever is not a numeric policy lever, or a setting is out of range.

    Warns
    -----
    CalibrationWarning
        If realised spend fell as the intensity rose on the points evaluated.
    """
    _check(lever, target, seeds, tolerance, max_evaluations)
    spec = param_specs()[lever]
    spends: dict[float, np.ndarray] = {}

    def spend_of(value: float) -> float:
        spends[value] = _spend(params, lever, value, seeds, steps)
        return float(spends[value].mean())

    value, points = bisect_spend(spend_of, spec.low, spec.high, target, tolerance, max_evaluations)
    # Pilot runs are noisy: a fall within the tolerance cannot mislead the bisection by
    # more than the tolerance, a larger one breaks its premise.
    slack = tolerance * target
    monotone = all(b[1] >= a[1] - slack for a, b in itertools.pairwise(sorted(points)))
    if not monotone:
        warnings.warn(
            f"Realised spend did not rise with '{lever}' on the points evaluated "
            f"({sorted(points)}); the calibration may have missed a closer intensity.",
            CalibrationWarning,
            stacklevel=2,
        )
    return Calibration(
        lever=lever,
        target=float(target),
        value=float(value),
        achieved=float(spends[value].mean()),
        per_seed=tuple(float(s) for s in spends[value]),
        tolerance=tolerance,
        evaluations=tuple(points),
        monotone=monotone,
    )


def _check(
    lever: str, target: float, seeds: Sequence[int], tolerance: float, max_evaluations: int
) -> None:
    """Raise a one-line ParameterError for a setting calibration cannot use."""
    names = levers()
    if lever not in names:
        raise ParameterError(
            f"Cannot calibrate '{lever}': choose a numeric policy lever "
            f"({', '.join(names)}).{suggest(lever, names)}"
        )
    if not np.isfinite(target) or target < 0:
        raise ParameterError(f"The spend target must be a number of M€ >= 0. Got {target}.")
    if len(seeds) == 0:
        raise ParameterError("Calibration needs at least one pilot seed. Got none.")
    if not 0 < tolerance < 1:
        raise ParameterError(f"The tolerance must be a share in (0, 1). Got {tolerance}.")
    if max_evaluations < 3:
        raise ParameterError(
            f"max_evaluations must be >= 3 (both ends and one midpoint). Got {max_evaluations}."
        )
