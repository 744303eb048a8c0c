"""Errors raised by the experiment layer (all are ClusterLabError, caught by the CLI)."""

from __future__ import annotations

from clusterlab.model.errors import ClusterLabError

__all__ = ["OutputError"]


class OutputError(ClusterLabError):
    """A results folder cannot be written or read as asked."""
