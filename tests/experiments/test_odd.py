from pathlib import Path

import pytest

from clusterlab.experiments.odd import (
    BEGIN_MARKER,
    DEFAULT_ODD_PATH,
    END_MARKER,
    OddError,
    allowed_values,
    main,
    parameter_table_markdown,
    replace_table,
    table_in,
    update_odd,
)
from clusterlab.model.params import PolicyParams, param_specs
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate

ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"


def _section(text: str, heading: str) -> str:
    """Text of the level-2 section starting with ``heading`` (up to the next one)."""
    start = text.index(f"\n## {heading}")
    stop = text.find("\n## ", start + 1)
    return text[start : stop if stop >= 0 else None]


def _code_rows(section: str) -> dict[str, list[str]]:
    """Table rows of a section whose first cell is a `name`, keyed by that name."""
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells
    return rows


def test_default_path_is_the_repository_odd():
    assert DEFAULT_ODD_PATH == ODD


def test_odd_table_is_up_to_date():
    # Fails when a parameter changed without `python -m clusterlab.experiments.odd` being run.
    assert table_in(ODD.read_text(encoding="utf-8")) == parameter_table_markdown()


def test_every_parameter_has_one_row_in_the_odd():
    rows = table_in(ODD.read_text(encoding="utf-8")).splitlines()[2:]
    names = [row.split(" | ")[1].strip("`") for row in rows]
    assert sorted(names) == sorted(param_specs())


def test_rows_carry_group_default_range_unit_and_meaning():
    specs = param_specs()
    rows = parameter_table_markdown().splitlines()
    assert rows[0] == "| group | name | default | allowed | unit | meaning |"
    assert len(rows) == 2 + len(specs)
    cells = {row.split(" | ")[1].strip("`"): row.strip("| ").split(" | ") for row in rows[2:]}
    assert all(len(c) == 6 and all(c) for c in cells.values())
    assert cells["n_regions"] == [
        "world",
        "`n_regions`",
        str(specs["n_regions"].default),
        "integer in [1, 16]",
        "regions",
        specs["n_regions"].doc,
    ]
    assert cells["subsidy_targeting"][2:4] == ["`blanket`", "`blanket`, `missing_link`"]
    assert cells["cross_cluster_subsidy"][3] == "real in [0, 1]"


def test_replace_table_keeps_the_text_around_the_markers():
    text = f"intro\n{BEGIN_MARKER}\nold table\n{END_MARKER}\noutro\n"
    new = replace_table(text, "| a |")
    assert new == f"intro\n{BEGIN_MARKER}\n\n| a |\n\n{END_MARKER}\noutro\n"
    assert table_in(new) == "| a |"
    assert replace_table(new, "| a |") == new  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "no markers at all",
        f"{BEGIN_MARKER}\nonly the first",
        f"{END_MARKER}\n{BEGIN_MARKER}\nreversed",
    ],
)
def test_missing_or_misplaced_markers_are_an_error(text):
    with pytest.raises(OddError, match="must contain the line"):
        table_in(text)


def test_repeated_markers_are_an_error():
    text = f"{BEGIN_MARKER}\n{END_MARKER}\n{BEGIN_MARKER}\n{END_MARKER}\n"
    with pytest.raises(OddError, match="each parameter-table marker once"):
        replace_table(text, "x")


def test_update_odd_fills_the_table_then_leaves_the_file_alone(tmp_path):
    path = tmp_path / "ODD.md"
    path.write_text(f"# ODD\n\n{BEGIN_MARKER}\nstale\n{END_MARKER}\n", encoding="utf-8")
    assert update_odd(path) is True
    assert table_in(path.read_text(encoding="utf-8")) == parameter_table_markdown()
    assert update_odd(path) is False


def test_update_odd_reports_a_missing_file(tmp_path):
    with pytest.raises(OddError, match="Cannot read the ODD file"):
        update_odd(tmp_path / "absent.md")


def test_main_returns_2_on_bad_input(tmp_path):
    path = tmp_path / "ODD.md"
    path.write_text("no markers", encoding="utf-8")
    assert main([str(path)]) == 2
    assert main(["a.md", "b.md"]) == 2
    assert path.read_text(encoding="utf-8") == "no markers"


def test_policy_levers_section_states_each_lever_with_its_declared_unit_and_range():
    specs = param_specs()
    rows = _code_rows(_section(ODD.read_text(encoding="utf-8"), "8. Policy levers"))
    levers = [f.name for f in PolicyParams.__dataclass_fields__.values()]
    shock = ["shock_industry", "shock_year", "shock_size"]
    assert set(levers + shock) <= set(rows)
    for name in levers + shock:
        assert rows[name][1:3] == [specs[name].unit, allowed_values(specs[name])], name


def test_every_output_is_documented():
    # A tiny run yields every column and key the model records.
    result = simulate(preset("baseline", n_firms=60, burn_in=0), seed=1, steps=1)
    outputs = _section(ODD.read_text(encoding="utf-8"), "9. Outputs")
    names = [
        *result.timeseries.columns,
        *result.panel.columns,
        *result.clusters.columns,
        *result.summary,
        *result.events,
        *(column for table in result.events.values() for column in table.columns),
    ]
    missing = [name for name in names if f"`{name}`" not in outputs]
    assert not missing
