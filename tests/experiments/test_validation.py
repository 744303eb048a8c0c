"""Validation: thresholds in code == docs, preset options, run material, a small ensemble."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.cli import EXIT_BAD_INPUT, main
from clusterlab.experiments.validate import (
    DEVELOPMENT_SEEDS,
    parse_presets,
    run_validation,
    validation_seeds,
)
from clusterlab.experiments.validation import (
    PATTERNS,
    THRESHOLDS,
    check_dose_response,
    specialisation_transitions,
    verdict_of,
)
from clusterlab.experiments.validation_report import THRESHOLDS_HEADING, thresholds_markdown
from clusterlab.experiments.validation_runs import ValidationRun, validation_run
from clusterlab.model.errors import ParameterError
from clusterlab.model.presets import PRESETS

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation.md"
VERDICTS = {"reproduced", "partly reproduced", "not reproduced"}
ROW = re.compile(r"^\| ([^|]+) \| (\w+) \| (in \[(\S+), (\S+)\]|(>=|<=|>|<) (\S+)) \| [^|]* \|$")


def _parse_thresholds(text: str) -> set[tuple]:
    """(pattern, figure, op, bound) of every row of the thresholds table in ``text``."""
    section = text.split(THRESHOLDS_HEADING + "\n", 1)[1].split("\n## ", 1)[0]
    rows = set()
    for line in section.splitlines():
        m = ROW.match(line)
        if m is None:
            continue
        pattern, figure, _, low, high, op, bound = m.groups()
        if low is not None:
            rows.add((pattern, figure, "in", (float(low), float(high))))
        else:
            rows.add((pattern, figure, op, float(bound)))
    return rows


def _code_thresholds() -> set[tuple]:
    return {
        (PATTERNS[key], c.figure, c.op, tuple(map(float, c.bound)) if c.op == "in" else c.bound)
        for key, criteria in THRESHOLDS.items()
        for c in criteria
    }


def test_thresholds_table_in_the_docs_is_the_one_in_the_code():
    docs = _parse_thresholds(DOC.read_text())
    assert docs == _code_thresholds(), (
        "docs/validation.md's thresholds differ from clusterlab.experiments.validation.THRESHOLDS: "
        f"only in docs {docs - _code_thresholds()}, only in code {_code_thresholds() - docs}"
    )


def test_the_writer_prints_every_threshold_and_the_parser_reads_them_back():
    assert _parse_thresholds(thresholds_markdown()) == _code_thresholds()
    assert len(_code_thresholds()) == sum(len(c) for c in THRESHOLDS.values())


def test_parse_presets_all_means_every_policy_preset():
    names = parse_presets("all")
    assert names == [n for n in PRESETS if n != "marche_teaching"]
    assert "baseline" in names
    assert parse_presets(" mission, baseline ,mission") == ["mission", "baseline"]


@pytest.mark.parametrize(
    ("text", "match"),
    [("basline", r"Unknown preset 'basline'.*baseline"), (" , ", "--presets is empty")],
)
def test_parse_presets_refuses_unknown_names(text, match):
    with pytest.raises(ParameterError, match=match):
        parse_presets(text)


def test_cli_unknown_preset_is_one_error_line(capsys, tmp_path):
    argv = ["validate", "--presets", "baseline,nope", "--out", str(tmp_path)]
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("clusterlab: error: Unknown preset 'nope' in --presets.")
    assert not any(tmp_path.iterdir())  # refused before running anything


def test_validation_seeds_are_fixed_and_never_development_seeds():
    seeds = validation_seeds(50)
    assert seeds == validation_seeds(50)
    assert seeds[:3] == validation_seeds(3)
    assert not DEVELOPMENT_SEEDS & set(seeds)


def test_verdict_of_counts_criteria():
    assert verdict_of({"a": True, "b": True}) == "reproduced"
    assert verdict_of({"a": True, "b": False}) == "partly reproduced"
    assert verdict_of({"a": False}) == "not reproduced"


@pytest.mark.parametrize(
    ("means", "shape"),
    [
        ([10, 20, 30], "increasing"),
        ([30, 20, 10], "decreasing"),
        ([10, 40, 12], "inverted U"),
        ([10, 10.5, 10.2], "flat or noisy"),
    ],
)
def test_dose_response_shape(means, shape):
    rows = [
        {"level": lv, "radical": m + e}
        for lv, m in zip((0.0, 0.5, 1.0), means, strict=True)
        for e in (-0.5, 0.0, 0.5)
    ]
    assert check_dose_response(pd.DataFrame(rows)).verdict == f"reported: {shape}"


def _run_with_panel(panel: np.ndarray) -> ValidationRun:
    p = panel.shape[2]
    phi = np.ones((p, p)) - np.eye(p)
    empty, none = pd.DataFrame(), np.zeros(0)
    pairs = np.zeros((0, 2))
    return ValidationRun(0, "baseline", {}, panel, phi, none, none, pairs, pairs, 0, empty, empty)


def test_specialisation_transitions_finds_an_entry_over_one_period():
    # 2 regions x 3 industries; region 0 moves into industry 1 between t = 0 and t = 5:
    # later RCA(0, 1) = (10 / 20) / (20 / 40) = 1, a tie, which counts as specialised.
    start = np.array([[10.0, 0.0, 0.0], [0.0, 10.0, 10.0]])
    later = np.array([[10.0, 10.0, 0.0], [0.0, 10.0, 10.0]])
    panel = np.stack([start] * 5 + [later] * 2)  # steps 0..6: one full 5-year period
    obs = specialisation_transitions([_run_with_panel(panel)])
    assert len(obs) == 6  # one period x 2 regions x 3 industries
    row = obs[(obs["region_id"] == 0) & (obs["industry"] == 1)].iloc[0]
    assert not row["m0"]
    assert row["m1"]
    # at t = 0: region 0 in industry 0 (RCA 3), region 1 in industries 1 and 2 (RCA 1.5)
    assert obs["m0"].sum() == 3


def test_validation_run_collects_groups_establishments_and_growth():
    run = validation_run(seed=5, steps=6, overrides={"n_firms": 150}, preset_name="mission")
    assert run.preset == "mission"
    assert run.panel.shape[0] == 7  # step 0 plus 6 years
    # every employee of an establishment belongs to exactly one group
    assert run.group_sizes.sum() == pytest.approx(run.establishment_sizes.sum())
    assert run.group_sizes.size <= run.establishment_sizes.size
    assert (run.group_sizes > 0).all()
    assert run.group_growth.shape[1] == 2
    assert (run.group_growth[:, 0] >= 1).all()
    assert np.isfinite(run.group_growth).all()
    assert run.edges.shape[1] == 2
    assert run.economy["economy"] == "generic"


@pytest.fixture(scope="module")
def small_validation(tmp_path_factory) -> tuple[dict, Path]:
    doc = tmp_path_factory.mktemp("validation") / "validation.md"
    checks = run_validation(
        2, 15, doc, None, {"n_firms": 200}, dose_replicates=1, presets=["baseline", "mission"]
    )
    return checks, doc


def test_small_ensemble_writes_a_verdict_per_pattern_and_preset(small_validation):
    checks, doc = small_validation
    text = doc.read_text()
    assert set(checks) == {*PATTERNS, "dose"}
    for key in PATTERNS:
        assert set(checks[key]) == {"baseline", "mission"}
        for check in checks[key].values():
            assert check.verdict in VERDICTS
            assert set(check.criteria.values()) <= {True, False}
            assert len(check.criteria) == len(THRESHOLDS[key])
        assert f"## {PATTERNS[key]}" in text
    assert thresholds_markdown() in text
    assert _parse_thresholds(text) == _code_thresholds()
    assert "ClusterLab commit" in text
    assert (doc.parent / "validation" / "sizes.png").stat().st_size > 1000


def test_small_ensemble_gives_intervals_across_replicates(small_validation):
    checks, _ = small_validation
    growth = checks["growth"]["baseline"]
    mean, low, high = growth.intervals["excess_kurtosis"]
    assert low <= mean <= high
    assert growth.figures["growth_n"] > 0
