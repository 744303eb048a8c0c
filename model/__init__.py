"""The ClusterLab model (:mod:`clusterlab.model`, folder ``model/``).

``from clusterlab.model import ClusterModel`` gives the Mesa model
(:mod:`clusterlab.model.cluster_model`). It is imported only when asked for, so importing a
light module such as :mod:`clusterlab.model.params` does not load Mesa.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ClusterModel"]


def __getattr__(name: str) -> Any:
    """``ClusterModel``, imported from :mod:`clusterlab.model.cluster_model` on first use."""
    if name == "ClusterModel":
        from clusterlab.model.cluster_model import ClusterModel  # noqa: PLC0415 - lazy

        return ClusterModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
