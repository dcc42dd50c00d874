"""Placement: how each PodGang's pods spread over topology domains, a placement score, and findings.

Pack constraints hold per PodGang (one PCS replica's base gang, or one scaled PCSG replica), per group config and per
PodGroup, never across PCS replicas: a PCS whose replicas sit in different racks, each packed, is not fragmented.

Score (documented in the README): for each gang, the share of its GPUs (pods, when it requests no GPUs) that sits in
its best domain at its pack level — the required level, else the preferred one, else the narrowest level above hosts.
Pods not yet scheduled count as outside. The PCS score is the GPU-weighted mean over its gangs:
sum(best-domain GPUs) / sum(GPUs). 1.0 means every gang sits entirely inside one domain of its pack level. A gang
with no pack constraint on a cluster with no topology binding has no score (n/a): spreading over hosts is normal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers import indexes as ix
from grove.reducers.carryover import CarryOver
from grove.reducers.derivation import derivation
from grove.reducers.derive.gpu import NodeFacts, node_facts
from grove.reducers.derive.hierarchy import CliqueNode, GangNode, PcsNode, PodNode, build_pcs
from grove.reducers.derive.kube_event_rows import latest_failed_scheduling
from grove.reducers.derive.topology import UNKNOWN, TopologyInfo, node_value, resolve
from grove.reducers.state import State

PLACEMENT = derivation(
    "placement", reads_clock=False, about="a PodCliqueSet's placement: domains per gang, score, findings"
)

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@attrs.frozen
class DomainShare:
    value: str
    pods: int
    gpus: int


@attrs.frozen
class Spread:
    """Scheduled pods of a subject per domain value at one level, largest first."""

    domain: str
    key: str
    shares: tuple[DomainShare, ...]

    @property
    def distinct(self) -> int:
        return len(self.shares)


@attrs.frozen
class ConstraintCheck:
    scope: str  # "gang" | "group" | "podgroup"
    subject: str
    strength: str  # "required" | "preferred"
    domain: str
    key: str
    satisfied: bool
    spread: Spread
    outside: tuple[str, ...]  # scheduled pods outside the largest domain


@attrs.frozen
class Finding:
    severity: str
    code: str
    namespace: str
    pcs: str
    subject: str  # gang, pod or binding name the finding is about
    message: str
    hint: str
    pods: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    domain_key: str = ""  # for pack findings: the node label key of the level, and the domain most pods are in
    best_domain: str = ""


@attrs.frozen
class GangPlacement:
    name: str
    pcs_replica: int | None
    base: bool
    pcsg: str | None
    score_domain: str
    score: float | None
    scheduler_score: float | None
    gpus: int
    best_domain: str | None
    checks: tuple[ConstraintCheck, ...]
    spreads: tuple[Spread, ...]  # one per level, broadest first
    scheduled: int
    pending: int
    gated: int


@attrs.frozen
class PcsPlacement:
    namespace: str
    name: str
    topology: TopologyInfo
    score: float | None
    scheduler_score: float | None
    gangs: tuple[GangPlacement, ...]
    findings: tuple[Finding, ...]


@attrs.frozen
class _Pack:
    required: str | None  # node label keys
    preferred: str | None


def _pack_from_gang(raw: Any) -> _Pack | None:
    pack = f.mapping(f.mapping(raw).get("packConstraint"))
    required, preferred = f.text(pack.get("required")) or None, f.text(pack.get("preferred")) or None
    return _Pack(required, preferred) if required or preferred else None


def _pack_from_template(raw: Any, topo: TopologyInfo) -> _Pack | None:
    """A workload constraint names domains; translate them to node label keys through the binding."""
    tc = f.mapping(raw)
    pack = f.mapping(tc.get("pack"))
    required = f.text(pack.get("required")) or f.text(tc.get("packDomain")) or None
    preferred = f.text(pack.get("preferred")) or None
    if not required and not preferred:
        return None
    return _Pack(
        (topo.key_of(required) or f"domain:{required}") if required else None,
        (topo.key_of(preferred) or f"domain:{preferred}") if preferred else None,
    )


def workload_topology_name(state: State, pcs: PcsNode) -> str | None:
    """The binding the workload names: PCS template, PCSG config or clique template, else a PodGang annotation."""
    if pcs.topology_name:
        return pcs.topology_name
    obj = state.get(kinds.PODCLIQUESET, pcs.namespace, pcs.name)
    template = f.mapping(f.get(obj, "spec", "template")) if obj is not None else {}
    for item in (*f.seq(template.get("podCliqueScalingGroups")), *f.seq(template.get("cliques"))):
        name = f.text(f.get(item, "topologyConstraint", "topologyName"))
        if name:
            return name
    for gang in pcs.gangs:
        gang_obj = state.get(kinds.PODGANG, gang.namespace, gang.name)
        if gang_obj is not None:
            name = f.text(f.annotations_of(gang_obj).get(f.TOPOLOGY_NAME_ANNOTATION))
            if name:
                return name
    return None


def _gang_pack(
    gang: GangNode,
    gang_obj: KubeObject | None,
    pcs: PcsNode,
    template: Mapping[str, Any],
    pcsg_configs: Mapping[str, Mapping[str, Any]],
    topo: TopologyInfo,
) -> _Pack | None:
    """The pack constraint of the whole gang: the PodGang's own, else the (scaling group's or) workload's template."""
    gang_pack = _pack_from_gang(f.get(gang_obj, "spec", "topologyConstraint")) if gang_obj is not None else None
    if gang_pack is None:
        fallback = template.get("topologyConstraint")
        if not gang.base and gang.pcsg:
            scaled_config = pcsg_configs.get(_template_of_pcsg(pcs, gang.pcsg), {}).get("topologyConstraint")
            if _pack_from_template(scaled_config, topo) is not None:
                fallback = scaled_config
        gang_pack = _pack_from_template(fallback, topo)
    return gang_pack


def _template_and_configs(state: State, pcs: PcsNode) -> tuple[Mapping[str, Any], dict[str, Mapping[str, Any]]]:
    """The PCS template and its scaling groups' configs by name."""
    pcs_obj = state.get(kinds.PODCLIQUESET, pcs.namespace, pcs.name)
    template = f.mapping(f.get(pcs_obj, "spec", "template")) if pcs_obj is not None else {}
    pcsg_configs = {
        f.text(f.mapping(c).get("name")): f.mapping(c) for c in f.seq(template.get("podCliqueScalingGroups"))
    }
    return template, pcsg_configs


def _subjects(
    state: State, pcs: PcsNode, gang: GangNode, topo: TopologyInfo
) -> list[tuple[str, str, _Pack, tuple[str, ...]]]:
    """(scope, subject, pack, pod names) for every constraint that applies inside the gang."""
    gang_obj = state.get(kinds.PODGANG, gang.namespace, gang.name)
    template, pcsg_configs = _template_and_configs(state, pcs)
    clique_templates = {f.text(f.mapping(c).get("name")): f.mapping(c) for c in f.seq(template.get("cliques"))}
    pods_by_group = {g.name: g.pods for g in gang.podgroups}
    clique_by_name = {c.name: c for c in pcs.cliques()}
    out: list[tuple[str, str, _Pack, tuple[str, ...]]] = []

    gang_pack = _gang_pack(gang, gang_obj, pcs, template, pcsg_configs, topo)
    if gang_pack is not None:
        out.append(("gang", gang.name, gang_pack, gang.pods))

    group_configs = f.seq(f.get(gang_obj, "spec", "topologyConstraintGroupConfigs")) if gang_obj is not None else ()
    if group_configs:
        for cfg in group_configs:
            cm = f.mapping(cfg)
            pack = _pack_from_gang(cm.get("topologyConstraint"))
            if pack is None:
                continue
            names = [f.text(n) for n in f.seq(cm.get("podGroupNames"))]
            pods = tuple(p for n in names for p in pods_by_group.get(n, ()))
            out.append(("group", f.text(cm.get("name")), pack, pods))
    elif gang.base:
        # Fallback: base-gang PCSG replicas with a PCSG-level constraint.
        seen: dict[tuple[str, int], list[str]] = {}
        for grouped in clique_by_name.values():
            if grouped.gang == gang.name and grouped.pcsg and grouped.pcsg_replica is not None:
                seen.setdefault((grouped.pcsg, grouped.pcsg_replica), []).append(grouped.name)
        for (pcsg_name, sg_idx), clique_names in sorted(seen.items()):
            group = _template_of_pcsg(pcs, pcsg_name)
            pack = _pack_from_template(pcsg_configs.get(group, {}).get("topologyConstraint"), topo)
            if pack is not None:
                pods = tuple(p for n in clique_names for p in pods_by_group.get(n, ()))
                out.append(("group", f"{pcsg_name}-{sg_idx}", pack, pods))

    for podgroup in gang.podgroups:
        raw_group = next(
            (g for g in f.seq(f.get(gang_obj, "spec", "podgroups")) if f.mapping(g).get("name") == podgroup.name),
            None,
        )
        pack = _pack_from_gang(f.mapping(raw_group).get("topologyConstraint")) if raw_group is not None else None
        member = clique_by_name.get(podgroup.name)
        if pack is None and raw_group is None and member is not None:
            pack = _pack_from_template(clique_templates.get(member.clique, {}).get("topologyConstraint"), topo)
        if pack is not None:
            out.append(("podgroup", podgroup.name, pack, podgroup.pods))
    return out


def _template_of_pcsg(pcs: PcsNode, pcsg_name: str) -> str:
    for replica in pcs.replica_nodes:
        for group in replica.groups:
            if group.name == pcsg_name:
                return group.group
    return pcsg_name


_PerNode = dict[str, list[int]]  # node name -> [pods, GPUs]


def _per_node(pods: Sequence[PodNode]) -> _PerNode:
    """Pods and GPUs per node: a gang's pods share a few nodes, so spreads and outside lists are worked out per node
    (once per label key) instead of per pod."""
    out: _PerNode = {}
    for pod in pods:
        facts = pod.facts
        entry = out.get(facts.node)
        if entry is None:
            entry = out[facts.node] = [0, 0]
        entry[0] += 1
        entry[1] += facts.gpus
    return out


def _spread(domain: str, key: str, per_node: _PerNode, nodes: _Nodes) -> Spread:
    counts: dict[str, list[int]] = {}
    column = nodes.column(key)
    for node, (pods, gpus) in per_node.items():
        value = column.get(node)
        if value is None:
            value = nodes.value(node, key)
        entry = counts.get(value)
        if entry is None:
            entry = counts[value] = [0, 0]
        entry[0] += pods
        entry[1] += gpus
    shares = tuple(
        DomainShare(v, c[0], c[1]) for v, c in sorted(counts.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))
    )
    return Spread(domain, key, shares)


def _outside(pods: Sequence[PodNode], key: str, best: str, nodes: _Nodes) -> tuple[str, ...]:
    """Names of the pods (in order) whose domain at ``key`` is not ``best``, judged once per node."""
    away: dict[str, bool] = {}
    out = []
    for pod in pods:
        node = pod.facts.node
        outside = away.get(node)
        if outside is None:
            outside = away[node] = nodes.value(node, key) != best
        if outside:
            out.append(pod.facts.name)
    return tuple(out)


def _weight(pod: PodNode, by_gpu: bool) -> int:
    return pod.facts.gpus if by_gpu else 1


def _pcs_pods_by_name(pcs: PcsNode) -> dict[str, PodNode]:
    return {p.facts.name: p for p in pcs.pods() if not p.facts.finished}


def placement_for(state: State, namespace: str, name: str) -> PcsPlacement:
    return state.memoised(
        PLACEMENT, f"{namespace}/{name}", state.revision, lambda: _carried_placement(state, namespace, name)
    )


_CARRIED: CarryOver[PcsPlacement] = CarryOver()


def _carried_placement(state: State, namespace: str, name: str) -> PcsPlacement:
    """Reused while what placement reads is the same: the PCS and PodGang objects, the bindings, the Node objects and
    the events about unscheduled pods (by identity, see ``carryover``), and of the hierarchy only the gangs, the
    scaling groups' template names and what ``_clique_values`` keeps (by value: a pod turning ready makes a new
    hierarchy, not a new placement)."""
    pcs = build_pcs(state, namespace, name)
    refs: list[object] = [
        state.get(kinds.PODCLIQUESET, namespace, name),
        state.of_kind(kinds.CLUSTERTOPOLOGYBINDING),
        node_facts(state),  # the same map while the Node objects are
    ]
    refs.extend(state.get(kinds.PODGANG, g.namespace, g.name) for g in pcs.gangs)
    events = state.of_kind(kinds.EVENT)
    values, unscheduled = _hierarchy_values(state.lineage, pcs)
    for pod_name in unscheduled:
        bucket = state.indexed(ix.EVENTS_BY_OBJECT, (kinds.POD, namespace, pod_name))
        refs.append(bucket)
        refs.extend(events.get(k) for k in bucket)
    return _CARRIED.get((state.lineage, namespace, name), tuple(refs), lambda: _placement(state, pcs), values)


_HIERARCHY_VALUES: CarryOver[tuple[tuple[object, ...], tuple[str, ...]]] = CarryOver()


def _hierarchy_values(lineage: int, pcs: PcsNode) -> tuple[tuple[object, ...], tuple[str, ...]]:
    """What placement reads of the hierarchy (by value), and the names of the unscheduled pods: reused while the
    hierarchy is the same object, as it is at most states for most workloads."""

    def compute() -> tuple[tuple[object, ...], tuple[str, ...]]:
        cliques = [_clique_values(c) for c in pcs.cliques()]
        values = (
            pcs.namespace,
            pcs.name,
            pcs.topology_name,
            pcs.gangs,
            tuple((g.name, g.group) for r in pcs.replica_nodes for g in r.groups),
            tuple(pods for pods, _ in cliques),
        )
        return values, tuple(pod for _, unscheduled in cliques for pod in unscheduled)

    return _HIERARCHY_VALUES.get((lineage, pcs.namespace, pcs.name), (pcs,), compute)


_CLIQUE_VALUES: CarryOver[tuple[tuple[object, ...], tuple[str, ...]]] = CarryOver(max_entries=65_536)


def _clique_values(clique: CliqueNode) -> tuple[tuple[object, ...], tuple[str, ...]]:
    """What ``_placement`` reads of a clique (keep in step with it): its place, and each pod's name, node, GPUs,
    scheduling state and role; and the names of its unscheduled pods (whose events it reads). Reused while the
    clique node is the same object."""

    def compute() -> tuple[tuple[object, ...], tuple[str, ...]]:
        pods = []
        for pod in clique.pods:
            pf = pod.facts
            pods.append((pf.name, pf.node, pf.gpus, pf.scheduled, pf.gated, pf.finished, pf.pending_reason, pod.role))
        place = (clique.name, clique.clique, clique.gang, clique.pcsg, clique.pcsg_replica)
        return (place, tuple(pods)), tuple(p.facts.name for p in clique.pods if not p.facts.scheduled)

    return _CLIQUE_VALUES.get((clique.namespace, clique.name), (clique,), compute)


def _placement(state: State, pcs: PcsNode) -> PcsPlacement:
    topo = resolve(state, workload_topology_name(state, pcs))
    nodes = _nodes(node_facts(state))
    pods_by_name = _pcs_pods_by_name(pcs)
    findings: list[Finding] = []
    if topo.origin == "missing":
        findings.append(
            Finding(
                WARNING,
                "binding-missing",
                pcs.namespace,
                pcs.name,
                topo.binding or "",
                f"the workload names ClusterTopologyBinding {topo.binding!r}, which does not exist",
                "create the binding, or check the name in spec.template.topologyConstraint.topologyName; "
                "placement is judged per host only",
            )
        )
    gangs: list[GangPlacement] = []
    scores: list[tuple[float | None, int]] = []
    for gang in pcs.gangs:
        placement, gang_findings = _gang(state, pcs, gang, topo, nodes, pods_by_name)
        gangs.append(placement)
        findings.extend(gang_findings)
        scores.append((placement.score, placement.gpus or sum(1 for n in gang.pods if n in pods_by_name)))
    pod_nodes = {p.facts.node for p in pods_by_name.values() if p.facts.node}
    invisible = sorted(n for n in pod_nodes if not _visible(nodes, n))
    if invisible and topo.grouping_levels:
        findings.append(
            Finding(
                WARNING,
                "nodes-not-visible",
                pcs.namespace,
                pcs.name,
                topo.binding or "",
                f"placement cannot be judged: {len(invisible)} node(s) hosting this workload are not visible, so "
                "their topology labels are unknown",
                "grant list/watch on nodes at cluster scope (a ClusterRole) to see GPU capacity and topology",
                nodes=tuple(invisible),
            )
        )
    grouping = topo.grouping_levels
    unlabelled = sorted(
        name
        for name in pod_nodes
        if (n := nodes.get(name)) is not None and n.known and any(lv.key not in n.labels for lv in grouping)
    )
    if unlabelled:
        findings.append(
            Finding(
                WARNING,
                "node-label-missing",
                pcs.namespace,
                pcs.name,
                topo.binding or "",
                f"{len(unlabelled)} node(s) hosting this workload lack a topology label of {topo.binding}",
                "label the nodes with every level key of the binding ("
                + ", ".join(lv.key for lv in topo.grouping_levels)
                + ")",
                nodes=tuple(unlabelled),
            )
        )
    scheduler_scores = [g.scheduler_score for g in gangs if g.scheduler_score is not None]
    findings.sort(key=lambda x: (SEVERITY_ORDER[x.severity], x.subject, x.code))
    return PcsPlacement(
        namespace=pcs.namespace,
        name=pcs.name,
        topology=topo,
        score=_pcs_score(scores),
        scheduler_score=(sum(scheduler_scores) / len(scheduler_scores)) if scheduler_scores else None,
        gangs=tuple(gangs),
        findings=tuple(findings),
    )


def placement_score(state: State, namespace: str, name: str) -> float | None:
    """``placement_for(state, namespace, name).score`` without the checks and findings: what a preview reads at
    each of its hundreds of predicted states."""
    pcs = build_pcs(state, namespace, name)
    topo = resolve(state, workload_topology_name(state, pcs))
    nodes = _nodes(node_facts(state))
    pods_by_name = _pcs_pods_by_name(pcs)
    template, pcsg_configs = _template_and_configs(state, pcs)
    scores: list[tuple[float | None, int]] = []
    for gang in pcs.gangs:
        gang_obj = state.get(kinds.PODGANG, gang.namespace, gang.name)
        gang_pack = _gang_pack(gang, gang_obj, pcs, template, pcsg_configs, topo)
        scores.append(_score_and_weight(gang, gang_pack, topo, nodes, pods_by_name))
    return _pcs_score(scores)


def _score_and_weight(
    gang: GangNode, gang_pack: _Pack | None, topo: TopologyInfo, nodes: _Nodes, pods_by_name: Mapping[str, PodNode]
) -> tuple[float | None, int]:
    """``_gang_score``'s score and weight in one pass over the gang's pods (``placement_score`` asks it for every
    gang of hundreds of predicted states; the test of carried figures compares it with ``placement_for``)."""
    per_node: _PerNode = {}
    members = gpus = 0
    for name in gang.pods:
        pod = pods_by_name.get(name)
        if pod is None:
            continue
        facts = pod.facts
        members += 1
        gpus += facts.gpus
        if facts.scheduled and facts.node:
            entry = per_node.get(facts.node)
            if entry is None:
                entry = per_node[facts.node] = [0, 0]
            entry[0] += 1
            entry[1] += facts.gpus
    by_gpu = gpus > 0  # a pod's GPU request is never negative
    key = (gang_pack.required or gang_pack.preferred) if gang_pack else None
    if key is None or key.startswith("domain:"):
        key = topo.default_pack_level.key
    spread = _spread(topo.domain_of(key), key, per_node, nodes)
    total_weight = gpus if by_gpu else members
    best = spread.shares[0] if spread.shares else None
    best_weight = (best.gpus if by_gpu else best.pods) if best else 0
    judged = gang_pack is not None or bool(topo.grouping_levels)
    blind = any(s.value == UNKNOWN for s in spread.shares)
    score = (best_weight / total_weight) if total_weight and judged and not blind else None
    return score, gpus or members


def _pcs_score(scores: Sequence[tuple[float | None, int]]) -> float | None:
    """The weighted mean of the gangs' scores (weight: GPUs, else pods) over the gangs that have one."""
    best_total = total = 0.0
    for score, weight in scores:
        if score is not None:
            best_total += score * weight
            total += weight
    return (best_total / total) if total else None


@attrs.frozen
class _GangScore:
    members: list[PodNode]  # the gang's pods that are not finished
    scheduled: list[PodNode]
    per_node: _PerNode  # of the scheduled pods
    key: str  # the label key of the level the score is judged at
    spread: Spread  # of the scheduled pods at that level
    judged: bool  # host-only and unconstrained: nothing to judge
    blind: bool  # nodes not visible: domains unknown
    score: float | None
    gpus: int

    @property
    def best(self) -> DomainShare | None:
        return self.spread.shares[0] if self.spread.shares else None

    @property
    def weight(self) -> int:
        return self.gpus or len(self.members)


def _gang_score(
    gang: GangNode, gang_pack: _Pack | None, topo: TopologyInfo, nodes: _Nodes, pods_by_name: Mapping[str, PodNode]
) -> _GangScore:
    members = [pods_by_name[n] for n in gang.pods if n in pods_by_name]
    scheduled = [p for p in members if p.facts.scheduled and p.facts.node]
    by_gpu = any(p.facts.gpus for p in members)
    key = (gang_pack.required or gang_pack.preferred) if gang_pack else None
    if key is None or key.startswith("domain:"):
        key = topo.default_pack_level.key
    per_node = _per_node(scheduled)
    spread = _spread(topo.domain_of(key), key, per_node, nodes)
    total_weight = sum(_weight(p, by_gpu) for p in members)
    best = spread.shares[0] if spread.shares else None
    best_weight = (best.gpus if by_gpu else best.pods) if best else 0
    judged = gang_pack is not None or bool(topo.grouping_levels)
    blind = any(s.value == UNKNOWN for s in spread.shares)
    score = (best_weight / total_weight) if total_weight and judged and not blind else None
    gpus = sum(p.facts.gpus for p in members)
    return _GangScore(members, scheduled, per_node, key, spread, judged, blind, score, gpus)


def _gang(
    state: State,
    pcs: PcsNode,
    gang: GangNode,
    topo: TopologyInfo,
    nodes: _Nodes,
    pods_by_name: Mapping[str, PodNode],
) -> tuple[GangPlacement, list[Finding]]:
    subjects = _subjects(state, pcs, gang, topo)
    gang_pack = next((s[2] for s in subjects if s[0] == "gang"), None)
    scored = _gang_score(gang, gang_pack, topo, nodes, pods_by_name)
    members, scheduled = scored.members, scored.scheduled
    pending = [p for p in members if not p.facts.scheduled]
    gated = [p for p in pending if p.facts.gated]
    findings: list[Finding] = []
    score_key, score_domain, score_spread = scored.key, scored.spread.domain, scored.spread
    judged, blind, best = scored.judged, scored.blind, scored.best
    # Spreads of the gang's scheduled pods, once per label key (the score, the levels and gang-wide checks share them).
    gang_spreads: dict[str, Spread] = {score_key: score_spread}
    scheduled_per_node = scored.per_node

    def gang_spread(domain: str, key: str) -> Spread:
        if key not in gang_spreads:
            gang_spreads[key] = _spread(domain, key, scheduled_per_node, nodes)
        return gang_spreads[key]

    checks: list[ConstraintCheck] = []
    member_names = {p.facts.name for p in members}
    for scope, subject, pack, pod_names in subjects:
        subject_pods = [pods_by_name[n] for n in pod_names if n in member_names and pods_by_name[n].facts.node]
        whole_gang = scope == "gang" and len(subject_pods) == len(scheduled)
        subject_per_node = scheduled_per_node if whole_gang else _per_node(subject_pods)
        for strength, key in (("required", pack.required), ("preferred", pack.preferred)):
            if not key:
                continue
            if key.startswith("domain:"):
                findings.append(
                    Finding(
                        WARNING,
                        "domain-unknown",
                        pcs.namespace,
                        pcs.name,
                        gang.name,
                        f"{strength} pack domain {key[7:]!r} of {subject} is not a level of "
                        f"{topo.binding or 'any binding'}",
                        "check the topologyConstraint against the binding's spec.levels",
                    )
                )
                continue
            domain = topo.domain_of(key)
            spread = gang_spread(domain, key) if whole_gang else _spread(domain, key, subject_per_node, nodes)
            if any(share.value == UNKNOWN for share in spread.shares):
                continue  # cannot be judged without the nodes' labels (reported once for the PCS)
            satisfied = spread.distinct <= 1
            outside = () if satisfied else _outside(subject_pods, key, spread.shares[0].value, nodes)
            checks.append(ConstraintCheck(scope, subject, strength, domain, key, satisfied, spread, outside))
            if not satisfied:
                findings.append(
                    _pack_finding(pcs, gang, scope, subject, strength, spread, outside, pods_by_name, nodes)
                )

    if judged and not blind and not any(c.scope == "gang" for c in checks) and score_spread.distinct > 1:
        outside = _outside(scheduled, score_key, score_spread.shares[0].value, nodes)
        findings.append(
            Finding(
                INFO,
                "split-unconstrained",
                pcs.namespace,
                pcs.name,
                gang.name,
                f"gang {gang.name} spans {score_spread.distinct} {score_domain}s "
                f"({_share_text(score_spread)}); it has no pack constraint",
                f"add topologyConstraint.pack.preferred: {score_domain} to the PodCliqueSet template to keep "
                "a gang together",
                outside,
            )
        )
    waiting = [p for p in pending if not p.facts.gated]
    if waiting:
        reason = (
            latest_failed_scheduling(state, pcs.namespace, waiting[0].facts.name) or waiting[0].facts.pending_reason
        )
        findings.append(
            Finding(
                WARNING,
                "pods-pending",
                pcs.namespace,
                pcs.name,
                gang.name,
                f"{len(waiting)} pod(s) of gang {gang.name} not scheduled" + (f": {reason}" if reason else ""),
                "free capacity in the gang's domain (or add nodes); `kubectl describe pod` shows the scheduler's "
                "full reasoning",
                tuple(p.facts.name for p in waiting),
            )
        )
    if gated:
        findings.append(
            Finding(
                INFO,
                "pods-gated",
                pcs.namespace,
                pcs.name,
                gang.name,
                f"{len(gated)} pod(s) of gang {gang.name} held by a scheduling gate",
                "Grove lifts grove.io/podgang-pending-creation once the PodGang exists; pods of a scaled gang "
                "also wait until the base gang is scheduled",
                tuple(p.facts.name for p in gated),
            )
        )
    spreads = tuple(gang_spread(lv.domain, lv.key) for lv in topo.placement_levels)
    return (
        GangPlacement(
            name=gang.name,
            pcs_replica=gang.pcs_replica,
            base=gang.base,
            pcsg=gang.pcsg,
            score_domain=score_domain,
            score=scored.score,
            scheduler_score=gang.scheduler_score,
            gpus=scored.gpus,
            best_domain=best.value if best else None,
            checks=tuple(checks),
            spreads=spreads,
            scheduled=len(scheduled),
            pending=len(pending),
            gated=len(gated),
        ),
        findings,
    )


def _visible(nodes: _Nodes, name: str) -> bool:
    node = nodes.get(name)
    return node is not None and node.known


_NODES: CarryOver[_Nodes] = CarryOver(max_entries=4)


def _nodes(facts: Mapping[str, NodeFacts]) -> _Nodes:
    """One ``_Nodes`` per map of Node facts, shared by every placement while the Node objects stay the same."""
    return _NODES.get("nodes", (facts,), lambda: _Nodes(facts))


class _Nodes:
    """The nodes, with each (node, label key) → domain value looked up once (pods share nodes, placements share
    the nodes). Filled lazily; two threads filling it at once write the same values."""

    def __init__(self, nodes: Mapping[str, NodeFacts]) -> None:
        self._nodes = nodes
        self._columns: dict[str, dict[str, str]] = {}

    def get(self, name: str) -> NodeFacts | None:
        return self._nodes.get(name)

    def column(self, key: str) -> dict[str, str]:
        """node name → domain value for one label key, filled as nodes are met."""
        column = self._columns.get(key)
        if column is None:
            column = self._columns[key] = {}
        return column

    def value(self, node_name: str, key: str) -> str:
        column = self.column(key)
        cached = column.get(node_name)
        if cached is None:
            node = self._nodes.get(node_name)
            cached = (node_name if key == f.HOSTNAME_KEY else UNKNOWN) if node is None else node_value(node, key)
            column[node_name] = cached
        return cached


def _share_text(spread: Spread) -> str:
    return ", ".join(f"{s.value}: {s.pods} pod{'s' if s.pods != 1 else ''}" for s in spread.shares)


def _pack_finding(
    pcs: PcsNode,
    gang: GangNode,
    scope: str,
    subject: str,
    strength: str,
    spread: Spread,
    outside: tuple[str, ...],
    pods_by_name: Mapping[str, PodNode],
    nodes: _Nodes,
) -> Finding:
    domain = spread.domain
    best = spread.shares[0].value
    where = "gang " + gang.name if scope == "gang" else f"{subject} (in gang {gang.name})"
    roles: dict[str, int] = {}
    for name in outside:
        role = pods_by_name[name].role or "?"
        roles[role] = roles.get(role, 0) + 1
    role_text = ", ".join(f"{n} {r} pod{'s' if n != 1 else ''}" for r, n in sorted(roles.items()))
    other_values = sorted({nodes.value(node, spread.key) for node in {pods_by_name[n].facts.node for n in outside}})
    if strength == "required":
        return Finding(
            ERROR,
            "required-pack-violated",
            pcs.namespace,
            pcs.name,
            gang.name,
            f"{where}: required pack at {domain} violated — spans {spread.distinct} {domain}s ({_share_text(spread)})",
            f"a scheduler that honours Grove's topology constraints would not place it so; check the scheduler "
            f"backend and that every node carries {spread.key}",
            outside,
            domain_key=spread.key,
            best_domain=best,
        )
    return Finding(
        WARNING,
        "preferred-pack-missed",
        pcs.namespace,
        pcs.name,
        gang.name,
        f"{where} missed its preferred pack at {domain}, fragmented across {spread.distinct} {domain}s: "
        f"{role_text} in {', '.join(other_values)}, the rest in {best}",
        f"{role_text} may see higher latency to {'its' if len(outside) == 1 else 'their'} peers in {best}; "
        f"once {best} has free GPUs, "
        + (
            f"delete {outside[0]} to let the scheduler place it there"
            if len(outside) == 1
            else "delete the pods outside it one at a time to consolidate"
        ),
        outside,
        domain_key=spread.key,
        best_domain=best,
    )
