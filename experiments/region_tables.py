"""Region tables in experiment files: ``economy = "csv:<path>"`` (docs/regions.md).

The key may stand at the top of the file (then it applies to every run, as if in
``fixed``) or in ``fixed``, a scenario's ``set`` or a grid's ``parameters``. A relative
path is read relative to the experiment file; every table named is read and checked when
the file is loaded, so a malformed table stops the sweep before any run (one line naming
the table's row, as an :class:`~clusterlab.experiments.design_checks.ExperimentError`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from clusterlab.experiments.design_checks import error_at, shown
from clusterlab.model.errors import RegionTableError
from clusterlab.model.regions import CSV_PREFIX, is_table_economy, load_region_table

__all__ = ["check_tables", "prepared", "table_hashes"]


def _resolved(value: Any, base: Path) -> Any:
    if not is_table_economy(value):
        return value
    path = value[len(CSV_PREFIX) :]
    return CSV_PREFIX + os.path.abspath(base / path)


def prepared(data: Any, source: str) -> Any:
    """Fold a top-level ``economy`` into ``fixed``; make table paths absolute.

    Raises
    ------
    ExperimentError
        If ``economy`` is not a text, or is given both at the top and in ``fixed``.
    """
    if not isinstance(data, dict):
        return data
    data = dict(data)
    fixed = data.get("fixed", {})
    if "economy" in data:
        value = data.pop("economy")
        if not isinstance(value, str):
            raise error_at(
                source,
                "economy",
                f"must be 'generic', 'marche' or 'csv:<path>'. Got {shown(value)}.",
            )
        if isinstance(fixed, dict) and "economy" in fixed:
            raise error_at(source, "economy", "is given twice (also in fixed); give it once.")
        fixed = {**fixed, "economy": value} if isinstance(fixed, dict) else fixed
    base = Path(source).parent
    if isinstance(fixed, dict):
        data["fixed"] = {k: _resolved(v, base) for k, v in fixed.items()}
    design = data.get("design")
    if isinstance(design, dict):
        data["design"] = _resolved_design(design, base)
    return data


def _resolved_design(design: dict, base: Path) -> dict:
    design = dict(design)
    scenarios = design.get("scenarios")
    if isinstance(scenarios, list):
        design["scenarios"] = [
            {**sc, "set": {k: _resolved(v, base) for k, v in sc["set"].items()}}
            if isinstance(sc, dict) and isinstance(sc.get("set"), dict)
            else sc
            for sc in scenarios
        ]
    parameters = design.get("parameters")
    if isinstance(parameters, dict) and isinstance(parameters.get("economy"), list):
        values = [_resolved(v, base) for v in parameters["economy"]]
        design["parameters"] = {**parameters, "economy": values}
    return design


def table_hashes(overrides: list[dict[str, Any]]) -> dict[str, str]:
    """SHA-256 of every region table the runs name, by its ``csv:<path>`` value."""
    out = {}
    for value in sorted({str(o.get("economy")) for o in overrides}):
        if is_table_economy(value):
            path = Path(value[len(CSV_PREFIX) :])
            out[value] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    return out


def check_tables(source: str, overrides: list[dict[str, Any]]) -> None:
    """Read every region table the runs name.

    Raises
    ------
    ExperimentError
        With the table's one-line :class:`~clusterlab.model.errors.RegionTableError` message (file,
        row, fix), if a table cannot be read or has a malformed row.
    """
    for value in sorted({str(o.get("economy")) for o in overrides}):
        if is_table_economy(value):
            try:
                load_region_table(value)
            except RegionTableError as exc:
                raise error_at(
                    source, "economy", f"names a table that cannot be used: {exc}"
                ) from None
