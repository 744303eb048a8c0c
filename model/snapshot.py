"""Firm-level and link-level tables of a model's state (``outputs = ["firms", "links"]``).

Written at the final year of a run (``firms``, ``links``) or at every recorded year 0..T
(``firms_yearly``, ``links_yearly``, with a ``step`` column): one row per alive firm, and
one row per active link (supply, collaboration, university). Firms are named by their
stable ``id``; a university end of a link by its index in ``target_university``
(``target_firm`` is then -1).
:func:`clusterlab.experiments.network.collaboration_graph` turns the two tables into a network for
GraphML (Gephi, networkx).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterlab.model.state import Instrument, LinkKind, Origin, WorldState

__all__ = ["FIRM_COLUMNS", "LINK_COLUMNS", "SnapshotCollector", "firm_table", "link_table"]

FIRM_COLUMNS = (
    "firm",
    "group",
    "region",
    "industry",
    "cluster",
    "x",
    "y",
    "origin",
    "parent",
    "born",
    "employees",
    "revenue",
    "profit",
    "productivity",
    "cash",
    "rd_budget",
)
LINK_COLUMNS = (
    "source_firm",
    "target_firm",
    "target_university",
    "kind",
    "source_region",
    "target_region",
    "formed",
    "expires",
    "cross_cluster",
    "interregional",
    "instrument",
    "fee",
    "eligible_share",
)


def firm_table(ws: WorldState) -> pd.DataFrame:
    """One row per alive firm at the state's step (sizes in employees, money in M€)."""
    f = ws.firms
    live = np.flatnonzero(f.alive)
    return pd.DataFrame(
        {
            "step": np.full(live.size, ws.step),
            "firm": f.id[live],
            "group": f.group[live],
            "region": np.asarray(ws.geo.region_names)[f.region[live]],
            "industry": np.asarray(ws.industries.names)[f.industry[live]],
            "cluster": f.cluster[live],
            "x": f.x[live],
            "y": f.y[live],
            "origin": [Origin(o).name.lower() for o in f.origin[live]],
            "parent": f.parent[live],
            "born": f.born[live],
            "employees": f.employees[live],
            "revenue": f.revenue[live],
            "profit": f.profit[live],
            "productivity": f.productivity[live],
            "cash": f.cash[live],
            "rd_budget": f.rd_budget[live],
        }
    )


def link_table(ws: WorldState) -> pd.DataFrame:
    """One row per active link at the state's step, between alive ends."""
    links, f = ws.links, ws.firms
    uni = links.kind == LinkKind.UNIVERSITY
    firm_b = np.where(uni, -1, links.b)
    ok = links.active & f.alive[links.a]
    ok[~uni] &= f.alive[firm_b[~uni]]
    live = np.flatnonzero(ok)
    is_uni, b = uni[live], links.b[live]
    b_region = np.empty(live.size, np.int64)
    b_region[is_uni] = ws.unis.region[b[is_uni]]
    b_region[~is_uni] = f.region[b[~is_uni]]
    names = np.asarray(ws.geo.region_names)
    a = links.a[live]
    target_firm = np.full(live.size, -1, np.int64)
    target_firm[~is_uni] = f.id[b[~is_uni]]
    return pd.DataFrame(
        {
            "step": np.full(live.size, ws.step),
            "source_firm": f.id[a],
            "target_firm": target_firm,
            "target_university": np.where(is_uni, b, -1),
            "kind": [LinkKind(k).name.lower() for k in links.kind[live]],
            "source_region": names[f.region[a]],
            "target_region": names[b_region],
            "formed": links.formed[live],
            "expires": links.expires[live],
            "cross_cluster": links.cross_cluster[live],
            "interregional": links.interregional[live],
            "instrument": [Instrument(i).name.lower() for i in links.instrument[live]],
            "fee": links.fee[live],
            "eligible_share": links.eligible_share[live],
        }
    )


TABLES = {"firms": firm_table, "links": link_table}
YEARLY = "_yearly"
"""Suffix of the yearly variant of a table: ``firms_yearly`` holds every year 0..T."""


class SnapshotCollector:
    """Collect the firm/link tables a run keeps: final year ("firms") or yearly ("firms_yearly")."""

    def __init__(self, keep: tuple[str, ...]) -> None:
        self.final = [k for k in TABLES if k in keep]
        self.frames: dict[str, list[pd.DataFrame]] = {k: [] for k in TABLES if k + YEARLY in keep}

    def year(self, ws: WorldState) -> None:
        """Record this year's tables of the yearly kinds."""
        for kind, frames in self.frames.items():
            frames.append(TABLES[kind](ws))

    def tables(self, ws: WorldState) -> dict[str, pd.DataFrame]:
        """Return the kept tables: final-year ones from ``ws``, yearly ones stacked."""
        out = {k: TABLES[k](ws) for k in self.final}
        out |= {k + YEARLY: pd.concat(v, ignore_index=True) for k, v in self.frames.items()}
        return out
