"""What each ``clusterlab`` command does (the parser and the entry point: :mod:`.cli`).

Each command imports what it uses when it runs (numpy, pandas, Mesa, matplotlib, the
numba kernels), so that the parser, ``--help`` and argument errors answer at once. A
command returns its exit status; bad input raises a
:class:`~clusterlab.model.errors.ClusterLabError`, which :func:`.cli.main` prints as one
line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from clusterlab.model.errors import ParameterError

if TYPE_CHECKING:
    from concurrent.futures import Executor
    from contextlib import AbstractContextManager

    from clusterlab.experiments.design import Experiment
    from clusterlab.experiments.runner import SweepReport


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
    from clusterlab.experiments.errors import reference_problem  # noqa: PLC0415 - imported when used (start-up)
    from clusterlab.model.extension import extension_params  # noqa: PLC0415 - imported when used (start-up)

    try:  # importing runs the module's code: name only modules you trust
        return extension_params(refs)
    except Exception as exc:  # whatever the import raises: one line
        raise ParameterError(f"--extension cannot be used: {reference_problem(exc)}") from None


@contextmanager
def _executor(
    args: argparse.Namespace, runs: int | None = None
) -> Iterator[tuple[Executor | None, int]]:
    """Open the executor the options ask for; yield it and its parallelism.

    A local pool (or local Dask cluster) has at most ``runs`` workers: each more would
    start an interpreter (a few hundred MB) for nothing.
    """
    from clusterlab.experiments.runner import local_executor  # noqa: PLC0415 - imported when used (start-up)

    if args.dask:
        try:
            from dask.distributed import Client, LocalCluster  # noqa: PLC0415 - optional
        except ImportError:
            raise ParameterError(
                "--dask needs dask.distributed; install it with: pip install 'clusterlab[dask]'."
            ) from None
        if args.dask == "local":
            n = _cap(args.workers or os.cpu_count() or 1, runs)
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
    workers = _cap(workers, runs) if workers > 0 else 0
    with local_executor(workers) as pool:
        yield pool, workers


def _cap(workers: int, runs: int | None) -> int:
    """``workers``, but no more than ``runs`` (and at least 1)."""
    return workers if runs is None else max(1, min(workers, runs))


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
        with _executor(args, runs=len(exp.runs())) as (executor, workers):
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
