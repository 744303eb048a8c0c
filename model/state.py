"""Dense numeric state of the simulation: plain numpy columns indexed by actor.

Rows are never removed: a firm that exits keeps its row with ``alive`` False, so an index
names the same firm for the whole run (Mesa agents keep their index in ``idx``). New
rows are appended in batches once per mechanism call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from model.industries import Industries
    from model.knowledge import KnowledgeSpace
    from model.world import Geography

__all__ = [
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
        spare = self.__dict__.setdefault("_spare", {})
        for name, new in rows.items():
            old, buffer = getattr(self, name), spare.get(name)
            if buffer is None or buffer.shape[0] < stop or not _is_prefix(old, buffer):
                buffer = np.empty((max(2 * stop, 16), *old.shape[1:]), old.dtype)
                buffer[:start] = old
                spare[name] = buffer
            buffer[start:stop] = new
            setattr(self, name, buffer[:stop])
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


def _is_prefix(column: npt.NDArray[Any], buffer: npt.NDArray[Any]) -> bool:
    """Whether ``column`` is ``buffer[:len(column)]`` (a table column kept in its buffer)."""
    return (
        column.base is buffer
        and column.ctypes.data == buffer.ctypes.data
        and column.strides == buffer.strides
    )


_DTYPES = {
    "IntArray": (np.int64, False),
    "FloatArray": (np.float64, False),
    "BoolArray": (np.bool_, False),
    "Matrix": (np.float64, True),
    "BoolMatrix": (np.bool_, True),
}


@dataclass(eq=False)
class FirmTable(_Table):
    """Firms: one row per firm ever created (money in M€, sizes in employees)."""

    alive: BoolArray
    region: IntArray
    x: IntArray
    y: IntArray
    cluster: IntArray  # initial cluster (-1: none); a division inherits its parent's
    industry: IntArray
    origin: IntArray  # Origin
    parent: IntArray  # -1: none (for academic spin-offs: -1 - university index)
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


@dataclass(eq=False)
class LinkTable(_Table):
    """Typed, dated links. ``b`` is a firm row, or a university row for UNIVERSITY links."""

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
    """Cluster organizations, one per initial cluster (row = cluster id)."""

    region: IntArray
    chain: IntArray
    x: IntArray
    y: IntArray
    roadmap: BoolMatrix  # (n, K) target fields
    partner: IntArray  # partner organization in another region (-1: none)
    budget: FloatArray  # this year's budget (public funding + member fees)
    public_funding: FloatArray  # this year's public funding received
    brokerage: IntArray  # introductions it can make this year


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

    def add(self, event: str, /, **columns: Any) -> None:
        """Append a batch of events of one kind (all columns the same length)."""
        arrays = {k: np.atleast_1d(np.asarray(v)) for k, v in columns.items()}
        sizes = {a.size for a in arrays.values()}
        if len(sizes) != 1:
            raise ValueError(f"event columns of '{event}' differ in length: {sizes}")
        if sizes.pop() > 0:
            self._batches.setdefault(event, []).append(arrays)

    def columns(self, kind: str) -> dict[str, npt.NDArray]:
        """All events of one kind as concatenated columns ({} when there are none)."""
        batches = self._batches.get(kind, [])
        if not batches:
            return {}
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
    combined: BoolArray  # (K, K) field pairs ever combined
    ratio: FloatArray  # (R,) share of claims paid last rationing
    spend: npt.NDArray[np.float64]  # (R, n_instruments) M€ paid this year
    target_fields: npt.NDArray[np.bool_]  # (R, K) missing-link target fields
    step: int
    policy_on: bool
    events: EventLog

    def node_knowledge(self, node: IntArray, university: BoolArray) -> FloatArray:
        """Knowledge rows of link partners that may be firms or universities."""
        out = self.firms.knowledge[np.where(university, 0, node)]
        if university.any():
            out[university] = self.unis.knowledge[node[university]]
        return out
