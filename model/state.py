"""Dense numeric state of the simulation: plain numpy columns indexed by actor.

New rows are appended in batches once per mechanism call. A firm that exits keeps its row,
with ``alive`` False, until the start of the next year, when :meth:`WorldState.compact`
drops the rows of exited firms and of ended links, so that the yearly work runs over
what is alive rather than everything that ever lived. A firm's row may therefore change
from one year to the next; its ``id`` never does (ids are issued in order of creation, so
they are the rows the firm would have in a table that is never compacted). Events and
Mesa agents name firms by id.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from clusterlab.model.industries import Industries
    from clusterlab.model.knowledge import KnowledgeSpace
    from clusterlab.model.world import Geography

__all__ = [
    "FOUNDED_UNKNOWN",
    "EventLog",
    "FirmTable",
    "Instrument",
    "LinkKind",
    "LinkTable",
    "OrgTable",
    "Origin",
    "UniversityTable",
    "WorldState",
    "rows_sum_by",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class LinkKind(IntEnum):
    """Type of a link."""

    SUPPLY = 0
    COLLABORATION = 1
    UNIVERSITY = 2


class Instrument(IntEnum):
    """Policy instruments; every euro of public spending is booked to one."""

    NONE = 0
    INTRA_CLUSTER = 1
    CROSS_CLUSTER = 2
    INTERREGIONAL = 3
    UNIVERSITY_LINK = 4
    CLUSTER_ORG = 5
    SME_RD_GRANT = 6
    PROCUREMENT = 7


SPENDING_INSTRUMENTS: tuple[Instrument, ...] = tuple(Instrument)[1:]
"""Instruments that spend money (all but NONE), in booking order."""


class Origin(IntEnum):
    """How a firm came to exist."""

    INITIAL = 0
    DIVISION = 1
    SPINOFF = 2
    ACADEMIC_SPINOFF = 3
    ENTRANT = 4
    OUTSIDE_ENTRANT = 5  # an entrant bringing know-how from another region


FOUNDED_UNKNOWN = np.iinfo(np.int64).min
"""``OrgTable.founded`` of the clusters a run starts with: founded before it, year unknown."""


class _Table:
    """Column store: every dataclass field is an array whose first axis is the row."""

    def append(self, **columns: Any) -> IntArray:
        """Append rows; every column must be given. Returns the new row indices.

        Columns are views of buffers with room to grow (doubling), so that appending a
        few rows copies only them, not the whole table; a column replaced by another
        array gets a new buffer at the next append.
        """
        names = [f.name for f in dataclasses.fields(self)]
        missing = set(names) - set(columns)
        if missing:
            raise KeyError(f"append() is missing columns {sorted(missing)}")
        start = len(self)
        rows = {}
        for name in names:
            old = getattr(self, name)
            new = np.asarray(columns[name], dtype=old.dtype)
            rows[name] = new.reshape(-1, *old.shape[1:]) if old.ndim == 2 else new.reshape(-1)
        sizes = {new.shape[0] for new in rows.values()}
        if len(sizes) != 1:
            raise ValueError(f"append() columns differ in length: {sorted(sizes)}")
        stop = start + sizes.pop()
        spare = self.__dict__.setdefault("_spare", {})  # name -> (buffer, column view)
        for name, new in rows.items():
            old = getattr(self, name)
            buffer, view = spare.get(name, (None, None))
            # reuse the buffer only for the very view made of it (a copied or unpickled
            # table keeps the pairing but not the sharing of memory)
            if view is not old or old.base is not buffer or buffer.shape[0] < stop:
                buffer = np.empty((max(2 * stop, 16), *old.shape[1:]), old.dtype)
                buffer[:start] = old
            buffer[start:stop] = new
            _set_in_buffer(self, name, buffer, stop)
        return np.arange(start, stop)

    def __len__(self) -> int:
        first = next(iter(self.__dataclass_fields__))  # cheaper than dataclasses.fields()
        return int(getattr(self, first).shape[0])

    @classmethod
    def empty(cls, n_fields: int) -> Any:
        """Make a table with no rows; 2-D columns get ``n_fields`` columns."""
        cols = {}
        for f in dataclasses.fields(cls):
            dtype, two_d = _DTYPES[f.type]
            cols[f.name] = np.zeros((0, n_fields) if two_d else 0, dtype=dtype)
        return cls(**cols)


def _set_in_buffer(table: _Table, name: str, buffer: npt.NDArray[Any], stop: int) -> None:
    """Make ``buffer[:stop]`` the column ``name``, remembered as living in ``buffer``.

    A later append or compaction reuses the buffer while the column is still that very
    view (changed in place or not); a column replaced by another array is copied into a
    new buffer.
    """
    column = buffer[:stop]
    table.__dict__.setdefault("_spare", {})[name] = (buffer, column)
    setattr(table, name, column)


def _keep_rows(table: _Table, keep: BoolArray) -> None:
    """Keep the rows of ``table`` where ``keep`` is True, in their order.

    Each column is gathered into a new buffer with room to grow, as :meth:`_Table.append`
    keeps them (so the next append copies only its own rows); arrays read from the table
    before keep their values.
    """
    rows = np.flatnonzero(keep)
    n = rows.size
    for f in dataclasses.fields(table):
        old = getattr(table, f.name)
        buffer = np.empty((max(2 * n, 16), *old.shape[1:]), old.dtype)
        np.take(old, rows, axis=0, out=buffer[:n], mode="clip")  # rows are in range
        _set_in_buffer(table, f.name, buffer, n)


_DTYPES = {
    "IntArray": (np.int64, False),
    "FloatArray": (np.float64, False),
    "BoolArray": (np.bool_, False),
    "Matrix": (np.float64, True),
    "BoolMatrix": (np.bool_, True),
}


@dataclass(eq=False)
class FirmTable(_Table):
    """Firms: one row per firm (money in M€, sizes in employees), in order of ``id``.

    Rows of exited firms are dropped at the start of each year (:meth:`WorldState.compact`).
    """

    id: IntArray  # stable firm id, issued in order of creation (0, 1, 2, ...)
    group: IntArray  # id of the group's founding firm (a division joins its parent's group)
    alive: BoolArray
    region: IntArray
    x: IntArray
    y: IntArray
    cluster: IntArray  # initial cluster (-1: none); a division inherits its parent's
    industry: IntArray
    origin: IntArray  # Origin
    parent: IntArray  # parent's id; -1: none (for academic spin-offs: -1 - university index)
    born: IntArray  # step of birth (negative during burn-in)
    died: IntArray  # step of exit, or a large number while alive
    knowledge: Matrix  # (n, K) expertise per field in [0, 1]
    productivity: FloatArray
    employees: FloatArray
    cash: FloatArray
    revenue: FloatArray  # last year's revenue
    profit: FloatArray  # last year's profit
    rd_budget: FloatArray  # own R&D spend this year
    rd_support: FloatArray  # pooled cluster R&D received this year
    loss_streak: IntArray

    def rows_of(self, ids: npt.ArrayLike) -> IntArray:
        """Rows of the firms with these ids now.

        Raises
        ------
        KeyError
            If a firm is no longer in the table (it exited before this year).
        """
        ids = np.asarray(ids, np.int64)
        flat = ids.reshape(-1)
        rows = np.searchsorted(self.id, flat)
        found = rows < self.id.size
        found[found] = self.id[rows[found]] == flat[found]
        if not found.all():
            missing = flat[~found][:5].tolist()
            raise KeyError(
                f"firm ids {missing} are not in the firm table: they exited before this year "
                "(exited firms are dropped at the start of each year)"
            )
        return rows.reshape(ids.shape)


@dataclass(eq=False)
class LinkTable(_Table):
    """Typed, dated links. ``b`` is a firm row, or a university row for UNIVERSITY links.

    ``a`` and firm ``b`` are rows of the firm table; :meth:`WorldState.compact` renumbers
    them with the table and drops ended (inactive) links.
    """

    a: IntArray
    b: IntArray
    kind: IntArray  # LinkKind
    formed: IntArray
    expires: IntArray
    cross_cluster: BoolArray
    interregional: BoolArray
    fee: FloatArray  # M€/year each paying end owes
    instrument: IntArray  # Instrument that may subsidise the fee
    eligible_share: FloatArray  # subsidy share of the fee before rationing
    active: BoolArray
    # both ends valued the link above its full fee when it formed: it would have formed
    # without any subsidy (a subsidised link with this flag is deadweight; model/policy.py)
    viable_unsubsidised: BoolArray


@dataclass(eq=False)
class UniversityTable(_Table):
    """Universities: broad, deep knowledge that slowly advances."""

    region: IntArray
    x: IntArray
    y: IntArray
    knowledge: Matrix
    home_families: BoolMatrix  # (n, K): fields of the families it is strong in


@dataclass(eq=False)
class OrgTable(_Table):
    """Cluster organizations, one per cluster (row = cluster id).

    Rows are appended as clusters are founded during the run (:mod:`clusterlab.model.emergence`).
    """

    region: IntArray
    chain: IntArray
    x: IntArray
    y: IntArray
    roadmap: BoolMatrix  # (n, K) target fields
    partner: IntArray  # partner organization in another region (-1: none)
    budget: FloatArray  # this year's budget (public funding + member fees)
    public_funding: FloatArray  # this year's public funding received
    brokerage: IntArray  # introductions it can make this year
    founded: IntArray  # year founded; FOUNDED_UNKNOWN for the clusters a run starts with


Matrix = FloatArray
BoolMatrix = BoolArray


def rows_sum_by(group: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sum the rows of ``values`` (n, C) by ``group`` (0..n_groups-1): shape (n_groups, C).

    One ``bincount`` pass; each sum adds its rows in their order, from zero, exactly as
    ``np.add.at`` on a zero array would (same result to the last bit), only faster.
    """
    c = values.shape[1]
    index = (group[:, None] * c + np.arange(c)).ravel()
    flat = np.bincount(index, weights=values.ravel(), minlength=n_groups * c)
    # bincount gives integers when there is nothing to count
    return flat.astype(np.float64, copy=False).reshape(n_groups, c)


class EventLog:
    """Events of a run, appended in batches as columns; turned into tables at the end.

    Each kind ("innovation", "birth", "death", "link", "specialisation") keeps a list of
    column batches; :meth:`columns` concatenates them.
    """

    def __init__(self) -> None:
        self._batches: dict[str, list[dict[str, npt.NDArray]]] = {}
        self._empty: dict[str, dict[str, npt.NDArray]] = {}  # columns of a kind, no rows

    def add(self, event: str, /, **columns: Any) -> None:
        """Append a batch of events of one kind (all columns the same length).

        An empty batch adds no row but makes the kind's columns (names and dtypes) known,
        so a run in which it never happened still gives a table with its columns.
        """
        arrays = {k: np.atleast_1d(np.asarray(v)) for k, v in columns.items()}
        sizes = {a.size for a in arrays.values()}
        if len(sizes) != 1:
            raise ValueError(f"event columns of '{event}' differ in length: {sizes}")
        if sizes.pop() > 0:
            self._batches.setdefault(event, []).append(arrays)
        else:
            self._empty.setdefault(event, {k: a[:0] for k, a in arrays.items()})

    def columns(self, kind: str) -> dict[str, npt.NDArray]:
        """All events of one kind as concatenated columns.

        With no event of that kind: empty columns if an empty batch told them, else {}.
        """
        batches = self._batches.get(kind, [])
        if not batches:
            return dict(self._empty.get(kind, {}))
        return {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}

    def kinds(self) -> list[str]:
        """Kinds of event recorded so far."""
        return sorted(self._batches)


@dataclass(eq=False)
class WorldState:
    """Everything a mechanism may read or change, in one place."""

    space: KnowledgeSpace
    industries: Industries
    geo: Geography
    firms: FirmTable
    links: LinkTable
    unis: UniversityTable
    orgs: OrgTable
    final_demand: FloatArray  # (P,) M€/year
    coefficients: npt.NDArray[np.float64]  # (P, P) Leontief input coefficients
    last_combined: IntArray  # (K, K) last year each field pair was combined anywhere
    region_last_combined: IntArray  # (R, K, K) last year each pair was combined per region
    ratio: FloatArray  # (R,) share of claims paid last rationing
    spend: npt.NDArray[np.float64]  # (R, n_instruments) M€ paid this year
    target_fields: npt.NDArray[np.bool_]  # (R, K) missing-link target fields
    step: int
    policy_on: bool
    events: EventLog
    firm_ids_issued: int  # ids 0 .. firm_ids_issued - 1 have been given to firms

    def new_firm_ids(self, n: int) -> IntArray:
        """Issue ids for ``n`` new firms."""
        ids = np.arange(self.firm_ids_issued, self.firm_ids_issued + n)
        self.firm_ids_issued += n
        return ids

    def compact(self) -> None:
        """Drop the rows of exited firms and of ended links; renumber the links' firm ends.

        Rows keep their order, so every computation over the remaining rows gives the same
        result as over the full tables. Active links join alive firms only (an exit ends
        its firm's links), so every link kept has its firm ends in the table.
        """
        links, firms = self.links, self.firms
        alive = firms.alive
        if links.active.all() and alive.all():
            return
        _keep_rows(links, links.active)  # new buffers: arrays read before keep their values
        if alive.all():
            return
        row = np.cumsum(alive) - 1
        firm_b = links.kind != LinkKind.UNIVERSITY
        ends = np.concatenate([links.a, links.b[firm_b]])
        if not alive[ends].all():
            raise RuntimeError("an active link has an exited firm at one end")
        links.a[:] = row[links.a]  # in the new buffers
        links.b[firm_b] = row[links.b[firm_b]]
        _keep_rows(firms, alive)

    def node_knowledge(self, node: IntArray, university: BoolArray) -> FloatArray:
        """Knowledge rows of link partners that may be firms or universities."""
        out = self.firms.knowledge[np.where(university, 0, node)]
        if university.any():
            out[university] = self.unis.knowledge[node[university]]
        return out
