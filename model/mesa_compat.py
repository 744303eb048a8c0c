"""The one place ClusterLab deals with a difference between the Mesa 3 releases it supports.

ClusterLab runs on Mesa 3.3.1 (the newest for Python 3.11) to the newest Mesa 3.x and uses
Mesa's public API only (``Model``, ``AgentSet``, ``OrthogonalMooreGrid``, ``CellAgent``,
``FixedAgent``, ``SolaraViz``), except here: Mesa before 3.5 keeps state about every model
in a class attribute that no public call clears.
"""

from __future__ import annotations

from typing import Any

from mesa.agent import Agent

__all__ = ["forget_agent_ids"]


def forget_agent_ids(model: Any) -> None:
    """Drop ``model`` from Mesa's class-level agent-id counters (Mesa < 3.5 only).

    Mesa 3.0 to 3.4 number each model's agents from a counter kept in ``Agent._ids``, a
    class-level ``defaultdict`` keyed by the model that is never emptied: it keeps every
    model alive, with all its tables, for the life of the process (a sweep running many
    models in one worker would grow without bound). No public API removes an entry. Mesa
    3.5 keeps the counter on the model (``Model.agent_id_counter``) and has no ``_ids``;
    there this does nothing.
    """
    counters = getattr(Agent, "_ids", None)
    if counters is not None:
        counters.pop(model, None)
