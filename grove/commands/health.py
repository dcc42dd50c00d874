"""``kubectl grove health [PCS] [-a]``."""

from __future__ import annotations

import argparse
from typing import Any

from grove.commands.options import add_read_options

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


def run(args: argparse.Namespace) -> int:
    from grove.commands.read import run_read
    from grove.commands.source import Scope
    from grove.commands.targets import resolve_targets
    from grove.reducers.derive.reports import HealthReport, health_report
    from grove.reducers.state import State
    from grove.views.health import render_health

    def build(state: State, scope: Scope) -> HealthReport:
        return health_report(state, resolve_targets(state, scope, args.name), scope.namespace)

    return run_read(args, KINDS, build, lambda report, width: render_health(report), "HealthReport")
