"""The yearly schedule (model/schedule.py): its declarations are true.

- the numbered list of the module docstring, and each agent class's list of what it does,
  match ``YEARLY_SCHEDULE``;
- every stage changes only what its ``writes`` names: each stage of a year is run on a
  world after a few years (``ClusterModel.trace_year``), and every table column, world
  array, event kind and field of the year is compared before and after it;
- the tracer (model/trace.py) counts what a stage changed, and tracing a year does not
  change the run.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterlab.model import ClusterModel, schedule
from clusterlab.model.agents import ClusterOrganization, Firm, University
from clusterlab.model.presets import preset
from clusterlab.model.schedule import ACTORS, YEARLY_SCHEDULE, Stage, Year, stages_of
from clusterlab.model.trace import compare, snapshot, trace_table

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
    for _ in range(8):
        for change in model.trace_year():
            assert change.undeclared == (), change.stage
            seen[change.stage] |= change.names
    assert seen["market"] >= {"firms.cash", "firms.employees", "year.demand"}
    assert seen["entry"] >= {"firms", "events.birth", "year.born"}
    if name == "baseline_founding":  # the declarations of a founding were exercised
        assert seen["cluster_founding"] >= {"orgs", "firms.cluster", "year.founded"}
    if name == "ris3_call":  # a call funds part of an SME's grant: its R&D budget shrinks
        assert "firms.rd_budget" in seen["policy"]
    if extensions:
        assert seen["innovation_vouchers"] >= {"firms.knowledge", "year.extra_spend"}
        assert seen["rd_cuts"] >= {"firms.rd_budget", "year.records"}


def test_the_tracer_counts_the_rows_a_stage_changed_and_added():
    model = ClusterModel(params=preset("baseline", n_firms=120, burn_in=1), rng=3)
    ws, year = model.state, Year()
    rows = np.flatnonzero(ws.firms.alive)[:3]

    def pay(ws, params, rng, year):  # three firms are paid 1 M€; the year learns the demand
        ws.firms.cash[rows] += 1.0
        year.demand = np.ones(2)

    stage = Stage("pay", ("firm",), pay, (), ("firms.cash",), "market", "")
    before = snapshot(ws, year)
    pay(ws, None, None, year)
    change = compare(stage, before, snapshot(ws, year))
    assert change.changed == {"firms.cash": 3, "year.demand": 1}
    assert change.added == {}
    assert change.undeclared == ("year.demand",)  # not in the stage's writes
    assert "UNDECLARED: year.demand" in trace_table([change])


def test_tracing_a_year_runs_the_same_year_as_step():
    params = preset("baseline", n_firms=200, burn_in=2)
    stepped, traced = ClusterModel(params=params, rng=9), ClusterModel(params=params, rng=9)
    for _ in range(3):
        stepped.step()
    stepped.step()
    for _ in range(3):
        traced.step()
    changes = traced.trace_year()
    assert [c.stage for c in changes] == [s.name for s in traced.schedule]
    assert any(c.added.get("firms", 0) for c in changes)  # the year had entrants
    assert pd.DataFrame(stepped.recorder.rows).equals(pd.DataFrame(traced.recorder.rows))
    assert np.array_equal(stepped.state.firms.cash, traced.state.firms.cash)
    assert traced.steps == stepped.steps == 4  # Mesa's step counter too


def test_the_tracer_example_runs():
    import doctest

    from clusterlab.model import trace

    assert doctest.testmod(trace, raise_on_error=True).attempted >= 4


def test_the_tracer_sees_new_event_kinds_and_changes_inside_year_fields():
    model = ClusterModel(params=preset("baseline", n_firms=120, burn_in=1), rng=3)
    ws, year = model.state, Year()
    model.state.step += 1
    stage = YEARLY_SCHEDULE[0]  # rd_budgets: sets year.sme
    stage.run(ws, model.params, model.rng, year)

    def poke(ws, params, rng, year):  # an extension's own events; year.sme changed in place
        ws.events.add("voucher", firm=np.arange(5))
        year.sme[:2] = ~year.sme[:2]

    before = snapshot(ws, year)
    poke(ws, None, None, year)
    change = compare(Stage("poke", ("firm",), poke, (), (), "x", ""), before, snapshot(ws, year))
    assert change.added == {"events.voucher": 5}
    assert change.changed == {"year.sme": 2}
    assert set(change.undeclared) == {"events.voucher", "year.sme"}
