"""A new firm behaviour as an extension: firms short of cash cut their R&D (docs/extending.md).

A firm whose cash is negative at the start of the year cuts the R&D budget it has just
set by the share ``rd_cut_share``:

    R&D_i ← (1 - c) R&D_i   where cash_i < 0,

because R&D is financed mostly from internal funds: outside investors cannot judge its
returns and cannot take its intangible results as collateral, so a firm without cash of
its own spends less on it (Himmelberg & Petersen 1994; Hall & Lerner 2010). The stage runs
right after ``rd_budgets`` and before ``policy``, so an SME's R&D grant claim is filed on
the budget it really spends, and the innovation stages see the cut. ``rd_cuts`` counts
the firms that cut, by region.

References
----------
Himmelberg, C. P., & Petersen, B. C. (1994). R&D and internal finance: a panel study of
small firms in high-tech industries. Review of Economics and Statistics, 76(1), 38-51.
https://doi.org/10.2307/2109824

Hall, B. H., & Lerner, J. (2010). The financing of R&D and innovation. In B. H. Hall &
N. Rosenberg (Eds.), Handbook of the Economics of Innovation, vol. 1 (pp. 609-639).
Elsevier.
"""

from __future__ import annotations

import numpy as np

from clusterlab.model.extension import Extension, ExtensionParam
from clusterlab.model.params import ModelParams
from clusterlab.model.schedule import Stage, Year
from clusterlab.model.state import WorldState


def cut_rd(ws: WorldState, params: ModelParams, rng: np.random.Generator, year: Year) -> None:
    """Firms with negative cash cut this year's R&D budget by ``rd_cut_share``."""
    f = ws.firms
    short = f.alive & (f.cash < 0.0)
    f.rd_budget[short] *= 1.0 - year.settings["rd_cut_share"]
    year.record("rd_cuts", np.bincount(f.region[short], minlength=ws.geo.n_regions))


RD_CUTS = Extension(
    name="rd_cuts",
    after="rd_budgets",
    stages=(
        Stage(
            name="rd_cuts",
            actors=("firm",),
            run=cut_rd,
            reads=("firms.cash", "firms.rd_budget"),
            writes=("firms.rd_budget", "year.records"),
            module="rd_cuts",
            doc="firms with negative cash cut their R&D budget",
            records=("rd_cuts",),
        ),
    ),
    params=(
        ExtensionParam(
            "rd_cut_share", 0.5, 0.0, 1.0, "share of R&D",
            "Share of its R&D budget a firm with negative cash cuts.",
        ),
    ),
)  # fmt: skip
"""Register with ``ClusterModel(..., extensions=[RD_CUTS])``."""
