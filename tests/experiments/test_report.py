"""Tests of clusterlab.experiments.report on tiny real sweeps.

See and the figures of clusterlab.experiments.plots.

Each sweep is tiny (100-150 firms, 3-5 years, 4-8 runs) and runs once per module in this
process; tests that damage a results folder work on a copy.
"""

import base64
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments import cli, commands
from clusterlab.experiments.analysis import MAIN_OUTCOMES, mean_interval
from clusterlab.experiments.design import load_experiment, parse_experiment
from clusterlab.experiments.effects import EFFECT_OUTCOMES
from clusterlab.experiments.plots import plot_fan
from clusterlab.experiments.report import (
    Report,
    compare_report,
    headline_table,
    render_html,
    render_markdown,
)
from clusterlab.experiments.report_sensitivity import SENSITIVITY_OUTCOMES, sensitivity_report
from clusterlab.experiments.runner import run_experiment
from clusterlab.experiments.store import ResultStore, load_results

FILES = Path(__file__).parents[2] / "experiments" / "files"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_ROOT = "{http://www.w3.org/2000/svg}svg"

GRID_TOML = """\
name = "grid"
description = "Two subsidy levels, two replicates, three years of a 120-firm economy."
preset = "baseline"
steps = 3
replicates = 2
seed = 13
outputs = []

[fixed]
n_firms = 120

[design]
type = "grid"

[design.parameters]
cross_cluster_subsidy = [0.0, 1.0]
"""

MORRIS_TOML = """\
name = "morris_tiny"
preset = "baseline"
steps = 3
replicates = 1
seed = 3
outputs = []

[fixed]
n_firms = 100

[design]
type = "morris"
trajectories = 2
levels = 4
bounds = { cross_cluster_subsidy = [0.0, 1.0], university_link_subsidy = [0.0, 1.0], \
cluster_org_funding = [0.0, 1.0] }
"""
"""2 trajectories x (3 levers + 1) = 8 runs."""

BROKEN_TOML = """\
name = "broken"
description = "One scenario's runs raise (the failing_extension fixture)."
preset = "baseline"
steps = 3
replicates = 2
seed = 5
outputs = []
extensions = ["failing_extension:FAILING"]

[fixed]
n_firms = 120

[design]
type = "scenarios"

[[design.scenarios]]
preset = "baseline"

[[design.scenarios]]
name = "broken_shock"
set = { fail_now = 1.0 }

[[design.scenarios]]
preset = "ris3_relatedness"
"""
"""Both runs of broken_shock raise in their first year (the failing_extension fixture)."""

DEMO_TOML = """\
name = "demo_tiny"
preset = "baseline"
steps = 2
replicates = 2
seed = 1
outputs = []

[fixed]
n_firms = 100

[design]
type = "scenarios"

[[design.scenarios]]
preset = "baseline"

[[design.scenarios]]
preset = "ris3_relatedness"
"""


REGION_FIGURES = {"region_effects_net_specialisations", "region_effects_employment_growth"}
"""Heat maps of the per-region effects (experiments/region_effects.py)."""


# -- checks -------------------------------------------------------------------------------
def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    width, height = struct.unpack(">II", data[16:24])  # IHDR, the first chunk
    assert width > 100, path
    assert height > 100, path


def assert_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag == SVG_ROOT, path
    assert len(root) > 0, path


def assert_figures(folder: Path, names: set[str]) -> None:
    """Exactly these figures exist, each as a valid PNG and SVG."""
    assert {p.stem for p in folder.iterdir()} == names
    for name in names:
        assert_png(folder / f"{name}.png")
        assert_svg(folder / f"{name}.svg")


def assert_self_contained(html: str) -> list[str]:
    """No external resource; return the embedded images' data URIs."""
    for marker in ("http://", "https://", "<link", "<script", 'src="/', "url("):
        assert marker not in html, marker
    sources = [src for _, src in re.findall(r"""src=(['"])(.*?)\1""", html)]
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    return sources


def figure_links(markdown: str) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)


# -- fixtures -----------------------------------------------------------------------------
def _sweep(source: Path, out: Path) -> Path:
    run_experiment(load_experiment(source), out, executor=None, source=source)
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def smoke(workdir: Path) -> Path:
    """experiments/files/smoke.toml (2 scenarios x 2 replicates, time series) and its report."""
    out = _sweep(FILES / "smoke.toml", workdir / "smoke")
    compare_report(out)
    return out


@pytest.fixture(scope="module")
def grid(workdir: Path) -> Path:
    path = workdir / "grid.toml"
    path.write_text(GRID_TOML)
    out = _sweep(path, workdir / "grid")
    compare_report(out)
    return out


@pytest.fixture(scope="module")
def broken(workdir: Path, failing_extension: str) -> Path:
    path = workdir / "broken.toml"
    path.write_text(BROKEN_TOML)
    out = _sweep(path, workdir / "broken")
    compare_report(out)
    return out


@pytest.fixture(scope="module")
def morris_run(workdir: Path) -> Path:
    path = workdir / "morris.toml"
    path.write_text(MORRIS_TOML)
    out = _sweep(path, workdir / "morris")
    sensitivity_report(out)
    return out


# -- compare_report on the smoke sweep ----------------------------------------------------
def test_compare_report_figures_are_valid_images(smoke):
    fans = {f"fan_{c}" for c in ("radical", "cross_cluster_share", "diversity", "spend_total")}
    assert_figures(smoke / "figures", {"scenarios", "cost_effectiveness"} | fans | REGION_FIGURES)


def test_compare_report_tables(smoke):
    summary = load_results(smoke).summary
    comparison = pd.read_csv(smoke / "tables" / "comparison.csv")
    outcomes = [o for o in MAIN_OUTCOMES if o in summary]
    assert len(comparison) == 2 * len(outcomes)
    row = comparison.query("scenario == 'baseline' and outcome == 'radical_innovations'")
    values = summary.query("scenario == 'baseline'")["radical_innovations"].to_numpy()
    assert row["mean"].item() == pytest.approx(mean_interval(values).mean)
    headline = pd.read_csv(smoke / "tables" / "headline.csv")
    assert list(headline["scenario"]) == ["baseline", "ris3_relatedness"]
    differences = pd.read_csv(smoke / "tables" / "differences.csv")
    assert set(differences["scenario"]) == {"ris3_relatedness"}
    additionality = pd.read_csv(smoke / "tables" / "additionality.csv")
    assert set(additionality["instrument"]) <= {"cross_cluster", "university_link"}
    assert set(additionality["scenario"]) == {"ris3_relatedness"}
    assert "Additionality of link subsidies" in (smoke / "report.md").read_text()
    effects = pd.read_csv(smoke / "tables" / "headline_effects.csv")
    assert list(effects["scenario"]) == ["ris3_relatedness"]
    assert {"spend M€ [95%]", "Δ persistent entries", "Δ radicals new to region"} <= set(
        effects.columns
    )
    check = pd.read_csv(smoke / "tables" / "spend_check.csv")
    assert check["scenario"].tolist() == ["ris3_relatedness"]
    assert "Equal realised cost: YES" in (smoke / "report.md").read_text()


def test_compare_report_markdown_mentions_every_scenario(smoke):
    text = (smoke / "report.md").read_text()
    for scenario in load_results(smoke).design["scenario"]:
        assert scenario in text
    assert "4 of 4 runs finished; 0 failed." in text
    links = figure_links(text)
    assert len(links) == 6 + len(REGION_FIGURES)
    assert all((smoke / link).is_file() for link in links)


def test_compare_report_html_is_self_contained(smoke):
    html = (smoke / "report.html").read_text()
    sources = assert_self_contained(html)
    assert len(sources) == len(figure_links((smoke / "report.md").read_text()))
    first = base64.b64decode(sources[0].removeprefix("data:image/png;base64,"))
    assert first == (smoke / "figures" / "scenarios.png").read_bytes()


# -- a grid: dose-response ----------------------------------------------------------------
def test_grid_report_has_dose_response_figures(grid):
    panels = {f"dose_panels_{o}" for o in EFFECT_OUTCOMES}
    # outputs = []: no time series, so no fan charts
    assert_figures(
        grid / "figures", {"scenarios", "cost_effectiveness", "effect_against_spend"} | panels
    )
    text = (grid / "report.md").read_text()
    assert "## Dose-response of every lever" in text
    assert "Equal realised cost" not in text  # a dose design differs in spend on purpose
    assert "Trajectories" not in text
    assert_self_contained((grid / "report.html").read_text())


def test_grid_report_dose_response_table(grid):
    table = pd.read_csv(grid / "tables" / "dose_response.csv")
    assert set(table["lever"]) == {"cross_cluster_subsidy"}
    assert set(table["outcome"]) == set(EFFECT_OUTCOMES)
    for _, grp in table.groupby("outcome"):
        assert list(grp["dose"]) == [0.0, 1.0]
        assert list(grp["n"]) == [2, 2]  # two replicates per subsidy level
        assert grp["diff"].iloc[0] == 0.0  # dose 0 is the baseline itself
    assert (table["low"] <= table["diff"]).all()
    assert (table["diff"] <= table["high"]).all()
    spend = table.drop_duplicates("dose")["spend"]
    assert spend.iloc[0] == 0.0
    assert spend.iloc[1] > 0.0


# -- sensitivity_report -------------------------------------------------------------------
def test_morris_report_writes_figures_and_tables(morris_run):
    assert_figures(morris_run / "figures", {f"morris_{o}" for o in SENSITIVITY_OUTCOMES})
    for outcome in SENSITIVITY_OUTCOMES:
        table = pd.read_csv(morris_run / "tables" / f"morris_{outcome}.csv")
        assert sorted(table["parameter"]) == [
            "cluster_org_funding",
            "cross_cluster_subsidy",
            "university_link_subsidy",
        ]
        assert (table["mu_star"] >= 0).all()
    text = (morris_run / "report.md").read_text()
    assert "8 of 8 runs finished; 0 failed." in text
    assert "One replicate per point" in text
    sources = assert_self_contained((morris_run / "report.html").read_text())
    assert len(sources) == len(SENSITIVITY_OUTCOMES)


def test_sobol_report_writes_figure_table_and_convergence(tmp_path):
    # a Sobol' folder with a synthetic outcome (no simulation): 8 x (2 + 2) = 32 points x 2
    # replicates; y = x1 + 2 x2, plus 0.01 in replicate 1
    exp = parse_experiment(
        {
            "name": "sobol_synthetic",
            "steps": 1,
            "replicates": 2,
            "outputs": [],
            "design": {
                "type": "sobol",
                "samples": 8,
                "bounds": {"cross_cluster_subsidy": [0.0, 1.0], "cluster_org_funding": [0.0, 1.0]},
            },
        }
    )
    store = ResultStore(tmp_path / "sobol")
    store.create(exp, None, None)
    for run in exp.runs():
        x = exp.samples[run.point]
        y = x[0] + 2 * x[1] + 0.01 * run.replicate
        keys = {"run_id": run.run_id, "point": run.point, "replicate": run.replicate}
        store.write_run(run.run_id, keys | {"scenario": run.scenario, "radical_innovations": y}, {})
    sensitivity_report(store.root, ("radical_innovations",))
    assert_figures(
        store.root / "figures",
        {"sobol_radical_innovations", "sobol_radical_innovations_convergence"},
    )
    steps = pd.read_csv(store.root / "tables" / "sobol_radical_innovations_convergence.csv")
    assert sorted(steps["n"].unique()) == [4, 8]  # prefixes of 4 and all 8 base samples
    table = pd.read_csv(store.root / "tables" / "sobol_radical_innovations.csv")
    assert list(table.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    text = (store.root / "report.md").read_text()
    assert "64 of 64 runs finished; 0 failed." in text
    assert "Convergence: largest change of a total index" in text
    assert "Convergence: indices recomputed on the first n base samples" in text
    assert "Replicate noise:" in text
    # two figures: the indices and their convergence
    assert len(assert_self_contained((store.root / "report.html").read_text())) == 2


# -- damaged folders are reported, not crashed on -----------------------------------------
def test_failed_runs_are_reported(broken):
    failed = load_results(broken).failed
    assert sorted(failed["scenario"]) == ["broken_shock", "broken_shock"]
    text = (broken / "report.md").read_text()
    assert (
        "4 of 6 runs finished; 2 failed; scenarios without any finished run: broken_shock."
    ) in text
    assert "run 2: RuntimeError: this run was asked to fail" in text
    headline = pd.read_csv(broken / "tables" / "headline.csv")
    assert list(headline["scenario"]) == ["baseline", "ris3_relatedness"]
    assert_self_contained((broken / "report.html").read_text())


def test_deleted_runs_are_reported_and_left_out_of_the_trajectories(smoke, tmp_path, monkeypatch):
    folder = shutil.copytree(smoke, tmp_path / "smoke")
    gone = load_results(folder).summary.query("scenario == 'ris3_relatedness'")["run_id"]
    for run_id in gone:
        (folder / "runs" / f"{run_id:06d}.summary.parquet").unlink()
    plotted: list[set[str]] = []

    def spy(data: pd.DataFrame, label: str, base: Path) -> list[Path]:
        plotted.append(set(data["scenario"]))
        return plot_fan(data, label, base)

    monkeypatch.setattr("clusterlab.experiments.report_sections.plot_fan", spy)
    compare_report(folder)
    text = (folder / "report.md").read_text()
    assert (
        "2 of 4 runs finished; 0 failed; scenarios without any finished run: ris3_relatedness."
    ) in text
    # the deleted runs' time series files remain, but they are not finished runs
    assert plotted == [{"baseline"}] * 4
    assert list(pd.read_csv(folder / "tables" / "headline.csv")["scenario"]) == ["baseline"]


def test_folder_without_finished_runs_says_nothing_to_compare(broken, tmp_path, capsys):
    folder = shutil.copytree(broken, tmp_path / "broken")
    for path in (folder / "runs").glob("*.summary.parquet"):
        path.unlink()
    assert cli.main(["compare", str(folder)]) == 0
    assert "Report written" in capsys.readouterr().out
    text = (folder / "report.md").read_text()
    assert (
        "0 of 6 runs finished; 2 failed; scenarios without any finished run: "
        "baseline, broken_shock, ris3_relatedness."
    ) in text
    assert "No finished runs: nothing to compare." in text
    assert_self_contained((folder / "report.html").read_text())


# -- CLI ----------------------------------------------------------------------------------
def test_cli_compare_of_a_missing_folder_exits_2(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert cli.main(["compare", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"clusterlab: error: Results folder '{missing}' does not exist; "
        "run 'clusterlab sweep' first.\n"
    )


def test_cli_compare_with_a_baseline_without_runs_exits_2(broken, capsys):
    assert cli.main(["compare", str(broken), "--baseline", "broken_shock"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Baseline scenario 'broken_shock' has no finished runs; have: baseline, " in err


def test_cli_demo_runs_and_reports(tmp_path, monkeypatch, capsys):
    demo = tmp_path / "demo.toml"
    demo.write_text(DEMO_TOML)
    monkeypatch.setattr(commands, "DEMO_FILE", demo)  # the real demo takes minutes
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--workers", "0"]) == 0
    assert "Report:" in capsys.readouterr().out
    text = (out / "report.md").read_text()
    assert "differences to 'baseline'" in text
    assert "ris3_relatedness" in text
    assert_self_contained((out / "report.html").read_text())


# -- rendering ----------------------------------------------------------------------------
def _report(root: Path) -> tuple[Report, pd.DataFrame, bytes]:
    (root / "figures").mkdir()
    image = PNG_SIGNATURE + b"not really an image"
    (root / "figures" / "f.png").write_bytes(image)
    table = pd.DataFrame({"a": [1.5]})
    report = Report("R&D <report>")
    report.heading("Head")
    report.text("5 < 6 & 7 > 2")
    report.table(table)
    report.figure(root / "figures" / "f.png", "A 'caption'")
    return report, table, image


def test_render_markdown(tmp_path):
    report, table, _ = _report(tmp_path)
    expected = [
        "# R&D <report>",
        "",
        "## Head",
        "",
        "5 < 6 & 7 > 2",
        "",
        table.to_markdown(index=False),
        "",
        "![A 'caption'](figures/f.png)",
        "",
        "*A 'caption'*",
        "",
    ]
    assert render_markdown(report, tmp_path) == "\n".join(expected)


def test_render_html_escapes_text_and_embeds_figures(tmp_path):
    report, _, image = _report(tmp_path)
    html = render_html(report)
    assert "<title>R&amp;D &lt;report&gt;</title>" in html
    assert "<h2>Head</h2>" in html
    assert "<p>5 &lt; 6 &amp; 7 &gt; 2</p>" in html
    assert "<figcaption>A &#x27;caption&#x27;</figcaption>" in html
    (source,) = assert_self_contained(html)
    assert base64.b64decode(source.removeprefix("data:image/png;base64,")) == image


def test_headline_table_formats_mean_and_interval():
    table = pd.DataFrame(
        {
            "scenario": ["z", "z", "a", "a", "a"],
            "outcome": ["radical_innovations", "policy_spend"] * 2 + ["employment_growth"],
            "mean": [8.5, 0.0, 3.0, 10.5, 1.0],
            "low": [2.1512, 0.0, np.nan, 4.0123, 0.0],
            "high": [14.87, 0.0, np.nan, 17.0, 2.0],
        }
    )
    wide = headline_table(table)
    radical, spend = MAIN_OUTCOMES["radical_innovations"], MAIN_OUTCOMES["policy_spend"]
    # scenarios in order of appearance; outcomes in headline order; 3 significant digits
    assert list(wide.columns) == ["scenario", radical, spend]
    assert wide.to_dict("list") == {
        "scenario": ["z", "a"],
        radical: ["8.5 [2.15, 14.9]", "3"],
        spend: ["0 [0, 0]", "10.5 [4.01, 17]"],
    }


def test_compare_removes_the_staging_folder_a_killed_compare_left(tmp_path: Path) -> None:
    path = tmp_path / "grid.toml"
    path.write_text(GRID_TOML)
    out = _sweep(path, tmp_path / "grid")
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = out / f".report.tmp-{int(done.stdout)}"  # that process has ended
    (stale / "tables").mkdir(parents=True)
    compare_report(out)
    assert not stale.exists()
    assert (out / "report.md").is_file()
