"""Entropy of regional activity and its related/unrelated variety decomposition.

All entropies use the natural logarithm (nats); divide by ``log(2)`` for the bits that
Frenken, Van Oort & Verburg (2007) report.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import entr

from clusterlab.model.metrics._numeric import row_shares, safe_divide
from clusterlab.model.metrics._validation import MetricError, as_matrix

__all__ = ["entropy", "variety_decomposition"]

_Vector = npt.NDArray[np.float64]


def entropy(x: npt.ArrayLike) -> _Vector:
    r"""Shannon entropy (natural log) of each row's shares.

    Parameters
    ----------
    x : array_like, shape (n_rows, n_columns)
        Non-negative activity, e.g. regions by industries.

    Returns
    -------
    numpy.ndarray of float64, shape (n_rows,)
        In [0, log(n_columns)]; 0 for an all-zero row.

    Raises
    ------
    MetricError
        If `x` is not a 2-D array of finite, non-negative numbers.

    Notes
    -----
    .. math:: H_r = -\sum_i p_{ri} \ln p_{ri}, \qquad p_{ri} = x_{ri} / \sum_j x_{rj}

    with :math:`0 \ln 0 = 0`.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. Bell System
    Technical Journal, 27(3), 379-423.
    https://doi.org/10.1002/j.1538-7305.1948.tb01338.x

    Examples
    --------
    >>> bool(np.isclose(entropy([[1, 1, 2]])[0], 1.5 * np.log(2)))
    True
    """
    return entr(row_shares(as_matrix(x, "x", "entropy"))).sum(axis=1)


def _group_index(groups: npt.ArrayLike, n_industries: int) -> npt.NDArray[np.intp]:
    """Map arbitrary integer group labels onto 0..n_groups-1, validating them."""
    labels = np.asarray(groups)
    if labels.shape != (n_industries,) or not np.issubdtype(labels.dtype, np.integer):
        raise MetricError(
            "The 'groups' argument of variety_decomposition must be a 1-D integer "
            f"array of length n_industries = {n_industries}. Got dtype {labels.dtype} "
            f"and shape {labels.shape}."
        )
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def variety_decomposition(
    x: npt.ArrayLike, groups: npt.ArrayLike
) -> tuple[_Vector, _Vector, _Vector]:
    r"""Entropy of each region split into related and unrelated variety.

    Parameters
    ----------
    x : array_like, shape (n_regions, n_industries)
        Non-negative activity (e.g. employment) of each region in each industry.
    groups : array_like of int, shape (n_industries,)
        Family (e.g. 2-digit sector) of each industry; any integer labels.

    Returns
    -------
    total : numpy.ndarray of float64, shape (n_regions,)
        Entropy of the industry shares, computed as ``related + unrelated`` so the
        identity holds exactly; it equals :func:`entropy` up to rounding.
    related : numpy.ndarray of float64, shape (n_regions,)
        Related variety: share-weighted entropy within families.
    unrelated : numpy.ndarray of float64, shape (n_regions,)
        Unrelated variety: entropy of the family shares.

    All three are 0 for a region with no activity.

    Raises
    ------
    MetricError
        If `x` is not a 2-D array of finite, non-negative numbers or `groups` is not an
        integer vector with one label per industry.

    Notes
    -----
    With industry shares :math:`p_i`, family shares :math:`P_g = \sum_{i \in g} p_i`
    and within-family entropy :math:`H_g = -\sum_{i \in g} (p_i/P_g) \ln(p_i/P_g)`:

    .. math::

        UV = -\sum_g P_g \ln P_g, \qquad RV = \sum_g P_g H_g, \qquad
        H = -\sum_i p_i \ln p_i = UV + RV.

    References
    ----------
    Frenken, K., Van Oort, F., & Verburg, T. (2007). Related variety, unrelated variety
    and regional economic growth. Regional Studies, 41(5), 685-697.
    https://doi.org/10.1080/00343400601120296

    Examples
    --------
    >>> total, related, unrelated = variety_decomposition([[1, 1, 2]], [0, 0, 1])
    >>> bool(np.isclose(related[0], 0.5 * np.log(2)))
    True
    >>> bool(np.isclose(unrelated[0], np.log(2)))
    True
    """
    shares = row_shares(as_matrix(x, "x", "variety_decomposition"))
    index = _group_index(groups, shares.shape[1])
    one_hot = np.zeros((shares.shape[1], int(index.max(initial=-1)) + 1))
    one_hot[np.arange(index.size), index] = 1.0
    family = shares @ one_hot
    family_of_industry = family[:, index]
    within = entr(safe_divide(shares, family_of_industry))
    related = (family_of_industry * within).sum(axis=1)
    # A family's share, summed from rounded industry shares, can exceed 1 by a rounding
    # unit (shares 2, 4, 3, 1 of 10 in one family sum to 1 + 2.2e-16); entr of it would
    # give a negative unrelated variety of -2.2e-16 where there is only one family.
    unrelated = entr(np.minimum(family, 1.0)).sum(axis=1)
    return related + unrelated, related, unrelated
