"""Supply links: customers in downstream industries buy from firms of upstream industries.

Supply links are market relations, free of fees and subsidies. Each firm of an industry
that has suppliers keeps ``suppliers_per_firm`` of them; a customer that lacks some (a new
firm, or one whose supplier exited) chooses new ones among the firms of its upstream
industries with weights that rise with the supplier's size and fall with distance.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.ordering import stable_order
from clusterlab.model.sampling import successive_sample
from clusterlab.model.state import FirmTable, Instrument, LinkKind, LinkTable

__all__ = ["rewire_supply"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NEVER = np.iinfo(np.int64).max // 2
"""Expiry step of links that do not expire."""


def supply_need(
    firms: FirmTable, links: LinkTable, has_upstream: BoolArray, per_firm: int
) -> IntArray:
    """Count the suppliers each firm still needs (0 in industries without suppliers)."""
    customer, _ = _supply_pairs(links)
    return _need(firms, customer, has_upstream, per_firm)


def _supply_pairs(links: LinkTable) -> tuple[IntArray, IntArray]:
    """Return (customer, supplier) of every active supply link."""
    live = np.flatnonzero(links.active & (links.kind == LinkKind.SUPPLY))
    return links.a[live], links.b[live]


def _need(firms: FirmTable, customer: IntArray, has_upstream: BoolArray, per_firm: int) -> IntArray:
    """:func:`supply_need` given the customers of the active supply links."""
    have = np.bincount(customer, minlength=len(firms))
    need = np.where(firms.alive & has_upstream[firms.industry], per_firm - have, 0)
    return np.maximum(need, 0)


def current_suppliers(links: LinkTable, customers: IntArray, candidates: IntArray) -> BoolArray:
    """Mark, for each customer and candidate, whether the customer already buys from it.

    Returns a bool array of shape (customers, candidates); both index arrays must be sorted
    (as ``np.flatnonzero`` returns them).
    """
    taken = np.zeros((customers.size, candidates.size), dtype=bool)
    start, column = _taken_rows(*_supply_pairs(links), customers, candidates)
    taken[np.repeat(np.arange(customers.size), np.diff(start)), column] = True
    return taken


def _taken_rows(
    customer: IntArray, supplier: IntArray, customers: IntArray, candidates: IntArray
) -> tuple[IntArray, IntArray]:
    """List the current suppliers of each customer among the candidates (compressed rows).

    ``customer``, ``supplier`` are supply pairs; ``customers`` and ``candidates`` are
    sorted firm rows. Returns ``start`` (one entry per customer, plus one) and ``column``
    (candidate positions): customer i buys from candidates ``column[start[i]:start[i + 1]]``.
    """
    if customers.size == 0 or candidates.size == 0 or customer.size == 0:
        return np.zeros(customers.size + 1, np.int64), np.zeros(0, np.int64)
    row = np.minimum(np.searchsorted(customers, customer), customers.size - 1)
    col = np.minimum(np.searchsorted(candidates, supplier), candidates.size - 1)
    keep = np.flatnonzero((customers[row] == customer) & (candidates[col] == supplier))
    order = stable_order(row[keep])
    row, col = row[keep][order], col[keep][order]
    return np.searchsorted(row, np.arange(customers.size + 1)), col


def choose_suppliers(
    customers: IntArray,
    need: IntArray,
    candidates: IntArray,
    firms: FirmTable,
    distance_scale: float,
    rng: np.random.Generator,
    taken: BoolArray | None = None,
) -> tuple[IntArray, IntArray]:
    r"""Weighted sampling without replacement of suppliers for each customer.

    Customer i draws ``need[i]`` suppliers by successive sampling with weights
    :math:`(E_j + 10^{-9}) \exp(-d_{ij}/\lambda)`
    (:func:`clusterlab.model.sampling.successive_sample`: rejection from bounds over blocks of
    candidates, a few random numbers per supplier). ``taken`` (customers x candidates) marks current
    suppliers, which are not drawn again; a customer with fewer other candidates than it needs gets
    them all. Returns paired arrays (customer, supplier), each customer's suppliers in drawing
    order.
    """
    rows = None
    if taken is not None:
        row, col = np.nonzero(taken)
        rows = np.searchsorted(row, np.arange(customers.size + 1)), col
    row, col = _draw(customers, need, candidates, firms, distance_scale, rng, rows)
    return customers[row], candidates[col]


def _draw(
    customers: IntArray,
    need: IntArray,
    candidates: IntArray,
    firms: FirmTable,
    distance_scale: float,
    rng: np.random.Generator,
    taken: tuple[IntArray, IntArray] | None,
    groups: tuple[IntArray, IntArray] | None = None,
) -> tuple[IntArray, IntArray]:
    """Draw suppliers (:func:`clusterlab.model.sampling.successive_sample` on firm rows).

    Returns positions (row in ``customers``, column in ``candidates``).
    """
    return successive_sample(
        (firms.x[customers], firms.y[customers]),
        (firms.x[candidates], firms.y[candidates]),
        firms.employees[candidates] + 1e-9,
        distance_scale,
        need,
        rng,
        taken,
        groups,
    )


def rewire_supply(
    firms: FirmTable,
    links: LinkTable,
    supplies: BoolArray,
    per_firm: int,
    distance_scale: float,
    step: int,
    rng: np.random.Generator,
) -> int:
    """Give every customer firm the suppliers it lacks. Returns the number of new links.

    Customers draw industry by industry of customer (in industry order), each among the
    alive firms of its upstream industries, all in one call of the sampler.
    """
    has_upstream = supplies.any(axis=0)
    customer, supplier = _supply_pairs(links)
    need = _need(firms, customer, has_upstream, per_firm)
    needy = np.flatnonzero(need > 0)
    if needy.size == 0:
        return 0
    # needy customers by industry, then row; candidates of each such industry by row
    needy = needy[stable_order(firms.industry[needy])]
    industries, customer_start = np.unique(firms.industry[needy], return_index=True)
    alive = np.flatnonzero(firms.alive)
    alive_industry = firms.industry[alive]
    candidates = [alive[np.flatnonzero(supplies[:, q][alive_industry])] for q in industries]
    candidate_start = np.cumsum([0] + [c.size for c in candidates])
    # current suppliers of needy customers, as (group, firm) keys of customer and candidate
    group_of = np.full(supplies.shape[0], -1)
    group_of[industries] = np.arange(industries.size)
    held = np.flatnonzero(need[customer] > 0)
    customer, supplier = customer[held], supplier[held]
    group = group_of[firms.industry[customer]]
    n = len(firms)
    customer_key = group_of[firms.industry[needy]] * n + needy
    candidate_key = np.repeat(np.arange(industries.size), np.diff(candidate_start)) * n
    candidate_key += np.concatenate(candidates)
    taken = _taken_rows(group * n + customer, group * n + supplier, customer_key, candidate_key)
    groups = np.append(customer_start, needy.size), candidate_start
    candidates = np.concatenate(candidates)
    row, col = _draw(needy, need[needy], candidates, firms, distance_scale, rng, taken, groups)
    if row.size == 0:
        return 0
    a, b = needy[row], candidates[col]
    same_cluster = (firms.cluster[a] >= 0) & (firms.cluster[a] == firms.cluster[b])
    links.append(
        a=a,
        b=b,
        kind=np.full(a.size, LinkKind.SUPPLY),
        formed=np.full(a.size, step),
        expires=np.full(a.size, NEVER),
        cross_cluster=~same_cluster,
        interregional=firms.region[a] != firms.region[b],
        fee=np.zeros(a.size),
        instrument=np.full(a.size, Instrument.NONE),
        eligible_share=np.zeros(a.size),
        active=np.ones(a.size, bool),
        viable_unsubsidised=np.ones(a.size, bool),  # never subsidised
    )
    return int(a.size)
