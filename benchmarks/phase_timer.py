"""Time each phase of a model step from outside the model (no timing code in ``model/``).

:class:`PhaseTimer` replaces, for the duration of a ``with`` block, the mechanism
functions that the stages of the yearly schedule call (the names ``clusterlab.model.schedule``
imports) and the model's Mesa bookkeeping and recording methods with wrappers that add their
wall-clock time to a phase. The wrappers call the original functions with the same
arguments, so a timed run gives the same outputs as an untimed one.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from types import TracebackType
from typing import Any

import clusterlab.model.schedule as model_module
from clusterlab.model import ClusterModel
from clusterlab.model.state import WorldState

__all__ = ["PHASES", "PhaseTimer"]

PHASES: dict[str, tuple[str, ...]] = {
    "compaction": ("WorldState.compact",),
    "policy": ("set_rd_budgets", "run_policy"),
    "governance": ("fund_organizations", "update_partnerships"),
    "market": ("run_market",),
    "learning": ("run_learning",),
    "innovation": ("run_incremental", "run_radical"),
    "diversification": ("diversify",),
    "networking": ("network_nodes", "renew_or_expire", "search_partners", "rewire_supply"),
    "demography": ("exits", "spinoffs", "academic_spinoffs", "entrants"),
    "emergence": ("found_clusters",),
    "mesa agents": ("ClusterModel._remove_firm_agents", "ClusterModel._add_firm_agents"),
    "recording": ("ClusterModel.record",),
}
"""Phase -> functions (in ``clusterlab.model.schedule``), or ClusterModel or WorldState
methods, timed as that phase."""

_OWNERS = {"ClusterModel": ClusterModel, "WorldState": WorldState}


class PhaseTimer:
    """Accumulate seconds per phase while the ``with`` block is open.

    ``clock`` is wall-clock time by default; pass ``time.process_time`` for CPU time
    (steadier on a busy machine).

    Examples
    --------
    >>> with PhaseTimer() as timer:  # doctest: +SKIP
    ...     model = ClusterModel(rng=1)
    ...     timer.reset()  # drop the build and burn-in
    ...     model.step()
    >>> timer.seconds["learning"]  # doctest: +SKIP
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.seconds: dict[str, float] = defaultdict(float)
        self._saved: list[tuple[Any, str, Any]] = []

    def reset(self) -> None:
        """Forget the time accumulated so far."""
        self.seconds.clear()

    def _wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        seconds, clock = self.seconds, self.clock

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = clock()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[phase] += clock() - t0

        return timed

    def __enter__(self) -> PhaseTimer:
        for phase, names in PHASES.items():
            for name in names:
                cls, _, method = name.rpartition(".")
                owner, attr = (_OWNERS[cls], method) if cls else (model_module, name)
                original = getattr(owner, attr)
                self._saved.append((owner, attr, original))
                setattr(owner, attr, self._wrap(phase, original))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for owner, attr, original in reversed(self._saved):
            setattr(owner, attr, original)
        self._saved.clear()
