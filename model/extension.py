"""Extensions: new stages of the yearly schedule, with their own parameters.

An :class:`Extension` is a value a researcher defines in their own module and hands to one
model (``ClusterModel(..., extensions=[...])``, ``simulate(..., extensions=[...])``); there
is no global registry, so it changes no other model in the process. It names the stage of
the schedule after which its own stages run (``after``) and declares its parameters like
the built-in ones (:class:`ExtensionParam`: default, range, unit, meaning), validated by
the same checks. ``docs/extending.md`` walks through an example.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from clusterlab.model.errors import ParameterError
from clusterlab.model.params import (
    EXTENSION_GROUP,
    ParamSpec,
    _check_value,
    param_specs,
    suggest,
    with_specs,
)
from clusterlab.model.schedule import Stage

__all__ = [
    "REFERENCE",
    "Extension",
    "ExtensionParam",
    "configured",
    "extension_params",
    "resolve_extensions",
    "schedule_with",
]

REFERENCE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")
"""An extension named by reference: ``package.module:object`` (absolute module path)."""


@dataclass(frozen=True, slots=True)
class ExtensionParam:
    """One parameter of an extension: as the built-in ones (``model/params.py``)."""

    name: str
    default: float | int
    low: float
    high: float
    unit: str
    doc: str

    def __post_init__(self) -> None:
        """Refuse an integer default on a range of numbers: the type would be ambiguous.

        The parameter's type is its default's: ``0`` with bounds ``0.0, 1.0`` would make
        an integer parameter whose sampled values (LHS, Sobol', Morris) are rounded.
        """
        whole = isinstance(self.default, int) and not isinstance(self.default, bool)
        if whole and not all(float(b).is_integer() for b in (self.low, self.high)):
            raise ValueError(
                f"ExtensionParam '{self.name}': an integer default ({self.default}) makes an "
                f"integer parameter, but its range [{self.low}, {self.high}] is not whole; "
                f"give a float default ({float(self.default)}) for a number."
            )

    def spec(self, extension: str) -> ParamSpec:
        """Return the parameter as a :class:`~clusterlab.model.params.ParamSpec`."""
        return ParamSpec(
            name=self.name,
            group=f"{EXTENSION_GROUP}{extension}",
            owner=f"extension '{extension}'",
            kind=type(self.default),
            default=self.default,
            low=self.low,
            high=self.high,
            choices=None,
            unit=self.unit,
            doc=self.doc,
        )


@dataclass(frozen=True, slots=True)
class Extension:
    """Stages added to the yearly schedule, right after the stage named ``after``.

    Attributes
    ----------
    name : str
        Names the extension in errors and results.
    after : str
        A stage of the schedule (built-in, or of an extension listed before this one).
    stages : tuple of Stage
        Run in order after ``after``.
    params : tuple of ExtensionParam
        Parameters the stages read from ``year.settings[name]``.
    values : mapping
        Parameter values set with :meth:`configure` (others keep their default).
    """

    name: str
    after: str
    stages: tuple[Stage, ...]
    params: tuple[ExtensionParam, ...] = ()
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def configure(self, **values: Any) -> Extension:
        """Return a copy with parameter values set by name, each checked against its range.

        Raises
        ------
        ParameterError
            For a name the extension does not declare or a value out of its range.
        """
        known = {p.name: p for p in self.params}
        checked = dict(self.values)
        for name, value in values.items():
            if name not in known:
                raise ParameterError(
                    f"Unknown parameter '{name}' of extension '{self.name}'."
                    f"{suggest(name, list(known))} Its parameters: {sorted(known)}."
                )
            checked[name] = _check_value(known[name].spec(self.name), value)
        return replace(self, values=MappingProxyType(checked))

    def settings(self) -> dict[str, Any]:
        """Every parameter's value: the default unless configured."""
        return {p.name: self.values.get(p.name, p.default) for p in self.params}


def resolve_extensions(extensions: Iterable[Extension | str]) -> tuple[Extension, ...]:
    """Extensions given as objects or as ``"package.module:object"`` references.

    A reference is imported (so a worker process can rebuild an extension from its name)
    and must name an :class:`Extension`.
    """
    out = []
    for ext in extensions:
        if isinstance(ext, str):
            if not REFERENCE.fullmatch(ext):
                raise ParameterError(
                    f"An extension reference must read 'package.module:object'. Got {ext!r}."
                )
            module, _, attr = ext.partition(":")
            ext = getattr(importlib.import_module(module), attr)  # noqa: PLW2901
        if not isinstance(ext, Extension):
            raise ParameterError(f"Not an Extension: {ext!r}.")
        out.append(ext)
    return tuple(out)


def _check_names(extensions: tuple[Extension, ...], schedule: tuple[Stage, ...]) -> None:
    """Reject repeated extension, stage or parameter names, and clashes with built-ins."""
    seen_ext: set[str] = set()
    stages = {s.name for s in schedule}
    params = {n for n, spec in param_specs().items() if not spec.group.startswith(EXTENSION_GROUP)}
    for ext in extensions:
        if ext.name in seen_ext:
            raise ParameterError(f"Extension '{ext.name}' is given twice.")
        seen_ext.add(ext.name)
        for stage in ext.stages:
            if stage.name in stages:
                raise ParameterError(
                    f"Stage '{stage.name}' of extension '{ext.name}' is already in the schedule."
                )
            stages.add(stage.name)
        for p in ext.params:
            if p.name in params:
                raise ParameterError(
                    f"Parameter '{p.name}' of extension '{ext.name}' is already a parameter."
                )
            params.add(p.name)


def schedule_with(
    schedule: tuple[Stage, ...], extensions: tuple[Extension, ...]
) -> tuple[tuple[Stage, ...], dict[str, Any]]:
    """Insert each extension's stages in the schedule; gather their parameter values.

    Extensions are placed in the order given; each right after its ``after`` stage (after
    any stage an earlier extension put there).

    Raises
    ------
    ParameterError
        If ``after`` names no stage, or names (extensions, stages, parameters) repeat.
    """
    _check_names(extensions, schedule)
    out = list(schedule)
    settings: dict[str, Any] = {}
    added: set[str] = set()
    for ext in extensions:
        names = [s.name for s in out]
        if ext.after not in names:
            raise ParameterError(
                f"Extension '{ext.name}' is placed after '{ext.after}', which is not a stage."
                f"{suggest(ext.after, names)}"
            )
        at = names.index(ext.after) + 1
        while at < len(out) and out[at].name in added:
            at += 1
        out[at:at] = ext.stages
        added |= {s.name for s in ext.stages}
        settings |= ext.settings()
    return tuple(out), settings


def extension_params(extensions: Iterable[Extension | str]) -> AbstractContextManager[None]:
    """Accept the extensions' parameters by name inside the block, as built-in ones.

    ``with extension_params([VOUCHER]): params = preset("baseline", voucher_amount=0.02)``
    (also how an experiment's ``[design]`` sweeps them, and ``clusterlab run --extension
    REF --set name=value``); the values go to ``params.extension`` and the model hands
    them to their extension (:func:`configured`).

    Raises
    ------
    ParameterError
        If two extensions, or an extension and the model, name a parameter alike.
    """
    resolved = resolve_extensions(extensions)
    _check_names(resolved, ())
    return with_specs({p.name: p.spec(ext.name) for ext in resolved for p in ext.params})


def configured(
    extensions: tuple[Extension, ...], values: Iterable[tuple[str, Any]]
) -> tuple[Extension, ...]:
    """Return the extensions with the parameter values set by name (``params.extension``).

    Raises
    ------
    ParameterError
        For a value of a parameter none of the extensions declares.
    """
    values = dict(values)
    out = []
    for ext in extensions:
        own = {p.name: values.pop(p.name) for p in ext.params if p.name in values}
        for name, value in own.items():
            if name in ext.values and ext.values[name] != value:
                raise ParameterError(
                    f"The '{name}' parameter of extension '{ext.name}' is set twice: "
                    f"{ext.values[name]!r} by configure() and {value!r} by name. Set it once."
                )
        out.append(ext.configure(**own) if own else ext)
    if values:
        names = sorted(values)
        raise ParameterError(
            f"Parameter(s) {names} belong to no extension of this model; give the extension "
            "that declares them (extensions=[...], or --extension on the command line)."
        )
    return tuple(out)
