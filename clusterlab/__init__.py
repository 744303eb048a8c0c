"""ClusterLab: an agent-based simulator of industrial clusters under EU Smart Specialisation.

The one import name ClusterLab installs. Its sub-packages live in the repository's
top-level folders (``pyproject.toml``, ``[tool.setuptools] package-dir``):

- :mod:`clusterlab.model` (folder ``model/``): the model; ``from clusterlab.model import
  ClusterModel``.
- :mod:`clusterlab.experiments` (folder ``experiments/``): running, storing, analysing and
  plotting simulations; the ``clusterlab`` command (``python -m clusterlab`` too).

Importing this package imports nothing else (the command's start-up stays instant);
``__version__`` is read from the installed package's metadata when first asked for.
"""

from __future__ import annotations

from pathlib import Path

# A source checkout run without installing it (``PYTHONPATH=<checkout>``): the sub-packages
# are the folders next to this one, so they are found there, never in another checkout that
# happens to be installed. An installed copy (wheel) holds them inside this folder instead.
_CHECKOUT = Path(__file__).resolve().parent.parent
if (
    not (Path(__file__).resolve().parent / "model").is_dir()
    and (_CHECKOUT / "pyproject.toml").is_file()
    and (_CHECKOUT / "model" / "__init__.py").is_file()
    and (_CHECKOUT / "experiments" / "__init__.py").is_file()
):
    __path__.append(str(_CHECKOUT))  # the package's own search path
del _CHECKOUT

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``: the installed distribution's version (``0+unknown`` if not installed)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - when asked

    try:
        return version("clusterlab")
    except PackageNotFoundError:
        return "0+unknown"
