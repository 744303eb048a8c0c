"""Checks of experiment files: limits, one-line messages and the checks of each value.

:mod:`clusterlab.experiments.design` reads an experiment file and builds its design; this module
holds what it refuses and how it says so. Every check raises :class:`ExperimentError` with one
line naming the file (``source``), the key, what is allowed, what was given and the fix.

Sizes are bounded so that a mistyped file fails at once instead of filling the memory: the
file (``MAX_FILE_BYTES``), the design (``MAX_POINTS`` points and ``MAX_RUNS`` runs, counted
before any point is built), integers (``MAX_TOML_INT``), Morris levels
(``MAX_MORRIS_LEVELS``) and names (``MAX_NAME_LENGTH``; an experiment's name names its
results folder, hence ``NAME_PATTERN``).
"""

from __future__ import annotations

import math
import numbers
import re
import reprlib
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from clusterlab.model.errors import ClusterLabError
from clusterlab.model.industries import build_economy
from clusterlab.model.params import ParamSpec, param_specs, suggest
from clusterlab.model.presets import PRESETS, preset
from clusterlab.model.world import economy_streams

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_MORRIS_LEVELS",
    "MAX_NAME_LENGTH",
    "MAX_POINTS",
    "MAX_RUNS",
    "MAX_TOML_INT",
    "NAME_PATTERN",
    "ExperimentError",
    "bounded_spec",
    "check_economy_seed_unset",
    "check_grid_shape",
    "check_grid_values",
    "check_keys",
    "check_override_values",
    "check_required",
    "check_single_value",
    "check_size",
    "checked_int",
    "checked_name",
    "checked_outputs",
    "checked_preset",
    "checked_scenario_name",
    "error_at",
    "error_in",
    "lhs_size",
    "morris_size",
    "parsed_toml",
    "read_text",
    "shown",
    "sobol_size",
    "validated_bounds",
    "validated_overrides",
]

MAX_RUNS = 1_000_000
"""Most runs (design points x replicates) an experiment may ask for: at a second a run,
eleven days on one core. Counted before any point is built, so a bigger design is refused
at once."""

MAX_POINTS = 100_000
"""Most design points: each is checked by building its parameters (about 0.5 ms), so this
many take about a minute to check. Sobol' with N = 4096 and 10 levers (second order) has
90,112 points."""

MAX_FILE_BYTES = 1_000_000
"""Largest experiment file read; a real one is a page of TOML."""

MAX_TOML_INT = 2**63 - 1
"""Largest TOML integer (64-bit signed), hence the largest seed or integer value allowed."""

MAX_MORRIS_LEVELS = 1000
"""Most levels of a Morris grid (SALib allocates memory in proportion to them)."""

MAX_NAME_LENGTH = 100
"""Longest name of an experiment or scenario, and longest text value."""
NAME_PATTERN = rf"[A-Za-z0-9_-][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}"
"""An experiment's name: a plain file name, as it names the folder ``results/<name>``
(no '/', '\\', NUL, '..' or hidden names)."""


class ExperimentError(ClusterLabError, ValueError):
    """An experiment file is missing, malformed or asks for something not allowed."""


# --- messages ---------------------------------------------------------------------------


class _ShortRepr(reprlib.Repr):
    """``reprlib``'s abbreviations (depth, length), safe on any value a caller may give."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother, self.maxlist, self.maxdict = 3, 60, 60, 6, 6

    def repr_int(self, x: int, level: int) -> str:
        """Abbreviate an integer; repr() refuses those of more than 4300 digits."""
        if x.bit_length() > 1000:
            return f"<an integer of {x.bit_length()} bits>"
        return super().repr_int(x, level)


def shown(value: Any) -> str:
    """Show a user's value as a short repr: nested, long and huge values abbreviated."""
    return _ShortRepr().repr(value)


def _one_line(text: str) -> str:
    """Escape line breaks and other control characters, so that a message is one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def error_in(source: str, message: str) -> ExperimentError:
    """Return the one-line error ``"<source>: <message>"``."""
    return ExperimentError(_one_line(f"{source}: {message}"))


def error_at(source: str, key: str, message: str) -> ExperimentError:
    """Return the one-line error ``"<source>: '<key>' <message>"``, a long key shortened."""
    if len(key) > 2 * MAX_NAME_LENGTH:  # a key is any string TOML can quote
        key = f"{key[:MAX_NAME_LENGTH]}...{key[-20:]}"
    return error_in(source, f"'{key}' {message}")


def _amount(n: int) -> str:
    """Write a count so that it reads at a glance: 1,234 or about 10^20."""
    if n < 10**15:
        return f"{n:,}"
    return f"about 10^{int(n.bit_length() * math.log10(2))}"


# --- reading ----------------------------------------------------------------------------


def read_text(path: Path) -> str:
    """Return the text of an experiment file that exists, is readable, small and UTF-8."""
    if not path.exists():
        raise ExperimentError(
            _one_line(f"Experiment file '{path}' does not exist; give the path of a .toml file.")
        )
    if not path.is_file():
        raise ExperimentError(
            _one_line(f"Experiment file '{path}' is not a file; give the path of a .toml file.")
        )
    try:
        with path.open("rb") as stream:
            # One byte past the limit tells a file at the limit from a larger one.
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise error_in(
            str(path), f"cannot be read ({exc.strerror}); check its permissions."
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise error_in(
            str(path),
            f"larger than {MAX_FILE_BYTES:,} bytes, too large for an experiment file (a page "
            "of TOML); check the path.",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error_in(str(path), "not a text (UTF-8) file; save it as UTF-8 TOML.") from None


def parsed_toml(path: Path, text: str) -> dict[str, Any]:
    """Return the table of a TOML text read from ``path``."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise error_in(
            str(path), "not valid TOML (arrays or tables nested too deeply); flatten them."
        ) from None
    except ValueError as exc:
        # TOMLDecodeError, and int() refusing an integer of more than 4300 digits.
        raise error_in(str(path), f"not valid TOML ({exc}).") from None


# --- keys and top-level values ----------------------------------------------------------


def _check_type(source: str, key: str, value: Any, kind: type) -> None:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise error_at(source, key, f"must be of type {kind.__name__}. Got {shown(value)}.")


def check_keys(source: str, where: str, table: dict, allowed: dict[str, type]) -> None:
    """Check that every key of ``table`` is allowed and its value of the allowed type."""
    for key, value in table.items():
        if key not in allowed:
            raise error_at(
                source,
                f"{where}{key}",
                f"is not a known key.{suggest(str(key), list(allowed))} "
                f"Allowed: {', '.join(allowed)}.",
            )
        _check_type(source, f"{where}{key}", value, allowed[key])


def check_required(source: str, data: dict, required: dict[str, str]) -> None:
    """Check that ``data`` has every required key (mapped to an example of it)."""
    for key, example in required.items():
        if key not in data:
            raise error_at(source, key, f"is required. Add it, e.g. {example}.")


def checked_int(source: str, key: str, value: int, low: int, high: int, high_text: str = "") -> int:
    """Return ``value`` if it lies in [low, high] (``high_text`` writes ``high``)."""
    if not low <= value <= high:
        allowed = f"[{low}, {high_text or high}]"
        raise error_at(source, key, f"must be an integer in {allowed}. Got {shown(value)}.")
    return value


def checked_name(source: str, name: str) -> str:
    """Return the name, which names the results folder, if it is a plain file name."""
    if re.fullmatch(NAME_PATTERN, name):
        return name
    fix = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")[:MAX_NAME_LENGTH] or "my_study"
    raise error_at(
        source,
        "name",
        f"must be a plain folder name (results go to results/<name>): 1 to {MAX_NAME_LENGTH} "
        "ASCII letters, digits, '.', '_' or '-', not starting with '.'. "
        f'Got {shown(name)}. Rename it, e.g. name = "{fix}".',
    )


def checked_preset(source: str, key: str, base: str) -> str:
    """Return ``base`` if it names a preset."""
    if base in PRESETS:
        return base
    raise error_at(
        source,
        key,
        f"must be one of {', '.join(PRESETS)}. Got {shown(base)}.{suggest(base, list(PRESETS))}",
    )


def checked_outputs(source: str, outputs: list, tables: tuple[str, ...]) -> tuple[str, ...]:
    """Return the output tables asked for, if each is one of ``tables`` and named once."""
    for i, table in enumerate(outputs):
        if table not in tables:
            raise error_at(source, "outputs", f"may list {', '.join(tables)}. Got {shown(table)}.")
        if table in outputs[:i]:
            raise error_at(source, "outputs", f"must name each table once. Got {table!r} twice.")
    return tuple(outputs)


# --- parameter values -------------------------------------------------------------------


def check_override_values(source: str, where: str, values: dict) -> None:
    """Check that each override of the table ``where`` is a single value."""
    for name, value in values.items():
        check_single_value(source, f"{where}.{name}", name, value)


def check_single_value(source: str, key: str, name: Any, value: Any) -> None:
    """Refuse what the parameter validator cannot judge: tables, lists, huge integers."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH:
        raise error_at(
            source, key, "is not a parameter name; run 'clusterlab params' to list them."
        )
    if isinstance(value, str):
        # No valid text is long (texts name choices), and a long one would swamp the message.
        fits = len(value) <= MAX_NAME_LENGTH or (value.startswith("csv:") and len(value) < 4096)
    elif isinstance(value, numbers.Integral):
        # The validator converts to float, which overflows beyond 1e308; bools pass here
        # so that the validator says they are no numbers.
        fits = -MAX_TOML_INT - 1 <= value <= MAX_TOML_INT
    else:
        fits = isinstance(value, numbers.Real)  # numpy numbers too, as sweeps may give
    if fits:
        return
    spec = param_specs().get(name.split(".", 1)[-1])  # "group.name" is accepted too
    allowed = spec.allowed() if spec is not None else "a number or a text"
    raise error_at(source, key, f"must be a single value, {allowed}. Got {shown(value)}.")


def validated_overrides(source: str, where: str, base: str, values: dict) -> None:
    """Check parameter overrides (single values) by building them onto the preset."""
    try:
        preset(base, **values)
    except ClusterLabError as exc:
        raise error_in(source, f"[{where}] {exc}") from None


def check_shock_industries(
    source: str, fixed: dict, points: list[Any], economies: int | None
) -> None:
    """Refuse a ``shock_industry`` that the economy of some run does not have.

    The parameter's declared range is an upper bound for every economy; how many
    industries an economy has depends on its ``economy_seed`` (and the world
    parameters), so an index is checked against each economy the runs use, here, before
    any run: a run with it would fail, and no ``--resume`` could repair that.
    """
    counts: dict[tuple[int, str], int] = {}
    for point in points:
        params = preset(point.preset, **{**fixed, **point.overrides})
        shock = params.market.shock_industry
        if shock < 0:
            continue
        for seed in range(economies) if economies else (params.world.economy_seed,):
            key = (seed, repr(params.world))
            if key not in counts:
                counts[key] = build_economy(params.world, economy_streams(seed).industries)[1].n
            if shock >= counts[key]:
                where = (
                    "fixed"
                    if "shock_industry" not in point.overrides
                    else f"design point {point.point} ({point.scenario})"
                )
                raise error_in(
                    source,
                    f"[{where}] 'shock_industry' must be -1 or an industry index below "
                    f"{counts[key]}: the economy of economy_seed {seed} has {counts[key]} "
                    f"industries. Got {shock}.",
                )


def check_size(source: str, key: str, points: int, replicates: int, economies: int = 1) -> None:
    """Refuse a design too big to build, before anything is built.

    Runs are design points x replicates x economies (``economies = N`` runs every point
    and replicate in N economies).
    """
    runs = points * replicates * economies
    if points <= MAX_POINTS and runs <= MAX_RUNS:
        return
    factors = f"{_amount(points)} design points x {replicates:,} replicates"
    if economies > 1:
        factors += f" x {economies:,} economies"
    raise error_at(
        source,
        key,
        f"makes {factors} = {_amount(runs)} runs; at most {MAX_POINTS:,} points and "
        f"{MAX_RUNS:,} runs are allowed. Use fewer values, samples, replicates or economies, "
        "or split the experiment.",
    )


def check_economy_seed_unset(source: str, fixed: dict, point_overrides: list[dict]) -> None:
    """Refuse ``economy_seed`` in ``fixed`` or the design when ``economies`` sets it."""
    given = [("fixed", fixed)] + [("design", o) for o in point_overrides]
    for where, values in given:
        if any(str(name).split(".", 1)[-1] == "economy_seed" for name in values):
            raise error_at(
                source,
                "economies",
                f"gives the runs economy seeds 0..N-1, so economy_seed cannot also be set in "
                f"[{where}]. Remove one of them.",
            )


# --- grids and scenarios ----------------------------------------------------------------


def check_grid_shape(source: str, parameters: dict) -> None:
    """Check that every lever has a list of values and is given once."""
    if not parameters:
        raise error_at(
            source, "design.parameters", "must list at least one parameter and its values."
        )
    seen: dict[str, str] = {}
    for name, values in parameters.items():
        key = f"design.parameters.{name}"
        if not isinstance(values, list) or not values:
            raise error_at(source, key, f"must be a non-empty list of values. Got {shown(values)}.")
        bare = str(name).split(".", 1)[-1]  # "world.n_firms" is n_firms
        if bare in seen:
            raise error_at(source, key, f"repeats the parameter of '{seen[bare]}'; give it once.")
        seen[bare] = name


def check_grid_values(source: str, base: str, fixed: dict, name: str, values: list) -> None:
    """Check each value of one lever alone, and that none is given twice."""
    key = f"design.parameters.{name}"
    first_of: dict[Any, Any] = {}
    for value in values:
        check_single_value(source, key, name, value)
        validated_overrides(source, "design.parameters", base, {**fixed, name: value})
        # Valid values are numbers or texts, so hashable; 1 and 1.0 are the same key.
        if value in first_of:
            raise error_at(source, key, _repeat_message(first_of[value], value))
        first_of[value] = value


def _repeat_message(first: Any, again: Any) -> str:
    if repr(first) == repr(again):
        given = f"{shown(again)} twice"
    else:
        given = f"{shown(first)} and {shown(again)}, which are the same value"
    return f"must list each value once. Got {given}; remove the repeat."


def checked_scenario_name(source: str, where: str, sc: dict) -> str:
    """Return a scenario's name (it labels rows and reports): one short printable line."""
    name = sc.get("name", sc.get("preset"))
    if name is None:
        raise error_at(source, f"{where}.name", "is required (or give a preset).")
    if not name.strip() or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise error_at(
            source,
            f"{where}.name",
            f"must be 1 to {MAX_NAME_LENGTH} printable characters on one line. Got {shown(name)}.",
        )
    return name


# --- sampled designs --------------------------------------------------------------------


def bounded_spec(
    source: str, specs: dict[str, ParamSpec], name: str, where: str = "design.bounds"
) -> ParamSpec:
    """Return the spec of a lever given bounds, if it is a numeric parameter."""
    key = f"{where}.{name}"
    if name not in specs:
        raise error_at(source, key, f"is not a parameter.{suggest(str(name), list(specs))}")
    if specs[name].choices is not None:
        raise error_at(source, key, "is a choice; continuous designs take numeric parameters only.")
    return specs[name]


def validated_bounds(
    source: str, spec: ParamSpec, pair: Any, where: str = "design.bounds"
) -> list[float]:
    """Return ``[low, high]`` of a lever if low < high, both within the parameter's range."""
    key = f"{where}.{spec.name}"
    shape = isinstance(pair, list) and len(pair) == 2 and all(map(_is_finite_number, pair))
    if not shape or not float(pair[0]) < float(pair[1]):
        raise error_at(
            source,
            key,
            f"must be [low, high] with low < high, two finite numbers. Got {shown(pair)}.",
        )
    low, high = float(pair[0]), float(pair[1])
    if low < spec.low or high > spec.high:
        raise error_at(
            source,
            key,
            f"must lie in the range of the parameter, {spec.allowed()} ({spec.unit}). "
            f"Got {shown(pair)}. Narrow the range to fit it.",
        )
    return [low, high]


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):  # TOML's true is no number, whatever Python says
        return False
    if isinstance(value, numbers.Integral):  # float() of a huge one overflows
        return -MAX_TOML_INT - 1 <= value <= MAX_TOML_INT
    return isinstance(value, numbers.Real) and math.isfinite(value)


def lhs_size(source: str, design: dict) -> int:
    """Return the number of points of a Latin hypercube design."""
    n = _design_count(source, design, "samples")
    if n < 2:
        raise error_at(source, "design.samples", f"must be an integer >= 2. Got {shown(n)}.")
    return n


def sobol_size(source: str, design: dict, num_vars: int) -> int:
    """Return the number of points of a Sobol' design of ``num_vars`` levers."""
    n = _design_count(source, design, "samples")
    if n < 2 or n & (n - 1):
        raise error_at(
            source,
            "design.samples",
            f"must be a power of 2 >= 2 (Sobol' balance). Got {shown(n)}.",
        )
    # Saltelli's scheme: N (D + 2) points, or N (2D + 2) with second-order indices.
    per_sample = 2 * num_vars + 2 if design.get("second_order", False) else num_vars + 2
    return n * per_sample


def morris_size(source: str, design: dict, num_vars: int) -> int:
    """Return the number of points of a Morris design of ``num_vars`` levers."""
    r = _design_count(source, design, "trajectories")
    if r < 2:
        raise error_at(source, "design.trajectories", f"must be an integer >= 2. Got {shown(r)}.")
    levels = design.get("levels", 4)
    if not 2 <= levels <= MAX_MORRIS_LEVELS or levels % 2:
        raise error_at(
            source,
            "design.levels",
            f"must be an even integer in [2, {MAX_MORRIS_LEVELS}]. Got {shown(levels)}.",
        )
    return r * (num_vars + 1)  # each trajectory moves every lever once from a start


def _design_count(source: str, design: dict, key: str) -> int:
    if key not in design:
        raise error_at(source, f"design.{key}", f"is required for the {design['type']} design.")
    return design[key]


def checked_extensions(source: str, refs: list) -> tuple[str, ...]:
    """Return the ``extensions`` references if each imports to an Extension that fits.

    Each is ``"package.module:object"``, importable here (and so in the workers, which
    inherit this process's ``sys.path``); the extensions must fit the default schedule
    together (:func:`clusterlab.model.extension.schedule_with`).
    """
    from clusterlab.experiments.errors import reference_problem  # noqa: PLC0415
    from clusterlab.model.extension import resolve_extensions, schedule_with  # noqa: PLC0415
    from clusterlab.model.schedule import YEARLY_SCHEDULE  # noqa: PLC0415 - loads the model

    if not refs:
        return ()
    if not all(isinstance(r, str) for r in refs):
        raise error_at(source, "extensions", f"must be a list of strings. Got {shown(refs)}.")
    try:  # importing runs the module's code: name only modules you trust
        schedule_with(YEARLY_SCHEDULE, resolve_extensions(refs))
    except Exception as exc:  # whatever the import raises: one line
        raise error_at(source, "extensions", f"cannot be used: {reference_problem(exc)}") from None
    return tuple(refs)
