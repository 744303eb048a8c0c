"""How a process ClusterLab owns ends: exit handlers run, teardown skipped only when asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ENDING = """
import atexit, sys
from clusterlab.experiments.process import record_status, register_ending, skip_teardown

register_ending()


class Held:  # freed by the interpreter's teardown, if there is one
    def __del__(self):
        sys.stderr.write("teardown;")


held = Held()
atexit.register(lambda: sys.stderr.write("library handler;"))  # registered after the ending
if "skip" in sys.argv:
    skip_teardown()
record_status(3)
sys.stdout.write("buffered")  # no newline: still in the buffer at exit
sys.exit(3)
"""


def _ending(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENDING, *args],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_a_command_that_closed_its_work_ends_after_the_exit_handlers_without_teardown():
    done = _ending("skip")
    assert (done.returncode, done.stdout, done.stderr) == (3, "buffered", "library handler;")


def test_otherwise_the_interpreter_tears_down_as_usual():
    done = _ending()
    assert (done.returncode, done.stdout) == (3, "buffered")
    assert done.stderr == "library handler;teardown;"


@pytest.mark.parametrize("streamed", [False, True])
def test_the_console_run_writes_every_output_and_its_summary(tmp_path: Path, streamed: bool):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "clusterlab", "run", "--steps", "2", "--out", str(out)]
    cmd += ["--set", "n_firms=120"]
    if streamed:  # the summary goes through a pipe read line by line, as `| head` would
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
            lines = proc.stdout.read().splitlines() if proc.stdout else []
        returncode = proc.returncode
    else:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
        lines, returncode = done.stdout.splitlines(), done.returncode
        assert done.stderr == ""
    assert returncode == 0
    assert lines[0].startswith("ClusterLab run: preset 'baseline', seed 1, 2 years")
    assert lines[-1] == f"Outputs written to {out}/"
    assert {p.name for p in out.iterdir()} >= {"summary.json", "trajectories.png", "panel.csv"}


def test_main_called_from_python_leaves_the_callers_process_alone(tmp_path: Path):
    # a notebook or a test owns its process: no frozen objects, no ending armed
    out = tmp_path / "r"
    code = (
        "import gc, sys\n"
        "from clusterlab.experiments import process\n"
        "from clusterlab.experiments.cli import main\n"
        f"argv = ['run', '--steps', '1', '--set', 'n_firms=60', '--out', {str(out)!r}]\n"
        "status = main(argv)\n"
        "print(status, gc.get_freeze_count(), process.console_owned())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.stdout.splitlines()[-1] == "0 0 False"


def test_the_console_script_still_exits_2_on_bad_input(tmp_path: Path):
    cmd = [sys.executable, "-m", "clusterlab", "run", "--set", "n_firm=3", "--out", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "n_firm" in done.stderr
