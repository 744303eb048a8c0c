"""Region tables: a region x industry employment table read from CSV (``economy = "csv:..."``).

Format (docs/regions.md): a CSV file with a header line; lines starting with ``#`` are
comments. One row per region and industry:

``region``
    NUTS code of the region (two letters and two characters, NUTS-2, e.g. ``ITI3``).
``industry``
    NACE Rev. 2 division, section letter and two digits (e.g. ``C20``).
``employment``
    Persons employed, a number >= 0 (>= 1 when positive).
``region_name`` (optional)
    Readable name (the same on every row of a region).
``firms`` (optional)
    Number of firms (local units), an integer >= 0; then every cell's firm count is
    taken from the table, otherwise ``n_firms`` firms are shared out by employment.
``universities`` (optional)
    Universities or research institutes of the region strong in this industry's
    knowledge, an integer >= 0; then the table places every university.
``cluster_org`` (optional)
    1 if the region has a cluster organization for this industry's value chain, else 0;
    then the table sets the clusters, otherwise the chains the region is specialised in.

A region and industry not listed has no employment. Every problem raises
:class:`RegionTableError` with one line naming the file, the row and the fix.
"""

from __future__ import annotations

import csv
import difflib
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clusterlab.model.errors import RegionTableError
from clusterlab.model.nace import division_of

__all__ = ["CSV_PREFIX", "RegionTable", "is_table_economy", "load_region_table", "table_path"]

CSV_PREFIX = "csv:"
REQUIRED = ("region", "industry", "employment")
OPTIONAL = ("region_name", "firms", "universities", "cluster_org")
MAX_BYTES = 20_000_000
MAX_REGIONS = 16  # the range of n_regions
MAX_FIRMS = 200_000  # the range of n_firms
NUTS = re.compile(r"^[A-Z]{2}[0-9A-Z]{2}$")
MISSING = ("", ":", "NA", "nan", "NaN")


@dataclass(frozen=True, eq=False)
class RegionTable:
    """A validated region x industry table (regions and industries in order of appearance).

    Attributes
    ----------
    path : str
    regions, region_names : tuple of str, length R
    industries : tuple of str, length P
        NACE codes, sorted.
    employment : ndarray, shape (R, P)
    firms, universities : ndarray of int, shape (R, P), or None if the column is absent
    cluster_org : ndarray of bool, shape (R, P), or None if the column is absent
    """

    path: str
    regions: tuple[str, ...]
    region_names: tuple[str, ...]
    industries: tuple[str, ...]
    employment: npt.NDArray[np.float64]
    firms: npt.NDArray[np.int64] | None
    universities: npt.NDArray[np.int64] | None
    cluster_org: npt.NDArray[np.bool_] | None


def is_table_economy(economy: object) -> bool:
    """Tell whether an ``economy`` parameter value names a region table (``csv:<path>``)."""
    return isinstance(economy, str) and economy.startswith(CSV_PREFIX)


def table_path(economy: str) -> Path:
    """Return the path of a ``csv:<path>`` economy value."""
    return Path(economy[len(CSV_PREFIX) :])


def load_region_table(economy: str) -> RegionTable:
    """Read and validate the table of a ``csv:<path>`` economy (cached per file version).

    Raises
    ------
    RegionTableError
        If the file cannot be read or a row is malformed (one line naming the row).
    """
    path = table_path(economy)
    try:
        stat = path.stat()
    except OSError as exc:
        raise RegionTableError(
            f"Cannot read region table '{path}' ({exc.strerror or exc}); give the path after "
            "'csv:' relative to the experiment file (or the current folder on the command line)."
        ) from None
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(path: str, _mtime: int, size: int) -> RegionTable:
    if size > MAX_BYTES:
        raise RegionTableError(f"{path}: the file is over {MAX_BYTES:,} bytes; is it a table?")
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionTableError(
            f"Cannot read region table '{path}' ({exc}); save it as UTF-8 CSV."
        ) from None
    lines = [
        (i, line)
        for i, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise RegionTableError(
            f"{path}: the table is empty; it needs a header line 'region,industry,employment' "
            "and one row per region and industry."
        )
    header = [h.strip() for h in next(csv.reader([lines[0][1]]))]
    _check_header(path, lines[0][0], header)
    if len(lines) == 1:
        raise RegionTableError(
            f"{path}: the table has a header but no rows; add one per region and industry."
        )
    rows = [_row(path, i, header, line) for i, line in lines[1:]]
    return _assemble(path, header, rows)


def _check_header(path: str, line: int, header: list[str]) -> None:
    known = REQUIRED + OPTIONAL
    for name in header:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise RegionTableError(
                f"{path}, row {line}: unknown column {name!r}.{hint} Columns: "
                f"{', '.join(REQUIRED)} (required), {', '.join(OPTIONAL)} (optional)."
            )
    if len(set(header)) != len(header):
        raise RegionTableError(f"{path}, row {line}: a column is named twice; name each once.")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RegionTableError(
            f"{path}, row {line}: the header lacks column(s) {', '.join(missing)}; it must name "
            f"{', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})."
        )


def _row(path: str, line: int, header: list[str], text: str) -> dict[str, object]:
    fields = [f.strip() for f in next(csv.reader([text]))]
    where = f"{path}, row {line}"
    if len(fields) != len(header):
        raise RegionTableError(
            f"{where}: {len(fields)} values for {len(header)} columns; give one value per column."
        )
    raw = dict(zip(header, fields, strict=True))
    region = raw["region"].upper()
    if not NUTS.match(region):
        raise RegionTableError(
            f"{where}: region {raw['region']!r} is not a NUTS-2 code; use two letters and two "
            "characters, e.g. ITI3."
        )
    industry = raw["industry"].upper()
    if division_of(industry) is None:
        raise RegionTableError(
            f"{where}: industry {raw['industry']!r} is not a NACE Rev. 2 division; use the section "
            "letter and two-digit division, e.g. C20 or J62 (docs/regions.md)."
        )
    out: dict[str, object] = {"line": line, "region": region, "industry": industry}
    out["region_name"] = raw.get("region_name", "") or region
    out["employment"] = _number(where, "employment", raw["employment"], integer=False)
    for col in ("firms", "universities", "cluster_org"):
        if col in raw:
            out[col] = _number(where, col, raw[col], integer=True)
    if out.get("cluster_org", 0) > 1:
        raise RegionTableError(f"{where}: cluster_org must be 0 or 1. Got {raw['cluster_org']!r}.")
    _check_sizes(where, out)
    return out


def _number(where: str, column: str, text: str, integer: bool) -> float:
    kind = "an integer >= 0" if integer else "a number >= 0"
    if text in MISSING:
        raise RegionTableError(
            f"{where}: {column} is missing; give {kind} (0 if there is none; Eurostat's ':' "
            "means unknown: fill it from another source or drop the row)."
        )
    try:
        value = float(text)
    except ValueError:
        raise RegionTableError(f"{where}: {column} must be {kind}. Got {text!r}.") from None
    if not math.isfinite(value) or value < 0 or (integer and value != int(value)):
        raise RegionTableError(f"{where}: {column} must be {kind}. Got {text!r}.")
    return value


def _check_sizes(where: str, row: dict[str, object]) -> None:
    emp = row["employment"]
    if 0 < emp < 1:
        raise RegionTableError(f"{where}: employment {emp:g} is below one person; give 0 or >= 1.")
    firms = row.get("firms")
    if firms is None:
        return
    if firms > emp:
        raise RegionTableError(
            f"{where}: {firms:g} firms for {emp:g} employed; every firm employs at least one "
            "person (check the columns)."
        )
    if emp > 0 and firms == 0:
        raise RegionTableError(f"{where}: employment {emp:g} but 0 firms; give the firm count.")


def _assemble(path: str, header: list[str], rows: list[dict[str, object]]) -> RegionTable:
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, str] = {}
    for row in rows:
        key = (row["region"], row["industry"])
        where = f"{path}, row {row['line']}"
        if key in seen:
            raise RegionTableError(
                f"{where}: duplicates row {seen[key]} (region {key[0]}, industry {key[1]}); "
                "keep one row per region and industry (sum them)."
            )
        seen[key] = row["line"]
        name = names.setdefault(row["region"], row["region_name"])
        if name != row["region_name"]:
            raise RegionTableError(
                f"{where}: region_name {row['region_name']!r} differs from {name!r} given "
                f"earlier for {row['region']}; use one name per region."
            )
    regions = tuple(names)
    industries = tuple(sorted({r["industry"] for r in rows}))
    if len(regions) > MAX_REGIONS:
        raise RegionTableError(
            f"{path}: {len(regions)} regions; the model takes at most {MAX_REGIONS} (n_regions)."
        )
    r_of, p_of = {r: i for i, r in enumerate(regions)}, {p: i for i, p in enumerate(industries)}
    shape = (len(regions), len(industries))
    cols = {c: np.zeros(shape) for c in ("employment", *OPTIONAL[1:]) if c in header}
    for row in rows:
        for c, arr in cols.items():
            arr[r_of[row["region"]], p_of[row["industry"]]] = row[c]
    emp = cols["employment"]
    _check_totals(path, regions, industries, emp, cols.get("firms"))
    as_int = {c: cols[c].astype(np.int64) if c in cols else None for c in OPTIONAL[1:]}
    return RegionTable(
        path=path,
        regions=regions,
        region_names=tuple(names[r] for r in regions),
        industries=industries,
        employment=emp,
        firms=as_int["firms"],
        universities=as_int["universities"],
        cluster_org=None if as_int["cluster_org"] is None else as_int["cluster_org"] > 0,
    )


def _check_totals(
    path: str,
    regions: tuple[str, ...],
    industries: tuple[str, ...],
    emp: npt.NDArray[np.float64],
    firms: npt.NDArray[np.float64] | None,
) -> None:
    for r in np.flatnonzero(emp.sum(axis=1) == 0):
        raise RegionTableError(f"{path}: region {regions[r]} has no employment; drop its rows.")
    for p in np.flatnonzero(emp.sum(axis=0) == 0):
        raise RegionTableError(
            f"{path}: industry {industries[p]} has no employment in any region; drop its rows."
        )
    if len(industries) < 2:
        raise RegionTableError(f"{path}: one industry only; RCA needs at least two industries.")
    if firms is not None and not 20 <= firms.sum() <= MAX_FIRMS:
        raise RegionTableError(
            f"{path}: {firms.sum():g} firms in all; the model takes 20 to {MAX_FIRMS:,} "
            "(n_firms): drop the firms column to share n_firms out by employment."
        )
