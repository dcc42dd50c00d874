"""What each read command shows, as one model per command: the views render these, ``-o json|yaml`` prints them."""

from __future__ import annotations

import attrs

from grove.reducers.events import EventRow
from grove.reducers.gpu import GpuTotals, NodeGpu, node_gpus, totals_by_product
from grove.reducers.health import PcsHealth, health_for
from grove.reducers.hierarchy import PcsNode, build_pcs, pcs_names
from grove.reducers.placement import Finding, PcsPlacement, placement_for
from grove.reducers.rollout import Rollout, rollout_for
from grove.reducers.state import SourceState, State
from grove.reducers.topology import DomainNode, TopologyInfo, domain_tree, resolve


@attrs.frozen
class SourceNote:
    kind: str
    status: str
    message: str
    since: float | None


@attrs.frozen
class PcsStatus:
    pcs: PcsNode
    placement: PcsPlacement
    health: PcsHealth
    rollout: Rollout | None


@attrs.frozen
class StatusReport:
    now: float
    namespace: str | None
    items: tuple[PcsStatus, ...]
    sources: tuple[SourceNote, ...]


@attrs.frozen
class TopologyReport:
    now: float
    namespace: str | None
    pcs: tuple[str, ...]  # the workloads shown ("ns/name"); empty: the whole cluster
    topology: TopologyInfo
    domains: tuple[DomainNode, ...]
    nodes: tuple[NodeGpu, ...]  # the nodes listed (leaves)
    pods_by_node: dict[str, tuple[PodOnNode, ...]]
    totals: dict[str, GpuTotals]  # per product, over the whole cluster
    placements: tuple[PcsPlacement, ...]
    findings: tuple[Finding, ...]
    sources: tuple[SourceNote, ...]


@attrs.frozen
class PodOnNode:
    namespace: str
    name: str
    pcs: str | None
    role: str
    status: str
    ready: bool
    gpus: int
    grove: bool
    highlighted: bool  # belongs to a workload the report is about
    finding: str | None  # the most severe finding code about this pod


@attrs.frozen
class HealthReport:
    now: float
    namespace: str | None
    items: tuple[PcsHealth, ...]
    sources: tuple[SourceNote, ...]


def source_notes(state: State) -> tuple[SourceNote, ...]:
    """Sources that are not simply live (or replaying): what is missing and why."""
    notes = []
    for kind, src in sorted(state.sources.items()):
        assert isinstance(src, SourceState)
        if src.status.value in ("live", "replay") and not src.message:
            continue
        notes.append(SourceNote(kind, src.status.value, src.message, src.since))
    return tuple(notes)


def status_report(state: State, targets: list[tuple[str, str]], namespace: str | None) -> StatusReport:
    items = tuple(
        PcsStatus(
            build_pcs(state, ns, name),
            placement_for(state, ns, name),
            health_for(state, ns, name),
            rollout_for(state, ns, name),
        )
        for ns, name in targets
    )
    return StatusReport(state.now, namespace, items, source_notes(state))


def health_report(state: State, targets: list[tuple[str, str]], namespace: str | None) -> HealthReport:
    return HealthReport(
        state.now, namespace, tuple(health_for(state, ns, name) for ns, name in targets), source_notes(state)
    )


def topology_report(
    state: State, targets: list[tuple[str, str]] | None, namespace: str | None, level: str | None = None
) -> TopologyReport:
    """``targets`` None: the whole cluster (every node). Otherwise the nodes hosting those workloads' pods."""
    from grove.events import kinds
    from grove.reducers import fields as f
    from grove.reducers.hierarchy import role_of_pod
    from grove.reducers.pods import facts

    nodes = node_gpus(state)
    placements = tuple(placement_for(state, ns, name) for ns, name in (targets or []))
    if placements:
        names = {p.topology.binding for p in placements}
        topo = placements[0].topology if len(names) == 1 else resolve(state, None)
    else:
        workloads = [build_pcs(state, ns, n) for ns, n in pcs_names(state, namespace)]
        named = {w.topology_name for w in workloads if w.topology_name}
        topo = resolve(state, named.pop() if len(named) == 1 else None)
    if level is not None:
        topo = _cut_at(topo, level)
    target_set = set(targets or [])
    finding_of: dict[str, str] = {}
    for placement in placements:
        for finding in placement.findings:
            for pod_name in finding.pods:
                finding_of.setdefault(pod_name, finding.code)
    pods_by_node: dict[str, list[PodOnNode]] = {}
    pods = state.of_kind(kinds.POD)
    for node_name in nodes:
        for key in state.indexed("pods_by_node", (node_name,)):
            pod = pods.get(key)
            if pod is None:
                continue
            pf = facts(pod)
            if pf.finished:
                continue
            pcs = f.label(pod, f.PART_OF) if pf.grove else None
            pods_by_node.setdefault(node_name, []).append(
                PodOnNode(
                    namespace=pf.namespace,
                    name=pf.name,
                    pcs=pcs,
                    role=(role_of_pod(state, pod) or "?") if pf.grove else "",
                    status=pf.status,
                    ready=pf.ready,
                    gpus=pf.gpus,
                    grove=pf.grove,
                    highlighted=(pf.namespace, pcs or "") in target_set,
                    finding=finding_of.get(pf.name) if (pf.namespace, pcs or "") in target_set else None,
                )
            )
    shown = None if targets is None else {n for n, ps in pods_by_node.items() if any(p.highlighted for p in ps)}
    domains = domain_tree(topo, nodes.values(), shown)
    listed = tuple(n for n in nodes.values() if shown is None or n.node in shown)
    ordered = {
        n: tuple(
            sorted(plist, key=lambda p: (not p.highlighted, p.namespace, p.pcs or "~", _role_rank(p.role), p.name))
        )
        for n, plist in pods_by_node.items()
    }
    findings = tuple(fd for p in placements for fd in p.findings)
    return TopologyReport(
        now=state.now,
        namespace=namespace,
        pcs=tuple(f"{ns}/{n}" for ns, n in (targets or [])),
        topology=topo,
        domains=domains,
        nodes=listed,
        pods_by_node=ordered,
        totals=totals_by_product(nodes.values()),
        placements=placements,
        findings=findings,
        sources=source_notes(state),
    )


def _role_rank(role: str) -> tuple[int, str]:
    """Prefill roles first, then decode, then the rest (as the seed's layouts list them)."""
    first = role[:1].lower()
    return ({"p": 0, "d": 1}.get(first, 2), role)


def _cut_at(topo: TopologyInfo, level: str) -> TopologyInfo:
    """Keep the levels down to ``level`` (inclusive); the nodes come right under it."""
    names = [lv.domain for lv in topo.levels]
    if level not in names:
        return topo
    return attrs.evolve(topo, levels=topo.levels[: names.index(level) + 1])


def recent_events(report: HealthReport) -> tuple[EventRow, ...]:
    return tuple(e for item in report.items for e in item.events)
