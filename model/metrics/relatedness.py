"""Relatedness between industries and of regions to industries.

Co-occurrence, its normalisations (EconGeo's ``relatedness``), product-space proximity,
relatedness density and its averages. Regions are rows and industries columns of the
binary specialisation matrix ``m``. :func:`entry_exit` and :func:`classify_entries`
live in :mod:`clusterlab.model.metrics.entries` and are re-exported here, where the model imports
them, to keep each module short.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

from clusterlab.model.metrics._numeric import safe_divide
from clusterlab.model.metrics._validation import (
    MetricError,
    as_binary_matrix,
    as_matrix,
    as_square_matrix,
    check_same_shape,
    parse_choice,
)
from clusterlab.model.metrics.entries import classify_entries, entry_exit

__all__ = [
    "RelatednessMethod",
    "classify_entries",
    "co_occurrence",
    "density_inside_outside",
    "entry_exit",
    "proximity",
    "relatedness",
    "relatedness_density",
]

_Matrix = npt.NDArray[np.float64]


class RelatednessMethod(StrEnum):
    """Normalisations of a co-occurrence matrix offered by :func:`relatedness`."""

    PROB = "prob"
    ASSOCIATION = "association"
    COSINE = "cosine"
    JACCARD = "jaccard"


def co_occurrence(m: npt.ArrayLike) -> _Matrix:
    r"""Count how often two industries occur in the same region.

    Parameters
    ----------
    m : array_like, shape (n_regions, n_industries)
        Specialisation matrix (0/1), or non-negative counts for weighted co-occurrence.

    Returns
    -------
    numpy.ndarray of float64, shape (n_industries, n_industries)
        :math:`C = M^\top M`; the diagonal holds the ubiquities.

    Raises
    ------
    MetricError
        If `m` is not a 2-D array of finite, non-negative numbers.

    Examples
    --------
    >>> co_occurrence([[1, 1, 0], [1, 0, 1]]).tolist()
    [[2.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    m = as_matrix(m, "m", "co_occurrence")
    return m.T @ m


def relatedness(c: npt.ArrayLike, method: str = "prob") -> _Matrix:
    r"""Relatedness of industries from their co-occurrence, as EconGeo normalises it.

    Parameters
    ----------
    c : array_like, shape (n_industries, n_industries)
        Symmetric, non-negative co-occurrence matrix (e.g. :func:`co_occurrence`).
    method : {"prob", "association", "cosine", "jaccard"}, default="prob"
        Normalisation; case-insensitive.

    Returns
    -------
    numpy.ndarray of float64, shape (n_industries, n_industries)
        Symmetric relatedness with zero diagonal; 0 where the normalisation divides by
        zero (an industry that co-occurs with none). For "prob" and "association",
        values above 1 mean more co-occurrence than expected at random.

    Raises
    ------
    MetricError
        If `c` is not a square, symmetric, finite, non-negative matrix or `method` is
        unknown.

    Notes
    -----
    The diagonal is set to zero first; with :math:`s_i = \sum_j c_{ij}` and
    :math:`T = \sum_i s_i`:

    .. math::

        \text{prob: } \frac{c_{ij}}{\frac{s_i s_j}{2}
            \left(\frac{1}{T - s_i} + \frac{1}{T - s_j}\right)}, \quad
        \text{association: } \frac{c_{ij} T}{s_i s_j}, \quad
        \text{cosine: } \frac{c_{ij}}{\sqrt{s_i s_j}}, \quad
        \text{Jaccard: } \frac{c_{ij}}{s_i + s_j - c_{ij}}.

    The "prob" denominator is EconGeo's
    :math:`((s_i/T) s_j/(T-s_i) + (s_j/T) s_i/(T-s_j)) T/2` simplified.

    References
    ----------
    van Eck, N. J., & Waltman, L. (2009). How to normalize cooccurrence data?
    JASIST, 60(8), 1635-1651. https://doi.org/10.1002/asi.21075

    Steijn, M. P. A. (2017). Improvement on the association strength: implementing
    probability measures based on combinations without repetition. Working paper,
    Utrecht University.

    Examples
    --------
    >>> relatedness([[0, 1], [1, 0]], method="cosine").tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    choice = parse_choice(method, RelatednessMethod, "method", "relatedness")
    c = as_square_matrix(c, "c", "relatedness", symmetric=True).copy()
    np.fill_diagonal(c, 0.0)
    s = c.sum(axis=0)
    s_i, s_j = s[:, np.newaxis], s[np.newaxis, :]
    total = c.sum()
    match choice:
        case RelatednessMethod.PROB:
            # T - s_i >= T/2 > 0 whenever T > 0, since row and column i both sum to s_i.
            rest = safe_divide(1.0, total - s)
            expected = s_i * s_j / 2 * (rest[:, np.newaxis] + rest[np.newaxis, :])
        case RelatednessMethod.ASSOCIATION:
            expected = safe_divide(s_i * s_j, total)
        case RelatednessMethod.COSINE:
            expected = np.sqrt(s_i * s_j)
        case RelatednessMethod.JACCARD:
            expected = s_i + s_j - c
    out = safe_divide(c, expected)
    np.fill_diagonal(out, 0.0)
    return out


def proximity(m: npt.ArrayLike) -> _Matrix:
    r"""Product-space proximity: the smaller of the two conditional probabilities.

    Parameters
    ----------
    m : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Specialisation matrix.

    Returns
    -------
    numpy.ndarray of float64, shape (n_industries, n_industries)
        Symmetric proximity in [0, 1] with zero diagonal; 0 between two industries of
        which no region is specialised in either.

    Raises
    ------
    MetricError
        If `m` is not a 2-D array of zeros and ones.

    Notes
    -----
    .. math::

        \phi_{ij} = \min\{P(i \mid j), P(j \mid i)\}
                  = \frac{\sum_r M_{ri} M_{rj}}{\max(k_{i,0}, k_{j,0})}

    with :math:`k_{i,0}` the ubiquity of industry i.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabasi, A.-L., & Hausmann, R. (2007). The product
    space conditions the development of nations. Science, 317(5837), 482-487.
    https://doi.org/10.1126/science.1144581

    Examples
    --------
    >>> proximity([[1, 1], [1, 0]]).tolist()
    [[0.0, 0.5], [0.5, 0.0]]
    """
    m = as_binary_matrix(m, "m", "proximity")
    c = m.T @ m
    u = np.diag(c)
    phi = safe_divide(c, np.maximum(u[:, np.newaxis], u[np.newaxis, :]))
    np.fill_diagonal(phi, 0.0)
    return phi


def relatedness_density(m: npt.ArrayLike, phi: npt.ArrayLike) -> _Matrix:
    r"""Relatedness density of each region around each industry, in percent.

    Parameters
    ----------
    m : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Specialisation matrix.
    phi : array_like, shape (n_industries, n_industries)
        Non-negative relatedness, e.g. :func:`proximity` or :func:`relatedness`. Its
        diagonal is used as given: zero (as returned here) for EconGeo's density; the
        Growth Lab's ``ecomplexity`` keeps :math:`\phi_{ii} = 1`.

    Returns
    -------
    numpy.ndarray of float64, shape (n_regions, n_industries)
        Values in [0, 100]; 0 for an industry related to nothing (zero row of `phi`).

    Raises
    ------
    MetricError
        If `m` is not binary, `phi` is not a square, finite, non-negative matrix, or
        their industry dimensions differ.

    Notes
    -----
    .. math:: RD_{ri} = 100 \frac{\sum_j M_{rj} \phi_{ij}}{\sum_j \phi_{ij}}

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabasi, A.-L., & Hausmann, R. (2007). Science,
    317(5837), 482-487. https://doi.org/10.1126/science.1144581

    Boschma, R., Balland, P.-A., & Kogler, D. F. (2015). Relatedness and technological
    change in cities. Industrial and Corporate Change, 24(1), 223-250.
    https://doi.org/10.1093/icc/dtu012

    Examples
    --------
    >>> relatedness_density([[1, 0, 0]], [[0, 1, 1], [1, 0, 1], [1, 1, 0]]).tolist()
    [[0.0, 50.0, 50.0]]
    """
    m = as_binary_matrix(m, "m", "relatedness_density")
    phi = as_square_matrix(phi, "phi", "relatedness_density", symmetric=False)
    if phi.shape[0] != m.shape[1]:
        raise MetricError(
            "The 'phi' argument of relatedness_density must be a square matrix of "
            f"side n_industries = {m.shape[1]}. Got shape {phi.shape}."
        )
    return 100.0 * safe_divide(m @ phi.T, phi.sum(axis=1)[np.newaxis, :])


def density_inside_outside(m: npt.ArrayLike, density: npt.ArrayLike) -> tuple[_Matrix, _Matrix]:
    r"""Average density inside and outside each region's specialisations.

    Parameters
    ----------
    m : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Specialisation matrix.
    density : array_like, shape (n_regions, n_industries)
        Relatedness density, e.g. :func:`relatedness_density` of `m`.

    Returns
    -------
    inside : numpy.ndarray of float64, shape (n_regions,)
        Mean density over the industries the region is specialised in (EconGeo's
        ``relatedness_density_int_avg``, unrounded); 0 if there are none.
    outside : numpy.ndarray of float64, shape (n_regions,)
        Mean density over the other industries (``relatedness_density_ext_avg``); 0 if
        the region is specialised in every industry.

    Raises
    ------
    MetricError
        If `m` is not binary, `density` is not finite and non-negative, or their
        shapes differ.

    Notes
    -----
    .. math::

        \bar{RD}^{in}_r = \frac{\sum_i M_{ri} RD_{ri}}{\sum_i M_{ri}}, \qquad
        \bar{RD}^{out}_r = \frac{\sum_i (1 - M_{ri}) RD_{ri}}{\sum_i (1 - M_{ri})}

    Examples
    --------
    >>> inside, outside = density_inside_outside([[1, 0, 0]], [[10, 20, 40]])
    >>> inside.tolist(), outside.tolist()
    ([10.0], [30.0])
    """
    m = as_binary_matrix(m, "m", "density_inside_outside")
    density = as_matrix(density, "density", "density_inside_outside")
    check_same_shape(m, density, ("m", "density"), "density_inside_outside")
    inside = safe_divide((m * density).sum(axis=1), m.sum(axis=1))
    outside = safe_divide(((1 - m) * density).sum(axis=1), (1 - m).sum(axis=1))
    return inside, outside
