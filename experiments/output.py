"""Write the outputs of one run to a folder: tables (Parquet and CSV), summary, figure.

Everything is written into a hidden temporary folder beside the target and moved into
place only when complete, so an interrupted write never leaves a half-written result.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from experiments.errors import OutputError
from experiments.plots import plot_trajectories
from experiments.provenance import provenance
from model.simulate import SimulationResult

__all__ = ["write_run"]


def _tables(result: SimulationResult) -> dict[str, pd.DataFrame]:
    tables = {
        "timeseries": result.timeseries,
        "panel": result.panel,
        "clusters": result.clusters,
    }
    tables |= {f"events_{kind}": df for kind, df in result.events.items()}
    return tables


def write_run(result: SimulationResult, out: Path, *, preset: str, force: bool = False) -> Path:
    """Write one run's outputs into ``out`` atomically.

    Files: ``<table>.parquet`` and ``<table>.csv`` for the time series, panel, cluster
    table and each event table; ``summary.json`` (summary, parameters, seed, provenance);
    ``trajectories.png``.

    Raises
    ------
    OutputError
        If ``out`` exists and is not empty (without ``force``), or cannot be written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"Output path '{out}' is a file; give a folder with --out.")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputError(
            f"Output folder '{out}' is not empty; choose another --out "
            "or pass --force to replace it."
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"Cannot create output folder '{out}': {exc.strerror}.") from None
    try:
        for name, df in _tables(result).items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
            df.to_csv(tmp / f"{name}.csv", index=False)
        meta = {
            "preset": preset,
            "seed": result.seed,
            "steps": result.steps,
            "summary": result.summary,
            "params": result.params,
            "regions": result.regions,
            "industries": result.industries,
            "fields": result.fields,
            "provenance": provenance(),
        }
        (tmp / "summary.json").write_text(json.dumps(meta, indent=2, allow_nan=True))
        plot_trajectories(result, tmp / "trajectories.png")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
