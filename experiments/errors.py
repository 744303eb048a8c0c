"""Errors raised by the experiment layer (all are ClusterLabError, caught by the CLI)."""

from __future__ import annotations

from clusterlab.model.errors import ClusterLabError

__all__ = ["OutputError", "reference_problem"]


class OutputError(ClusterLabError):
    """A results folder cannot be written or read as asked."""


def reference_problem(exc: BaseException) -> str:
    """One sentence saying why an extension reference could not be used, with the fix.

    An import that failed (no such module or object) gets the fix for references: where
    the module must be found. Other problems (a malformed reference, an extension given
    twice, stages that do not fit) carry their own fix.
    """
    first = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else ""
    first = first or type(exc).__name__
    if isinstance(exc, ImportError | AttributeError):
        return (
            f"{first}; give 'package.module:object' importable here (installed, or on PYTHONPATH)."
        )
    return f"{first}."
