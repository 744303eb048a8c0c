"""Specialisation and concentration of region-by-industry matrices.

RCA (location quotient), the binary specialisation matrix M, diversity and ubiquity,
and the Herfindahl, Krugman and locational Gini indices, computed as EconGeo (Balland)
computes them. Every function takes a non-negative matrix with regions in rows and
industries in columns (employment, patents, exports ...).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.metrics._numeric import row_shares, safe_divide
from clusterlab.model.metrics._validation import (
    MetricError,
    as_binary_matrix,
    as_matrix,
    check_threshold,
)

__all__ = [
    "absolute_diversity",
    "diversity",
    "herfindahl",
    "krugman_index",
    "locational_gini",
    "rca",
    "specialisation_matrix",
    "ubiquity",
]


def rca(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    r"""Revealed comparative advantage (Balassa index, location quotient).

    Parameters
    ----------
    x : array_like, shape (n_regions, n_industries)
        Non-negative activity (e.g. employment) of each region in each industry.

    Returns
    -------
    numpy.ndarray of float64, shape (n_regions, n_industries)
        RCA of each region in each industry; 0 where the region has no activity, the
        industry has no activity, or the matrix is all zero.

    Raises
    ------
    MetricError
        If `x` is not a 2-D array of finite, non-negative numbers.

    Notes
    -----
    .. math::

        RCA_{ri} = \frac{x_{ri} / \sum_j x_{rj}}{\sum_s x_{si} / \sum_{s,j} x_{sj}}

    computed as :math:`x_{ri} X / (x_{r\cdot} x_{\cdot i})`: one division, not three.

    References
    ----------
    Balassa, B. (1965). Trade liberalisation and "revealed" comparative advantage.
    The Manchester School, 33(2), 99-123. https://doi.org/10.1111/j.1467-9957.1965.tb00050.x

    Examples
    --------
    >>> rca([[1, 1], [0, 2]]).tolist()
    [[2.0, 0.6666666666666666], [0.0, 1.3333333333333333]]
    """
    x = as_matrix(x, "x", "rca")
    denominator = x.sum(axis=1, keepdims=True) * x.sum(axis=0, keepdims=True)
    return safe_divide(x * x.sum(), denominator)


def specialisation_matrix(x: npt.ArrayLike, threshold: float = 1.0) -> npt.NDArray[np.bool_]:
    r"""Binary specialisation matrix, M = 1[RCA >= threshold].

    Parameters
    ----------
    x : array_like, shape (n_regions, n_industries)
        Non-negative activity of each region in each industry.
    threshold : float, default=1.0
        RCA at or above which a region counts as specialised; must be > 0.

    Returns
    -------
    numpy.ndarray of bool, shape (n_regions, n_industries)
        True where the region is specialised. Ties (RCA exactly equal to the threshold)
        count as specialised; regions or industries without activity are never
        specialised. Cast to float before matrix products (a boolean product is a
        logical OR, not a count).

    Raises
    ------
    MetricError
        If `x` is not a 2-D array of finite, non-negative numbers or `threshold` is
        not a finite positive number.

    Notes
    -----
    .. math:: M_{ri} = 1[RCA_{ri} \ge \theta]

    The test is made cross-multiplied,
    :math:`x_{ri} X \ge \theta x_{r\cdot} x_{\cdot i}`, so that ties are exact for
    integer counts instead of depending on how the quotient rounds.

    Examples
    --------
    >>> specialisation_matrix([[1, 1], [1, 1]]).tolist()
    [[True, True], [True, True]]
    """
    x = as_matrix(x, "x", "specialisation_matrix")
    theta = check_threshold(threshold, "threshold", "specialisation_matrix", positive=True)
    denominator = x.sum(axis=1, keepdims=True) * x.sum(axis=0, keepdims=True)
    return (x * x.sum() >= theta * denominator) & (denominator > 0)


def diversity(m: npt.ArrayLike) -> npt.NDArray[np.int64]:
    r"""Count the industries in which each region is specialised (diversity).

    Parameters
    ----------
    m : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Specialisation matrix.

    Returns
    -------
    numpy.ndarray of int64, shape (n_regions,)
        :math:`k_{r,0} = \sum_i M_{ri}`; 0 for a region with no specialisation.

    Raises
    ------
    MetricError
        If `m` is not a 2-D array of zeros and ones.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity.
    PNAS, 106(26), 10570-10575. https://doi.org/10.1073/pnas.0900943106
    """
    return as_binary_matrix(m, "m", "diversity").sum(axis=1).astype(np.int64)


def absolute_diversity(x: npt.ArrayLike, share: float = 0.05) -> npt.NDArray[np.int64]:
    r"""Count the industries holding at least `share` of each region's activity.

    Unlike diversity (industries with RCA >= 1), this measure is absolute: it does not
    compare a region with the others, so it does not cancel out when every region
    diversifies at once.

    Parameters
    ----------
    x : array_like, shape (n_regions, n_industries)
        Non-negative activity (e.g. employment) of each region in each industry.
    share : float, default=0.05
        Minimum share of the region's total, in (0, 1].

    Returns
    -------
    numpy.ndarray of int64, shape (n_regions,)
        :math:`\sum_i [x_{ri} \ge s \sum_j x_{rj}]`, tested cross-multiplied so ties
        are exact; 0 for a region without activity.

    Raises
    ------
    MetricError
        If `x` is not a 2-D array of finite, non-negative numbers or `share` is not in
        (0, 1].

    References
    ----------
    Frenken, K., Van Oort, F., & Verburg, T. (2007). Related variety, unrelated variety
    and regional economic growth. Regional Studies, 41(5), 685-697.
    https://doi.org/10.1080/00343400601120296 (absolute, share-based variety measures).

    Examples
    --------
    >>> absolute_diversity([[60, 30, 6, 4], [0, 0, 0, 0]], share=0.05).tolist()
    [3, 0]
    """
    x = as_matrix(x, "x", "absolute_diversity")
    s = check_threshold(share, "share", "absolute_diversity", positive=True)
    if s > 1:
        raise MetricError(
            f"The 'share' argument of absolute_diversity must be in (0, 1]. Got {s!r}."
        )
    total = x.sum(axis=1, keepdims=True)
    return ((x >= s * total) & (total > 0)).sum(axis=1).astype(np.int64)


def ubiquity(m: npt.ArrayLike) -> npt.NDArray[np.int64]:
    r"""Count the regions specialised in each industry (ubiquity).

    Parameters
    ----------
    m : array_like of 0/1 or bool, shape (n_regions, n_industries)
        Specialisation matrix.

    Returns
    -------
    numpy.ndarray of int64, shape (n_industries,)
        :math:`k_{i,0} = \sum_r M_{ri}`; 0 for an industry no region specialises in.

    Raises
    ------
    MetricError
        If `m` is not a 2-D array of zeros and ones.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity.
    PNAS, 106(26), 10570-10575. https://doi.org/10.1073/pnas.0900943106
    """
    return as_binary_matrix(m, "m", "ubiquity").sum(axis=0).astype(np.int64)


def herfindahl(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    r"""Herfindahl-Hirschman concentration of each region's activity over industries.

    Parameters
    ----------
    x : array_like, shape (n_regions, n_industries)
        Non-negative activity of each region in each industry.

    Returns
    -------
    numpy.ndarray of float64, shape (n_regions,)
        In [1/n_industries, 1]; 0 for a region with no activity.

    Raises
    ------
    MetricError
        If `x` is not a 2-D array of finite, non-negative numbers.

    Notes
    -----
    .. math:: H_r = \sum_i s_{ri}^2, \qquad s_{ri} = x_{ri} / \sum_j x_{rj}

    References
    ----------
    Hirschman, A. O. (1945). National Power and the Structure of Foreign Trade.
    University of California Press.

    Examples
    --------
    >>> herfindahl([[1, 1], [3, 1]]).tolist()
    [0.5, 0.625]
    """
    shares = row_shares(as_matrix(x, "x", "herfindahl"))
    return (shares**2).sum(axis=1)


def krugman_index(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    r"""Krugman specialisation index: distance of each region's mix from the whole's.

    Parameters
    ----------
    x : array_like, shape (n_regions, n_industries)
        Non-negative activity of each region in each industry.

    Returns
    -------
    numpy.ndarray of float64, shape (n_regions,)
        In [0, 2); 0 for a region with no activity.

    Raises
    ------
    MetricError
        If `x` is not a 2-D array of finite, non-negative numbers.

    Notes
    -----
    .. math::

        K_r = \sum_i \left| \frac{x_{ri}}{\sum_j x_{rj}}
              - \frac{\sum_s x_{si}}{\sum_{s,j} x_{sj}} \right|

    As in EconGeo's ``krugman_index`` the reference mix is the whole economy, the
    region included (Krugman compared a region with the rest of the economy).

    References
    ----------
    Krugman, P. (1991). Geography and Trade. MIT Press.

    Examples
    --------
    >>> krugman_index([[1, 0], [0, 1]]).tolist()
    [1.0, 1.0]
    """
    x = as_matrix(x, "x", "krugman_index")
    national = safe_divide(x.sum(axis=0), x.sum())
    gap = np.abs(row_shares(x) - national).sum(axis=1)
    return np.where(x.sum(axis=1) > 0, gap, 0.0)


def locational_gini(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    r"""Krugman's locational Gini of each industry, as EconGeo's ``locational_gini``.

    Parameters
    ----------
    x : array_like, shape (n_regions, n_industries)
        Non-negative activity of each region in each industry.

    Returns
    -------
    numpy.ndarray of float64, shape (n_industries,)
        Area between the diagonal and the locational Lorenz curve, in [0, 0.5): 0 for an
        industry spread like total activity, towards 0.5 for one concentrated in a
        small region. 0 for an industry with no activity. Twice this value is the
        usual Gini ratio.

    Raises
    ------
    MetricError
        If `x` is not a 2-D array of finite, non-negative numbers.

    Notes
    -----
    Regions are sorted by the industry's location quotient :math:`x_{ri} / e_r`, with
    :math:`e_r` region r's share of total activity; the Lorenz curve joins the
    cumulative shares :math:`(E_k, X_k)` of total and industry activity, and

    .. math:: G_i = \tfrac12 \sum_k (X_{k+1} E_k - X_k E_{k+1}).

    Regions with no activity at all add a zero-length step and do not matter.

    References
    ----------
    Krugman, P. (1991). Geography and Trade. MIT Press, ch. 2, p. 56.

    Examples
    --------
    >>> locational_gini([[1, 0], [0, 1]]).tolist()
    [0.25, 0.25]
    """
    x = as_matrix(x, "x", "locational_gini")
    population = safe_divide(x.sum(axis=1), x.sum())[:, np.newaxis]
    order = np.argsort(safe_divide(x, population), axis=0, kind="stable")
    industry = np.take_along_axis(x, order, axis=0)
    total = np.take_along_axis(np.broadcast_to(population, x.shape), order, axis=0)
    cum_x = safe_divide(np.cumsum(industry, axis=0), industry.sum(axis=0))
    cum_e = safe_divide(np.cumsum(total, axis=0), total.sum(axis=0))
    area = (cum_x[1:] * cum_e[:-1] - cum_x[:-1] * cum_e[1:]).sum(axis=0) / 2
    return np.where(x.sum(axis=0) > 0, area, 0.0)
