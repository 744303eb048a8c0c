"""Folders ClusterLab writes: what it may replace, and one sweep at a time per folder.

Users' data is never ClusterLab's to delete. Two rules follow:

- ``--force`` replaces only a folder ClusterLab wrote itself (its ``.clusterlab`` marker,
  written first, says so; folders of earlier versions: a ClusterLab ``manifest.json`` or
  ``summary.json``, read and checked, not only named), whose every entry is one
  ClusterLab writes; never the current directory, one of its parents, the home directory
  or a file-system root. Anything else is refused in one line, untouched: a folder whose
  files merely have the names ClusterLab uses (``report.md``, ``tables/``) is not ours.
- A results folder is locked while a sweep writes into it (an operating-system file lock,
  :mod:`filelock`): a second sweep on the same folder is refused with the first one's
  process id, or waits for it. The kernel drops the lock when its holder dies, so a lock
  left by a killed sweep is taken over at once.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from clusterlab.experiments.errors import OutputError

__all__ = [
    "LOCK_FILE",
    "MARKER",
    "OWNER_FILE",
    "TMP_MARK",
    "atomic_write",
    "clear_entries",
    "foreign_entries",
    "json_safe",
    "locked",
    "make_folder",
    "names",
    "pid_alive",
    "protected_reason",
    "read_marker",
    "refuse_to_replace",
    "remove_stale",
    "write_json",
    "write_marker",
]

logger = logging.getLogger(__name__)

MARKER = ".clusterlab"
"""File in every run folder ClusterLab writes (JSON: what wrote it, when)."""
LOCK_FILE = ".clusterlab.lock"
OWNER_FILE = ".clusterlab.owner"
TMP_MARK = ".tmp-"
"""Part of the name of every temporary file: ``<name>.tmp-<pid>``, renamed when complete."""
BOOKKEEPING = (MARKER, LOCK_FILE, OWNER_FILE)


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary name beside ``path``, then rename it into place.

    A rename is atomic on POSIX, so a reader (or a sweep resumed after a kill) sees the
    old file or the whole new one, never part of it; the temporary is removed on failure.
    """
    tmp = path.with_name(f"{path.name}{TMP_MARK}{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def json_safe(obj: Any) -> Any:
    """``obj`` with NaN and infinities as None and numpy scalars as Python ones.

    JSON has no NaN or Infinity: Python writes them, but strict parsers (jq, JavaScript,
    Go) reject the file. A missing or undefined value is written as ``null``.
    """
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(obj: Any, path: Path) -> None:
    """Write strict JSON (NaN and infinities as null) atomically."""
    text = json.dumps(json_safe(obj), indent=2, default=str, allow_nan=False)
    atomic_write(path, lambda p: p.write_text(text))


def protected_reason(folder: Path) -> str | None:
    """Why a folder may never be replaced, or None.

    The current directory, any parent of it, the home directory and a file-system root
    are protected: ``--out .`` must not wipe the working directory.
    """
    path = folder.resolve()
    cwd = Path.cwd().resolve()
    if path == Path(path.anchor):
        return "a file-system root"
    if path == Path.home().resolve():
        return "the home directory"
    if path == cwd:
        return "the current directory"
    if cwd.is_relative_to(path):
        return "a parent of the current directory"
    return None


def foreign_entries(folder: Path, ours: re.Pattern[str]) -> list[str]:
    """Names in ``folder`` that ClusterLab does not write (sorted).

    ``ours`` matches the names ClusterLab writes there; bookkeeping files and temporaries
    are always ours.
    """
    return sorted(
        p.name
        for p in folder.iterdir()
        if not (p.name in BOOKKEEPING or TMP_MARK in p.name or ours.fullmatch(p.name))
    )


def refuse_to_replace(folder: Path, ours: re.Pattern[str], *, written_by_us: bool) -> None:
    """Raise unless ``--force`` may replace ``folder``.

    Raises
    ------
    OutputError
        If the folder is protected (:func:`protected_reason`), was not written by
        ClusterLab, or holds entries ClusterLab does not write.
    """
    reason = protected_reason(folder)
    if reason is not None:
        raise OutputError(
            f"--force will not replace '{folder}': it is {reason}; give a folder of its own "
            "with --out."
        )
    if not written_by_us:
        raise OutputError(
            f"--force will not replace '{folder}': ClusterLab did not write it (no "
            "ClusterLab marker or manifest); choose another --out."
        )
    foreign = foreign_entries(folder, ours)
    if foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise OutputError(
            f"--force will not replace '{folder}': it holds files ClusterLab did not write "
            f"({shown}); move them away or choose another --out."
        )


def clear_entries(folder: Path, ours: re.Pattern[str]) -> None:
    """Delete the entries of ``folder`` that ClusterLab writes; keep its bookkeeping files.

    The folder, its lock and its marker stay.
    """
    for path in folder.iterdir():
        if path.name in BOOKKEEPING:
            continue
        if TMP_MARK in path.name or ours.fullmatch(path.name):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: Path, prefix: str) -> int:
    """Remove ``<prefix><label>-<pid>[-<n>]`` entries of ``folder`` whose process is dead.

    They are what a killed ``run`` or ``compare`` leaves (a hidden staging folder); one
    of a process still running is its work in progress and is kept. Returns how many.
    """
    removed = 0
    for path in folder.glob(f"{glob_escape(prefix)}*"):
        fields = path.name[len(prefix) :].split("-")
        pids = [int(f) for f in fields if f.isdigit()]
        if not pids or pid_alive(pids[0]) or path.is_symlink():
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def glob_escape(text: str) -> str:
    """``text`` with the characters ``glob`` treats specially escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def read_marker(folder: Path) -> str | None:
    """Return the kind ("run" or "results") ClusterLab's marker in ``folder`` names, or None.

    None when there is no marker, or the file of that name is not one ClusterLab wrote
    (not JSON, or not ``{"written_by": "clusterlab", ...}``).
    """
    try:
        data = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != "clusterlab":
        return None
    return str(data.get("kind"))


def write_marker(folder: Path, kind: str) -> None:
    """Mark ``folder`` as written by ClusterLab (``kind``: "run" or "results")."""
    write_json(
        {"written_by": "clusterlab", "kind": kind, "at": datetime.now(UTC).isoformat()},
        folder / MARKER,
    )


def make_folder(folder: Path, what: str, named: Path | None = None) -> None:
    """Create ``folder`` and its parents with the user's umask, or raise one line.

    The message names ``named`` (default ``folder``): the path the user gave.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"Cannot create {what} '{named or folder}': {exc.strerror or exc}; choose "
            "another --out."
        ) from None


def _owner_text(path: Path) -> str:
    try:
        owner = json.loads(path.read_text())
        return f"pid {owner['pid']} on {owner['host']}, since {owner['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextmanager
def locked(folder: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the sweep lock of a results folder (which must exist) for the block.

    Parameters
    ----------
    folder : Path
    wait : bool, default=False
        Wait for the holder to finish instead of refusing at once.

    Raises
    ------
    OutputError
        If another process holds the lock and ``wait`` is False.
    """
    lock = FileLock(folder / LOCK_FILE)
    owner_file = folder / OWNER_FILE
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise OutputError(
            f"Results folder '{folder}' is in use by another sweep ({_owner_text(owner_file)}); "
            "wait for it to finish, or pass --wait to start when it has."
        ) from None
    except OSError as exc:
        raise OutputError(
            f"Cannot lock results folder '{folder}': {exc.strerror or exc}; check that it is "
            "writable."
        ) from None
    try:
        if owner_file.exists():
            # The kernel released the lock of a process that died; say whose we took over.
            logger.info("Took over the lock of %s (no longer running).", _owner_text(owner_file))
        _write_owner(owner_file)
        yield
    finally:
        owner_file.unlink(missing_ok=True)
        lock.release()


def _write_owner(path: Path) -> None:
    write_json(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
        },
        path,
    )


def names(entries: Iterable[str]) -> re.Pattern[str]:
    """Return a pattern that matches exactly the given names."""
    return re.compile("|".join(re.escape(e) for e in entries))
