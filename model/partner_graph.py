r"""The knowledge-link network as a graph: partner capacity, partners of partners, shared partners.

Nodes are firm rows ``0..n_firms-1`` and universities ``n_firms + u``; edges are the active
collaboration links (firm-firm) and university links (firm-university). Supply links are
not part of it: they are trade, not knowledge partnerships.

Three network mechanisms of the partner search (:mod:`clusterlab.model.networking`) live here:

- **Partner capacity** grows with firm size, sub-linearly (:func:`partner_capacity`): a
  firm manages as many partnerships as its staff can look after, and the number of
  alliances of a firm rises less than proportionally with its size (Powell, Koput &
  Smith-Doerr 1996, Admin. Sci. Q. 41(1):116-145, doi:10.2307/2393988; in SKIN the
  partnership capacity rises with the firm's capital, Gilbert, Pyka & Ahrweiler 2001,
  JASSS 4(3)); a division draws on its group's staff and relations (Sutton 2002;
  Buldyrev et al. 2007, J. Eur. Econ. Assoc. 5(2-3):574-584), and every firm can keep at
  least ``min_partners``.
- **Search through partners** (:func:`referral_candidates`): a searcher asks a random
  partner of its own for one of that partner's partners. This is the meeting of
  "friends of friends" of Jackson & Rogers (2007, Am. Econ. Rev. 97(3):890-915,
  doi:10.1257/aer.97.3.890) and the partner-of-partner search of SKIN (Gilbert, Pyka &
  Ahrweiler 2001; Ahrweiler, Gilbert & Pyka 2014, in *Simulating Knowledge Dynamics in
  Innovation Networks*, Springer). It closes triangles (clustering) and, since a node is
  met in proportion to its degree, acts as preferential attachment (Jackson & Rogers
  2007); partners of partners may be in any region.
- **Shared partners** (:func:`shared_partners`): the number of common partners of a pair,
  which raises the expected value of their link (trust and lower coordination cost under
  network closure: Balland 2012, Reg. Stud. 46(6):741-756,
  doi:10.1080/00343404.2010.529121; ter Wal 2014, J. Econ. Geogr. 14(3):589-620,
  doi:10.1093/jeg/lbs063).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clusterlab.model.kernels import common_counts
from clusterlab.model.params import NetworkingParams
from clusterlab.model.state import LinkKind, LinkTable

__all__ = [
    "PartnerGraph",
    "partner_capacity",
    "partners_of",
    "random_partner",
    "referral_candidates",
    "shared_partners",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def partner_capacity(
    employees: FloatArray, net: NetworkingParams, group: IntArray | None = None
) -> IntArray:
    r"""Most collaboration and university partners of each firm.

    :math:`\bar\nu_i = \min(\nu_{max}, \max(\nu_{min}, \lfloor \kappa\, R_i^{\beta}
    \rfloor))` on the firm's resources :math:`R_i = E_i + g\,(G_i - E_i)`, with
    :math:`E_i` its employment, :math:`G_i` the employment of its group (the firms in
    ``employees`` that share its ``group`` id; its own when ``group`` is None), :math:`g`
    = ``partner_capacity_group_share``, :math:`\kappa` = ``partner_capacity_scale``,
    :math:`\beta` = ``partner_capacity_elasticity`` (sub-linear: 0 < beta < 1),
    :math:`\nu_{min}` = ``min_partners`` and :math:`\nu_{max}` = ``max_partners``.

    A division draws on its group's relations and staff (business groups share resources
    across units: Sutton 2002; Buldyrev et al. 2007, J. Eur. Econ. Assoc. 5(2-3):574-584).
    With the defaults (1, 0.5, floor 2, cap 30): 2 partners up to 8 employees, 4 for
    16-24, 10 for 100, 30 from 900 on.
    """
    size = np.maximum(np.asarray(employees, np.float64), 0.0)
    if group is not None and net.partner_capacity_group_share:
        ids, inverse = np.unique(np.asarray(group), return_inverse=True)
        total = np.bincount(inverse, weights=size, minlength=ids.size)[inverse]
        size = size + net.partner_capacity_group_share * (total - size)
    cap = np.floor(net.partner_capacity_scale * size**net.partner_capacity_elasticity + 1e-9)
    cap = np.maximum(cap, net.min_partners)
    return np.minimum(cap, net.max_partners).astype(np.int64)


@dataclass(slots=True)
class PartnerGraph:
    """Neighbour lists (compressed rows, each list sorted) of the knowledge-link network.

    Node ``v < n_firms`` is firm row v, node ``n_firms + u`` university row u.
    """

    indptr: IntArray
    neighbours: IntArray
    n_firms: int

    @classmethod
    def of(cls, links: LinkTable, n_firms: int, n_unis: int) -> PartnerGraph:
        """Graph of the active collaboration and university links."""
        live = links.active & (links.kind != LinkKind.SUPPLY)
        uni = links.kind[live] == LinkKind.UNIVERSITY
        a = links.a[live].astype(np.int64)
        b = np.where(uni, n_firms + links.b[live], links.b[live]).astype(np.int64)
        src, dst = np.concatenate([a, b]), np.concatenate([b, a])
        order = np.lexsort((dst, src))
        count = np.bincount(src, minlength=n_firms + n_unis)
        indptr = np.zeros(count.size + 1, np.int64)
        np.cumsum(count, out=indptr[1:])
        return cls(indptr, dst[order], n_firms)

    def node(self, row: IntArray, university: BoolArray) -> IntArray:
        """Node of firm row ``row[i]``, or of university row ``row[i]`` where ``university``."""
        return np.where(university, self.n_firms + np.asarray(row), row).astype(np.int64)

    def degree(self, node: IntArray) -> IntArray:
        """Return the number of partners of each node."""
        return self.indptr[np.asarray(node) + 1] - self.indptr[node]


def random_partner(
    graph: PartnerGraph, node: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """One partner of each node that has any, drawn uniformly (one uniform per such node).

    Returns the positions (in ``node``) of the nodes with a partner, and their partners.
    """
    node = np.asarray(node, np.int64)
    has = np.flatnonzero(graph.degree(node) > 0)
    n = node[has]
    pick = (rng.random(n.size) * graph.degree(n)).astype(np.int64)
    return has, graph.neighbours[graph.indptr[n] + pick]


def referral_candidates(
    graph: PartnerGraph, searchers: IntArray, k: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray, BoolArray]:
    """Partners of partners: k per searcher that has a partner.

    Each of the k draws picks one partner j of the searcher uniformly, then one partner of
    j uniformly (Jackson & Rogers 2007; SKIN). Draws may return the searcher itself or a
    current partner; the caller filters those. Searchers without partners find nobody.

    Returns
    -------
    searcher, candidate, university : ndarray
        Paired rows: the candidate is a firm row, or a university row where ``university``.
    """
    searchers = np.asarray(searchers, np.int64)
    s = np.repeat(searchers[graph.degree(searchers) > 0], k)
    _, j = random_partner(graph, s, rng)  # every s has a partner, and so has every j
    _, node = random_partner(graph, j, rng)
    uni = node >= graph.n_firms
    return s, np.where(uni, node - graph.n_firms, node), uni


def partners_of(
    graph: PartnerGraph, searcher: IntArray, met: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, BoolArray]:
    """Friends of strangers: one partner of each firm ``met[i]`` that has any, for ``searcher[i]``.

    Jackson & Rogers (2007): a node meets some nodes at random and then searches their
    neighbourhoods. Same return as :func:`referral_candidates`.
    """
    has, node = random_partner(graph, met, rng)
    uni = node >= graph.n_firms
    return np.asarray(searcher)[has], np.where(uni, node - graph.n_firms, node), uni


def shared_partners(graph: PartnerGraph, a: IntArray, b: IntArray) -> IntArray:
    """Count the common partners of node pairs ``(a[i], b[i])`` (graph nodes)."""
    return common_counts(
        graph.indptr, graph.neighbours, np.asarray(a, np.int64), np.asarray(b, np.int64)
    )
