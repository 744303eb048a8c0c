"""Mesa agents: what each kind of actor does, its place on the grid, and a view of its state.

Behaviour: each agent class's docstring lists what that kind of actor does each year and
the module where the equations are; ``stages`` holds those stages of the yearly schedule
(:mod:`clusterlab.model.schedule`), in order. A stage acts on all actors of a kind at once,
over the columns of the numpy tables of :mod:`clusterlab.model.state`, so the yearly work
stays vectorised.

State: each agent knows its row ``idx`` (a firm through its stable ``firm_id``, since firm
rows are renumbered when exited firms are dropped) and exposes its state as read-only
properties, so the browser app and users can inspect agents the Mesa way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent

from clusterlab.model.schedule import Stage, stages_of

if TYPE_CHECKING:
    from mesa.discrete_space import Cell

    from clusterlab.model.cluster_model import ClusterModel

__all__ = ["ClusterOrganization", "Firm", "University"]


class Firm(CellAgent):
    """A firm (or a division of one) on a grid cell, named by its firm id.

    What a firm does each year, in schedule order (``Firm.stages``):

    - ``rd_budgets``: sets its R&D budget from last year's revenue (``model/market.py``)
    - ``market``: wins a share of its industry's demand by competitiveness, adjusts its
      employment, books its profit (``model/market.py``)
    - ``learning``: learns by doing, from its partners and from nearby firms
      (``model/learning.py``)
    - ``incremental_innovation``: raises its productivity by R&D (``model/innovation.py``)
    - ``radical_innovation``: recombines its fields with a partner's or its region's
      (``model/innovation.py``, ``model/local_search.py``)
    - ``diversification``: opens a division in an industry its knowledge fits
      (``model/diversification.py``)
    - ``link_renewal``: renews the links still worth their fee (``model/networking.py``)
    - ``partner_search``: looks for partners among neighbours, brokered candidates and
      distant firms (``model/networking.py``)
    - ``exits``: exits after sustained losses or below the minimum size
      (``model/demography.py``)
    - ``spinoffs``: spawns a spin-off nearby when profitable (``model/demography.py``)
    - ``supply_rewiring``: finds the suppliers it lacks (``model/supply.py``)
    """

    actor: ClassVar[str] = "firm"
    stages: ClassVar[tuple[Stage, ...]] = stages_of("firm")

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
    """A university at a fixed cell.

    What a university does each year, in schedule order (``University.stages``):

    - ``learning``: its knowledge advances and it teaches its linked firms
      (``model/learning.py``)
    - ``academic_spinoffs``: creates firms in industries its knowledge fits
      (``model/demography.py``)

    Firms link to it in ``partner_search`` (``model/networking.py``).
    """

    actor: ClassVar[str] = "university"
    stages: ClassVar[tuple[Stage, ...]] = stages_of("university")

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
    """The organization of one cluster (initial or founded during the run), at its centre.

    What a cluster organization does each year, in schedule order
    (``ClusterOrganization.stages``):

    - ``governance_funding``: collects public funding and member fees, pools R&D money for
      its SME members, sets its brokerage capacity (``model/governance.py``)
    - ``partnerships``: keeps or seeks a partner organization in another region
      (``model/governance.py``)

    Its brokerage and roadmap are used by its members in ``partner_search`` and
    ``radical_innovation``. Organizations are founded in ``cluster_founding``
    (``model/emergence.py``).
    """

    actor: ClassVar[str] = "cluster organization"
    stages: ClassVar[tuple[Stage, ...]] = stages_of("cluster organization")

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
