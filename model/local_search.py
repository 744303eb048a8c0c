"""Recombinant search without a formal partner: firms tapping their region's knowledge pool.

Knowledge spills over locally outside formal collaboration, through informal contacts,
labour mobility and the "local buzz" of co-located people (Jaffe, Trajtenberg &
Henderson 1993; Storper & Venables 2004; Bathelt, Malmberg & Maskell 2004). A firm with
no collaboration or university partner can therefore still recombine one of its own
fields with a field its region's employment is strong in (the regional knowledge pool of
:mod:`clusterlab.model.innovation`): the region's knowledge base, not a partner, supplies the second
field, so how many unrelated fields it can combine depends on how its region's employment
is spread over knowledge families, unrelated variety (Castaldi, Frenken & Los 2015).

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

Castaldi, C., Frenken, K., & Los, B. (2015). Related variety, unrelated variety and
technological breakthroughs: an analysis of US state-level patenting. Regional Studies,
49(5), 767-781. https://doi.org/10.1080/00343404.2014.940305
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["frontier_knowledge", "unpartnered_firms"]

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
