"""``kubectl grove status [PCS] [-a]``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from grove.commands.options import add_read_options
from grove.events.kinds import ALL_KINDS

if TYPE_CHECKING:
    from grove.commands.source import Scope
    from grove.reducers.derive.reports import StatusReport, StatusSummary
    from grove.reducers.state import State

KINDS = ALL_KINDS  # hierarchy, placement (nodes, bindings) and the events that explain them


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "status",
        help="readiness, health, update progress and placement score of PodCliqueSets",
        description="Show PodCliqueSets: per replica, each clique and scaling group with ready/desired, role, "
        "health, update progress and placement score. Without a name: one line per PodCliqueSet.",
    )
    parser.add_argument("name", nargs="?", help="PodCliqueSet name")
    parser.add_argument("-a", "--all", action="store_true", help="the full view for every PodCliqueSet in scope")
    add_read_options(parser)
    parser.set_defaults(run="grove.commands.status:run")


REPORT_MODULES = ("grove.commands.targets", "grove.reducers.derive.reports", "grove.views.status")
"""What ``build`` and ``render`` import: loaded while the lists download."""


def run(args: argparse.Namespace) -> int:
    from grove.commands.read import run_read

    detailed = bool(args.name) or args.all
    # A one-shot table derives only what it shows; -o json|yaml print the whole report, and -w keeps the whole
    # report, whose placements carry over from frame to frame.
    summary_only = not detailed and args.output not in ("json", "yaml") and not args.watch

    def build(state: State, scope: Scope) -> StatusReport | StatusSummary:
        from grove.commands.targets import resolve_targets
        from grove.reducers.derive.reports import status_report, status_summary

        targets = resolve_targets(state, scope, args.name)
        return (status_summary if summary_only else status_report)(state, targets, scope.namespace)

    def render(report: StatusReport | StatusSummary, width: int) -> Any:
        from grove.reducers.derive.reports import StatusSummary
        from grove.views.status import render_status, render_summary

        if isinstance(report, StatusSummary):
            return render_summary(report, width)
        return render_status(report, detailed=detailed, wide=args.output == "wide", width=width)

    return run_read(args, KINDS, build, render, "StatusReport", preload=REPORT_MODULES)
