"""What each stage of a year changed: the explicit change of every mechanism, on demand.

The stages of :mod:`clusterlab.model.schedule` write their results into the world's column
tables in place (a copy of every table per stage would cost more than the mechanisms at
100,000 firms) and declare what they may change in ``Stage.writes``. :meth:`ClusterModel.
trace_year <clusterlab.model.cluster_model.ClusterModel.trace_year>` runs one year as
:meth:`~clusterlab.model.cluster_model.ClusterModel.step` does, but copies the world before
and after each stage and returns a :class:`StageChange` per stage: which columns changed
and in how many rows, how many rows and events were added, which fields of the
:class:`~clusterlab.model.schedule.Year` were handed on, and anything changed that the
stage does not declare. The year it runs is the same year ``step`` would have run (same
draws, same outputs); only slower.

>>> from clusterlab.model import ClusterModel
>>> from clusterlab.model.presets import preset
>>> model = ClusterModel(params=preset("baseline", n_firms=200, burn_in=2), rng=1)
>>> changes = model.trace_year()
>>> [c.stage for c in changes][:4]
['rd_budgets', 'policy', 'governance_funding', 'market']
>>> changes[3].changed["firms.employees"] > 0  # the market changed employment
True
>>> print(trace_table(changes))  # doctest: +SKIP

``tests/model/test_schedule.py`` uses it to check every stage's ``writes``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clusterlab.model.schedule import Stage, Year
from clusterlab.model.state import WorldState

__all__ = ["TABLES", "StageChange", "Tracer", "trace_table"]

TABLES = ("firms", "links", "unis", "orgs")
"""The world's row tables (:class:`~clusterlab.model.state.WorldState`)."""

ARRAYS = ("final_demand", "coefficients", "last_combined", "region_last_combined", "ratio",
          "spend", "target_fields")  # fmt: skip
"""The world's arrays that are not tables."""

SCALARS = ("firm_ids_issued", "step", "policy_on")
"""The world's counters and flags."""

NOT_TRACED = ("space", "industries", "geo")
"""The economy's fixed parts (knowledge space, industries, geography), built once and
read by the stages; a stage that changed them would not be seen."""


@dataclass(frozen=True, slots=True)
class StageChange:
    """What one stage changed in one year.

    Attributes
    ----------
    stage : str
        The stage's name.
    changed : dict of str to int
        Each name in the ``writes`` vocabulary (``"firms.cash"``, ``"spend"``,
        ``"year.demand"``) whose existing values changed, with the number of rows that
        differ (along the first axis: firms of a firm column, regions of ``spend``; 1 for
        a field of the year or a scalar).
    added : dict of str to int
        Rows added to a table (``"firms"``) and events logged (``"events.birth"``).
    undeclared : tuple of str
        Changes not named in the stage's ``writes``; empty for every built-in stage.
    """

    stage: str
    changed: dict[str, int] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    undeclared: tuple[str, ...] = ()

    @property
    def names(self) -> set[str]:
        """Everything changed, in the ``writes`` vocabulary (a table's name for rows added)."""
        return set(self.changed) | set(self.added)


def _event_rows(ws: WorldState) -> dict[str, int]:
    """Events logged so far, by kind (every kind, an extension's too)."""
    out = {}
    for kind in ws.events.kinds():
        columns = ws.events.columns(kind)
        out[f"events.{kind}"] = len(next(iter(columns.values()))) if columns else 0
    return out


def snapshot(ws: WorldState, year: Year) -> dict[str, Any]:
    """Copy everything a stage may change: columns, arrays, scalars, events, the year.

    Fields of the year are deep-copied (a stage that changes ``year.policy`` in place is
    seen); the economy's fixed parts (:data:`NOT_TRACED`) are not copied.
    """
    out: dict[str, Any] = {}
    for name in TABLES:
        table = getattr(ws, name)
        for f in dataclasses.fields(table):
            out[f"{name}.{f.name}"] = getattr(table, f.name).copy()
    out |= {name: np.array(getattr(ws, name), copy=True) for name in ARRAYS}
    out |= {name: getattr(ws, name) for name in SCALARS}
    out |= _event_rows(ws)
    for f in dataclasses.fields(year):
        if f.name != "settings":  # read-only parameter values
            out[f"year.{f.name}"] = copy.deepcopy(getattr(year, f.name))
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if dataclasses.is_dataclass(a) and type(a) is type(b):  # e.g. year.policy, year.nodes
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a is b or bool(a == b)


def _rows_differing(old: np.ndarray, new: np.ndarray) -> int:
    """Rows of ``old`` whose values ``new`` changed (arrays of one shape; NaN equals NaN)."""
    if old.shape != new.shape or old.ndim == 0:
        return max(old.size, 1)
    nan = old.dtype.kind == "f"
    differ = ~((old == new) | (np.isnan(old) & np.isnan(new))) if nan else old != new
    return int(differ.reshape(len(old), -1).any(axis=1).sum()) if len(old) else 0


def compare(stage: Stage, before: dict[str, Any], after: dict[str, Any]) -> StageChange:
    """Return the :class:`StageChange` between two :func:`snapshot` of one stage."""
    changed: dict[str, int] = {}
    added: dict[str, int] = {}
    for key in after.keys() - before.keys():  # a kind of event logged for the first time
        added[key] = after[key]
    for key, old in before.items():
        new = after[key]
        if key.startswith("events."):
            if new != old:
                added[key] = new - old
            continue
        if _same(old, new):
            continue
        table = key.split(".")[0]
        if table in TABLES and len(new) > len(old):  # rows added; were old rows changed?
            added[table] = len(new) - len(old)
            rows = _rows_differing(old, new[: len(old)])
            if rows:
                changed[key] = rows
        elif isinstance(old, np.ndarray):
            changed[key] = _rows_differing(old, np.asarray(new))
        else:
            changed[key] = 1
    names = set(changed) | set(added)
    return StageChange(stage.name, changed, added, tuple(sorted(names - set(stage.writes))))


class Tracer:
    """Runs each stage between two snapshots; collects a :class:`StageChange` per stage."""

    def __init__(self, ws: WorldState) -> None:
        self.ws = ws
        self.changes: list[StageChange] = []

    def __call__(self, stage: Stage, year: Year, run: Callable[[], None]) -> None:
        """Run one stage (``run()``) and record what it changed."""
        before = snapshot(self.ws, year)
        run()
        self.changes.append(compare(stage, before, snapshot(self.ws, year)))


def trace_table(changes: list[StageChange]) -> str:
    """Format changes as plain text: one line per stage, what it changed (rows) and added."""
    width = max((len(c.stage) for c in changes), default=5)
    lines = []
    for c in changes:
        parts = [f"{k} {n:,}" for k, n in sorted(c.changed.items())]
        parts += [f"+{n:,} {k}" for k, n in sorted(c.added.items())]
        flag = f"  UNDECLARED: {', '.join(c.undeclared)}" if c.undeclared else ""
        lines.append(f"{c.stage:<{width}}  {'; '.join(parts) or '(nothing)'}{flag}")
    return "\n".join(lines)
