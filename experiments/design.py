"""Experiment files (TOML): loading, validation, design points and per-run seeds.

An experiment file names a base preset, fixed parameter values, the number of years,
replicates and a root seed, and one design: a full ``grid`` of lever values, a list of
named ``scenarios``, a Latin hypercube (``lhs``), or the ``sobol`` / ``morris`` samples of
SALib. Every run of an experiment shares one economy (``economy_seed``, default 0) unless
the optional key ``economies = N`` crosses every design point and replicate with the
economies of seeds 0..N-1. Every problem is reported as one line naming the file, the key,
what is allowed and what was given (:class:`ExperimentError`); nothing else is raised,
whatever the file holds.

Sizes are bounded so that a mistyped file fails at once instead of filling the memory: the
file (``MAX_FILE_BYTES``), the design (``MAX_POINTS`` points and ``MAX_RUNS`` runs, counted
before any point is built), the seed (a TOML integer) and the name, which names the
results folder (``NAME_PATTERN``). These limits, the error and the checks of each value
live in :mod:`clusterlab.experiments.design_checks`; this module holds the file's layout, reads it
and builds the design.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from clusterlab.experiments import design_checks as checks
from clusterlab.experiments import region_tables
from clusterlab.experiments.design_checks import MAX_POINTS, MAX_RUNS, NAME_PATTERN, ExperimentError
from clusterlab.model.extension import extension_params
from clusterlab.model.params import ModelParams, param_specs
from clusterlab.model.presets import preset

__all__ = [
    "MAX_POINTS",
    "MAX_RUNS",
    "NAME_PATTERN",
    "OUTPUT_TABLES",
    "DesignKind",
    "DesignPoint",
    "Experiment",
    "ExperimentError",
    "RunSpec",
    "load_experiment",
    "parse_experiment",
]

OUTPUT_TABLES = (
    "timeseries",
    "panel",
    "clusters",
    "events",
    "firms",
    "links",
    "firms_yearly",
    "links_yearly",
)
"""Tables a run may keep besides its summary row ("firms", "links": the final year's;
"firms_yearly", "links_yearly": every year's)."""

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
    "economies": int,
    "levers": dict,
    "uncertainties": dict,
    "satisficing": dict,
    "extensions": list,
}
REQUIRED = {
    "name": 'name = "my_study"',
    "design": '[design] with type = "grid" and [design.parameters]',
}
"""Required top-level keys, with an example of each for the error message."""


class DesignKind(StrEnum):
    """Kinds of experimental design."""

    GRID = "grid"
    SCENARIOS = "scenarios"
    LHS = "lhs"
    SOBOL = "sobol"
    MORRIS = "morris"
    XLRM = "xlrm"  # policies (levers) x sampled worlds (uncertainties): clusterlab.experiments.xlrm


@dataclass(frozen=True, slots=True)
class DesignPoint:
    """One combination of parameter values to simulate (with every replicate)."""

    point: int
    scenario: str
    preset: str
    overrides: dict[str, Any]
    tags: tuple[tuple[str, Any], ...] = ()  # extra columns of the run's rows (xlrm: policy, world)


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
    economy_seed: int = 0
    tags: tuple[tuple[str, Any], ...] = ()
    extensions: tuple[str, ...] = ()  # "package.module:object" (docs/extending.md)


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
    economies: int | None = None  # None: every run in the experiment's one economy
    extensions: tuple[str, ...] = ()  # "package.module:object" references (docs/extending.md)

    @property
    def runs_per_point(self) -> int:
        """Replicates times economies: the runs of each design point."""
        return self.replicates * (self.economies or 1)

    @property
    def n_runs(self) -> int:
        """Number of runs: design points x replicates x economies."""
        return len(self.points) * self.runs_per_point

    def seeds(self) -> list[int]:
        """Seed of every run, in run order (point-major, replicate-minor).

        Replicates are numbered 0..``runs_per_point`` - 1 (with ``economies = N``,
        replicate k runs in economy ``k // replicates``). With common random numbers (the
        default) replicate k of every design point uses the same seed,
        ``SeedSequence(root).spawn(runs_per_point)[k]``: differences between points are
        then not blurred by different random draws. Otherwise every run has its own child
        of ``SeedSequence(root).spawn(n_runs)``.
        """
        root = np.random.SeedSequence(self.seed)
        if self.common_random_numbers:
            per_rep = [int(c.generate_state(1)[0]) for c in root.spawn(self.runs_per_point)]
            return per_rep * len(self.points)
        return [int(c.generate_state(1)[0]) for c in root.spawn(self.n_runs)]

    def runs(self) -> list[RunSpec]:
        """Every run of the experiment, numbered from 0 (point, economy, replicate order)."""
        seeds = self.seeds()
        out = []
        pairs = itertools.product(self.points, range(self.runs_per_point))
        for i, (pt, rep) in enumerate(pairs):
            overrides = {**self.fixed, **pt.overrides}
            if self.economies is not None:
                overrides["economy_seed"] = rep // self.replicates
            out.append(
                RunSpec(
                    run_id=i,
                    point=pt.point,
                    scenario=pt.scenario,
                    replicate=rep,
                    seed=seeds[i],
                    preset=pt.preset,
                    overrides=overrides,
                    steps=self.steps,
                    outputs=self.outputs,
                    economy_seed=_economy_seed(pt.preset, overrides),
                    tags=pt.tags,
                    extensions=self.extensions,
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
        tables = region_tables.table_hashes([{**self.fixed, **p.overrides} for p in self.points])
        if tables:  # a changed region table is another experiment (no key without tables)
            content["tables"] = tables
        if self.extensions:  # likewise: no key without extensions
            content["extensions"] = list(self.extensions)
        text = json.dumps(content, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- reading ----------------------------------------------------------------------------


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file.

    Raises
    ------
    ExperimentError
        If the file is missing, unreadable, larger than
        :data:`~clusterlab.experiments.design_checks.MAX_FILE_BYTES`, not UTF-8, not valid TOML, or
        its content is not allowed.
    """
    path = Path(path)
    data = checks.parsed_toml(path, checks.read_text(path))
    return parse_experiment(data, str(path))


# --- top-level keys ---------------------------------------------------------------------


def parse_experiment(data: dict[str, Any], source: str = "<experiment>") -> Experiment:
    """Validate the content of an experiment file (a dict as TOML gives it).

    Raises
    ------
    ExperimentError
        On the first thing not allowed, in one line naming ``source``, the key, what is
        allowed, what was given and the fix; nothing else is raised, whatever ``data`` is.
    """
    if not isinstance(data, dict):
        raise checks.error_in(
            source, f"an experiment must be a table of keys. Got {checks.shown(data)}."
        )
    data = region_tables.prepared(data, source)  # economy = "csv:<path>" (docs/regions.md)
    checks.check_keys(source, "", data, TOP_KEYS)
    checks.check_required(source, data, REQUIRED)
    name = checks.checked_name(source, data["name"])
    outputs = checks.checked_outputs(source, data.get("outputs", ["timeseries"]), OUTPUT_TABLES)
    base = checks.checked_preset(source, "preset", data.get("preset", "baseline"))
    steps = checks.checked_int(source, "steps", data.get("steps", 50), 0, 1000)
    replicates = checks.checked_int(source, "replicates", data.get("replicates", 10), 1, 100_000)
    seed = checks.checked_int(
        source, "seed", data.get("seed", 0), 0, checks.MAX_TOML_INT, "2**63 - 1"
    )
    # an extension's parameters may be set and swept by name like the built-in ones
    extensions = checks.checked_extensions(source, data.get("extensions", []))
    with extension_params(extensions):
        return _parse_design(data, source, name, outputs, base, steps, replicates, seed, extensions)


def _parse_design(
    data: dict[str, Any],
    source: str,
    name: str,
    outputs: tuple[str, ...],
    base: str,
    steps: int,
    replicates: int,
    seed: int,
    extensions: tuple[str, ...],
) -> Experiment:
    """Parse the rest of :func:`parse_experiment`: fixed values, the design, the points."""
    economies = data.get("economies")
    if economies is not None:
        economies = checks.checked_int(source, "economies", economies, 1, 100_000)
    fixed = data.get("fixed", {})
    checks.check_override_values(source, "fixed", fixed)
    checks.validated_overrides(source, "fixed", base, fixed)
    runs_per_point = (replicates, economies or 1)
    if data["design"].get("type") == DesignKind.XLRM:
        from clusterlab.experiments import xlrm  # noqa: PLC0415 - imports this module

        kind, points, problem, samples = xlrm.xlrm_design(source, base, fixed, data, seed)
    else:
        xlrm_keys = [k for k in ("levers", "uncertainties", "satisficing") if k in data]
        if xlrm_keys:
            raise checks.error_at(
                source,
                xlrm_keys[0],
                'needs type = "xlrm" in [design]; remove it or use that design.',
            )
        kind, points, problem, samples = _design(
            source, base, fixed, data["design"], seed, runs_per_point
        )
    if economies is not None:
        checks.check_economy_seed_unset(source, fixed, [p.overrides for p in points])
    region_tables.check_tables(source, [{**fixed, **p.overrides} for p in points])
    checks.check_shock_industries(source, fixed, points, economies)
    return Experiment(
        name=name,
        description=data.get("description", ""),
        preset=base,
        steps=steps,
        replicates=replicates,
        seed=seed,
        outputs=outputs,
        common_random_numbers=data.get("common_random_numbers", True),
        fixed=dict(fixed),
        kind=kind,
        points=points,
        problem=problem,
        samples=samples,
        design=data["design"],
        economies=economies,
        extensions=extensions,
    )


# --- designs ----------------------------------------------------------------------------

DESIGN_KEYS = {
    DesignKind.GRID: {"type": str, "parameters": dict},
    DesignKind.SCENARIOS: {"type": str, "scenarios": list},
    DesignKind.LHS: {"type": str, "samples": int, "bounds": dict},
    DesignKind.SOBOL: {"type": str, "samples": int, "bounds": dict, "second_order": bool},
    DesignKind.MORRIS: {"type": str, "trajectories": int, "levels": int, "bounds": dict},
    DesignKind.XLRM: {"type": str, "worlds": int, "sampler": str, "policies": list},
}


def _design(
    source: str, base: str, fixed: dict, design: dict, seed: int, per_point: tuple[int, int]
) -> tuple[DesignKind, list[DesignPoint], dict | None, np.ndarray | None]:
    """Build the design points; ``per_point`` is (replicates, economies), for the size check."""
    kind = _design_kind(source, design)
    checks.check_keys(source, "design.", design, DESIGN_KEYS[kind])
    if kind is DesignKind.GRID:
        points = _grid(source, base, fixed, design.get("parameters", {}), per_point)
        return kind, points, None, None
    if kind is DesignKind.SCENARIOS:
        return kind, _scenarios(source, fixed, design.get("scenarios", []), per_point), None, None
    problem = _problem(source, design.get("bounds", {}))
    key, n_points = _sample_size(source, kind, design, problem["num_vars"])
    checks.check_size(source, key, n_points, *per_point)
    if kind is not DesignKind.LHS and problem["num_vars"] < 2:  # SALib refuses one
        raise checks.error_at(
            source,
            "design.bounds",
            f"must give at least two parameters for a {kind.value} design (its indices "
            "compare parameters); for one parameter use a grid design.",
        )
    samples = _sample(kind, problem, design, seed)
    points = [
        DesignPoint(i, f"point {i}", base, _typed_row(problem, row))
        for i, row in enumerate(samples)
    ]
    for p in points:
        checks.validated_overrides(source, "design.bounds", base, {**fixed, **p.overrides})
    return kind, points, problem, samples


def _design_kind(source: str, design: dict) -> DesignKind:
    allowed = ", ".join(k.value for k in DesignKind)
    if "type" not in design:
        raise checks.error_at(source, "design.type", f"is required: one of {allowed}.")
    kind_text = design["type"]
    if kind_text not in [k.value for k in DesignKind]:
        raise checks.error_at(
            source, "design.type", f"must be one of {allowed}. Got {checks.shown(kind_text)}."
        )
    return DesignKind(kind_text)


def _grid(
    source: str, base: str, fixed: dict, parameters: dict, per_point: tuple[int, int]
) -> list[DesignPoint]:
    checks.check_grid_shape(source, parameters)
    checks.check_size(
        source, "design.parameters", math.prod(len(v) for v in parameters.values()), *per_point
    )
    for name, values in parameters.items():
        checks.check_grid_values(source, base, fixed, name, values)
    names = list(parameters)
    points = []
    for i, combo in enumerate(itertools.product(*parameters.values())):
        overrides = dict(zip(names, combo, strict=True))
        if len(names) > 1:  # one lever: each of its values was checked already
            checks.validated_overrides(source, "design.parameters", base, {**fixed, **overrides})
        label = ", ".join(f"{k}={v}" for k, v in overrides.items())
        points.append(DesignPoint(i, label, base, overrides))
    return points


SCENARIO_KEYS = {"name": str, "preset": str, "set": dict}


def _scenarios(
    source: str, fixed: dict, scenarios: list, per_point: tuple[int, int]
) -> list[DesignPoint]:
    if not scenarios:
        raise checks.error_at(source, "design.scenarios", "must list at least one scenario.")
    checks.check_size(source, "design.scenarios", len(scenarios), *per_point)
    points: list[DesignPoint] = []
    seen: set[str] = set()
    for i, sc in enumerate(scenarios):
        point = _scenario(source, fixed, i, sc)
        if point.scenario in seen:
            raise checks.error_at(
                source,
                f"design.scenarios[{i}].name",
                f"must be unique. Got {point.scenario!r} twice. Give each scenario its own name.",
            )
        seen.add(point.scenario)
        points.append(point)
    return points


def _scenario(source: str, fixed: dict, i: int, sc: Any) -> DesignPoint:
    where = f"design.scenarios[{i}]"
    if not isinstance(sc, dict):
        raise checks.error_at(
            source, where, f"must be a table with name, preset and set. Got {checks.shown(sc)}."
        )
    checks.check_keys(source, f"{where}.", sc, SCENARIO_KEYS)
    name = checks.checked_scenario_name(source, where, sc)
    base = checks.checked_preset(source, f"{where}.preset", sc.get("preset", "baseline"))
    own = sc.get("set", {})
    checks.check_override_values(source, f"{where}.set", own)
    checks.validated_overrides(source, where, base, {**fixed, **own})
    return DesignPoint(i, name, base, dict(own))


def _problem(source: str, bounds: dict) -> dict[str, Any]:
    if not bounds:
        raise checks.error_at(
            source, "design.bounds", "must give [low, high] for at least one parameter."
        )
    specs = param_specs()
    names, pairs = [], []
    for name, pair in bounds.items():
        spec = checks.bounded_spec(source, specs, name)
        pairs.append(checks.validated_bounds(source, spec, pair))
        names.append(name)
    return {"num_vars": len(names), "names": names, "bounds": pairs}


def _sample_size(source: str, kind: DesignKind, design: dict, num_vars: int) -> tuple[str, int]:
    """Return the key that sets a sampled design's size, and its number of points."""
    if kind is DesignKind.LHS:
        return "design.samples", checks.lhs_size(source, design)
    if kind is DesignKind.SOBOL:
        return "design.samples", checks.sobol_size(source, design, num_vars)
    return "design.trajectories", checks.morris_size(source, design, num_vars)


def _sample(kind: DesignKind, problem: dict, design: dict, seed: int) -> np.ndarray:
    from SALib.sample import latin, morris, sobol  # noqa: PLC0415 - heavy, only for these designs

    if kind is DesignKind.LHS:
        return latin.sample(problem, design["samples"], seed=seed)
    if kind is DesignKind.SOBOL:
        return sobol.sample(
            problem,
            design["samples"],
            calc_second_order=design.get("second_order", False),
            seed=seed,
        )
    return morris.sample(
        problem, design["trajectories"], num_levels=design.get("levels", 4), seed=seed
    )


def _typed_row(problem: dict, row: np.ndarray) -> dict[str, Any]:
    """Sample values as the parameters' types (integers are rounded)."""
    specs = param_specs()
    out: dict[str, Any] = {}
    for name, value in zip(problem["names"], row, strict=True):
        out[name] = round(float(value)) if specs[name].kind is int else float(value)
    return out


@functools.cache
def _preset_economy_seed(name: str) -> int:
    return preset(name).world.economy_seed


def _economy_seed(preset_name: str, overrides: dict[str, Any]) -> int:
    """Return the economy seed of a run: overridden by name, else the preset's."""
    for name, value in overrides.items():
        if name.split(".", 1)[-1] == "economy_seed":
            return int(value)
    return _preset_economy_seed(preset_name)


def base_params(spec: RunSpec) -> ModelParams:
    """Parameters of one run (its extensions' parameters may be set by name)."""
    with extension_params(spec.extensions):
        return preset(spec.preset, **spec.overrides)
