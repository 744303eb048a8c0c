"""Recombinant search without a formal partner: firms tapping their region's knowledge pool.

Knowledge spills over locally outside formal collaboration, through informal contacts,
labour mobility and the "local buzz" of co-located people (Jaffe, Trajtenberg &
Henderson 1993; Storper & Venables 2004; Bathelt, Malmberg & Maskell 2004). A firm with
no collaboration or university partner can therefore still recombine one of its own
fields with a field its region's employment is strong in (the regional knowledge pool of
:mod:`clusterlab.model.innovation`): the region's knowledge base, not a partner, supplies the second
field, so how many unrelated fields it can combine depends on how its region's employment
is spread over knowledge families, unrelated variety (Castaldi, Frenken & Los 2015).

Whatever the source of the second field, a partner at home, a pipeline partner abroad or
the local pool, joining two fields of *different* knowledge families in a way nobody has
recently (a new-to-world pair; one made elsewhere can be imitated) has to be done with
the people of the firm's region: a firm recognises, assimilates and applies outside
knowledge through the related knowledge it can draw on (absorptive capacity: Cohen &
Levinthal 1990), and pipeline knowledge is absorbed and put to use through the local buzz
of the home region (Bathelt, Malmberg & Maskell 2004). A region whose employment spans
more knowledge families holds more of the bridging knowledge an unrelated combination
needs (:func:`absorptive_base`), so its firms' new unrelated recombinations succeed
more often (Castaldi, Frenken & Los 2015: unrelated variety raises breakthroughs;
Boschma & Iammarino 2009: knowledge from outside the region pays off where the region's
base can absorb it).

References
----------
Jaffe, A. B., Trajtenberg, M., & Henderson, R. (1993). Geographic localization of
knowledge spillovers as evidenced by patent citations. Quarterly Journal of Economics,
108(3), 577-598. https://doi.org/10.2307/2118401

Storper, M., & Venables, A. J. (2004). Buzz: face-to-face contact and the urban economy.
Journal of Economic Geography, 4(4), 351-370. https://doi.org/10.1093/jnlecg/lbh027

Bathelt, H., Malmberg, A., & Maskell, P. (2004). Clusters and knowledge: local buzz,
global pipelines and the process of knowledge creation. Progress in Human Geography,
28(1), 31-56. https://doi.org/10.1191/0309132504ph469oa

Cohen, W. M., & Levinthal, D. A. (1990). Absorptive capacity: a new perspective on
learning and innovation. Administrative Science Quarterly, 35(1), 128-152.
https://doi.org/10.2307/2393553

Boschma, R., & Iammarino, S. (2009). Related variety, trade linkages, and regional
growth in Italy. Economic Geography, 85(3), 289-311.
https://doi.org/10.1111/j.1944-8287.2009.01034.x

Castaldi, C., Frenken, K., & Los, B. (2015). Related variety, unrelated variety and
technological breakthroughs: an analysis of US state-level patenting. Regional Studies,
49(5), 767-781. https://doi.org/10.1080/00343404.2014.940305
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["absorptive_base", "frontier_knowledge", "unpartnered_firms"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def unpartnered_firms(alive: BoolArray, learner: IntArray) -> IntArray:
    """Rows of alive firms with no collaboration or university partner, in row order.

    Parameters
    ----------
    alive : ndarray of bool, shape (n,)
        Alive flag of every firm row.
    learner : ndarray of int
        Firm rows that have at least one knowledge partner (repeats allowed).

    Returns
    -------
    ndarray of int
        Rows ``i`` with ``alive[i]`` and ``i`` not in ``learner``, ascending.

    Examples
    --------
    >>> unpartnered_firms(np.array([True, True, False, True]), np.array([1, 1])).tolist()
    [0, 3]
    """
    solo = alive.copy()
    solo[learner] = False
    return np.flatnonzero(solo)


def frontier_knowledge(best: FloatArray, region: IntArray) -> FloatArray:
    r"""Return the knowledge an unpartnered firm searches: its region's frontier, (m, K).

    Parameters
    ----------
    best : ndarray, shape (R, K)
        Highest expertise in each field among each region's firms
        (:func:`clusterlab.model.innovation.regional_pool`).
    region : ndarray of int, shape (m,)
        Region of each searching firm.

    Returns
    -------
    ndarray, shape (m, K)
        :math:`\bar k_{r(i)}`, a copy. It stands in for the partner: the cognitive
        distance of firm and frontier sets the attempt's success (absorptive capacity),
        and the frontier's expertise in the second field bounds what the firm learns.
    """
    return best[region].copy()


def absorptive_base(family_employment: FloatArray, exponent: float) -> FloatArray:
    r"""Factor on the success of a new unrelated recombination in each region, (R,).

    Parameters
    ----------
    family_employment : ndarray, shape (R, G)
        Employment of each region in the industries of each knowledge family (the
        grouping of unrelated variety).
    exponent : float
        :math:`\mu`; 0 gives every region the factor 1.

    Returns
    -------
    ndarray, shape (R,)
        :math:`a_r = (e^{UV_r} / G)^{\mu}`, with
        :math:`UV_r = -\sum_g P_{rg} \ln P_{rg}` the entropy of the region's family
        shares (its unrelated variety, natural log) and :math:`e^{UV_r}` the effective
        number of families its employment spans (the Hill number of order 1), in
        [1, G]; so :math:`a_r \in [G^{-\mu}, 1]`, 1 for a region spread evenly over
        all G families. An empty region gets :math:`G^{-\mu}` (it has no base).

    Notes
    -----
    The factor rises with unrelated variety at a constant elasticity,
    :math:`\partial \ln a_r / \partial UV_r = \mu`: one nat more unrelated variety
    multiplies the success of the region's unrelated recombinations by :math:`e^{\mu}`.

    Examples
    --------
    >>> emp = np.array([[1.0, 1.0, 1.0, 1.0], [4.0, 0.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0]])
    >>> absorptive_base(emp, 1.0).tolist()
    [1.0, 0.25, 0.5]
    """
    n_groups = family_employment.shape[1]
    total = family_employment.sum(axis=1, keepdims=True)
    share = np.divide(
        family_employment, total, out=np.zeros_like(family_employment), where=total > 0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = -np.where(share > 0.0, share * np.log(share), 0.0).sum(axis=1)
    return (np.exp(uv) / n_groups) ** exponent
