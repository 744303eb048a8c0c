"""Measures that see structural change, tracked year by year for :mod:`clusterlab.model.record`.

Persistent entries, absolute diversification and revealed relatedness. The raw entries of
the time series count every crossing of RCA = 1, most of which are re-crossings of cells
near the threshold; RCA is relative, so a change common to all regions cancels out.
:class:`ChangeTracker` adds, per region and year:

- persistent entries and exits (:func:`~clusterlab.model.metrics.persistent_update`, a change must
  hold for :data:`PERSISTENCE` years), split into related and unrelated entries against
  the technological relatedness the model starts from and against the relatedness
  revealed by what multi-unit groups combine;
- absolute diversity (:func:`~clusterlab.model.metrics.absolute_diversity`: industries above
  :data:`ABSOLUTE_SHARE` of the region's employment);
- the rank correlation of revealed and technological relatedness (economy only).
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from clusterlab.model.metrics import (
    absolute_diversity,
    classify_by_density,
    co_occurrence,
    persistent_update,
    relatedness_correlation,
    relatedness_density,
    revealed_relatedness,
    unit_incidence,
)
from clusterlab.model.state import WorldState

__all__ = [
    "ABSOLUTE_SHARE",
    "PERSISTENCE",
    "PERSISTENT_ENTRY_COLUMNS",
    "PERSISTENT_EVENT_COLUMNS",
    "REVEALED_METHOD",
    "ChangeTracker",
]

PERSISTENCE = 5
"""Years RCA must stay >= 1 (< 1) for a persistent entry (exit); threshold 1, no band."""

ABSOLUTE_SHARE = 0.02
"""Share of a region's employment at or above which an industry counts in absolute diversity."""

REVEALED_METHOD = "association"
"""Normalisation of the group co-occurrence counts (observed / expected)."""

PERSISTENT_EVENT_COLUMNS = (
    "step",
    "region",
    "industry",
    "change",
    "related_tech",
    "related_revealed",
    "density_tech_before",
    "density_revealed_before",
)
"""Columns of the ``persistent_specialisation`` events (also of an empty table)."""

PERSISTENT_ENTRY_COLUMNS = (
    "persistent_entries_related_tech",
    "persistent_entries_unrelated_tech",
    "persistent_entries_related_revealed",
    "persistent_entries_unrelated_revealed",
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class _Reference(NamedTuple):
    """What a later entry is classified against: status and densities of one year."""

    status: BoolArray
    density_tech: FloatArray
    density_revealed: FloatArray


class ChangeTracker:
    """Keeps the persistent status, run lengths and group co-occurrence of a run."""

    def __init__(self, n_regions: int, n_industries: int) -> None:
        self.status: BoolArray | None = None
        self.run = np.zeros((n_regions, n_industries), np.int64)
        self.cooccurrence = np.zeros((n_industries, n_industries))
        self.history: deque[_Reference] = deque(maxlen=PERSISTENCE + 1)

    def update(
        self, ws: WorldState, emp: FloatArray, m: BoolArray
    ) -> tuple[dict[str, FloatArray], float]:
        """Advance one record: columns by region and the revealed-technological correlation.

        Parameters
        ----------
        ws : WorldState
        emp : ndarray, shape (R, P)
            Region x industry employment of this record.
        m : ndarray of bool, shape (R, P)
            RCA >= 1 this record.
        """
        f = ws.firms
        live = f.alive
        incidence = unit_incidence(f.group[live], f.industry[live], ws.industries.n)
        self.cooccurrence += co_occurrence(incidence)
        revealed = revealed_relatedness(self.cooccurrence, REVEALED_METHOD)
        technological = ws.industries.relatedness
        zero = np.zeros(m.shape, bool)
        if self.status is None:  # step 0: the status is the raw specialisation
            self.status, entries, exits = m.copy(), zero, zero
        else:
            step = persistent_update(self.status, self.run, m, ~m, PERSISTENCE)
            self.status, self.run, entries, exits = step.status, step.run, step.entries, step.exits
        self.history.append(
            _Reference(
                self.status,
                relatedness_density(self.status, technological),
                relatedness_density(self.status, revealed),
            )
        )
        masks = self._classify(entries)
        columns = {
            "persistent_entries": entries.sum(axis=1),
            "persistent_exits": exits.sum(axis=1),
            **{
                c: mask.sum(axis=1) for c, mask in zip(PERSISTENT_ENTRY_COLUMNS, masks, strict=True)
            },
            "persistent_diversity": self.status.sum(axis=1),
            "absolute_diversity": absolute_diversity(emp, ABSOLUTE_SHARE),
        }
        self._log(ws, entries, exits, masks)
        correlation = relatedness_correlation(revealed, technological)
        return {k: v.astype(np.float64) for k, v in columns.items()}, correlation

    def _classify(self, entries: BoolArray) -> tuple[BoolArray, ...]:
        """Related and unrelated persistent entries against both relatedness measures.

        An entry confirmed at t began its spell at t - L + 1; it is classified by the
        relatedness density of the region around the industry at t - L (computed from
        the persistent status then, ``self.history[0]``), against the median density of
        the cells not persistently specialised at t - L (:func:`classify_by_density`).

        Returns
        -------
        tuple of 4 bool arrays, shape (R, P)
            In the order of :data:`PERSISTENT_ENTRY_COLUMNS`.
        """
        if not entries.any():
            return (np.zeros(entries.shape, bool),) * len(PERSISTENT_ENTRY_COLUMNS)
        ref = self.history[0]  # t - L: entries need L years after step 0
        tech = classify_by_density(entries, ref.density_tech, ~ref.status)
        revealed = classify_by_density(entries, ref.density_revealed, ~ref.status)
        return (*tech, *revealed)

    def _log(
        self, ws: WorldState, entries: BoolArray, exits: BoolArray, masks: tuple[BoolArray, ...]
    ) -> None:
        """Log this year's persistent entries and exits as events."""
        r, p = np.nonzero(entries | exits)
        if not r.size:
            return
        ref = self.history[0]
        ws.events.add(
            "persistent_specialisation",
            step=np.full(r.size, ws.step),
            region=r,
            industry=p,
            change=np.where(entries[r, p], "entry", "exit"),
            related_tech=masks[0][r, p],
            related_revealed=masks[2][r, p],
            density_tech_before=ref.density_tech[r, p],
            density_revealed_before=ref.density_revealed[r, p],
        )
