"""``kubectl grove status [PCS] [-a]``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from grove.commands.options import add_read_options
from grove.events.kinds import ALL_KINDS

if TYPE_CHECKING:
    from grove.commands.source import Scope
    from grove.reducers.derive.reports import StatusReport
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

    def build(state: State, scope: Scope) -> StatusReport:
        from grove.commands.targets import resolve_targets
        from grove.reducers.derive.reports import status_report

        return status_report(state, resolve_targets(state, scope, args.name), scope.namespace)

    def render(report: StatusReport, width: int) -> Any:
        from grove.views.status import render_status

        return render_status(report, detailed=detailed, wide=args.output == "wide", width=width)

    return run_read(args, KINDS, build, render, "StatusReport", preload=REPORT_MODULES)
