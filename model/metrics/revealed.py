"""Revealed relatedness: relatedness measured from what the economy combines.

The model starts from a technological relatedness of industries (the skill relatedness of
their recipes, :func:`clusterlab.model.knowledge.recipe_relatedness`). Revealed relatedness is
measured from behaviour instead: industries that units (multi-unit groups of firms,
regions) often combine are related (Teece et al. 1994; Hidalgo et al. 2007; Neffke &
Henning 2013). :func:`relatedness_correlation` compares the two.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

from clusterlab.model.metrics._numeric import safe_divide
from clusterlab.model.metrics._validation import (
    MetricError,
    as_matrix,
    as_square_matrix,
    check_same_shape,
    parse_choice,
)
from clusterlab.model.metrics.relatedness import relatedness

__all__ = [
    "RevealedMethod",
    "relatedness_correlation",
    "revealed_relatedness",
    "unit_incidence",
]

_Matrix = npt.NDArray[np.float64]


class RevealedMethod(StrEnum):
    """Normalisations offered by :func:`revealed_relatedness`."""

    ASSOCIATION = "association"
    PROXIMITY = "proximity"
    PROB = "prob"
    COSINE = "cosine"
    JACCARD = "jaccard"


def unit_incidence(unit: npt.ArrayLike, industry: npt.ArrayLike, n_industries: int) -> _Matrix:
    """Binary incidence of industries in units (e.g. multi-unit groups of firms).

    Parameters
    ----------
    unit : array_like of int, shape (n,)
        Label of the unit of each establishment (any integers, e.g. group ids).
    industry : array_like of int, shape (n,)
        Industry of each establishment, in 0..n_industries-1.
    n_industries : int

    Returns
    -------
    numpy.ndarray of float64, shape (n_units, n_industries)
        1 where the unit has at least one establishment in the industry; one row per
        distinct label, in ascending label order (no rows when `unit` is empty).

    Raises
    ------
    MetricError
        If the arrays differ in length or an industry is out of range.

    Examples
    --------
    >>> unit_incidence([7, 7, 3, 7], [0, 2, 1, 0], 3).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    owner = "unit_incidence"
    u = as_matrix(unit, "unit", owner, ndim=1, low=-np.inf)
    ind = as_matrix(industry, "industry", owner, ndim=1)
    if np.any(u != np.round(u)):
        raise MetricError(f"The 'unit' argument of {owner} must hold integer labels.")
    if u.size != ind.size or np.any((ind != np.round(ind)) | (ind >= n_industries)):
        raise MetricError(
            "The 'industry' argument of unit_incidence must have the length of 'unit' "
            f"({u.size}) and integer values in [0, {n_industries - 1}]."
        )
    labels, row = np.unique(u, return_inverse=True)
    out = np.zeros((labels.size, n_industries))
    out[row, ind.astype(np.int64)] = 1.0
    return out


def revealed_relatedness(c: npt.ArrayLike, method: str = "association") -> _Matrix:
    r"""Revealed relatedness of industries from how often units combine them.

    Relatedness measured from what the economy does (Teece et al. 1994's survivor
    principle: industries that are often combined within one firm, group or region are
    related), as opposed to a relatedness assumed from technology.

    Parameters
    ----------
    c : array_like, shape (n_industries, n_industries)
        Symmetric co-occurrence counts, e.g. :func:`co_occurrence` of a
        :func:`unit_incidence`, possibly summed over years; the diagonal holds the
        number of units with each industry (used by "proximity" only).
    method : {"association", "proximity", "prob", "cosine", "jaccard"}, default="association"
        "association": observed over expected co-occurrence,
        :math:`c_{ij} T / (s_i s_j)` with the diagonal removed (values above 1: combined
        more often than at random); "proximity": the smaller of the two conditional
        probabilities, :math:`c_{ij} / \max(c_{ii}, c_{jj})`; the others as in
        :func:`relatedness`.

    Returns
    -------
    numpy.ndarray of float64, shape (n_industries, n_industries)
        Symmetric, non-negative, zero diagonal. Degenerate input: an industry never
        combined with another (a zero off-diagonal row) is related to nothing (a zero
        row); an all-zero or diagonal-only `c` (no unit combines two industries) gives
        all zeros.

    Raises
    ------
    MetricError
        If `c` is not a square, symmetric, finite, non-negative matrix, or `method` is
        unknown.

    References
    ----------
    Teece, D. J., Rumelt, R., Dosi, G., & Winter, S. (1994). Understanding corporate
    coherence. Journal of Economic Behavior & Organization, 23(1), 1-30.
    https://doi.org/10.1016/0167-2681(94)90094-9

    Hidalgo, C. A., Klinger, B., Barabasi, A.-L., & Hausmann, R. (2007). Science,
    317(5837), 482-487. https://doi.org/10.1126/science.1144581

    Neffke, F., & Henning, M. (2013). Skill relatedness and firm diversification.
    Strategic Management Journal, 34(3), 297-316. https://doi.org/10.1002/smj.2014

    van Eck, N. J., & Waltman, L. (2009). JASIST, 60(8), 1635-1651.
    https://doi.org/10.1002/asi.21075

    Examples
    --------
    Two groups: one combines industries 0 and 1, the other 0 and 2:

    >>> from clusterlab.model.metrics import co_occurrence
    >>> c = co_occurrence([[1, 1, 0], [1, 0, 1]])
    >>> revealed_relatedness(c, "proximity").tolist()
    [[0.0, 0.5, 0.5], [0.5, 0.0, 0.0], [0.5, 0.0, 0.0]]
    >>> revealed_relatedness(c).tolist()  # T = 4, s = (2, 1, 1): 1 * 4 / (2 * 1) = 2
    [[0.0, 2.0, 2.0], [2.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    """
    owner = "revealed_relatedness"
    choice = parse_choice(method, RevealedMethod, "method", owner)
    c = as_square_matrix(c, "c", owner, symmetric=True)
    if choice != RevealedMethod.PROXIMITY:
        return relatedness(c, choice.value)
    u = np.diag(c)
    phi = safe_divide(c, np.maximum(u[:, np.newaxis], u[np.newaxis, :]))
    np.fill_diagonal(phi, 0.0)
    return np.minimum(phi, 1.0)


def _average_ranks(v: _Matrix) -> _Matrix:
    """Ranks 1..n, ties given the mean of the ranks they span (scipy's ``rankdata``)."""
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts - 1) / 2.0)[inverse]


def relatedness_correlation(phi_a: npt.ArrayLike, phi_b: npt.ArrayLike) -> float:
    r"""Spearman rank correlation of two relatedness matrices over industry pairs.

    Parameters
    ----------
    phi_a, phi_b : array_like, shape (n_industries, n_industries)
        Relatedness matrices (e.g. revealed and technological); only the pairs above
        the diagonal, :math:`i < j`, are compared.

    Returns
    -------
    float
        Pearson correlation of the (average-tie) ranks of the pairs; NaN when there are
        fewer than two pairs or either matrix is constant over them (nothing to rank).

    Raises
    ------
    MetricError
        If either is not a square, finite, non-negative matrix or their shapes differ.

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between two things.
    American Journal of Psychology, 15(1), 72-101. https://doi.org/10.2307/1412159

    Examples
    --------
    >>> a = [[0, 1, 2], [1, 0, 3], [2, 3, 0]]
    >>> relatedness_correlation(a, [[0, 5, 6], [5, 0, 9], [6, 9, 0]])
    1.0
    """
    owner = "relatedness_correlation"
    a = as_square_matrix(phi_a, "phi_a", owner, symmetric=False)
    b = as_square_matrix(phi_b, "phi_b", owner, symmetric=False)
    check_same_shape(a, b, ("phi_a", "phi_b"), owner)
    upper = np.triu_indices(a.shape[0], k=1)
    x, y = _average_ranks(a[upper]), _average_ranks(b[upper])
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])
