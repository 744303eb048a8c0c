"""Experiment files (TOML): loading, validation, design points and per-run seeds.

An experiment file names a base preset, fixed parameter values, the number of years,
replicates and a root seed, and one design: a full ``grid`` of lever values, a list of
named ``scenarios``, a Latin hypercube (``lhs``), or the ``sobol`` / ``morris`` samples of
SALib. Every problem is reported as one line naming the file, the key, what is allowed
and what was given (:class:`ExperimentError`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ClusterLabError
from model.params import ModelParams, param_specs, suggest
from model.presets import PRESETS, preset

__all__ = [
    "OUTPUT_TABLES",
    "DesignKind",
    "DesignPoint",
    "Experiment",
    "ExperimentError",
    "RunSpec",
    "load_experiment",
    "parse_experiment",
]

OUTPUT_TABLES = ("timeseries", "panel", "clusters", "events")
"""Tables a run may keep besides its summary row."""

TOP_KEYS = {
    "name": str,
    "description": str,
    "preset": str,
    "steps": int,
    "replicates": int,
    "seed": int,
    "outputs": list,
    "common_random_numbers": bool,
    "fixed": dict,
    "design": dict,
}
REQUIRED = ("name", "design")


class ExperimentError(ClusterLabError, ValueError):
    """An experiment file is missing, malformed or asks for something not allowed."""


class DesignKind(StrEnum):
    """Kinds of experimental design."""

    GRID = "grid"
    SCENARIOS = "scenarios"
    LHS = "lhs"
    SOBOL = "sobol"
    MORRIS = "morris"


@dataclass(frozen=True, slots=True)
class DesignPoint:
    """One combination of parameter values to simulate (with every replicate)."""

    point: int
    scenario: str
    preset: str
    overrides: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RunSpec:
    """A small, picklable task: everything a worker needs to do one run."""

    run_id: int
    point: int
    scenario: str
    replicate: int
    seed: int
    preset: str
    overrides: dict[str, Any]
    steps: int
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Experiment:
    """A validated experiment."""

    name: str
    description: str
    preset: str
    steps: int
    replicates: int
    seed: int
    outputs: tuple[str, ...]
    common_random_numbers: bool
    fixed: dict[str, Any]
    kind: DesignKind
    points: list[DesignPoint]
    problem: dict[str, Any] | None = None  # SALib problem for lhs/sobol/morris
    samples: np.ndarray | None = None  # SALib sample matrix, rows = points
    design: dict[str, Any] = field(default_factory=dict)

    def seeds(self) -> list[int]:
        """Seed of every run, in run order (point-major, replicate-minor).

        With common random numbers (the default) replicate r of every design point uses
        the same seed, ``SeedSequence(root).spawn(replicates)[r]``: differences between
        points are then not blurred by different random draws. Otherwise every run has
        its own child of ``SeedSequence(root).spawn(points * replicates)``.
        """
        root = np.random.SeedSequence(self.seed)
        if self.common_random_numbers:
            per_rep = [int(c.generate_state(1)[0]) for c in root.spawn(self.replicates)]
            return per_rep * len(self.points)
        return [int(c.generate_state(1)[0]) for c in root.spawn(len(self.points) * self.replicates)]

    def runs(self) -> list[RunSpec]:
        """Every run of the experiment, numbered from 0."""
        seeds = self.seeds()
        out = []
        for i, (pt, rep) in enumerate(itertools.product(self.points, range(self.replicates))):
            out.append(
                RunSpec(
                    run_id=i,
                    point=pt.point,
                    scenario=pt.scenario,
                    replicate=rep,
                    seed=seeds[i],
                    preset=pt.preset,
                    overrides={**self.fixed, **pt.overrides},
                    steps=self.steps,
                    outputs=self.outputs,
                )
            )
        return out

    def fingerprint(self) -> str:
        """Hash of everything that changes the runs' results (not name or description)."""
        content = {
            "runs": [
                (
                    r.run_id,
                    r.point,
                    r.scenario,
                    r.replicate,
                    r.seed,
                    r.preset,
                    sorted(r.overrides.items()),
                    r.steps,
                    r.outputs,
                )
                for r in self.runs()
            ]
        }
        text = json.dumps(content, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _err(source: str, key: str, message: str) -> ExperimentError:
    return ExperimentError(f"{source}: '{key}' {message}")


def _check_type(source: str, key: str, value: Any, kind: type) -> None:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok:
        raise _err(source, key, f"must be of type {kind.__name__}. Got {value!r}.")


def _check_keys(source: str, where: str, table: dict, allowed: dict[str, type]) -> None:
    for key, value in table.items():
        if key not in allowed:
            raise _err(
                source,
                f"{where}{key}",
                f"is not a known key.{suggest(key, list(allowed))} Allowed: {', '.join(allowed)}.",
            )
        _check_type(source, f"{where}{key}", value, allowed[key])


def _validated_overrides(source: str, where: str, base: str, values: dict) -> dict[str, Any]:
    """Check parameter overrides by building them onto the preset."""
    try:
        preset(base, **values)
    except ClusterLabError as exc:
        raise ExperimentError(f"{source}: [{where}] {exc}") from None
    return dict(values)


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file.

    Raises
    ------
    ExperimentError
        If the file is missing, not valid TOML, or its content is not allowed.
    """
    path = Path(path)
    if not path.is_file():
        raise ExperimentError(
            f"Experiment file '{path}' does not exist; give the path of a .toml file."
        )
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{path}: not valid TOML ({exc}).") from None
    except UnicodeDecodeError:
        raise ExperimentError(f"{path}: not a text (UTF-8) file.") from None
    return parse_experiment(data, str(path))


def parse_experiment(data: dict[str, Any], source: str = "<experiment>") -> Experiment:
    """Validate the content of an experiment file (a dict as TOML gives it)."""
    _check_keys(source, "", data, TOP_KEYS)
    for key in REQUIRED:
        if key not in data:
            raise _err(source, key, "is required.")
    base = data.get("preset", "baseline")
    if base not in PRESETS:
        raise _err(
            source,
            "preset",
            f"must be one of {', '.join(PRESETS)}. Got {base!r}.{suggest(base, list(PRESETS))}",
        )
    steps, replicates = data.get("steps", 50), data.get("replicates", 10)
    if not 0 <= steps <= 1000:
        raise _err(source, "steps", f"must be an integer in [0, 1000]. Got {steps}.")
    if not 1 <= replicates <= 100_000:
        raise _err(source, "replicates", f"must be an integer in [1, 100000]. Got {replicates}.")
    seed = data.get("seed", 0)
    if seed < 0:
        raise _err(source, "seed", f"must be an integer >= 0. Got {seed}.")
    outputs = tuple(data.get("outputs", ["timeseries"]))
    for o in outputs:
        if o not in OUTPUT_TABLES:
            raise _err(source, "outputs", f"may list {', '.join(OUTPUT_TABLES)}. Got {o!r}.")
    fixed = _validated_overrides(source, "fixed", base, data.get("fixed", {}))
    kind, points, problem, samples = _design(source, base, fixed, data["design"], int(seed))
    return Experiment(
        name=data["name"],
        description=data.get("description", ""),
        preset=base,
        steps=int(steps),
        replicates=int(replicates),
        seed=int(seed),
        outputs=outputs,
        common_random_numbers=data.get("common_random_numbers", True),
        fixed=fixed,
        kind=kind,
        points=points,
        problem=problem,
        samples=samples,
        design=data["design"],
    )


DESIGN_KEYS = {
    DesignKind.GRID: {"type": str, "parameters": dict},
    DesignKind.SCENARIOS: {"type": str, "scenarios": list},
    DesignKind.LHS: {"type": str, "samples": int, "bounds": dict},
    DesignKind.SOBOL: {"type": str, "samples": int, "bounds": dict, "second_order": bool},
    DesignKind.MORRIS: {"type": str, "trajectories": int, "levels": int, "bounds": dict},
}


def _design(
    source: str, base: str, fixed: dict, design: dict, seed: int
) -> tuple[DesignKind, list[DesignPoint], dict | None, np.ndarray | None]:
    kind_text = design.get("type")
    try:
        kind = DesignKind(kind_text)
    except ValueError:
        allowed = ", ".join(k.value for k in DesignKind)
        raise _err(source, "design.type", f"must be one of {allowed}. Got {kind_text!r}.") from None
    _check_keys(source, "design.", design, DESIGN_KEYS[kind])
    if kind is DesignKind.GRID:
        return kind, _grid(source, base, fixed, design.get("parameters", {})), None, None
    if kind is DesignKind.SCENARIOS:
        return kind, _scenarios(source, fixed, design.get("scenarios", [])), None, None
    problem = _problem(source, design.get("bounds", {}))
    samples = _sample(source, kind, problem, design, seed)
    points = [
        DesignPoint(i, f"point {i}", base, _typed_row(problem, row))
        for i, row in enumerate(samples)
    ]
    for p in points:
        _validated_overrides(source, "design.bounds", base, {**fixed, **p.overrides})
    return kind, points, problem, samples


def _grid(source: str, base: str, fixed: dict, parameters: dict) -> list[DesignPoint]:
    if not parameters:
        raise _err(source, "design.parameters", "must list at least one parameter and its values.")
    for name, values in parameters.items():
        if not isinstance(values, list) or not values:
            raise _err(
                source,
                f"design.parameters.{name}",
                f"must be a non-empty list of values. Got {values!r}.",
            )
    names = list(parameters)
    points = []
    for i, combo in enumerate(itertools.product(*parameters.values())):
        overrides = dict(zip(names, combo, strict=True))
        _validated_overrides(source, "design.parameters", base, {**fixed, **overrides})
        label = ", ".join(f"{k}={v}" for k, v in overrides.items())
        points.append(DesignPoint(i, label, base, overrides))
    return points


SCENARIO_KEYS = {"name": str, "preset": str, "set": dict}


def _scenarios(source: str, fixed: dict, scenarios: list) -> list[DesignPoint]:
    if not scenarios:
        raise _err(source, "design.scenarios", "must list at least one scenario.")
    points, seen = [], set()
    for i, sc in enumerate(scenarios):
        where = f"design.scenarios[{i}]."
        if not isinstance(sc, dict):
            raise _err(source, f"design.scenarios[{i}]", f"must be a table. Got {sc!r}.")
        _check_keys(source, where, sc, SCENARIO_KEYS)
        name = sc.get("name") or sc.get("preset")
        if not name:
            raise _err(source, f"{where}name", "is required (or give a preset).")
        if name in seen:
            raise _err(source, f"{where}name", f"must be unique. Got {name!r} twice.")
        seen.add(name)
        base = sc.get("preset", "baseline")
        if base not in PRESETS:
            raise _err(
                source,
                f"{where}preset",
                f"must be one of {', '.join(PRESETS)}. Got {base!r}.{suggest(base, list(PRESETS))}",
            )
        own = sc.get("set", {})
        _validated_overrides(source, where[:-1], base, {**fixed, **own})
        points.append(DesignPoint(i, name, base, dict(own)))
    return points


def _problem(source: str, bounds: dict) -> dict[str, Any]:
    specs = param_specs()
    if not bounds:
        raise _err(source, "design.bounds", "must give [low, high] for at least one parameter.")
    names, pairs = [], []
    for name, pair in bounds.items():
        if name not in specs:
            raise _err(
                source, f"design.bounds.{name}", f"is not a parameter.{suggest(name, list(specs))}"
            )
        if specs[name].choices is not None:
            raise _err(
                source,
                f"design.bounds.{name}",
                "is a choice; continuous designs take numeric parameters only.",
            )
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, int | float) for v in pair)
            and pair[0] < pair[1]
        ):
            raise _err(
                source,
                f"design.bounds.{name}",
                f"must be [low, high] with low < high. Got {pair!r}.",
            )
        names.append(name)
        pairs.append([float(pair[0]), float(pair[1])])
    return {"num_vars": len(names), "names": names, "bounds": pairs}


def _sample(source: str, kind: DesignKind, problem: dict, design: dict, seed: int) -> np.ndarray:
    from SALib.sample import latin, morris, sobol  # noqa: PLC0415 - heavy, only for these designs

    if kind is DesignKind.LHS:
        n = design.get("samples", 0)
        if n < 2:
            raise _err(source, "design.samples", f"must be an integer >= 2. Got {n}.")
        return latin.sample(problem, n, seed=seed)
    if kind is DesignKind.SOBOL:
        n = design.get("samples", 0)
        if n < 2 or n & (n - 1):
            raise _err(
                source, "design.samples", f"must be a power of 2 >= 2 (Sobol' balance). Got {n}."
            )
        return sobol.sample(
            problem, n, calc_second_order=design.get("second_order", False), seed=seed
        )
    r, levels = design.get("trajectories", 0), design.get("levels", 4)
    if r < 2 or levels < 2 or levels % 2:
        raise _err(
            source,
            "design.trajectories",
            f"needs trajectories >= 2 and an even number of levels >= 2. Got {r} and {levels}.",
        )
    return morris.sample(problem, r, num_levels=levels, seed=seed)


def _typed_row(problem: dict, row: np.ndarray) -> dict[str, Any]:
    """Sample values as the parameters' types (integers are rounded)."""
    specs = param_specs()
    out: dict[str, Any] = {}
    for name, value in zip(problem["names"], row, strict=True):
        out[name] = round(float(value)) if specs[name].kind is int else float(value)
    return out


def base_params(spec: RunSpec) -> ModelParams:
    """Parameters of one run."""
    return preset(spec.preset, **spec.overrides)
