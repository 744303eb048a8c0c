"""Knowledge complexity of regions (KCI) and industries (TCI).

The eigenvector method of Hidalgo & Hausmann (2009) as used by Balland & Rigby (2017),
and the method of reflections, on a binary regions-by-industries specialisation matrix.
"""

from __future__ import annotations

import warnings
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy.linalg import eigh

from clusterlab.model.metrics._numeric import zscore
from clusterlab.model.metrics._validation import as_binary_matrix, parse_choice

__all__ = ["ComplexityMethod", "complexity"]

_Vector = npt.NDArray[np.float64]
_Matrix = npt.NDArray[np.float64]

# An eigenvalue lambda_2 below this is taken as 0: every region looks alike and the
# second eigenvector is arbitrary, so the indices are returned as zeros.
_EIGENVALUE_TOL = 1e-10
_MAX_REFLECTIONS = 10_000
_REFLECTION_TOL = 1e-12


class ComplexityMethod(StrEnum):
    """Ways :func:`complexity` can compute the indices."""

    EIGENVECTOR = "eigenvector"
    REFLECTIONS = "reflections"


def complexity(m: npt.ArrayLike, method: str = "eigenvector") -> tuple[_Vector, _Vector]:
    r"""Knowledge complexity of regions (KCI) and of industries (TCI), z-scored.

    Parameters
    ----------
    m : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Specialisation matrix.
    method : {"eigenvector", "reflections"}, default="eigenvector"
        "eigenvector" solves the eigenproblem directly; "reflections" iterates the
        method of reflections to convergence and gives the same indices.

    Returns
    -------
    kci : numpy.ndarray of float64, shape (n_regions,)
        Z-scored (mean 0, population std 1) over regions with diversity > 0, signed
        to correlate positively with diversity.
    tci : numpy.ndarray of float64, shape (n_industries,)
        Z-scored over industries with ubiquity > 0, with the sign of `kci`.

    Regions with zero diversity and industries with zero ubiquity are left out of
    the eigenproblem and get 0 (the mean). Both arrays are all zeros when fewer than
    two regions have diversity > 0 or when the second eigenvalue is 0 (all active
    regions have the same portfolio), as no ranking exists.

    Raises
    ------
    MetricError
        If `m` is not a 2-D array of zeros and ones or `method` is unknown.

    Warns
    -----
    RuntimeWarning
        If the reflections do not converge in 10,000 iterations (near-equal second and
        third eigenvalues); the last iterate is returned.

    Notes
    -----
    With diversity :math:`D = \mathrm{diag}(k_{r,0})` and ubiquity
    :math:`U = \mathrm{diag}(k_{i,0})`, KCI is the eigenvector of the second largest
    eigenvalue of :math:`\tilde M = D^{-1} M U^{-1} M^\top` and TCI that of
    :math:`U^{-1} M^\top D^{-1} M`, paired so that
    :math:`k_r \propto \sum_i M_{ri} k_i / k_{r,0}` (one symmetric eigenproblem,
    on the smaller side, gives both). Reflections iterate
    :math:`k_{r,N} = \sum_i M_{ri} k_{i,N-1} / k_{r,0}`,
    :math:`k_{i,N} = \sum_r M_{ri} k_{r,N-1} / k_{i,0}`; the trivial constant
    eigenvector is removed at each step (a diversity-weighted mean, the inner product
    in which the eigenvectors are orthogonal) and the vector rescaled, so the
    iteration converges to the eigenvector instead of to a constant. If the
    industry-region network splits into disconnected parts the leading eigenvalue
    repeats and the index only tells the parts apart.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity.
    PNAS, 106(26), 10570-10575. https://doi.org/10.1073/pnas.0900943106

    Balland, P.-A., & Rigby, D. (2017). The geography of complex knowledge. Economic
    Geography, 93(1), 1-23. https://doi.org/10.1080/00130095.2016.1205947

    Examples
    --------
    >>> kci, tci = complexity([[1, 1, 1], [1, 1, 0], [1, 0, 0]])
    >>> bool(kci[0] > kci[1] > kci[2]), bool(tci[2] > tci[1] > tci[0])
    (True, True)
    """
    choice = parse_choice(method, ComplexityMethod, "method", "complexity")
    m = as_binary_matrix(m, "m", "complexity")
    kci, tci = np.zeros(m.shape[0]), np.zeros(m.shape[1])
    regions, industries = m.sum(axis=1) > 0, m.sum(axis=0) > 0
    if regions.sum() < 2:
        return kci, tci
    core = m[np.ix_(regions, industries)]
    solve = _eigenvector if choice is ComplexityMethod.EIGENVECTOR else _reflections
    vectors = solve(core)
    if vectors is None:
        return kci, tci
    kc, kp = _orient(*vectors, core)
    kci[regions], tci[industries] = zscore(kc), zscore(kp)
    return kci, tci


def _eigenvector(core: _Matrix) -> tuple[_Vector, _Vector] | None:
    """Second eigenvectors of both projections, or None if lambda_2 is 0."""
    if min(core.shape) < 2:
        return None
    d, u = core.sum(axis=1), core.sum(axis=0)
    # With A = D^-1/2 M U^-1/2, A A' = D^1/2 M~ D^-1/2 is symmetric with M~'s
    # eigenvalues, so eigh on the smaller of A A' and A'A gives them stably; the
    # other side follows from k_r = sum_i M_ri k_i / k_r0 (or its transpose).
    scaled = core / np.sqrt(d)[:, np.newaxis] / np.sqrt(u)[np.newaxis, :]
    regions_side = core.shape[0] <= core.shape[1]
    gram = scaled @ scaled.T if regions_side else scaled.T @ scaled
    n = gram.shape[0]
    values, vectors = eigh(gram, subset_by_index=[n - 2, n - 1])
    if values[0] <= _EIGENVALUE_TOL:
        return None
    if regions_side:
        kc = vectors[:, 0] / np.sqrt(d)
        return kc, (core.T @ kc) / u
    kp = vectors[:, 0] / np.sqrt(u)
    return (core @ kp) / d, kp


def _reflections(core: _Matrix) -> tuple[_Vector, _Vector] | None:
    """Deflated, rescaled method of reflections; None if lambda_2 = 0."""
    d, u = core.sum(axis=1), core.sum(axis=0)
    # Start from diversity, k_{r,0}, as Hidalgo & Hausmann; if it is constant it has
    # no component along the eigenvector, so start from the region order instead.
    kc = _deflate(d, d)
    if not kc.any():
        kc = _deflate(np.arange(d.size, dtype=np.float64), d)
    for _ in range(_MAX_REFLECTIONS):
        step = _deflate((core @ ((core.T @ kc) / u)) / d, d)
        # kc has unit norm, so the norm of the step estimates lambda_2.
        norm = float(np.linalg.norm(step))
        if norm <= _EIGENVALUE_TOL:
            return None
        step /= norm
        converged = float(np.linalg.norm(step - kc)) <= _REFLECTION_TOL
        kc = step
        if converged:
            break
    else:
        warnings.warn(
            f"The method of reflections did not converge in {_MAX_REFLECTIONS} "
            "iterations; use method='eigenvector'.",
            RuntimeWarning,
            stacklevel=3,
        )
    return kc, (core.T @ kc) / u


def _deflate(v: _Vector, d: _Vector) -> _Vector:
    """Remove the constant eigenvector (D-weighted mean) and scale to unit norm."""
    v = v - (d @ v) / d.sum()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _orient(kc: _Vector, kp: _Vector, core: _Matrix) -> tuple[_Vector, _Vector]:
    """Flip both vectors so KCI correlates positively with diversity.

    If diversity is constant the TCI is made to correlate negatively with ubiquity;
    if that is constant too, the largest absolute KCI is made positive.
    """
    d, u = core.sum(axis=1), core.sum(axis=0)
    sign = np.sign((kc - kc.mean()) @ (d - d.mean()))
    if sign == 0:
        sign = -np.sign((kp - kp.mean()) @ (u - u.mean()))
    if sign == 0:
        sign = np.sign(kc[np.argmax(np.abs(kc))])
    return sign * kc, sign * kp
