"""Shared fixtures: small, fast models and one small simulation result per session.

Every model here is small (100-300 firms, a short burn-in) so the whole suite stays fast;
models built through ``make_model`` are released (Mesa < 3.5 registries) at teardown.

Floats are compared in one of two ways (docs/reproducibility.md):

- ``assert_frames_identical``: to the bit, for runs of the same code on the same machine
  that add the same numbers in the same order (same seed, another process or executor);
- ``assert_frames_close`` and ``assert_arrays_close``: to :data:`FLOAT_RTOL` and
  :data:`FLOAT_ATOL`, for outputs stored on another machine (another CPU's BLAS and math
  library round differently in the last bits) and for runs whose sums run over a
  different number of rows (compaction on and off). Columns that are not floats (ids,
  steps, kinds of events) are compared exactly either way.
"""

import gc
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from clusterlab.model import ClusterModel
from clusterlab.model.presets import preset
from clusterlab.model.simulate import SimulationResult, simulate
from clusterlab.model.state import Instrument, LinkKind, WorldState


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``deep`` tests (long fuzzing) unless ``-m deep`` or ``CLUSTERLAB_DEEP=1`` asks."""
    expression = config.getoption("-m") or ""
    asked = "deep" in expression.replace("not deep", "")
    if os.environ.get("CLUSTERLAB_DEEP") == "1" or asked:
        return
    skip = pytest.mark.skip(reason="deep profile: run with -m deep or CLUSTERLAB_DEEP=1")
    for item in items:
        if "deep" in item.keywords:
            item.add_marker(skip)


SMALL: dict[str, Any] = {"n_firms": 200, "burn_in": 2}
"""Overrides that make a model small and fast."""

FLOAT_RTOL = 1e-9
"""Relative tolerance of floats compared across machines or across sums of other lengths.

Such floats differ by last-bit rounding: in 36 runs (up to 1,000 firms and 50 years)
under three other BLAS kernels, by at most 3.3e-14 relative, and 1.8e-13 for KCI values
near 0 (docs/reproducibility.md). 1e-9 leaves four orders of magnitude for longer runs
and other CPUs, is far below any difference that matters in a result, and keeps counts
stored as floats exact (a difference of 1 fails below 10**9).
"""

FLOAT_ATOL = 1e-9
"""Absolute floor of the tolerance, for values that are 0 up to rounding (KCI, shares)."""

CPU_SETTINGS = ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "NUMBA_CPU_NAME")
"""Variables that make this machine compute as another CPU would (docs/reproducibility.md)."""

SMALL_RESULT_PRESET = "ris3_relatedness"
SMALL_RESULT_SEED = 7
SMALL_RESULT_STEPS = 10


def _numpy_simd() -> dict[str, bool]:
    """numpy's CPU features as it will use them (after NPY_DISABLE_CPU_FEATURES)."""
    from numpy._core._multiarray_umath import __cpu_features__

    return __cpu_features__


def pytest_configure(config: pytest.Config) -> None:
    """Refuse a NPY_DISABLE_CPU_FEATURES that numpy ignores.

    numpy 2.4 dispatches groups (X86_V3 = AVX2, FMA3, ...) and only warns, with an
    ImportWarning nobody sees, about names it does not dispatch, such as "AVX2 FMA3": the
    tests would then run with every feature on while claiming otherwise.
    """
    from numpy._core._multiarray_umath import __cpu_dispatch__

    names = os.environ.get("NPY_DISABLE_CPU_FEATURES", "").replace(",", " ").split()
    if still_on := [name for name in names if _numpy_simd().get(name)]:
        raise pytest.UsageError(
            f"NPY_DISABLE_CPU_FEATURES: numpy still uses {still_on}; it can disable only "
            f"its dispatch targets {__cpu_dispatch__} (docs/reproducibility.md)."
        )


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """Name the floating-point setting after a failure or under CPU_SETTINGS.

    What a report of a test that fails on another machine needs (docs/reproducibility.md).
    """
    changed = [f"{name}={os.environ[name]}" for name in CPU_SETTINGS if name in os.environ]
    if exitstatus == 0 and not changed:
        return
    from threadpoolctl import threadpool_info

    from clusterlab.model.kernels import backend_info

    simd = [name for name in ("X86_V3", "X86_V4", "ASIMD", "SVE") if _numpy_simd().get(name)]
    pools = threadpool_info()
    blas = sorted(
        {f"{i['internal_api']} {i.get('architecture')}" for i in pools if i["user_api"] == "blas"}
    )
    terminalreporter.write_line(
        f"floating point: numpy {np.__version__} SIMD {simd or 'baseline'}; BLAS {blas}; "
        f"kernels {_kernels(backend_info())}; {' '.join(changed) or 'defaults'}"
    )


def _kernels(info: dict[str, str | None]) -> str:
    """The kernel backend, and the CPU numba compiles for if numba runs them."""
    if info["backend"] != "numba":
        return f"numpy ({info['reason']})"
    import numba

    return f"numba {info['numba']}, CPU {numba.config.CPU_NAME or 'host'}"


def _ignored_signals() -> int:
    """The process's ignored-signal mask as the kernel sees it (Linux; 0 elsewhere).

    A C library can ignore a signal without Python's ``signal.getsignal`` seeing it.
    """
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1], 16) for line in status if line.startswith("SigIgn"))
    except (OSError, StopIteration):
        return 0


@pytest.fixture(autouse=True)
def _signal_handlers_restored() -> Iterator[None]:
    """Each test leaves SIGINT and SIGTERM as it found them.

    A handler left behind changes every later test of the process (a child process
    inherits an ignored signal: a sweep then ignores Ctrl+C).
    """
    watched = (signal.SIGINT, signal.SIGTERM)
    before = {sig: signal.getsignal(sig) for sig in watched}
    ignored = _ignored_signals()
    yield
    changed = [sig.name for sig, h in before.items() if signal.getsignal(sig) != h]
    now = _ignored_signals()
    changed += [f"{sig.name} (ignored in C)" for sig in watched if (now ^ ignored) >> (sig - 1) & 1]
    for sig in watched:
        signal.signal(sig, before[sig])
    assert not changed, f"the test left the handler of {', '.join(changed)} changed"


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


def _live_models() -> list[ClusterModel]:
    """Every ClusterModel still alive after a garbage collection (on any Mesa version)."""
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, ClusterModel)]


@pytest.fixture(scope="session")
def live_models() -> Callable[[], list[ClusterModel]]:
    """``live_models()``: the models something (e.g. a Mesa registry) still keeps alive."""
    return _live_models


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
        "viable_unsubsidised": [True],
    } | {k: [v] for k, v in cols.items()}
    return int(ws.links.append(**row)[0])


@pytest.fixture
def add_link() -> Callable[..., int]:
    """``add_link(ws, a, b, kind=..., **columns)`` appends one hand-made link."""
    return _add_link


def _float_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]


def _assert_frames_close(
    actual: pd.DataFrame, expected: pd.DataFrame, *, check_dtype: bool = True, obj: str = "frame"
) -> None:
    """Same columns and rows; floats equal to the stated tolerance, every other column exactly."""
    pd.testing.assert_index_equal(actual.columns, expected.columns, obj=f"{obj} columns")
    floats = _float_columns(expected)
    exact = [c for c in expected.columns if c not in floats]
    pd.testing.assert_frame_equal(
        actual[exact], expected[exact], check_exact=True, check_dtype=check_dtype, obj=obj
    )
    pd.testing.assert_frame_equal(
        actual[floats],
        expected[floats],
        check_exact=False,
        rtol=FLOAT_RTOL,
        atol=FLOAT_ATOL,
        check_dtype=check_dtype,
        obj=obj,
    )


def _assert_arrays_close(actual: npt.ArrayLike, expected: npt.ArrayLike) -> None:
    """Same shape, values equal to the stated tolerance."""
    np.testing.assert_allclose(actual, expected, rtol=FLOAT_RTOL, atol=FLOAT_ATOL)


def _assert_frames_identical(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, dtypes and values to the bit (NaN where the other has NaN)."""
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)


@pytest.fixture(scope="session")
def assert_frames_close() -> Callable[..., None]:
    """``assert_frames_close(actual, expected, check_dtype=True, obj=...)``: floats to
    FLOAT_RTOL/FLOAT_ATOL, other columns exactly; for outputs of another machine or of sums
    over a different number of rows."""
    return _assert_frames_close


@pytest.fixture(scope="session")
def assert_arrays_close() -> Callable[[npt.ArrayLike, npt.ArrayLike], None]:
    """``assert_arrays_close(actual, expected)``: to FLOAT_RTOL/FLOAT_ATOL."""
    return _assert_arrays_close


@pytest.fixture(scope="session")
def assert_frames_identical() -> Callable[[pd.DataFrame, pd.DataFrame], None]:
    """``assert_frames_identical(actual, expected)``: to the bit; for the same run repeated
    on one machine (pandas' default would allow a relative 1e-5 on floats)."""
    return _assert_frames_identical
