"""Exceptions raised by ClusterLab.

Every error ClusterLab raises on bad input derives from :class:`ClusterLabError`, so a
command-line front end can catch one class, print its one-line message and exit with a
non-zero status.
"""

from __future__ import annotations

__all__ = ["ClusterLabError", "ParameterError", "RegionTableError"]


class ClusterLabError(Exception):
    """Base class of every error ClusterLab raises on bad input or a bad state."""


class ParameterError(ClusterLabError, ValueError):
    """A parameter is unknown, of the wrong type or out of its allowed range."""


class RegionTableError(ParameterError):
    """A region table (``economy = "csv:<path>"``) is unreadable or has a malformed row."""
