"""``kubectl grove health [PCS] [-a]``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from grove.commands.options import add_read_options

if TYPE_CHECKING:
    from grove.commands.source import Scope
    from grove.reducers.derive.reports import HealthReport
    from grove.reducers.state import State

KINDS = ("PodCliqueSet", "PodCliqueScalingGroup", "PodClique", "PodGang", "Pod", "Event")


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "health",
        help="gang health: MinAvailable breaches, termination countdowns, pending pods and their events",
        description="Gang health dashboard: per PCS replica and PodGang, MinAvailableBreached with the countdown to "
        "gang termination (terminationDelay from the condition's lastTransitionTime), pending and gated pods with "
        "their reasons, and the recent events that explain them.",
    )
    parser.add_argument("name", nargs="?", help="PodCliqueSet name")
    parser.add_argument(
        "-a", "--all", action="store_true", help="every PodCliqueSet in scope (the default without a name)"
    )
    add_read_options(parser)
    parser.set_defaults(run="grove.commands.health:run")


REPORT_MODULES = ("grove.commands.targets", "grove.reducers.derive.reports", "grove.views.health")
"""What ``build`` and ``render`` import: loaded while the lists download."""


def run(args: argparse.Namespace) -> int:
    from grove.commands.read import run_read

    def build(state: State, scope: Scope) -> HealthReport:
        from grove.commands.targets import resolve_targets
        from grove.reducers.derive.reports import health_report

        return health_report(state, resolve_targets(state, scope, args.name), scope.namespace)

    def render(report: HealthReport, width: int) -> Any:
        from grove.views.health import render_health

        return render_health(report)

    return run_read(args, KINDS, build, render, "HealthReport", preload=REPORT_MODULES)
