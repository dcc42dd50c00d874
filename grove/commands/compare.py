"""``kubectl grove compare PCS [--plan N | --file F] [--verbose]``: a stored plan against what runs.

Configuration per role (replicas, images, GPUs per pod, resources), topology (domains per gang at the pack level,
placement score against the plan's target) and recommendations as commands. Exit codes: 0 what runs matches the
plan, 1 it differs (or an error, said on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from grove.commands.lifecycle.options import add_target_options


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "compare",
        help="a stored deployment plan against what runs (exit 1 when they differ)",
        description="Plan vs actual: configuration differences per role, topology (domains per gang, placement "
        "score vs the plan's target) and the commands that would bring it back. Exit codes: 0 matches the plan, "
        "1 differs (or an error, said on stderr), 2 usage.",
    )
    parser.add_argument("name", metavar="PCS")
    parser.add_argument("--plan", metavar="PLAN", help="the stored plan's name or number (default: the newest)")
    parser.add_argument("--file", metavar="FILE", help="the plan from a YAML file (plan store --file)")
    parser.add_argument("--verbose", action="store_true", help="every field and every gang, matching or not")
    parser.add_argument("-o", "--output", choices=("json", "yaml"), help="the comparison as data")
    add_target_options(parser)
    parser.set_defaults(run="grove.commands.compare:run")


def run(args: argparse.Namespace) -> int:
    from grove.commands.errors import UsageError, UserError
    from grove.commands.lifecycle.flow import find_pcs, read_state
    from grove.commands.plan import chosen_plan
    from grove.reducers import fields as f
    from grove.views.compare import compare, compare_lines, comparison_document
    from grove.views.plan import plan_of
    from grove.views.serialize import dumps

    if args.file and args.plan:
        raise UsageError("give --plan or --file, not both")
    state, namespace = read_state(args)
    pcs = find_pcs(state, namespace, args.name)
    planned = chosen_plan(args, pcs, args.plan)
    if planned.pcs != f.name(pcs):
        raise UserError(f"{args.file or 'the plan'} is a plan of PodCliqueSet {planned.pcs}, not {f.name(pcs)}")
    comparison = compare(planned, plan_of(state, pcs))
    if args.output:
        sys.stdout.write(dumps(comparison_document(comparison), args.output))
    else:
        sys.stdout.write("".join(f"{line}\n" for line in compare_lines(comparison, verbose=args.verbose)))
    return 1 if comparison.differs else 0
