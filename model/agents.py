"""Mesa agents: identity, place on the grid, and a readable view of each actor.

The numbers live in the numpy tables of :mod:`clusterlab.model.state`; each agent knows its row
``idx`` (a firm through its stable ``firm_id``, since firm rows are renumbered when exited
firms are dropped) and exposes its state as read-only properties, so the browser app and
users can inspect agents the Mesa way while the yearly work stays vectorised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent

if TYPE_CHECKING:
    from mesa.discrete_space import Cell

    from clusterlab.model.cluster_model import ClusterModel

__all__ = ["ClusterOrganization", "Firm", "University"]


class Firm(CellAgent):
    """A firm (or a division of one) on a grid cell, named by its firm id."""

    def __init__(self, model: ClusterModel, firm_id: int, cell: Cell) -> None:
        super().__init__(model)
        self.firm_id = firm_id
        self._row: tuple[np.ndarray | None, int] = (None, -1)  # (id column, row in it)
        self.cell = cell

    @property
    def idx(self) -> int:
        """Row of the firm in the firm table now.

        Looked up by id once after each change of the table (a new ``id`` column), then
        remembered, so that reading several properties costs one lookup.
        """
        ids = self.model.state.firms.id
        column, row = self._row
        if column is not ids:
            row = int(self.model.state.firms.rows_of(self.firm_id))
            self._row = (ids, row)
        return row

    @property
    def _t(self):
        return self.model.state.firms

    @property
    def industry(self) -> int:
        """Industry index."""
        return int(self._t.industry[self.idx])

    @property
    def region(self) -> int:
        """Region index."""
        return int(self._t.region[self.idx])

    @property
    def cluster(self) -> int:
        """Cluster id (-1: none)."""
        return int(self._t.cluster[self.idx])

    @property
    def employees(self) -> float:
        """Employees."""
        return float(self._t.employees[self.idx])

    @property
    def productivity(self) -> float:
        """Productivity (1 = output_per_employee per employee)."""
        return float(self._t.productivity[self.idx])

    @property
    def cash(self) -> float:
        """Cash, M€."""
        return float(self._t.cash[self.idx])

    @property
    def knowledge(self) -> np.ndarray:
        """Expertise per field, a copy."""
        return self._t.knowledge[self.idx].copy()

    @property
    def is_sme(self) -> bool:
        """Whether the firm is below the SME size limit."""
        return self.employees < self.model.params.market.sme_employee_limit


class University(FixedAgent):
    """A university at a fixed cell."""

    def __init__(self, model: ClusterModel, idx: int, cell: Cell) -> None:
        super().__init__(model)
        self.idx = idx
        self.cell = cell

    @property
    def region(self) -> int:
        """Region index."""
        return int(self.model.state.unis.region[self.idx])

    @property
    def knowledge(self) -> np.ndarray:
        """Expertise per field, a copy."""
        return self.model.state.unis.knowledge[self.idx].copy()


class ClusterOrganization(FixedAgent):
    """The organization of one cluster (initial or founded during the run), at its centre."""

    def __init__(self, model: ClusterModel, idx: int, cell: Cell) -> None:
        super().__init__(model)
        self.idx = idx
        self.cell = cell

    @property
    def cluster(self) -> int:
        """The cluster it organizes (same as its row)."""
        return self.idx

    @property
    def budget(self) -> float:
        """Return the organization's budget this year, M€."""
        return float(self.model.state.orgs.budget[self.idx])

    @property
    def partner(self) -> int:
        """Partner organization in another region (-1: none)."""
        return int(self.model.state.orgs.partner[self.idx])
