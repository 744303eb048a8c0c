"""The yearly schedule (model/schedule.py): its declarations are true.

- the numbered list of the module docstring, and each agent class's list of what it does,
  match ``YEARLY_SCHEDULE``;
- every stage changes only what its ``writes`` names: each stage of a year is run on a
  world after a few years, and every table column, world array, event kind and field of
  the year is compared before and after it.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import numpy as np
import pytest

from clusterlab.model import ClusterModel, schedule
from clusterlab.model.agents import ClusterOrganization, Firm, University
from clusterlab.model.presets import preset
from clusterlab.model.schedule import ACTORS, YEARLY_SCHEDULE, Stage, Year, stages_of

TABLES = ("firms", "links", "unis", "orgs")
ARRAYS = ("final_demand", "coefficients", "last_combined", "region_last_combined", "ratio",
          "spend", "target_fields")  # fmt: skip
EVENT_KINDS = ("innovation", "birth", "death", "link")
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_the_module_docstring_lists_the_schedule_in_order():
    listed = re.findall(r"^(\d+)\.\s+(\w+)\s", schedule.__doc__, flags=re.MULTILINE)
    assert [int(n) for n, _ in listed] == list(range(1, len(YEARLY_SCHEDULE) + 1))
    assert [name for _, name in listed] == [s.name for s in YEARLY_SCHEDULE]


def test_docs_extending_tables_the_schedule_as_it_is():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "extending.md").read_text()
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| ([\w ,]+) \| `model/(\w+)\.py` \| (.*) \|$",
                      doc, flags=re.MULTILINE)  # fmt: skip
    assert [int(r[0]) for r in rows] == list(range(1, len(YEARLY_SCHEDULE) + 1))
    for (_, name, actors, module, writes), stage in zip(rows, YEARLY_SCHEDULE, strict=True):
        assert (name, tuple(actors.split(", ")), module) == (stage.name, stage.actors, stage.module)
        assert re.findall(r"`([\w.]+)`", writes) == list(stage.writes)


def test_stage_names_are_unique_and_modules_exist():
    names = [s.name for s in YEARLY_SCHEDULE]
    assert len(set(names)) == len(names)
    for stage in YEARLY_SCHEDULE:
        assert set(stage.actors) <= set(ACTORS)
        assert importlib.import_module(f"clusterlab.model.{stage.module}")


@pytest.mark.parametrize("agent", [Firm, University, ClusterOrganization])
def test_each_agent_class_declares_the_stages_it_acts_in(agent):
    assert agent.stages == stages_of(agent.actor)
    assert agent.stages  # every agent type does something
    listed = re.findall(r"^\s+- ``(\w+)``:", agent.__doc__, flags=re.MULTILINE)
    assert listed == [s.name for s in agent.stages]


def test_every_stage_has_an_actor_and_the_actors_cover_the_schedule():
    acting = {s.name for a in ACTORS for s in stages_of(a)}
    assert acting == {s.name for s in YEARLY_SCHEDULE}


def test_a_stage_rejects_an_unknown_actor():
    with pytest.raises(ValueError, match="actors must be among"):
        Stage("x", ("household",), lambda *a: None, (), (), "market", "")


def _event_rows(ws) -> dict[str, int]:
    out = {}
    for kind in EVENT_KINDS:
        columns = ws.events.columns(kind)
        out[f"events.{kind}"] = len(next(iter(columns.values()))) if columns else 0
    return out


def _snapshot(ws, year: Year) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in TABLES:
        table = getattr(ws, name)
        for f in dataclasses.fields(table):
            out[f"{name}.{f.name}"] = getattr(table, f.name).copy()
    out |= {name: np.array(getattr(ws, name), copy=True) for name in ARRAYS}
    out |= {"firm_ids_issued": ws.firm_ids_issued, "step": ws.step, "policy_on": ws.policy_on}
    out |= _event_rows(ws)
    for f in dataclasses.fields(year):
        value = getattr(year, f.name)
        out[f"year.{f.name}"] = value.copy() if isinstance(value, dict | list) else value
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a is b or a == b


def _changes(before: dict, after: dict) -> set[str]:
    """What changed: a column's name when rows it had changed, its table's when rows came."""
    out = set()
    for key, old in before.items():
        new = after[key]
        if _same(old, new):
            continue
        grew = key.split(".")[0] in TABLES and len(new) > len(old)
        if grew:
            out.add(key.split(".")[0])  # rows added
        if not grew or not _same(old, new[: len(old)]):
            out.add(key)
    return out


def _undeclared(stage: Stage, before: dict, after: dict) -> set[str]:
    """Changes not in ``writes``; ``"firms"`` there means rows added, not old rows changed."""
    return _changes(before, after) - set(stage.writes)


WORLDS = {
    "baseline": {},
    # a budget the call exhausts (2 M€ funded every claim in full after the relatedness change)
    "ris3_call": {"allocation": "call", "policy_budget": 1.0, "sme_rd_grant": 0.5},
    "baseline_founding": {"cluster_founding_mass": 2},
    "governance_missing_link": {"subsidy_targeting": "missing_link"},
    "governance_extended": {},  # with the extensions of docs/examples
}


@pytest.mark.parametrize("name", list(WORLDS))
def test_every_stage_changes_only_what_it_declares(name, monkeypatch):
    preset_name = "ris3_relatedness" if name == "ris3_call" else name.split("_", 1)[0]
    extensions = []
    if name.endswith("extended"):
        monkeypatch.syspath_prepend(str(EXAMPLES))
        extensions = ["innovation_voucher:INNOVATION_VOUCHER", "rd_cuts:RD_CUTS"]
    model = ClusterModel(params=preset(preset_name, n_firms=200, burn_in=3), rng=4,
                         extensions=extensions, **WORLDS[name])  # fmt: skip
    seen: dict[str, set[str]] = {s.name: set() for s in model.schedule}
    ws = model.state
    for _ in range(8):
        ws.step += 1
        ws.compact()
        year = Year(settings=model.extension_params)
        for stage in model.schedule:
            before = _snapshot(ws, year)
            stage.run(ws, model.params, model.rng, year)
            after = _snapshot(ws, year)
            assert _undeclared(stage, before, after) == set(), stage.name
            seen[stage.name] |= _changes(before, after)
        model._sync_firm_agents(year.dead, np.concatenate(year.born))
        model._add_org_agents(year.founded)
    assert seen["market"] >= {"firms.cash", "firms.employees", "year.demand"}
    assert seen["entry"] >= {"firms", "events.birth", "year.born"}
    if name == "baseline_founding":  # the declarations of a founding were exercised
        assert seen["cluster_founding"] >= {"orgs", "firms.cluster", "year.founded"}
    if name == "ris3_call":  # a call funds part of an SME's grant: its R&D budget shrinks
        assert "firms.rd_budget" in seen["policy"]
    if extensions:
        assert seen["innovation_vouchers"] >= {"firms.knowledge", "year.extra_spend"}
        assert seen["rd_cuts"] >= {"firms.rd_budget", "year.records"}
