"""Fixtures of the model tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from importlib.util import find_spec

import pytest

from clusterlab.model import kernels


def numba_installed() -> bool:
    """Whether numba can be imported here (not blocked, as ``make test-no-numba`` does)."""
    try:
        return find_spec("numba") is not None
    except ValueError:  # sys.modules["numba"] is None: blocked
        return False


@pytest.fixture
def use_kernels() -> Iterator[Callable[[str], str]]:
    """Switch the kernel backend within a test (``use_kernels("numpy")``); restored after.

    Skips the test when it asks for numba and numba is not installed.
    """
    saved, env = dict(kernels._chosen), os.environ.get(kernels.ENV_VAR)

    def switch(name: str) -> str:
        if name == "numba" and not numba_installed():
            pytest.skip("numba not installed")
        return kernels.use_backend(name)

    yield switch
    kernels._chosen.clear()
    kernels._chosen.update(saved)
    if env is None:
        os.environ.pop(kernels.ENV_VAR, None)
    else:
        os.environ[kernels.ENV_VAR] = env
