"""Errors raised by the experiment layer (all are ClusterLabError, caught by the CLI)."""

from __future__ import annotations

from clusterlab.model.errors import ClusterLabError

__all__ = ["OutputError", "reference_problem", "unknown_outcome"]


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


def unknown_outcome(outcome: str, known: list[str]) -> str:
    """Return the one-line message for an outcome the results lack, with the fix.

    A close name is suggested; otherwise the first outcomes are listed.
    """
    from clusterlab.model.params import suggest  # noqa: PLC0415 - only on this error

    hint = suggest(outcome, known)
    if not hint:
        shown = ", ".join(sorted(known)[:6])
        hint = f" Give a column of the runs' summary, e.g. {shown} ({len(known)} in all)."
    return f"Unknown outcome '{outcome}'.{hint}"
