"""``kubectl grove topology [PCS] [--level DOMAIN]``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from grove.commands.options import add_read_options
from grove.events.kinds import ALL_KINDS

if TYPE_CHECKING:
    from grove.commands.source import Scope
    from grove.reducers.derive.reports import TopologyReport
    from grove.reducers.state import State

KINDS = ALL_KINDS  # hierarchy, placement (nodes, bindings) and the events that explain them


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "topology",
        help="where pods run: topology levels down to nodes and pods, GPU use, placement findings",
        description="Show the levels of the ClusterTopologyBinding the workload names as a tree down to nodes and "
        "pods, with GPU bars split Grove / other workloads / free per GPU product, role badges, the placement "
        "score and findings. Without a name: every node of the cluster.",
    )
    parser.add_argument("name", nargs="?", help="PodCliqueSet name")
    parser.add_argument("--level", metavar="DOMAIN", help="group down to this level only (e.g. rack), then nodes")
    parser.add_argument(
        "--binding",
        metavar="NAME",
        help="group by this ClusterTopologyBinding (default: the one the workloads name; one tree each when several)",
    )
    add_read_options(parser)
    parser.set_defaults(run="grove.commands.topology:run")


REPORT_MODULES = ("grove.commands.targets", "grove.reducers.derive.reports", "grove.views.topology")
"""What ``build`` and ``render`` import: loaded while the lists download."""


def _topologies(report: Any) -> list[Any]:
    """The topology of each tree the report shows."""
    return [tree.topology for tree in report.bindings] or [report.topology]


def run(args: argparse.Namespace) -> int:
    from grove.commands.errors import UserError
    from grove.commands.read import run_read
    from grove.events import kinds

    def build(state: State, scope: Scope) -> TopologyReport:
        from grove.commands.targets import resolve_targets
        from grove.reducers.derive.reports import topology_report

        if args.binding and state.get(kinds.CLUSTERTOPOLOGYBINDING, "", args.binding) is None:
            known = ", ".join(sorted(n for _, n in state.of_kind(kinds.CLUSTERTOPOLOGYBINDING))) or "none"
            raise UserError(f"ClusterTopologyBinding {args.binding!r} not found (bindings: {known})")
        targets = resolve_targets(state, scope, args.name) if args.name else None
        # -o json/yaml carries every node's pods (a document's readers may look past the listed nodes)
        every = getattr(args, "output", None) in ("json", "yaml")
        report = topology_report(state, targets, scope.namespace, args.level, args.binding, pods_on_every_node=every)
        levels = [lv.domain for topo in _topologies(report) for lv in topo.levels]
        if args.level and args.level not in levels:
            raise UserError(
                f"--level {args.level!r} is not a level of this topology (levels: {', '.join(dict.fromkeys(levels))})"
            )
        return report

    # Pods of every namespace: GPUs used by other namespaces' pods are "other", not "free".
    def render(report: TopologyReport, width: int) -> Any:
        from grove.views.topology import render_topology

        return render_topology(report)

    return run_read(args, KINDS, build, render, "TopologyReport", cluster_wide=("Pod",), preload=REPORT_MODULES)
