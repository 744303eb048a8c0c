"""Shared fixtures: small, fast models and one small simulation result per session.

Every model here is small (100-300 firms, a short burn-in) so the whole suite stays fast;
models built through ``make_model`` are released (Mesa 3.3.1 registries) at teardown.
"""

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from model.model import ClusterModel
from model.presets import preset
from model.simulate import SimulationResult, simulate
from model.state import Instrument, LinkKind, WorldState

SMALL: dict[str, Any] = {"n_firms": 200, "burn_in": 2}
"""Overrides that make a model small and fast."""

SMALL_RESULT_PRESET = "ris3_relatedness"
SMALL_RESULT_SEED = 7
SMALL_RESULT_STEPS = 10


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed for each test."""
    return np.random.default_rng(12345)


@pytest.fixture
def make_model() -> Iterator[Callable[..., ClusterModel]]:
    """Factory of small models: ``make_model(preset_name="baseline", rng=1, **overrides)``."""
    built: list[ClusterModel] = []

    def factory(preset_name: str = "baseline", rng: int = 1, **overrides: Any) -> ClusterModel:
        model = ClusterModel(preset_name=preset_name, rng=rng, **(SMALL | overrides))
        built.append(model)
        return model

    yield factory
    for model in built:
        model.release()


@pytest.fixture(scope="session")
def small_result() -> SimulationResult:
    """One small RIS3 run shared by the tests that only read outputs."""
    params = preset(SMALL_RESULT_PRESET, **SMALL)
    return simulate(params, seed=SMALL_RESULT_SEED, steps=SMALL_RESULT_STEPS)


def _add_link(
    ws: WorldState, a: int, b: int, kind: LinkKind = LinkKind.COLLABORATION, **cols: Any
) -> int:
    """Append one active link a-b (b a university row for UNIVERSITY links); return its row."""
    firms = ws.firms
    b_region = ws.unis.region[b] if kind == LinkKind.UNIVERSITY else firms.region[b]
    row = {
        "a": [a],
        "b": [b],
        "kind": [kind],
        "formed": [ws.step],
        "expires": [ws.step + 3],
        "cross_cluster": [False],
        "interregional": [bool(firms.region[a] != b_region)],
        "fee": [0.0 if kind == LinkKind.SUPPLY else 0.1],
        "instrument": [Instrument.NONE if kind == LinkKind.SUPPLY else Instrument.CROSS_CLUSTER],
        "eligible_share": [0.0],
        "active": [True],
    } | {k: [v] for k, v in cols.items()}
    return int(ws.links.append(**row)[0])


@pytest.fixture
def add_link() -> Callable[..., int]:
    """``add_link(ws, a, b, kind=..., **columns)`` appends one hand-made link."""
    return _add_link
