"""What each read command shows, as one model per command: the views render these, ``-o json|yaml`` prints them."""

from __future__ import annotations

import attrs

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers import indexes as ix
from grove.reducers.carryover import CarryOver
from grove.reducers.derive.gpu import GpuTotals, NodeGpu, node_gpus, totals_by_product
from grove.reducers.derive.health import PcsHealth, health_for, pcs_state, replica_health_for
from grove.reducers.derive.hierarchy import PcsNode, build_pcs, pcs_names, topology_name_of
from grove.reducers.derive.kube_event_rows import EventRow
from grove.reducers.derive.placement import Finding, PcsPlacement, placement_for, placement_score
from grove.reducers.derive.pods import PodFacts, facts
from grove.reducers.derive.rollout import Rollout, rollout_for
from grove.reducers.derive.topology import DomainNode, TopologyInfo, domain_tree, resolve
from grove.reducers.state import ObjKey, SourceState, State


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
class SummaryRow:
    """What ``status`` without a name shows of one PodCliqueSet."""

    pcs: PcsNode
    placement_score: float | None
    health: str  # the PCS's health state (``health.pcs_state``)
    rollout: Rollout | None


@attrs.frozen
class StatusSummary:
    """``status`` without a name, as text: one row per PodCliqueSet. ``-o json|yaml`` print the whole
    ``StatusReport``; a one-shot text read derives only this (no placement checks, findings or events)."""

    now: float
    namespace: str | None
    rows: tuple[SummaryRow, ...]
    sources: tuple[SourceNote, ...]


def summary_of(report: StatusReport) -> StatusSummary:
    """The summary rows of a whole report (the same figures ``status_summary`` derives alone)."""
    rows = tuple(SummaryRow(i.pcs, i.placement.score, i.health.state, i.rollout) for i in report.items)
    return StatusSummary(report.now, report.namespace, rows, report.sources)


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
    # When the workloads in scope name several bindings: one tree per binding, then the nodes that carry the labels
    # of none of them (``topology`` and ``domains`` above are then the host-only fallback and stay empty of trees).
    bindings: tuple[BindingTree, ...] = ()
    unbound: tuple[NodeGpu, ...] = ()


@attrs.frozen
class BindingTree:
    """The nodes carrying a binding's level labels, grouped by its levels."""

    topology: TopologyInfo
    domains: tuple[DomainNode, ...]
    nodes: tuple[NodeGpu, ...]


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


def status_summary(state: State, targets: list[tuple[str, str]], namespace: str | None) -> StatusSummary:
    """``summary_of(status_report(...))`` without what the summary does not show: the placement's score alone
    (``placement_score``), the health state without the events."""
    rows = tuple(
        SummaryRow(
            build_pcs(state, ns, name),
            placement_score(state, ns, name),
            pcs_state(replica_health_for(state, ns, name)),
            rollout_for(state, ns, name),
        )
        for ns, name in targets
    )
    return StatusSummary(state.now, namespace, rows, source_notes(state))


def health_report(state: State, targets: list[tuple[str, str]], namespace: str | None) -> HealthReport:
    return HealthReport(
        state.now, namespace, tuple(health_for(state, ns, name) for ns, name in targets), source_notes(state)
    )


def topology_report(
    state: State,
    targets: list[tuple[str, str]] | None,
    namespace: str | None,
    level: str | None = None,
    binding: str | None = None,
    *,
    pods_on_every_node: bool = False,
) -> TopologyReport:
    """``targets`` None: the whole cluster (every node). Otherwise the nodes hosting those workloads' pods, and
    ``pods_by_node`` holds only those nodes' pods unless ``pods_on_every_node`` (Arborist's "all domains" around a
    workload shows every node's pods).

    ``binding`` names the ClusterTopologyBinding to group by. Without it, the whole cluster is grouped by the
    binding its workloads name; when they name several, by each of them in turn (``bindings``)."""
    nodes = node_gpus(state)
    placements = tuple(placement_for(state, ns, name) for ns, name in (targets or []))
    named: set[str] = set()
    if binding is not None:
        topo = resolve(state, binding)
    elif placements:
        names = {p.topology.binding for p in placements}
        topo = placements[0].topology if len(names) == 1 else resolve(state, None)
    else:
        pcs = state.of_kind(kinds.PODCLIQUESET)
        named = {t for key in pcs_names(state, namespace) if (t := topology_name_of(pcs.get(key)))}
        topo = resolve(state, named.pop() if len(named) == 1 else None)
    if level is not None:
        topo = _cut_at(topo, level)
    target_set = frozenset(targets or [])
    roles = _clique_roles(state)
    finding_of = _finding_of(placements)
    pods_by_node: dict[str, tuple[PodOnNode, ...]] = {}
    # every node's pods read anyway: the listed nodes are those with a pod of a target among them (kept from the
    # previous state for nodes whose pods did not change), not another walk over every pod
    shown = None if targets is None or pods_on_every_node else _nodes_hosting(state, target_set)
    for node_name in nodes:
        if shown is not None and node_name not in shown:
            continue  # a node the report does not list: its pods are not read
        on_node = _pods_on_node(state, node_name, roles, finding_of, target_set)
        if on_node:
            pods_by_node[node_name] = on_node
    if targets is not None and pods_on_every_node:
        shown = {node for node, rows in pods_by_node.items() if any(p.highlighted for p in rows)}
    listed = tuple(n for n in nodes.values() if shown is None or n.node in shown)
    trees = _binding_trees(state, sorted(named), listed, level) if len(named) > 1 else ()
    carried = {n.node for tree in trees for n in tree.nodes}
    findings = tuple(fd for p in placements for fd in p.findings)
    return TopologyReport(
        now=state.now,
        namespace=namespace,
        pcs=tuple(f"{ns}/{n}" for ns, n in (targets or [])),
        topology=topo,
        domains=() if trees else domain_tree(topo, nodes.values(), shown),
        nodes=listed,
        pods_by_node=pods_by_node,
        totals=totals_by_product(nodes.values()),
        placements=placements,
        findings=findings,
        sources=source_notes(state),
        bindings=trees,
        unbound=tuple(n for n in listed if n.node not in carried) if trees else (),
    )


def _binding_trees(
    state: State, names: list[str], nodes: tuple[NodeGpu, ...], level: str | None
) -> tuple[BindingTree, ...]:
    """One tree per binding over the nodes that carry a label of each of its levels above the hosts (a node may
    carry the labels of several)."""
    trees = []
    for name in names:
        topo = resolve(state, name)
        if level is not None:
            topo = _cut_at(topo, level)
        keys = [lv.key for lv in topo.grouping_levels]
        members = tuple(n for n in nodes if n.known and keys and all(k in n.labels for k in keys))
        trees.append(BindingTree(topo, domain_tree(topo, members) if members else (), members))
    return tuple(trees)


_ROLES: CarryOver[dict[ObjKey, str]] = CarryOver(max_entries=4)
_FINDINGS_OF: CarryOver[dict[str, str]] = CarryOver(max_entries=256)
_NODE_PODS: CarryOver[tuple[PodOnNode, ...]] = CarryOver(max_entries=65_536)


def _clique_roles(state: State) -> dict[ObjKey, str]:
    """Each PodClique's ``spec.roleName`` (a pod's role, see ``hierarchy.role_of_pod``): the very same dict while
    every role is the same, though the PodCliques' statuses change all the time."""
    roles = {key: f.text(f.get(obj, "spec", "roleName")) for key, obj in state.of_kind(kinds.PODCLIQUE).items()}
    return _ROLES.get(state.lineage, (), lambda: roles, values=(roles,))


def _finding_of(placements: tuple[PcsPlacement, ...]) -> dict[str, str]:
    """Each pod's first finding code in the workloads' placements: the same dict while the placements are, or while
    it comes out the same (a placement worked out again after a pod was scheduled often names the same pods)."""
    key = tuple((p.namespace, p.name) for p in placements)
    previous = _FINDINGS_OF.previous(key)

    def compute() -> dict[str, str]:
        out: dict[str, str] = {}
        for placement in placements:
            for finding in placement.findings:
                for pod_name in finding.pods:
                    out.setdefault(pod_name, finding.code)
        return previous if previous == out else out

    return _FINDINGS_OF.get(key, placements, compute)


def _is_about(pod: KubeObject, pf: PodFacts, targets: frozenset[ObjKey]) -> bool:
    """Whether a pod that is not finished belongs to a workload the report is about (by its part-of label)."""
    return pf.grove and (pf.namespace, f.label(pod, f.PART_OF) or "") in targets


def _nodes_hosting(state: State, targets: frozenset[ObjKey]) -> set[str]:
    """The nodes a targeted report lists: those running a pod of one of its workloads. Only the targets' namespaces
    are read, so the other namespaces' pods (listed for GPU accounting) are not looked at one by one."""
    namespaces = {ns for ns, _ in targets}
    out: set[str] = set()
    for (namespace, _), pod in state.of_kind(kinds.POD).items():
        if namespace in namespaces:
            pf = facts(pod)
            if pf.node and not pf.finished and _is_about(pod, pf, targets):
                out.add(pf.node)
    return out


def _pods_on_node(
    state: State,
    node_name: str,
    roles: dict[ObjKey, str],
    finding_of: dict[str, str],
    targets: frozenset[tuple[str, str]],
) -> tuple[PodOnNode, ...]:
    """The pods on a node that are not finished, in the order the views list them (a workload the report is about
    first). Reused while the node's pods are the same objects (its bucket is the same, see ``indexes.VALUED``), as are
    the roles and findings: a state with a few pods changed redoes a few nodes."""
    bucket = state.indexed(ix.PODS_BY_NODE, (node_name,))

    def compute() -> tuple[PodOnNode, ...]:
        listed = []
        for pod in bucket.values():
            if pod is None:
                continue
            pf = facts(pod)
            if pf.finished:
                continue
            pcs = f.label(pod, f.PART_OF) if pf.grove else None
            about = _is_about(pod, pf, targets)
            role = (roles.get((pf.namespace, pf.clique), "") if pf.clique else "") or "?"
            listed.append(
                PodOnNode(
                    namespace=pf.namespace,
                    name=pf.name,
                    pcs=pcs,
                    role=role if pf.grove else "",
                    status=pf.status,
                    ready=pf.ready,
                    gpus=pf.gpus,
                    grove=pf.grove,
                    highlighted=about,
                    finding=finding_of.get(pf.name) if about else None,
                )
            )
        listed.sort(key=lambda p: (not p.highlighted, p.namespace, p.pcs or "~", _role_rank(p.role), p.name))
        return tuple(listed)

    key = (state.lineage, node_name, targets)
    kept, read = _NODE_PODS.previous(key), _NODE_PODS.previous_inputs(key)
    if kept is not None and read is not None and read[0] is bucket and read[1] is roles and read[2] is not finding_of:
        before = read[2]
        assert isinstance(before, dict)
        changed = _findings_changed(before, finding_of)
        if not any(pod.name in changed for pod in kept):  # none of its pods has another finding
            return _NODE_PODS.get(key, (bucket, roles, finding_of), lambda: kept)
    return _NODE_PODS.get(key, (bucket, roles, finding_of), compute)


_CHANGED: CarryOver[frozenset[str]] = CarryOver(max_entries=16)


def _findings_changed(before: dict[str, str], after: dict[str, str]) -> frozenset[str]:
    """The pods whose finding code differs between two ``_finding_of`` results (worked out once per pair: a state's
    report asks for every node)."""
    return _CHANGED.get(
        (id(before), id(after)),
        (before, after),
        lambda: frozenset(name for name in before.keys() | after.keys() if before.get(name) != after.get(name)),
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
