"""How a process ClusterLab owns ends: exit handlers run, teardown skipped only when asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clusterlab.experiments.process import EXIT_FLUSH_FAILED

ENDING = """
import atexit, sys
from clusterlab.experiments.process import record_status, register_ending, skip_teardown

armed = register_ending()


class Held:  # freed by the interpreter's teardown, if there is one
    def __del__(self):
        sys.stderr.write("teardown;")


held = Held()
atexit.register(lambda: sys.stderr.write(f"library handler {armed};"))  # after the ending
if "skip" in sys.argv:
    skip_teardown()
record_status(3)
sys.stdout.write("buffered")  # no newline: still in the buffer at exit
sys.exit(3 if "same" in sys.argv else 5)
"""

TEARDOWN = "# cleanup["
"""What ``python -v`` prints on stderr as the interpreter's teardown removes each module."""


def _env(**extra: str) -> dict[str, str]:
    """This environment with Python's output buffered, as for a user (not PYTHONUNBUFFERED)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return env | extra


def _ending(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script.write_text(ENDING)
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True, text=True, check=False, timeout=120, env=_env(),
    )  # fmt: skip


def test_a_command_that_closed_its_work_ends_after_the_exit_handlers_without_teardown(
    tmp_path: Path,
):
    done = _ending(tmp_path / "clusterlab", "skip", "same")
    assert (done.returncode, done.stdout, done.stderr) == (3, "buffered", "library handler True;")


def test_otherwise_the_interpreter_tears_down_as_usual(tmp_path: Path):
    done = _ending(tmp_path / "clusterlab", "same")
    assert (done.returncode, done.stdout) == (3, "buffered")
    assert done.stderr == "library handler True;teardown;"


def test_a_program_that_is_not_clusterlab_keeps_its_own_exit(tmp_path: Path):
    # e.g. a test runner calling the console function: its exit status and teardown stay
    done = _ending(tmp_path / "other_program.py", "skip")
    assert (done.returncode, done.stdout) == (5, "buffered")
    assert done.stderr == "library handler False;teardown;"


def _console_run(tmp_path: Path, *args: str) -> list[str]:
    out = tmp_path / "run"
    return [sys.executable, "-m", "clusterlab", *args, "run", "--steps", "2", "--out", str(out),
            "--set", "n_firms=120"]  # fmt: skip


def test_the_console_run_writes_every_output_and_its_summary_and_skips_teardown(tmp_path: Path):
    verbose = [sys.executable, "-v", *_console_run(tmp_path)[1:]]  # -v: teardown shows
    done = subprocess.run(
        verbose, capture_output=True, text=True, check=False, timeout=300, env=_env()
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr[-2000:]
    assert lines, done.stderr[-2000:]
    assert lines[0].startswith("ClusterLab run: preset 'baseline', seed 1, 2 years")
    assert lines[-1] == f"Outputs written to {tmp_path / 'run'}/"
    assert {p.name for p in (tmp_path / "run").iterdir()} >= {"summary.json", "panel.csv"}
    assert TEARDOWN not in done.stderr
    # the probe works: a command that does not skip the teardown shows it
    version = subprocess.run(
        [sys.executable, "-v", "-m", "clusterlab", "--version"],
        capture_output=True, text=True, check=False, timeout=120, env=_env(),
    )  # fmt: skip
    assert version.returncode == 0
    assert TEARDOWN in version.stderr


def test_the_console_run_through_a_pipe_read_line_by_line(tmp_path: Path):
    with subprocess.Popen(
        _console_run(tmp_path), stdout=subprocess.PIPE, text=True, env=_env()
    ) as p:
        out, _ = p.communicate(timeout=300)
    assert p.returncode == 0
    assert out.splitlines()[-1] == f"Outputs written to {tmp_path / 'run'}/"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_summary_that_cannot_be_written_is_not_a_success(tmp_path: Path):
    with open("/dev/full", "w") as full:  # every write fails: no space left on device
        done = subprocess.run(
            _console_run(tmp_path), stdout=full, stderr=subprocess.PIPE, text=True,
            check=False, timeout=300, env=_env(),
        )  # fmt: skip
    assert done.returncode == EXIT_FLUSH_FAILED
    assert "standard output not written" in done.stderr


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
    assert done.stdout.splitlines()[-1:] == ["0 0 False"], done.stderr


def test_the_console_script_still_exits_2_on_bad_input(tmp_path: Path):
    cmd = [sys.executable, "-m", "clusterlab", "run", "--set", "n_firm=3", "--out", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "n_firm" in done.stderr
