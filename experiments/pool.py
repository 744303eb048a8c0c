"""The local process pool of the experiment runner: its workers' set-up, start and end.

:func:`local_executor` opens a pool of spawned worker processes; each worker is set up by
:func:`init_worker`. The first worker loads the compiled kernels (compiling them into an
empty cache) before any run starts (:func:`_load_kernels`). On an error or Ctrl+C the
workers are stopped at once (:func:`stop_workers`).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Collection, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

# Mesa before the model: importing it walks the call stack against every loaded module
# (Mesa 3.3.1's logging decorators), which costs a worker less the shallower it happens.
import mesa  # noqa: F401

from clusterlab.experiments.process import exit_now, settle_imports
from clusterlab.model.simulate import compile_kernels, limit_blas_threads

__all__ = ["init_worker", "local_executor", "stop_workers"]


def init_worker(parent: int | None = None) -> None:
    """Set up a worker process of the local pool.

    ``parent`` is the process id of the process that opened the pool (default: this
    process's parent now). It is passed from the parent because a worker starts slowly
    (its imports take a second or more): if the parent is killed meanwhile, the worker
    is re-parented before it could read the id, and it exits here at once.

    - The objects alive now (modules and the libraries' objects, about 125,000) are put
      out of the garbage collector's reach
      (:func:`~clusterlab.experiments.process.settle_imports`), so the full collections
      that a simulation triggers scan only its own objects (about 0.07 s less per
      collection).
    - Ctrl+C in a terminal reaches every process of the group: the worker ignores it and
      the parent, which owns the sweep, stops the workers (no traceback per worker).
    - A watchdog thread ends the worker within a second of its parent's death (a parent
      killed with SIGKILL cannot stop its workers, which would otherwise live on).
    - At its exit the worker skips the interpreter's teardown
      (:func:`~clusterlab.experiments.process.exit_now`): its results went back through the
      pool's queue, and it holds no files.
    - BLAS runs one thread for the worker's life, set once rather than on every run
      (:func:`~clusterlab.model.simulate.limit_blas_threads`).
    """
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:  # the parent died while this worker was starting
        os._exit(1)
    limit_blas_threads()
    settle_imports()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_with_parent, args=(parent,), name="parent-watchdog", daemon=True
    ).start()
    atexit.register(exit_now)


def _exit_with_parent(parent: int, poll_seconds: float = 0.5) -> None:
    # An orphan is re-parented (to init or a subreaper), so its parent id changes.
    while os.getppid() == parent:
        time.sleep(poll_seconds)
    os._exit(1)


def stop_workers(spare: Collection[int] = (), timeout: float = 5.0) -> None:
    """Terminate this process's multiprocessing children, but those in ``spare``, and wait.

    ``spare`` holds the process ids of children that existed before the pool was opened
    (a notebook's own processes), which are not the pool's to stop.
    """
    children = [c for c in multiprocessing.active_children() if c.pid not in spare]
    for child in children:
        child.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join(1.0)  # SIGKILL is not instant: reap it, so it is gone on return


@contextmanager
def local_executor(workers: int) -> Iterator[Executor | None]:
    """Open a pool of ``workers`` spawned processes, or yield None (in-process) for 0.

    On an exception (a write error, Ctrl+C, SIGTERM turned into an exception by the CLI)
    queued runs are cancelled and the workers are stopped at once, not waited for.
    """
    if workers == 0:
        yield None
        return
    before = {child.pid for child in multiprocessing.active_children()}
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(os.getpid(),),
    )
    try:
        _load_kernels(pool, workers)
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_workers(spare=before)
        raise
    pool.shutdown(wait=True, cancel_futures=True)


def _load_kernels(pool: Executor, workers: int) -> None:
    """Load the compiled kernels in one worker, compiling them into an empty cache.

    The other workers start meanwhile but run nothing until it is done: after an
    install or a code change the kernels are compiled once, not by every worker at once;
    with a filled cache each worker loads them, as it would on its first run anyway. The
    parent loads none (a sweep's parent runs no simulation).

    Raises
    ------
    Exception
        What compiling raised (e.g. :class:`clusterlab.model.kernels.KernelBackendError`).
    """
    first = pool.submit(compile_kernels)
    for _ in range(workers - 1):
        pool.submit(os.getpid)  # starts another worker now, not when the runs come
    first.result()
