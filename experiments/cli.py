"""ClusterLab: simulate cluster policy, run experiments on it, compare and report.

Every ClusterLab error on bad input is printed as one line on stderr and the command
exits with status 2; nothing half-written is left behind.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout

from clusterlab.experiments.app_server import DEFAULT_HOST, DEFAULT_PORT
from clusterlab.experiments.commands import (
    cmd_app,
    cmd_calibrate,
    cmd_compare,
    cmd_demo,
    cmd_discover,
    cmd_network,
    cmd_params,
    cmd_presets,
    cmd_run,
    cmd_sensitivity,
    cmd_status,
    cmd_sweep,
    cmd_validate,
)
from clusterlab.model.errors import ClusterLabError

# Start-up: the parser and --help need only argparse; each command (commands.py) imports
# what it uses (numpy, pandas, Mesa, matplotlib, numba kernels) when it runs.

__all__ = ["console_main", "main"]

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print a one-line usage error and exit with status 2."""
        self.exit(EXIT_BAD_INPUT, f"clusterlab: error: {message} (see 'clusterlab --help')\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - start-up

    try:
        return version("clusterlab")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def workers_count(text: str) -> int:
    """``--workers``: an integer >= 0 (0: the runs execute in this process)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= 0 (0: run in this process), not {text!r}"
        )
    return value


def _add_network_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``network`` command: a run's collaboration network as GraphML."""
    network = sub.add_parser("network", help="write a run's collaboration network as GraphML")
    network.add_argument("results", help="results folder (outputs firms and links kept)")
    network.add_argument("--run", type=int, default=0, help="run id (default 0)")
    network.add_argument("--out", required=True, help="GraphML file to write (for Gephi)")
    network.add_argument("--supply", action="store_true", help="add the supply links")
    network.set_defaults(func=cmd_network)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``clusterlab``."""
    parser = _Parser(prog="clusterlab", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"clusterlab {_version()}")
    chatter = parser.add_mutually_exclusive_group()
    chatter.add_argument(
        "-v", "--verbose", action="count", default=0, help="say more (-vv: debugging detail)"
    )
    chatter.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but errors (exit status only)"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run one simulation and write its outputs")
    run.add_argument("--preset", default="baseline", help="named preset (see 'clusterlab presets')")
    run.add_argument("--steps", type=int, default=50, help="years to simulate (default 50)")
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override a parameter (repeatable)",
    )
    run.add_argument(
        "--extension",
        action="append",
        metavar="MODULE:OBJECT",
        help="add an extension's stages (docs/extending.md; repeatable); --set may then "
        "set its parameters",
    )
    run.add_argument("--out", default="results/run", help="output folder (default results/run)")
    run.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    run.set_defaults(func=cmd_run)
    _add_sweep_parser(sub)
    status = sub.add_parser("status", help="how far a results folder is")
    status.add_argument("--json", action="store_true", help="print JSON (machine-readable)")
    status.add_argument("results", help="results folder")
    status.set_defaults(func=cmd_status)
    sens = sub.add_parser("sensitivity", help="Sobol'/Morris analysis of an experiment file")
    sens.add_argument("experiment", help="experiment file with a sobol or morris design")
    sens.add_argument("--workers", type=workers_count, default=None, help="worker processes")
    sens.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster")
    sens.add_argument("--out", help="results folder (default results/<experiment name>)")
    sens.add_argument("--outcome", action="append", help="summary outcome to analyse (repeatable)")
    sens.set_defaults(func=cmd_sensitivity)
    demo = sub.add_parser("demo", help="run the default experiment and write its report")
    demo.add_argument("--out", default="results/demo", help="results folder (default results/demo)")
    demo.add_argument("--workers", type=workers_count, default=None, help="worker processes")
    demo.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster")
    demo.add_argument("--force", action="store_true", help="start again from scratch")
    demo.set_defaults(func=cmd_demo)
    _add_validate_parser(sub)
    compare = sub.add_parser("compare", help="compare scenarios of a results folder")
    compare.add_argument("results", help="results folder")
    compare.add_argument("--baseline", help="scenario to compare with (default: the first)")
    compare.add_argument(
        "--satisfice",
        action="append",
        metavar="OUTCOME>=VALUE",
        help="xlrm designs: threshold of the satisficing share (repeatable; replaces the file's)",
    )
    compare.set_defaults(func=cmd_compare)
    _add_network_parser(sub)
    _add_discover_parser(sub)
    _add_calibrate_parser(sub)
    for name, func, what in (
        ("presets", cmd_presets, "list the presets"),
        ("params", cmd_params, "list every parameter"),
    ):
        listing = sub.add_parser(name, help=what)
        listing.add_argument("--json", action="store_true", help="print JSON (machine-readable)")
        listing.set_defaults(func=func)
        if name == "params":
            listing.add_argument(
                "--extension",
                action="append",
                metavar="MODULE:OBJECT",
                help="list this extension's parameters too (repeatable)",
            )
    _add_app_parser(sub)
    return parser


def _add_validate_parser(sub: argparse._SubParsersAction) -> None:
    val = sub.add_parser("validate", help="check the model against empirical stylised facts")
    val.add_argument("--replicates", type=int, default=16, help="runs per preset (default 16)")
    val.add_argument(
        "--presets",
        default="all",
        help="'all' (every policy preset, default) or preset names separated by commas",
    )
    val.add_argument("--steps", type=int, default=50, help="years per run (default 50)")
    val.add_argument("--out", default="docs", help="folder of validation.md (default docs)")
    val.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter")
    val.add_argument("--workers", type=workers_count, default=None, help="worker processes")
    val.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster")
    val.set_defaults(func=cmd_validate)


def _add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser("sweep", help="run (or resume) an experiment file")
    sweep.add_argument("experiment", help="experiment file (.toml)")
    sweep.add_argument(
        "--workers",
        type=workers_count,
        default=None,
        help="worker processes (default: all cores; 0: run in this process)",
    )
    sweep.add_argument(
        "--dask", metavar="ADDRESS", help="run on a Dask cluster (scheduler address, or 'local')"
    )
    sweep.add_argument("--out", help="results folder (default results/<experiment name>)")
    sweep.add_argument("--resume", action="store_true", help="finish an interrupted sweep")
    sweep.add_argument(
        "--force",
        action="store_true",
        help="replace an existing results folder (only one ClusterLab wrote)",
    )
    sweep.add_argument(
        "--wait", action="store_true", help="if another sweep uses the folder, wait for it"
    )
    sweep.set_defaults(func=cmd_sweep)


def _add_discover_parser(sub: argparse._SubParsersAction) -> None:
    disc = sub.add_parser(
        "discover", help="scenario discovery (PRIM, feature scores) on a results folder"
    )
    disc.add_argument("results", help="results folder (best of an xlrm or lhs design)")
    disc.add_argument("--outcome", required=True, help="summary outcome, e.g. radical_innovations")
    side = disc.add_mutually_exclusive_group(required=True)
    side.add_argument("--below", type=float, help="cases of interest: outcome below VALUE")
    side.add_argument("--above", type=float, help="cases of interest: outcome above VALUE")
    disc.add_argument("--policy", help="xlrm designs: only the runs of this policy")
    disc.add_argument(
        "--density", type=float, default=0.8, help="least density of the box (default 0.8)"
    )
    disc.add_argument("--out", help="folder of tables/ and figures/ (default: RESULTS)")
    disc.set_defaults(func=cmd_discover)


def _add_calibrate_parser(sub: argparse._SubParsersAction) -> None:
    cal = sub.add_parser(
        "calibrate", help="find a lever's intensity whose realised spend matches a target"
    )
    cal.add_argument("lever", help="numeric policy lever, e.g. cross_cluster_subsidy")
    cal.add_argument("target", type=float, help="realised spend over the run (M€, all regions)")
    cal.add_argument("--preset", default="baseline", help="preset the other levers come from")
    cal.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter")
    cal.add_argument("--seeds", type=int, default=3, help="pilot runs: seeds 0..N-1 (default 3)")
    cal.add_argument("--steps", type=int, default=50, help="years per run (default 50)")
    cal.add_argument(
        "--tolerance", type=float, default=0.05, help="relative tolerance (default 0.05)"
    )
    cal.add_argument(
        "--max-evaluations", type=int, default=12, help="intensities tried at most (default 12)"
    )
    cal.add_argument("--json", action="store_true", help="print JSON (machine-readable)")
    cal.set_defaults(func=cmd_calibrate)


def _add_app_parser(sub: argparse._SubParsersAction) -> None:
    app = sub.add_parser("app", help="teaching app in the browser (map, links, charts, levers)")
    app.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address (default {DEFAULT_HOST}; 0.0.0.0: the whole local network, for a class)",
    )
    app.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    app.add_argument("--open", action="store_true", help="open it in the default browser")
    app.set_defaults(func=cmd_app)


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that a command stops as on Ctrl+C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


LOGGERS = ("clusterlab.experiments", "clusterlab.model")


@contextmanager
def _logging_to_stderr(verbose: int, quiet: bool) -> Iterator[None]:
    """Log ClusterLab's messages to stderr for one command: warnings, more with -v/-vv.

    With -q only errors. The loggers are restored afterwards (main() may run many times
    in one process, e.g. in tests or a notebook).
    """
    import logging  # noqa: PLC0415 - imported when used (start-up)

    levels = (logging.WARNING, logging.INFO, logging.DEBUG)
    level = logging.ERROR if quiet else levels[min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("clusterlab: %(message)s"))
    loggers = [logging.getLogger(name) for name in LOGGERS]
    saved = [(lg.level, lg.handlers, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
        lg.handlers = [handler]
        lg.propagate = False
    try:
        yield
    finally:
        for lg, (lvl, handlers, propagate) in zip(loggers, saved, strict=True):
            lg.setLevel(lvl)
            lg.handlers = handlers
            lg.propagate = propagate


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``clusterlab`` command.

    Exit status: 0 done, 1 some runs failed or a folder is incomplete, 2 bad input (one
    line on stderr), 130 interrupted by Ctrl+C, 143 stopped by SIGTERM; an interrupted
    command stops its workers and says how to resume.
    """
    args = build_parser().parse_args(argv)
    # Only the main thread may set handlers (main() may also be called from a thread).
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if in_main else None
    try:
        with _logging_to_stderr(args.verbose, args.quiet):
            if args.quiet:  # errors still reach stderr; the exit status says how it went
                with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
                    return args.func(args)
            return args.func(args)
    except ClusterLabError as exc:
        print(f"clusterlab: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        how = "stopped by SIGTERM" if isinstance(exc, Terminated) else "interrupted"
        notes = "; ".join(getattr(exc, "__notes__", []))
        print(f"clusterlab: {how}" + (f"; {notes}" if notes else ""), file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def console_main() -> int:
    """Run :func:`main` as the ``clusterlab`` console script, in a process it owns.

    A command whose outputs are written and closed (``run``) ends without the
    interpreter's teardown, after every library's exit handler (:mod:`.process`).
    """
    from clusterlab.experiments.process import record_status, register_ending  # noqa: PLC0415

    register_ending()
    status = main()
    record_status(status)
    return status


if __name__ == "__main__":
    sys.exit(console_main())
