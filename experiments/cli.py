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
from pathlib import Path
from typing import TYPE_CHECKING

from clusterlab.experiments.app_server import DEFAULT_HOST, DEFAULT_PORT
from clusterlab.model.errors import ClusterLabError, ParameterError

if TYPE_CHECKING:
    from concurrent.futures import Executor
    from contextlib import AbstractContextManager

    from clusterlab.experiments.design import Experiment
    from clusterlab.experiments.runner import SweepReport

# Start-up: the parser and --help need only argparse; each command imports what it uses
# (numpy, pandas, Mesa, matplotlib, numba kernels) when it runs.

__all__ = ["console_main", "main"]

EXIT_BAD_INPUT = 2

SUMMARY_ROWS = (
    ("radical_innovations", "Radical innovations (novel pairs)", "count"),
    ("recombinant_innovations", "Recombinant innovations (known pairs)", "count"),
    ("new_specialisations", "Raw RCA crossings upward (re-crossings included)", "count"),
    ("persistent_entries", "Persistent entries (RCA >= 1 held 5 years)", "count"),
    ("persistent_entries_related_tech", "  of which technologically related", "count"),
    ("net_specialisations", "Net new specialisations (persistent)", "count"),
    ("absolute_diversity_change", "Change in industries >= 2% of employment", "industries"),
    ("final_diversity", "Final diversity (mean over regions)", "industries"),
    ("mean_cross_cluster_share", "Cross-cluster share of collaboration links", "share"),
    ("employment_growth", "Employment growth", "share"),
    ("policy_spend", "Policy spend", "M€"),
    ("spend_per_radical_innovation", "Spend per radical innovation", "M€"),
    ("size_gini", "Firm size Gini", "0..1"),
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print a one-line usage error and exit with status 2."""
        self.exit(EXIT_BAD_INPUT, f"clusterlab: error: {message} (see 'clusterlab --help')\n")


def _overrides(pairs: Sequence[str]) -> dict[str, object]:
    from clusterlab.model.params import parse_value  # noqa: PLC0415 - imported when used (start-up)

    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ParameterError(
                f"--set takes name=value, e.g. --set cross_cluster_subsidy=0.5. Got {pair!r}."
            )
        out[name.strip()] = parse_value(name.strip(), text.strip())
    if str(out.get("economy", "")).startswith("csv:"):  # a region table: record where it is
        out["economy"] = "csv:" + os.path.abspath(str(out["economy"])[4:])
    return out


def cmd_run(args: argparse.Namespace) -> int:
    """Run one simulation and write its outputs."""
    # Mesa first: importing it walks the call stack against every loaded module (Mesa 3.3.1's
    # logging decorators), 0.2-0.3 s less here than under the imports of the modules below.
    import mesa  # noqa: F401, PLC0415 - imported when used (start-up)

    from clusterlab.experiments.output import write_run  # noqa: PLC0415 - imported when used (start-up)
    from clusterlab.experiments.process import (  # noqa: PLC0415
        console_owned,
        settle_imports,
        skip_teardown,
    )
    from clusterlab.model.presets import preset  # noqa: PLC0415 - imported when used (start-up)
    from clusterlab.model.simulate import simulate  # noqa: PLC0415 - imported when used (start-up)

    if console_owned():  # the console script's process, not main() called from Python
        settle_imports()  # no full collection scans the libraries' objects again

    refs = args.extension or []
    with _extension_params(refs):  # --set may name an extension's parameters too
        params = preset(args.preset, **_overrides(args.set or []))
    if args.steps < 0:
        raise ParameterError(f"--steps must be an integer >= 0. Got {args.steps}.")
    if not 0 <= args.seed < 2**63:
        raise ParameterError(f"--seed must be an integer in [0, 2**63). Got {args.seed}.")
    result = simulate(params, seed=args.seed, steps=args.steps, extensions=refs)
    out = write_run(result, Path(args.out), preset=args.preset, force=args.force)
    print(f"ClusterLab run: preset '{args.preset}', seed {args.seed}, {args.steps} years")
    width = max(len(label) for _, label, _ in SUMMARY_ROWS)
    for key, label, unit in SUMMARY_ROWS:
        print(f"  {label:<{width}}  {result.summary[key]:>10.3f}  {unit}")
    print(f"Outputs written to {out}/")
    skip_teardown()  # everything is written and closed (the console script exits at once)
    return 0


def _extension_params(refs: list[str]) -> AbstractContextManager[None]:
    """Make the extensions' parameters known by name; one line if a reference is unusable."""
    from clusterlab.model.extension import extension_params  # noqa: PLC0415 - imported when used (start-up)

    try:  # importing runs the module's code: name only modules you trust
        return extension_params(refs)
    except Exception as exc:  # whatever the import raises: one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParameterError(
            f"--extension cannot be used: {first}. Give 'package.module:object', importable "
            "here (installed, or on PYTHONPATH)."
        ) from None


@contextmanager
def _executor(args: argparse.Namespace) -> Iterator[tuple[Executor | None, int]]:
    """Open the executor the options ask for; yield it and its parallelism."""
    from clusterlab.experiments.runner import local_executor  # noqa: PLC0415 - imported when used (start-up)

    if args.dask:
        try:
            from dask.distributed import Client, LocalCluster  # noqa: PLC0415 - optional
        except ImportError:
            raise ParameterError(
                "--dask needs dask.distributed; install it with: pip install 'clusterlab[dask]'."
            ) from None
        if args.dask == "local":
            n = args.workers or os.cpu_count() or 1
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True)
            client = Client(cluster)
        else:
            cluster, client = None, _dask_client(Client, args.dask)
        try:
            workers = sum(client.nthreads().values())
            yield client.get_executor(), workers
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    workers = os.cpu_count() or 1 if args.workers is None else args.workers
    with local_executor(workers) as pool:
        yield pool, workers


DASK_CONNECT_SECONDS = 10


def _dask_client(client_class: type, address: str) -> object:
    """Connect to a Dask scheduler, or raise one line naming the address."""
    try:
        return client_class(address, timeout=f"{DASK_CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(
            f"--dask: cannot reach a Dask scheduler at {address!r} ({reason}); give its "
            "address as tcp://host:port, or --dask local for one on this machine."
        ) from None


def _run_sweep(
    args: argparse.Namespace, exp: Experiment, out: Path, source: Path, *, resume: bool, force: bool
) -> SweepReport:
    """Run an experiment on the executor the options ask for (shared by sweep commands)."""
    from clusterlab.experiments.runner import run_experiment  # noqa: PLC0415 - imported when used (start-up)
    from clusterlab.experiments.store import MANIFEST  # noqa: PLC0415 - imported when used (start-up)

    try:
        with _executor(args) as (executor, workers):
            return run_experiment(
                exp,
                out,
                executor=executor,
                workers=workers,
                source=source,
                resume=resume,
                force=force,
                wait=getattr(args, "wait", False),
                progress=False if args.quiet else None,
            )
    except KeyboardInterrupt as exc:
        if (out / MANIFEST).is_file():
            exc.add_note(
                f"finished runs are kept in {out}/; resume with: clusterlab "
                f"{args.command} {source} --resume --out {out}"
                if args.command == "sweep"
                else f"finished runs are kept in {out}/; run the same command to resume"
            )
        raise


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) an experiment file."""
    from clusterlab.experiments.design import load_experiment  # noqa: PLC0415 - imported when used (start-up)

    exp = load_experiment(args.experiment)
    if args.workers is not None and args.workers < 0:
        raise ParameterError(f"--workers must be >= 0 (0: in this process). Got {args.workers}.")
    out = Path(args.out) if args.out else Path("results") / exp.name
    economies = f" x {exp.economies} economies" if exp.economies is not None else ""
    print(
        f"Experiment '{exp.name}': {len(exp.points)} design points x {exp.replicates} "
        f"replicates{economies} = {exp.n_runs} runs of {exp.steps} years -> {out}/"
    )
    report = _run_sweep(args, exp, out, Path(args.experiment), resume=args.resume, force=args.force)
    print(
        f"Done in {report.seconds:.1f} s: {report.completed} runs completed now, "
        f"{report.skipped} already done, {report.failed} failed."
    )
    if report.failed:
        print(
            f"{report.failed} run(s) failed; tracebacks in {out}/failed/. "
            "Fix the cause and rerun with --resume.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Say how far a results folder is."""
    from clusterlab.experiments.store import (  # noqa: PLC0415 - imported when used (start-up)
        ResultStore,
        load_results,
        replicates_text,
    )

    results = load_results(args.results)
    m = results.manifest
    store = ResultStore(args.results)
    done, failed = store.done(), store.failed() - store.done()
    status = 0 if len(done) == m["n_runs"] else 1
    if args.json:
        keys = ("experiment", "design", "fingerprint", "n_runs", "n_points", "replicates")
        _print_json(
            {k: m[k] for k in keys}
            | {"economies": m.get("economies")}
            | {
                "finished": len(done),
                "failed": len(failed),
                "missing": m["n_runs"] - len(done) - len(failed),
                "failed_run_ids": sorted(failed),
            }
        )
        return status
    print(f"Experiment '{m['experiment']}' ({m['design']} design, fingerprint {m['fingerprint']})")
    print(f"  runs: {m['n_runs']} = {m['n_points']} points x {replicates_text(m)}")
    print(
        f"  finished: {len(done)}   failed: {len(failed)}   "
        f"missing: {m['n_runs'] - len(done) - len(failed)}"
    )
    if failed:
        print(
            f"  failed run ids: {', '.join(map(str, sorted(failed)[:20]))}"
            f"{' ...' if len(failed) > 20 else ''}"
        )
    return status


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run (or finish) a sobol/morris experiment, then analyse it."""
    from clusterlab.experiments.design import load_experiment  # noqa: PLC0415 - imported when used (start-up)
    from clusterlab.experiments.report_sensitivity import SENSITIVITY_OUTCOMES, sensitivity_report  # noqa: PLC0415 - imported when used (start-up)

    exp = load_experiment(args.experiment)
    if exp.kind.value not in ("sobol", "morris"):
        raise ParameterError(
            f"{args.experiment}: 'design.type' must be sobol or morris for a sensitivity "
            f"analysis. Got {exp.kind.value!r}."
        )
    out = Path(args.out) if args.out else Path("results") / exp.name
    report = _run_sweep(args, exp, out, Path(args.experiment), resume=out.exists(), force=False)
    if report.failed:
        print(f"{report.failed} run(s) failed; see {out}/failed/ and rerun.", file=sys.stderr)
        return 1
    path = sensitivity_report(out, tuple(args.outcome or SENSITIVITY_OUTCOMES))
    print(f"Report written: {path} (and report.md, tables/, figures/)")
    return 0


DEMO_FILE = Path(__file__).parent / "files" / "demo.toml"


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the default experiment (policy mixes at equal realised cost) and write its report."""
    from clusterlab.experiments.design import load_experiment  # noqa: PLC0415 - imported when used (start-up)
    from clusterlab.experiments.report import compare_report  # noqa: PLC0415 - imported when used (start-up)

    exp = load_experiment(DEMO_FILE)
    out = Path(args.out)
    print(
        f"Demo: {len(exp.points)} policy mixes x {exp.replicates} replicates of {exp.steps} "
        f"years -> {out}/ (a few minutes on 2 cores)"
    )
    report = _run_sweep(args, exp, out, DEMO_FILE, resume=True, force=args.force)
    if report.failed:
        print(f"{report.failed} run(s) failed; see {out}/failed/.", file=sys.stderr)
        return 1
    path = compare_report(out, baseline="baseline")
    print(f"Report: {path} (report.md, tables/headline.csv, figures/)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Run a fresh ensemble and check the model against the stylised facts."""
    from clusterlab.experiments.validate import parse_presets, run_validation  # noqa: PLC0415 - start-up

    if args.replicates < 2 or args.steps < 10:
        raise ParameterError(
            f"validate needs --replicates >= 2 and --steps >= 10. Got {args.replicates} and "
            f"{args.steps}."
        )
    presets = parse_presets(args.presets)
    overrides = _overrides(args.set or [])
    doc = Path(args.out) / "validation.md"
    with _executor(args) as (executor, _):
        checks = run_validation(
            args.replicates, args.steps, doc, executor, overrides, presets=presets
        )
    from clusterlab.experiments.validation_report import overall_verdict  # noqa: PLC0415 - start-up

    width = max(len(next(iter(by_preset.values())).pattern) for by_preset in checks.values())
    for key, by_preset in checks.items():
        verdict = overall_verdict(by_preset) if key != "dose" else by_preset["baseline"].verdict
        print(f"  {next(iter(by_preset.values())).pattern:<{width}}  {verdict}")
    print(f"Report written: {doc}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare the scenarios of a results folder and write the report."""
    from clusterlab.experiments.report import compare_report  # noqa: PLC0415 - imported when used (start-up)
    from clusterlab.experiments.xlrm import parse_satisfice  # noqa: PLC0415 - imported when used (start-up)

    criteria = dict(parse_satisfice(text) for text in args.satisfice or [])
    path = compare_report(args.results, baseline=args.baseline, satisficing=criteria or None)
    print(f"Report written: {path} (and report.md, tables/, figures/)")
    return 0


def cmd_network(args: argparse.Namespace) -> int:
    """Write the collaboration network of one run of a results folder as GraphML."""
    from clusterlab.experiments.network import KNOWLEDGE_KINDS, write_network  # noqa: PLC0415 - start-up

    kinds = (*KNOWLEDGE_KINDS, "supply") if args.supply else KNOWLEDGE_KINDS
    graph = write_network(args.results, args.run, args.out, kinds)
    print(
        f"Network of run {args.run}: {graph.number_of_nodes()} nodes, "
        f"{graph.number_of_edges()} links ({', '.join(kinds)}) -> {args.out}"
    )
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    """Scenario discovery: the PRIM box and feature scores of an outcome of interest."""
    from clusterlab.experiments.discover import (  # noqa: PLC0415 - start-up
        describe,
        discover,
        discovery_stem,
        write_discovery,
    )
    from clusterlab.experiments.store import load_results  # noqa: PLC0415 - imported when used (start-up)

    if not 0 < args.density <= 1:
        raise ParameterError(f"--density must lie in (0, 1]. Got {args.density}.")
    results = load_results(args.results)
    found = discover(results, args.outcome, args.below, args.above, args.policy, args.density)
    out = Path(args.out) if args.out else Path(args.results)
    stem = discovery_stem(args.outcome, args.below, args.above, args.policy)
    try:
        write_discovery(found, out, stem)
    except OSError as exc:
        raise ParameterError(f"--out: cannot write into '{out}': {exc.strerror or exc}.") from None
    print("\n".join(describe(found)))
    print(f"Tables: {out}/tables/{stem}_*.csv; figures: {out}/figures/{stem}_*.png")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Find the intensity of a lever whose realised spend matches a target (M€ per run)."""
    from clusterlab.experiments.calibrate import calibrate_intensity  # noqa: PLC0415 - imported when used (start-up)
    from clusterlab.model.presets import preset  # noqa: PLC0415 - imported when used (start-up)

    params = preset(args.preset, **_overrides(args.set or []))
    result = calibrate_intensity(
        params,
        args.lever,
        args.target,
        seeds=range(args.seeds),
        steps=args.steps,
        tolerance=args.tolerance,
        max_evaluations=args.max_evaluations,
    )
    if args.json:
        _print_json(
            {k: getattr(result, k) for k in result.__slots__}
            | {"relative_error": result.relative_error, "within": result.within}
        )
        return 0 if result.within else 1
    print(
        f"Calibrating '{args.lever}' on preset '{args.preset}' to {args.target:g} M€ "
        f"over {args.steps} years (mean of seeds 0..{args.seeds - 1}):"
    )
    for value, spend in result.evaluations:
        print(f"  {args.lever} = {value:<10.6g} spends {spend:10.2f} M€")
    verdict = "within" if result.within else "NOT within"
    print(
        f"Result: {args.lever} = {result.value:.6g} spends {result.achieved:.2f} M€ "
        f"({result.relative_error:.1%} off; {verdict} the {result.tolerance:.0%} tolerance)"
        + ("" if result.monotone else "; spend did not rise with the lever")
    )
    return 0 if result.within else 1


def _print_json(obj: object) -> None:
    """Print strict JSON (NaN as null), for --json."""
    import json  # noqa: PLC0415 - imported when used (start-up)

    from clusterlab.experiments.folders import json_safe  # noqa: PLC0415 - imported when used (start-up)

    print(json.dumps(json_safe(obj), indent=2, allow_nan=False, default=str))


def cmd_presets(args: argparse.Namespace) -> int:
    """List the presets."""
    from clusterlab.model.presets import PRESETS  # noqa: PLC0415 - imported when used (start-up)

    if args.json:
        _print_json(
            [
                {"name": name, "description": doc, "overrides": overrides}
                for name, (doc, overrides) in PRESETS.items()
            ]
        )
        return 0
    width = max(len(n) for n in PRESETS)
    for name, (doc, overrides) in PRESETS.items():
        changes = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "(defaults)"
        print(f"{name:<{width}}  {doc}\n{'':<{width}}  {changes}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """List every parameter with group, default, range, unit and meaning."""
    from clusterlab.model.params import param_specs  # noqa: PLC0415 - imported when used (start-up)

    with _extension_params(args.extension or []):  # theirs after the built-in ones
        specs = param_specs()
    if args.json:
        _print_json(
            [
                {
                    "name": spec.name,
                    "group": spec.group,
                    "default": getattr(spec.default, "value", spec.default),
                    "type": "choice" if spec.choices else spec.kind.__name__,
                    "low": None if spec.choices else spec.low,
                    "high": None if spec.choices else spec.high,
                    "choices": list(spec.choices) if spec.choices else None,
                    "unit": spec.unit,
                    "meaning": spec.doc,
                }
                for spec in specs.values()
            ]
        )
        return 0
    wide = max(15, *(len(spec.group) for spec in specs.values()))
    print(f"{'name':<30} {'group':<{wide}} {'default':>10}  {'allowed':<28} {'unit':<22} meaning")
    for spec in specs.values():
        default = getattr(spec.default, "value", spec.default)
        allowed = "|".join(spec.choices) if spec.choices else f"[{spec.low:g}, {spec.high:g}]"
        cells = f"{spec.name:<30} {spec.group:<{wide}} {default!s:>10}  {allowed:<28}"
        print(f"{cells} {spec.unit:<22} {spec.doc}")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the teaching app in the browser until Ctrl+C."""
    from clusterlab.experiments.app_server import (  # noqa: PLC0415 - imported when used (start-up)
        ALL_INTERFACES,
        app_urls,
        check_app,
        resolve_port,
        run_app,
    )

    check_app(args.port)
    port = resolve_port(args.host, args.port)
    urls = app_urls(args.host, port)
    if args.host in ALL_INTERFACES:
        print(f"ClusterLab app, classroom mode: serving the local network on port {port}.")
        print("Each browser tab gets its own world. Students open one of:")
        print("\n".join(f"  {url}" for url in urls[1:]) or "  (no network address found)")
        print(f"On this machine: {urls[0]} (Ctrl+C stops it)")
    else:
        print(f"ClusterLab app: open {urls[0]} in a browser (Ctrl+C stops it)")
    return run_app(args.host, port, open_browser=args.open)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - start-up

    try:
        return version("clusterlab")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


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
    sens.add_argument("--workers", type=int, default=None, help="worker processes")
    sens.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster")
    sens.add_argument("--out", help="results folder (default results/<experiment name>)")
    sens.add_argument("--outcome", action="append", help="summary outcome to analyse (repeatable)")
    sens.set_defaults(func=cmd_sensitivity)
    demo = sub.add_parser("demo", help="run the default experiment and write its report")
    demo.add_argument("--out", default="results/demo", help="results folder (default results/demo)")
    demo.add_argument("--workers", type=int, default=None, help="worker processes")
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
    val.add_argument("--workers", type=int, default=None, help="worker processes")
    val.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster")
    val.set_defaults(func=cmd_validate)


def _add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser("sweep", help="run (or resume) an experiment file")
    sweep.add_argument("experiment", help="experiment file (.toml)")
    sweep.add_argument(
        "--workers",
        type=int,
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
