"""The model's kernels, from one dispatch point: numpy reference or numba accelerator.

Every kernel (the loops numpy can only do in many small passes, and the two random
draws) has a plain numpy reference implementation, the definition of what it computes
(:mod:`clusterlab.model.kernels.reference`, :mod:`clusterlab.model.kernels.reference_draws`), and a
numba twin that computes the same in one compiled pass
(:mod:`clusterlab.model.kernels.numba_kernels`; an optional accelerator, ``pip install
"clusterlab[fast]"``). Callers import the kernels from here; the backend is chosen once per process,
on the first kernel call, by
:func:`use_backend` or the environment variable ``CLUSTERLAB_KERNELS``:

- ``auto`` (the default): numba if it can be imported, numpy otherwise;
- ``numpy``: the reference (numba is never imported);
- ``numba``: the accelerator; a :class:`KernelBackendError` if numba is not installed.

:func:`backend_info` says which backend runs and why (experiment manifests record it,
``experiments/provenance.py``). What the twins promise against the references is stated
in docs/reproducibility.md: per-kernel outputs to the bit or to a relative 1e-12, the
same nearby-firm draws, the same distribution of supplier draws; a run is bit-identical
from run to run on one backend, not across backends.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any, TypeVar

from clusterlab.model.errors import ClusterLabError
from clusterlab.model.kernels import reference, reference_draws

__all__ = [
    "BACKENDS",
    "ENV_VAR",
    "KernelBackendError",
    "add_gains",
    "add_shortfall",
    "backend",
    "backend_info",
    "best_per_group",
    "common_counts",
    "doing_rows",
    "draw_nearby",
    "draw_suppliers",
    "group_unit_sums",
    "linked_pairs",
    "local_knowledge",
    "node_distance_gap",
    "own_recipe_fit",
    "row_distances",
    "use_backend",
]

ENV_VAR = "CLUSTERLAB_KERNELS"
"""Environment variable that selects the backend: auto, numpy or numba."""

BACKENDS = ("auto", "numpy", "numba")

_F = TypeVar("_F", bound=Callable[..., Any])
_chosen: dict[str, Any] = {}  # requested, backend, module, reason


class KernelBackendError(ClusterLabError, RuntimeError):
    """The kernel backend asked for is unknown or cannot be loaded."""


def _numba_module() -> ModuleType | None:
    """Import the numba twins; None if numba cannot be imported."""
    try:
        import numba  # noqa: F401, PLC0415
    except ImportError:
        return None
    return import_module("clusterlab.model.kernels.numba_kernels")


def use_backend(name: str | None = None) -> str:
    """Select the kernel backend for this process and its future child processes.

    Parameters
    ----------
    name : {"auto", "numpy", "numba"}, optional
        Default: ``$CLUSTERLAB_KERNELS``, else ``auto``.

    Returns
    -------
    str
        The backend that runs: ``numpy`` or ``numba``.

    Raises
    ------
    KernelBackendError
        An unknown name, or ``numba`` when numba is not installed.
    """
    requested = (name or os.environ.get(ENV_VAR) or "auto").strip().lower()
    if requested not in BACKENDS:
        raise KernelBackendError(
            f"{ENV_VAR}={requested!r} is not a kernel backend; use one of {', '.join(BACKENDS)}"
        )
    module = None if requested == "numpy" else _numba_module()
    if requested == "numba" and module is None:
        raise KernelBackendError(
            f"kernel backend 'numba' requested ({ENV_VAR}) but numba is not installed: "
            'pip install "clusterlab[fast]", or use the numpy backend'
        )
    reason = {
        "numpy": "requested",
        "numba": "requested",
        "auto": "numba installed" if module else "numba not installed: numpy fallback",
    }[requested]
    _chosen.update(
        requested=requested,
        backend="numba" if module else "numpy",
        module=module or _REFERENCE,
        reason=reason,
    )
    if name is not None:
        os.environ[ENV_VAR] = requested  # workers started later choose the same
    return str(_chosen["backend"])


def backend() -> str:
    """Name the backend that runs the kernels (selecting it now if no kernel ran yet)."""
    if not _chosen:
        use_backend()
    return str(_chosen["backend"])


def backend_info() -> dict[str, str | None]:
    """Which backend runs, what was asked for, why, and numba's version if it runs."""
    backend()
    version = None
    if _chosen["backend"] == "numba":
        from importlib import metadata  # noqa: PLC0415

        version = metadata.version("numba")
    return {
        "backend": _chosen["backend"],
        "requested": _chosen["requested"],
        "reason": _chosen["reason"],
        "numba": version,
    }


def _impl() -> Any:
    if not _chosen:
        use_backend()
    return _chosen["module"]


def _dispatch(definition: _F) -> _F:
    """Make a kernel that calls the selected backend's function of ``definition``'s name."""
    name = definition.__name__

    @functools.wraps(definition)
    def kernel(*args: Any) -> Any:
        return getattr(_impl(), name)(*args)

    return kernel  # type: ignore[return-value]


class _Reference:
    """The numpy references under the kernels' names (the numpy backend)."""

    draw_nearby = staticmethod(reference_draws.draw_nearby)
    draw_suppliers = staticmethod(reference_draws.draw_suppliers)

    def __getattr__(self, name: str) -> Any:
        return getattr(reference, name)


_REFERENCE = _Reference()

add_gains = _dispatch(reference.add_gains)
add_shortfall = _dispatch(reference.add_shortfall)
best_per_group = _dispatch(reference.best_per_group)
common_counts = _dispatch(reference.common_counts)
doing_rows = _dispatch(reference.doing_rows)
draw_nearby = _dispatch(reference_draws.draw_nearby)
draw_suppliers = _dispatch(reference_draws.draw_suppliers)
group_unit_sums = _dispatch(reference.group_unit_sums)
linked_pairs = _dispatch(reference.linked_pairs)
local_knowledge = _dispatch(reference.local_knowledge)
node_distance_gap = _dispatch(reference.node_distance_gap)
own_recipe_fit = _dispatch(reference.own_recipe_fit)
row_distances = _dispatch(reference.row_distances)
