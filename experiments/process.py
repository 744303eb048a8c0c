"""How a ClusterLab process settles after its imports and how it ends (CPU it need not spend).

Two costs every Python process that runs the model pays, and which a process ClusterLab
owns (the ``clusterlab`` command, a worker of the local pool) can skip:

- **Full garbage collections over the libraries' objects.** Importing numpy, pandas, Mesa,
  numba and matplotlib leaves about 125,000 objects tracked by the cyclic garbage
  collector; every full collection a simulation or a figure triggers scans them all,
  although none of them will ever be garbage. :func:`settle_imports` moves them to the
  permanent generation (:func:`gc.freeze`, meant for exactly this), so later
  collections scan only the objects made since. It is never called by library code a
  user imports: freezing is the process owner's decision.
- **The interpreter's teardown.** At exit Python frees every module's objects one by one
  (0.3-0.5 s once numba's and LLVM's are loaded) for nothing: the outputs are written
  and closed. :func:`exit_now` ends the process without it, after flushing the standard
  streams and logging; :func:`register_ending` arranges that for the ``clusterlab``
  console script, after every other exit handler ran, for commands that say their work
  is closed (:func:`skip_teardown`).
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import sys
from contextlib import suppress
from pathlib import Path

__all__ = [
    "EXIT_FLUSH_FAILED",
    "console_owned",
    "exit_now",
    "record_status",
    "register_ending",
    "settle_imports",
    "skip_teardown",
]

_ending: dict[str, int | bool] = {}


def settle_imports() -> None:
    """Put every object alive now out of the garbage collector's reach (:func:`gc.freeze`).

    Call it once the process has imported what it runs with. Objects made later are
    collected as usual; the frozen ones (modules, classes, the libraries' tables) live as
    long as the process anyway.
    """
    gc.freeze()


EXIT_FLUSH_FAILED = 120
"""Exit status when standard output cannot be written at exit (Python's own, for the same)."""


def exit_now(status: int = 0) -> None:
    """End this process with ``status`` at once: streams and logging flushed, no teardown.

    A reader that left early (``| head``) or a closed stream loses nothing the user waits
    for; any other failure to write standard output (a full disk) is said on stderr and
    turns a success into :data:`EXIT_FLUSH_FAILED`, as Python's own exit does.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (``>&-``)
            continue
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader left; the stream was closed
            pass
        except OSError as exc:
            if stream is sys.stdout:
                status = status or EXIT_FLUSH_FAILED
                with suppress(OSError, ValueError, AttributeError):
                    sys.stderr.write(f"clusterlab: error: standard output not written: {exc}\n")
    logging.shutdown()
    os._exit(status)


def console_owned() -> bool:
    """Whether the ``clusterlab`` console script owns this process (:func:`register_ending`).

    ``main()`` called from Python (a notebook, a test) runs in a process its caller owns:
    commands then leave the garbage collector and the teardown alone.
    """
    return "armed" in _ending


def register_ending() -> bool:
    """Arm the console script's ending, if ClusterLab is the program; say whether it did.

    Call it before the command imports any library. Only the ``clusterlab`` console
    script and ``python -m clusterlab`` arm it (:func:`_is_program`): a caller that runs
    the console function inside its own program (a test, a notebook) keeps its exit.

    Exit handlers run last-registered first, so the one registered here runs after those
    of every library the command imported (temporary folders removed, file locks
    released, LLVM told it shuts down). If the command said its work is closed
    (:func:`skip_teardown`) and the console script recorded its exit status
    (:func:`record_status`), it then ends the process with :func:`exit_now`; otherwise the
    interpreter tears down as usual.
    """
    _ending.clear()
    if not _is_program():
        return False
    _ending["armed"] = True
    atexit.register(_end)
    return True


def _is_program() -> bool:
    """Whether this process runs the ``clusterlab`` command (its ``__main__``)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None:  # python -m: the module it runs
        return bool(spec.name == "clusterlab.__main__")
    script = Path(str(getattr(main, "__file__", "") or ""))
    return script.name.removesuffix(".exe").removesuffix("-script.py") == "clusterlab"


def skip_teardown() -> None:
    """Say that this command's outputs are written and closed: its process may skip teardown.

    Without :func:`register_ending` (``main()`` called from Python, a test) this does nothing.
    """
    _ending["skip"] = True


def record_status(status: int) -> None:
    """Record the exit status the console script returns (the ending exits with it)."""
    _ending["status"] = status


def _end() -> None:
    if _ending.get("skip") and "status" in _ending:
        exit_now(int(_ending["status"]))
