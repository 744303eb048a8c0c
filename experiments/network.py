"""The collaboration network of a run as a graph (networkx) and GraphML (Gephi).

Built from a run's final-year ``firms`` and ``links`` tables (``outputs = ["firms",
"links"]``, :mod:`clusterlab.model.snapshot`). Nodes are firms (``F<id>``, with region, industry,
cluster, employees, x, y) and, for university links, universities (``U<index>``); edges
are the active knowledge links (collaboration and university; supply links too if asked),
with their kind, instrument, year formed and cross-cluster / interregional flags.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import networkx as nx
import pandas as pd

from clusterlab.experiments.errors import OutputError

__all__ = ["KNOWLEDGE_KINDS", "collaboration_graph", "write_network"]

KNOWLEDGE_KINDS = ("collaboration", "university")
"""Link kinds of the collaboration (knowledge) network."""

NODE_ATTRIBUTES = ("region", "industry", "cluster", "employees", "x", "y", "origin")
EDGE_ATTRIBUTES = ("kind", "instrument", "formed", "cross_cluster", "interregional")


def _plain(value: object) -> object:
    """Return a GraphML-writable value (numpy scalars as Python ones)."""
    return value.item() if hasattr(value, "item") else value


def collaboration_graph(
    firms: pd.DataFrame, links: pd.DataFrame, kinds: Collection[str] = KNOWLEDGE_KINDS
) -> nx.Graph:
    """Return the network of the given link kinds between a run's alive firms (and universities).

    Every alive firm is a node, linked or not (isolates count in a network's statistics).
    Two ends linked twice (e.g. supply and collaboration, with ``kinds`` holding both)
    keep the first link's attributes.
    """
    graph = nx.Graph()
    for row in firms.itertuples(index=False):
        attrs = {a: _plain(getattr(row, a)) for a in NODE_ATTRIBUTES}
        graph.add_node(f"F{row.firm}", type="firm", **attrs)
    chosen = links[links["kind"].isin(list(kinds))]
    for row in chosen.itertuples(index=False):
        if row.target_university >= 0:
            target = f"U{row.target_university}"
            if target not in graph:
                graph.add_node(target, type="university", region=row.target_region)
        else:
            target = f"F{row.target_firm}"
        source = f"F{row.source_firm}"
        if not graph.has_edge(source, target):
            graph.add_edge(source, target, **{a: _plain(getattr(row, a)) for a in EDGE_ATTRIBUTES})
    return graph


def write_network(
    root: str | Path, run_id: int, out: str | Path, kinds: Collection[str] = KNOWLEDGE_KINDS
) -> nx.Graph:
    """Write the network of run ``run_id`` of a results folder to a GraphML file.

    Raises
    ------
    OutputError
        If the folder did not keep the firm and link tables of that run, or ``out`` cannot
        be written.
    """
    from clusterlab.experiments.store import (  # noqa: PLC0415 - the store imports the design
        ResultStore,
        read_parquet,
        resume_command,
    )

    store = ResultStore(Path(root))
    manifest = store.manifest()
    if manifest is None:
        raise OutputError(f"'{root}' is not a ClusterLab results folder (no manifest.json).")
    if not 0 <= run_id < manifest["n_runs"]:
        raise OutputError(
            f"Results folder '{root}' has runs 0 to {manifest['n_runs'] - 1}; got --run {run_id}."
        )
    if not {"firms", "links"} <= set(manifest.get("outputs", [])):
        raise OutputError(
            f"Results folder '{root}' kept no firm and link tables; add "
            'outputs = ["firms", "links"] to the experiment file and run it again.'
        )
    tables = {}
    for name in ("firms", "links"):
        path = store.runs_dir / f"{run_id:06d}.{name}.parquet"
        if not path.is_file():
            raise OutputError(
                f"'{path}' is missing: run {run_id} has not finished; finish the sweep "
                f"with '{resume_command(manifest, store.root)}'."
            )
        tables[name] = read_parquet(path, "run the sweep again with --resume")
    graph = collaboration_graph(tables["firms"], tables["links"], kinds)
    try:
        nx.write_graphml(graph, out)
    except OSError as exc:
        raise OutputError(f"Cannot write '{out}': {exc.strerror or exc}.") from None
    return graph
