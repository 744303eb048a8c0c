"""Command-line interface: ``clusterlab run | presets | params``.

Every ClusterLab error on bad input is printed as one line on stderr and the command
exits with status 2; nothing half-written is left behind.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from experiments.output import write_run
from model.errors import ClusterLabError, ParameterError
from model.params import param_specs, parse_value
from model.presets import PRESETS, preset
from model.simulate import simulate

__all__ = ["main"]

EXIT_BAD_INPUT = 2

SUMMARY_ROWS = (
    ("radical_innovations", "Radical innovations (novel pairs)", "count"),
    ("recombinant_innovations", "Recombinant innovations (known pairs)", "count"),
    ("new_specialisations", "New specialisations (RCA crosses 1)", "count"),
    ("new_specialisations_related", "  of which related", "count"),
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
    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ParameterError(
                f"--set takes name=value, e.g. --set cross_cluster_subsidy=0.5. Got {pair!r}."
            )
        out[name.strip()] = parse_value(name.strip(), text.strip())
    return out


def cmd_run(args: argparse.Namespace) -> int:
    """Run one simulation and write its outputs."""
    params = preset(args.preset, **_overrides(args.set or []))
    if args.steps < 0:
        raise ParameterError(f"--steps must be an integer >= 0. Got {args.steps}.")
    result = simulate(params, seed=args.seed, steps=args.steps)
    out = write_run(result, Path(args.out), preset=args.preset, force=args.force)
    print(f"ClusterLab run: preset '{args.preset}', seed {args.seed}, {args.steps} years")
    width = max(len(label) for _, label, _ in SUMMARY_ROWS)
    for key, label, unit in SUMMARY_ROWS:
        print(f"  {label:<{width}}  {result.summary[key]:>10.3f}  {unit}")
    print(f"Outputs written to {out}/")
    return 0


def cmd_presets(_: argparse.Namespace) -> int:
    """List the presets."""
    width = max(len(n) for n in PRESETS)
    for name, (doc, overrides) in PRESETS.items():
        changes = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "(defaults)"
        print(f"{name:<{width}}  {doc}\n{'':<{width}}  {changes}")
    return 0


def cmd_params(_: argparse.Namespace) -> int:
    """List every parameter with group, default, range, unit and meaning."""
    print(f"{'name':<30} {'group':<15} {'default':>10}  {'allowed':<28} {'unit':<22} meaning")
    for spec in param_specs().values():
        default = getattr(spec.default, "value", spec.default)
        allowed = "|".join(spec.choices) if spec.choices else f"[{spec.low:g}, {spec.high:g}]"
        cells = f"{spec.name:<30} {spec.group:<15} {default!s:>10}  {allowed:<28}"
        print(f"{cells} {spec.unit:<22} {spec.doc}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``clusterlab``."""
    parser = _Parser(prog="clusterlab", description=__doc__.splitlines()[0])
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
    run.add_argument("--out", default="results/run", help="output folder (default results/run)")
    run.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    run.set_defaults(func=cmd_run)
    sub.add_parser("presets", help="list the presets").set_defaults(func=cmd_presets)
    sub.add_parser("params", help="list every parameter").set_defaults(func=cmd_params)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``clusterlab`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ClusterLabError as exc:
        print(f"clusterlab: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
