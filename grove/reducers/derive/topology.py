"""Topology levels from ClusterTopologyBindings, and the domain tree (e.g. zone → block → rack → host) with GPUs.

Levels come from the binding the workload names in ``topologyConstraint.topologyName``; node label keys differ per
cluster and are never hard-coded (docs/grove-model.md, Topology). Without a binding, nodes are grouped by hostname only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from grove.events import kinds
from grove.events.model import SourceStatus
from grove.reducers import fields as f
from grove.reducers.derive.gpu import GpuTotals, NodeFacts, NodeGpu, node_gpus
from grove.reducers.state import State

HOST_DOMAIN = "host"
UNLABELLED = "(unlabelled)"
UNKNOWN = "(node not visible)"


@attrs.frozen
class Level:
    domain: str
    key: str


HOST_LEVEL = Level(HOST_DOMAIN, f.HOSTNAME_KEY)


@attrs.frozen
class TopologyInfo:
    """Which binding applies and why."""

    binding: str | None
    levels: tuple[Level, ...]  # the binding's levels, broadest → narrowest (empty without a binding)
    origin: str  # "named" | "only-binding" | "missing" | "forbidden" | "none"
    message: str

    def key_of(self, domain: str) -> str | None:
        found = next((lv.key for lv in self.levels if lv.domain == domain), None)
        return found if found is not None or domain != HOST_DOMAIN else f.HOSTNAME_KEY

    def domain_of(self, key: str) -> str:
        found = next((lv.domain for lv in self.levels if lv.key == key), None)
        return found if found is not None else (HOST_DOMAIN if key == f.HOSTNAME_KEY else key)

    @property
    def grouping_levels(self) -> tuple[Level, ...]:
        """Levels above the nodes themselves."""
        return tuple(lv for lv in self.levels if lv.key != f.HOSTNAME_KEY)

    @property
    def default_pack_level(self) -> Level:
        """Where an unconstrained gang is judged: the narrowest level above hosts (e.g. rack), else host."""
        grouping = self.grouping_levels
        return grouping[-1] if grouping else HOST_LEVEL

    @property
    def placement_levels(self) -> tuple[Level, ...]:
        """The binding's levels, and the nodes themselves (as ``host``) when the binding has no such level."""
        if any(lv.key == f.HOSTNAME_KEY for lv in self.levels):
            return self.levels
        return (*self.levels, HOST_LEVEL)


def binding_levels(state: State, name: str) -> tuple[Level, ...] | None:
    obj = state.get(kinds.CLUSTERTOPOLOGYBINDING, "", name)
    if obj is None:
        return None
    levels = []
    for raw in f.seq(f.get(obj, "spec", "levels")):
        domain, key = f.text(f.mapping(raw).get("domain")), f.text(f.mapping(raw).get("key"))
        if domain and key:
            levels.append(Level(domain, key))
    return tuple(levels)


BINDINGS_FORBIDDEN = "needs list/watch on clustertopologybindings at cluster scope"


def _bindings_forbidden(state: State) -> bool:
    source = state.sources.get(kinds.CLUSTERTOPOLOGYBINDING)
    return source is not None and source.status is SourceStatus.FORBIDDEN


def resolve(state: State, named: str | None) -> TopologyInfo:
    """The topology for a workload that names ``named`` (or nothing). A binding that could not be read because
    listing bindings is forbidden is said to be forbidden, not missing."""
    forbidden = _bindings_forbidden(state)
    if named:
        levels = binding_levels(state, named)
        if levels is None and forbidden:
            return TopologyInfo(
                named,
                (),
                "forbidden",
                f"ClusterTopologyBinding {named!r} is forbidden ({BINDINGS_FORBIDDEN}): grouping by host only",
            )
        if levels is None:
            return TopologyInfo(
                named,
                (),
                "missing",
                f"ClusterTopologyBinding {named!r} not found: grouping by host only",
            )
        return TopologyInfo(named, levels, "named", f"ClusterTopologyBinding {named}")
    bindings = sorted(name for _, name in state.of_kind(kinds.CLUSTERTOPOLOGYBINDING))
    if len(bindings) == 1:
        levels = binding_levels(state, bindings[0]) or ()
        return TopologyInfo(
            bindings[0],
            levels,
            "only-binding",
            f"ClusterTopologyBinding {bindings[0]} (the cluster's only binding; the workload names none)",
        )
    if bindings:
        return TopologyInfo(
            None,
            (),
            "none",
            f"no topology binding named by the workload ({len(bindings)} exist): grouping by host only",
        )
    if forbidden:
        message = f"ClusterTopologyBindings are forbidden ({BINDINGS_FORBIDDEN}): grouping by host only"
        return TopologyInfo(None, (), "forbidden", message)
    return TopologyInfo(None, (), "none", "no topology binding: grouping by host only")


def node_value(node: NodeGpu | NodeFacts, key: str) -> str:
    if key == f.HOSTNAME_KEY:
        return node.labels.get(key) or node.node
    if not node.known:
        return UNKNOWN
    return node.labels.get(key) or UNLABELLED


@attrs.frozen
class DomainNode:
    domain: str  # level name, e.g. "rack"
    key: str
    value: str  # e.g. "rack-1"
    path: tuple[str, ...]  # values from the broadest level down to this one
    totals: Mapping[str, GpuTotals]  # per GPU product, over every node in the domain
    children: tuple[DomainNode, ...]
    nodes: tuple[NodeGpu, ...]  # leaf level only: the nodes shown

    @property
    def allocatable(self) -> int:
        return sum(t.allocatable for t in self.totals.values())

    @property
    def used(self) -> int:
        return sum(t.grove + t.other for t in self.totals.values())


def _totals(nodes: Iterable[NodeGpu]) -> dict[str, GpuTotals]:
    out: dict[str, GpuTotals] = {}
    for node in nodes:
        out[node.product] = out.get(node.product, GpuTotals(node.product)).plus(node)
    return dict(sorted(out.items()))


def domain_tree(
    info: TopologyInfo, nodes: Iterable[NodeGpu], shown: Iterable[str] | None = None
) -> tuple[DomainNode, ...]:
    """Group nodes by the binding's levels. ``shown``: node names to list (None: all); totals count every node."""
    all_nodes = list(nodes)
    wanted = None if shown is None else set(shown)
    return _group(info.grouping_levels, all_nodes, wanted, ())


def _group(
    levels: tuple[Level, ...], nodes: list[NodeGpu], wanted: set[str] | None, path: tuple[str, ...]
) -> tuple[DomainNode, ...]:
    if not levels:
        return ()
    level, rest = levels[0], levels[1:]
    buckets: dict[str, list[NodeGpu]] = {}
    for node in nodes:
        buckets.setdefault(node_value(node, level.key), []).append(node)
    out = []
    for value in sorted(buckets, key=lambda v: (v in (UNLABELLED, UNKNOWN), v)):
        members = buckets[value]
        if wanted is not None and not any(n.node in wanted for n in members):
            continue
        sub_path = (*path, value)
        out.append(
            DomainNode(
                domain=level.domain,
                key=level.key,
                value=value,
                path=sub_path,
                totals=_totals(members),
                children=_group(rest, members, wanted, sub_path),
                nodes=tuple(n for n in members if wanted is None or n.node in wanted) if not rest else (),
            )
        )
    return tuple(out)


def cluster_nodes(state: State) -> list[NodeGpu]:
    return list(node_gpus(state).values())
