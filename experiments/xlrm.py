"""XLRM experiments: policies built from levers, crossed with a sample of uncertain worlds.

The XLRM frame of robust decision making (Lempert, Popper & Bankes 2003, *Shaping the
Next One Hundred Years*, RAND MR-1626) separates what a policy lab controls, the levers
(L), from what nobody knows well, the uncertainties (X), and judges each policy by its
outcomes (M) across many plausible worlds rather than in one best guess. An experiment
file declares::

    [levers]                      # policy parameters
    cross_cluster_subsidy = [0.0, 0.5]                          # values to choose from
    university_link_subsidy = { low = 0.0, high = 1.0, levels = 3 }  # evenly spaced values

    [uncertainties]               # model parameters nobody knows well
    interaction_rate = [0.05, 0.3]                 # a range, sampled uniformly
    economy_seed = [0, 999]                        # the world itself (integers rounded)
    economy = { values = ["generic", "marche"] }   # a list, sampled uniformly

    [design]
    type = "xlrm"
    worlds = 32          # uncertain worlds sampled ...
    sampler = "lhs"      # ... by Latin hypercube (or "sobol": scrambled Sobol' points)
    # policies: the full factorial of the lever values, or named ones:
    [[design.policies]]
    name = "cross-cluster"
    set = { cross_cluster_subsidy = 0.5 }

    [satisficing]        # optional thresholds of the robustness report
    radical_innovations = ">= 250"

Every policy runs in every world (design point = policy-major, world-minor) with the
experiment's replicates; run rows carry ``policy`` and ``world`` columns. With common
random numbers (the default) replicate k of every point shares its seed, so policies are
compared in identical worlds. The worlds come from :mod:`scipy.stats.qmc`, seeded by the
experiment's seed.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np

from clusterlab.experiments import design_checks as checks
from clusterlab.experiments.design import DESIGN_KEYS, DesignKind, DesignPoint
from clusterlab.model.params import ParamSpec, param_specs, suggest

__all__ = ["SAMPLERS", "parse_criterion", "parse_satisfice", "xlrm_design"]

SAMPLERS = ("lhs", "sobol")
MAX_LEVELS = 100
"""Most values one lever may offer (a factorial design multiplies them)."""
CRITERION = re.compile(r"\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*")
"""A satisficing threshold: an operator and a number, e.g. ">= 30"."""


def xlrm_design(
    source: str, base: str, fixed: dict, data: dict, seed: int
) -> tuple[DesignKind, list[DesignPoint], dict[str, Any], None]:
    """Build the points of an ``xlrm`` design: every policy in every sampled world.

    Returns the kind, the points, the design's description (stored in the manifest as
    ``problem``: levers, uncertainties, policies, worlds, sampler, satisficing) and no
    sample matrix (the world values are columns of the design table).

    Raises
    ------
    ExperimentError
        One line naming the key and the fix: a misspelled parameter, a parameter both a
        lever and an uncertainty (or also in ``[fixed]``), a range outside the parameter's
        range, a policy setting an undeclared lever, a bad sampler or threshold.
    """
    design = data["design"]
    checks.check_keys(source, "design.", design, DESIGN_KEYS[DesignKind.XLRM])
    if "economies" in data:
        raise checks.error_at(
            source,
            "economies",
            "does not combine with an xlrm design; declare economy_seed "
            "= [low, high] in [uncertainties] instead.",
        )
    levers = _levers(source, base, fixed, data.get("levers", {}))
    uncertainties = _uncertainties(source, base, fixed, levers, data.get("uncertainties", {}))
    policies = _policies(source, base, fixed, levers, design.get("policies"))
    worlds, sampler = _world_count(source, design)
    replicates = data.get("replicates", 10)
    checks.check_size(source, "design.worlds", len(policies) * worlds, replicates)
    world_values = _sample_worlds(uncertainties, worlds, sampler, seed)
    satisficing = checked_satisficing(source, data.get("satisficing", {}))
    points = []
    for (name, policy), (w, world) in itertools.product(policies, enumerate(world_values)):
        overrides = {**policy, **world}
        checks.validated_overrides(source, "design", base, {**fixed, **overrides})
        tags = (("policy", name), ("world", w))
        points.append(DesignPoint(len(points), name, base, overrides, tags))
    problem = {
        "levers": levers,
        "uncertainties": uncertainties,
        "names": list(uncertainties),
        "policies": dict(policies),
        "worlds": worlds,
        "sampler": sampler,
        "satisficing": satisficing,
    }
    return DesignKind.XLRM, points, problem, None


# --- levers and policies ----------------------------------------------------------------


def _spec(source: str, where: str, name: Any) -> ParamSpec:
    specs = param_specs()
    bare = str(name).split(".", 1)[-1]
    if bare not in specs:
        raise checks.error_at(
            source,
            f"{where}.{name}",
            f"is not a parameter.{suggest(bare, list(specs))} "
            "Run 'clusterlab params' to list them.",
        )
    return specs[bare]


def _levers(source: str, base: str, fixed: dict, table: dict) -> dict[str, list]:
    """Return each lever's values (a list, or evenly spaced levels of a range)."""
    if not table:
        raise checks.error_at(
            source,
            "levers",
            "must declare at least one policy lever, e.g. [levers] "
            "cross_cluster_subsidy = [0.0, 0.5].",
        )
    out: dict[str, list] = {}
    for name, given in table.items():
        key = f"levers.{name}"
        spec = _spec(source, "levers", name)
        if name in fixed:
            raise checks.error_at(source, key, "is also in [fixed]; remove it from one of them.")
        if isinstance(given, dict):
            values = _levels(source, key, spec, given)
        elif isinstance(given, list) and given:
            values = list(given)
        else:
            raise checks.error_at(
                source,
                key,
                "must be a list of values or { low = .., high = .., levels = .. }. "
                f"Got {checks.shown(given)}.",
            )
        if len(values) > MAX_LEVELS:
            raise checks.error_at(source, key, f"may offer at most {MAX_LEVELS} values.")
        checks.check_grid_values(source, base, fixed, name, values)
        out[name] = values
    return out


def _levels(source: str, key: str, spec: Any, given: dict) -> list:
    checks.check_keys(source, f"{key}.", given, {"low": object, "high": object, "levels": int})
    pair = [given.get("low"), given.get("high")]
    low, high = checks.validated_bounds(source, spec, pair, "levers")
    levels = given.get("levels", 3)
    if not 2 <= levels <= MAX_LEVELS:
        raise checks.error_at(
            source, f"{key}.levels", f"must be an integer in [2, {MAX_LEVELS}]. Got {levels}."
        )
    values = np.linspace(low, high, levels)
    if spec.kind is int:
        return sorted({round(float(v)) for v in values})
    return [float(v) for v in values]


POLICY_KEYS = {"name": str, "set": dict}


def _policies(
    source: str, base: str, fixed: dict, levers: dict[str, list], given: list | None
) -> list[tuple[str, dict[str, Any]]]:
    """Named policies, or the full factorial of the lever values (named like grid points)."""
    if given is None:
        # Counted before any is built: ten levers of 100 values would be 10^20 policies.
        checks.check_size(source, "levers", math.prod(len(v) for v in levers.values()), 1)
        combos = itertools.product(*levers.values())
        out = []
        for combo in combos:
            setting = dict(zip(levers, combo, strict=True))
            out.append((", ".join(f"{k}={v}" for k, v in setting.items()), setting))
        return out
    if not given:
        raise checks.error_at(source, "design.policies", "must list at least one policy.")
    out, seen = [], set()
    for i, policy in enumerate(given):
        where = f"design.policies[{i}]"
        if not isinstance(policy, dict):
            raise checks.error_at(
                source, where, f"must be a table with name and set. Got {checks.shown(policy)}."
            )
        checks.check_keys(source, f"{where}.", policy, POLICY_KEYS)
        name = checks.checked_scenario_name(source, where, {"name": policy.get("name")})
        if name in seen:
            raise checks.error_at(source, f"{where}.name", f"must be unique. Got {name!r} twice.")
        seen.add(name)
        setting = policy.get("set", {})
        for lever, value in setting.items():
            _check_policy_value(source, f"{where}.set.{lever}", levers, lever, value)
        checks.validated_overrides(source, where, base, {**fixed, **setting})
        out.append((name, dict(setting)))
    return out


def _check_policy_value(
    source: str, key: str, levers: dict[str, list], lever: str, value: Any
) -> None:
    if lever not in levers:
        raise checks.error_at(
            source,
            key,
            f"is not a declared lever.{suggest(lever, list(levers))} Declare it in "
            "[levers] or remove it.",
        )
    values = levers[lever]
    if value not in values:
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        inside = numeric and isinstance(value, int | float) and min(values) <= value <= max(values)
        if not inside:
            raise checks.error_at(
                source,
                key,
                f"must lie within the lever's declared values {checks.shown(values)}. "
                f"Got {checks.shown(value)}; widen [levers] or change the policy.",
            )


# --- uncertainties and worlds -----------------------------------------------------------


def _uncertainties(
    source: str, base: str, fixed: dict, levers: dict, table: dict
) -> dict[str, dict[str, Any]]:
    """Each uncertainty as {"range": [low, high]} or {"values": [...]}."""
    if not table:
        raise checks.error_at(
            source,
            "uncertainties",
            "must declare at least one uncertain parameter, e.g. "
            "[uncertainties] economy_seed = [0, 999].",
        )
    out: dict[str, dict[str, Any]] = {}
    for name, given in table.items():
        key = f"uncertainties.{name}"
        spec = _spec(source, "uncertainties", name)
        if name in levers or spec.name in {k.split(".", 1)[-1] for k in levers}:
            raise checks.error_at(
                source,
                key,
                "is declared both as a lever and as an uncertainty; a parameter is "
                "either chosen by the policy or unknown: remove it from one of them.",
            )
        if name in fixed:
            raise checks.error_at(source, key, "is also in [fixed]; remove it from one of them.")
        if isinstance(given, dict):
            checks.check_keys(source, f"{key}.", given, {"values": list})
            values = given.get("values", [])
            if not values:
                raise checks.error_at(source, f"{key}.values", "must list at least one value.")
            for value in values:
                checks.check_single_value(source, f"{key}.values", name, value)
                checks.validated_overrides(source, "uncertainties", base, {**fixed, name: value})
            out[name] = {"values": list(values)}
        else:
            if spec.choices is not None:
                raise checks.error_at(
                    source,
                    key,
                    f"is a choice; list its values: {name} = {{ values = {list(spec.choices)} }}.",
                )
            bounds = checks.validated_bounds(source, spec, given, "uncertainties")
            out[name] = {"range": bounds, "integer": spec.kind is int}
    return out


def _world_count(source: str, design: dict) -> tuple[int, str]:
    if "worlds" not in design:
        raise checks.error_at(
            source, "design.worlds", "is required: the number of worlds, e.g. 32."
        )
    worlds = checks.checked_int(source, "design.worlds", design["worlds"], 2, checks.MAX_POINTS)
    sampler = design.get("sampler", "lhs")
    if sampler not in SAMPLERS:
        raise checks.error_at(
            source,
            "design.sampler",
            f"must be one of {', '.join(SAMPLERS)}. Got "
            f"{checks.shown(sampler)}.{suggest(str(sampler), list(SAMPLERS))}",
        )
    if sampler == "sobol" and worlds & (worlds - 1):
        raise checks.error_at(
            source,
            "design.worlds",
            f'must be a power of 2 with sampler = "sobol" (balance of '
            f"Sobol' points). Got {worlds}; use {1 << max(1, math.ceil(math.log2(worlds)))}.",
        )
    return worlds, sampler


def _sample_worlds(
    uncertainties: dict[str, dict[str, Any]], n: int, sampler: str, seed: int
) -> list[dict[str, Any]]:
    """Draw ``n`` worlds in the unit cube and map each coordinate to its uncertainty."""
    from scipy.stats import qmc  # noqa: PLC0415 - only for this design

    rng = np.random.default_rng(seed)
    d = len(uncertainties)
    engine = qmc.LatinHypercube(d, seed=rng) if sampler == "lhs" else qmc.Sobol(d, seed=rng)
    unit = engine.random(n)
    worlds = []
    for row in unit:
        world: dict[str, Any] = {}
        for u, (name, how) in zip(row, uncertainties.items(), strict=True):
            if "values" in how:
                world[name] = how["values"][
                    min(int(u * len(how["values"])), len(how["values"]) - 1)
                ]
            else:
                low, high = how["range"]
                value = low + float(u) * (high - low)
                world[name] = round(value) if how["integer"] else value
        worlds.append(world)
    return worlds


# --- satisficing ------------------------------------------------------------------------


def parse_criterion(text: Any) -> tuple[str, float] | None:
    """Return (operator, threshold) of a text like ">= 30", or None if it is not one."""
    match = CRITERION.fullmatch(text) if isinstance(text, str) else None
    return (match.group(1), float(match.group(2))) if match else None


def checked_satisficing(source: str, table: dict) -> dict[str, str]:
    """Return the satisficing thresholds of a file, each checked to read "OP NUMBER"."""
    for outcome, text in table.items():
        if parse_criterion(text) is None:
            raise checks.error_at(
                source,
                f"satisficing.{outcome}",
                "must be a text with an operator and a number, e.g. "
                f'">= 30" (operators >=, <=, >, <). Got {checks.shown(text)}.',
            )
    return {str(k): str(v) for k, v in table.items()}


def parse_satisfice(text: str) -> tuple[str, str]:
    """Split a command-line threshold "radical_innovations>=30" into (outcome, ">= 30").

    Raises
    ------
    ExperimentError
        If the text is not an outcome name, an operator and a number.
    """
    match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)" + CRITERION.pattern, text)
    if match is None:
        raise checks.ExperimentError(
            f"--satisfice takes OUTCOME>=VALUE (operators >=, <=, >, <), e.g. "
            f"radical_innovations>=250. Got {checks.shown(text)}."
        )
    return match.group(1), f"{match.group(2)} {match.group(3)}"
