"""Gang health per PCS replica and PodGang, the way Grove itself decides gang termination (docs/grove-model.md, Health).

A standalone PodClique or a PCSG with ``MinAvailableBreached=True`` for longer than the PCS ``terminationDelay``
(counted from the condition's ``lastTransitionTime``) makes Grove delete and recreate every PodClique of that PCS
replica. Children that were never scheduled (PCLQ) or never healthy (PCSG), PCSGs with
``GangTerminationInProgress=True``, and children under a rolling update (``Unknown``) are not candidates.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.derivation import derivation
from grove.reducers.derive.hierarchy import (
    CliqueNode,
    Condition,
    PcsgNode,
    PcsNode,
    PcsReplicaNode,
    build_pcs,
    read_condition,
)
from grove.reducers.derive.kube_event_rows import EventRow, events_for, latest_failed_scheduling
from grove.reducers.state import State

HEALTH = derivation(
    "health", reads_clock=True, about="a PodCliqueSet's gang health (termination countdowns, event ages)"
)
REPLICA_HEALTH = derivation(
    "health-replicas", reads_clock=True, about="the health of each replica of a PodCliqueSet (countdowns)"
)

INITIAL_SCHEDULE_GRACE = 5.0  # seconds; Grove treats an earlier transition as the first-time set

HEALTHY = "healthy"
PROGRESSING = "progressing"
UPDATING = "updating"
PENDING = "pending"
DEGRADED = "degraded"
AT_RISK = "at-risk"
TERMINATING = "terminating"
STATE_ORDER = (TERMINATING, AT_RISK, DEGRADED, PENDING, UPDATING, PROGRESSING, HEALTHY)


@attrs.frozen
class PendingPod:
    name: str
    reason: str


@attrs.frozen
class UnreadyPod:
    name: str
    status: str  # as kubectl shows it, e.g. CrashLoopBackOff
    restarts: int
    node: str


@attrs.frozen
class ChildHealth:
    kind: str  # PodClique | PodCliqueScalingGroup
    name: str
    label: str  # clique or scaling-group template name
    roles: tuple[str, ...]
    ready: int  # PCLQ: ready pods; PCSG: available replicas
    desired: int
    min_available: int
    breached: Condition | None
    eligible: bool  # a candidate for gang termination right now
    countdown: float | None  # seconds until Grove terminates the PCS replica (<= 0: due)
    scheduled: Condition | None
    gated: int
    pending: tuple[PendingPod, ...]
    unready: tuple[UnreadyPod, ...]  # scheduled but not ready
    state: str
    breached_members: tuple[str, ...] = ()  # PCSG: member PodCliques with MinAvailableBreached=True


@attrs.frozen
class GangHealth:
    name: str
    base: bool
    pods_ready: int
    pods_total: int
    groups_below_min: tuple[str, ...]  # PodGroups whose ready pods < minReplicas
    state: str


@attrs.frozen
class ReplicaHealth:
    index: int
    state: str
    countdown: float | None
    children: tuple[ChildHealth, ...]
    gangs: tuple[GangHealth, ...]


@attrs.frozen
class PcsHealth:
    namespace: str
    name: str
    termination_delay: float
    state: str
    replicas: int
    available: int
    replica_health: tuple[ReplicaHealth, ...]
    events: tuple[EventRow, ...]


def worst(states: Iterable[str]) -> str:
    found = set(states)
    return next((s for s in STATE_ORDER if s in found), HEALTHY)


def _clique_ever_scheduled(state: State, clique: CliqueNode) -> bool:
    obj = state.get(kinds.PODCLIQUE, clique.namespace, clique.name)
    cond = read_condition(obj, "PodCliqueScheduled")
    if cond is None:
        return False
    if cond.is_true:
        return True
    created = f.created(obj) if obj is not None else None
    return cond.since is not None and created is not None and cond.since > created + INITIAL_SCHEDULE_GRACE


def _pcsg_ever_healthy(pcsg: PcsgNode) -> bool:
    cond = pcsg.min_breached
    if cond is None:
        return False
    if cond.status == "False":
        return True
    return cond.since is not None and pcsg.created is not None and cond.since > pcsg.created + INITIAL_SCHEDULE_GRACE


def _countdown(state: State, pcs: PcsNode, cond: Condition | None) -> float | None:
    if cond is None or not cond.is_true or cond.since is None:
        return None
    return pcs.termination_delay - (state.now - cond.since)


def _pending(state: State, cliques: Iterable[CliqueNode]) -> tuple[PendingPod, ...]:
    out = []
    for clique in cliques:
        for pod in clique.pods:
            if pod.facts.scheduled or pod.facts.finished:
                continue
            reason = latest_failed_scheduling(state, pod.facts.namespace, pod.facts.name) or pod.facts.pending_reason
            out.append(PendingPod(pod.facts.name, reason))
    return tuple(out)


def _unready(cliques: Iterable[CliqueNode]) -> tuple[UnreadyPod, ...]:
    return tuple(
        UnreadyPod(p.facts.name, p.facts.status, p.facts.restarts, p.facts.node)
        for c in cliques
        for p in c.pods
        if p.facts.scheduled and not p.facts.ready and not p.facts.finished
    )


def _child_state(
    breached: Condition | None, eligible: bool, countdown: float | None, pending: bool, ready: int, desired: int
) -> str:
    if breached is not None and breached.is_true:
        if eligible and countdown is not None:
            return TERMINATING if countdown <= 0 else AT_RISK
        return DEGRADED
    if pending:
        return PENDING
    if breached is not None and breached.status == "Unknown" and breached.reason == "UpdateInProgress":
        return UPDATING
    if ready < desired:
        return PROGRESSING
    return HEALTHY


def _clique_health(state: State, pcs: PcsNode, clique: CliqueNode) -> ChildHealth:
    breached = clique.min_breached
    eligible = bool(breached and breached.is_true and _clique_ever_scheduled(state, clique))
    countdown = _countdown(state, pcs, breached) if eligible else None
    pending = _pending(state, [clique])
    sched = clique.scheduled_condition
    is_pending = bool(clique.gated or pending or (sched is not None and sched.status == "False"))
    return ChildHealth(
        kind=kinds.PODCLIQUE,
        name=clique.name,
        label=clique.clique,
        roles=(clique.role,),
        ready=clique.ready,
        desired=clique.replicas,
        min_available=clique.min_available,
        breached=breached,
        eligible=eligible,
        countdown=countdown,
        scheduled=sched,
        gated=clique.gated,
        pending=pending,
        unready=_unready([clique]),
        state=_child_state(breached, eligible, countdown, is_pending, clique.ready, clique.replicas),
    )


def _pcsg_health(state: State, pcs: PcsNode, pcsg: PcsgNode) -> ChildHealth:
    breached = pcsg.min_breached
    in_progress = pcsg.gang_termination is not None and pcsg.gang_termination.is_true
    eligible = bool(breached and breached.is_true and _pcsg_ever_healthy(pcsg) and not in_progress)
    countdown = _countdown(state, pcs, breached) if eligible else None
    cliques = list(pcsg.cliques())
    pending = _pending(state, cliques)
    gated = sum(c.gated for c in cliques)
    roles = tuple(dict.fromkeys(c.role for c in cliques))
    available = pcsg.available
    # A member clique below its minAvailable is a degraded scaling-group replica even while the group as a whole
    # still has minAvailable replicas available (only the group's own condition drives gang termination).
    breached_members = tuple(c.name for c in cliques if c.min_breached is not None and c.min_breached.is_true)
    state_ = _child_state(breached, eligible, countdown, bool(gated or pending), available, pcsg.replicas)
    if breached_members and STATE_ORDER.index(state_) > STATE_ORDER.index(DEGRADED):
        state_ = DEGRADED
    return ChildHealth(
        kind=kinds.PODCLIQUESCALINGGROUP,
        name=pcsg.name,
        label=pcsg.group,
        roles=roles,
        ready=available,
        desired=pcsg.replicas,
        min_available=pcsg.min_available,
        breached=breached,
        eligible=eligible,
        countdown=countdown,
        scheduled=None,
        gated=gated,
        pending=pending,
        unready=_unready(cliques),
        state=state_,
        breached_members=breached_members,
    )


def health_for(state: State, namespace: str, name: str, event_limit: int = 50) -> PcsHealth:
    return state.memoised(
        HEALTH,
        f"{namespace}/{name}:{event_limit}",
        state.revision,
        lambda: _health(state, namespace, name, event_limit),
    )


def replica_health_for(state: State, namespace: str, name: str) -> tuple[ReplicaHealth, ...]:
    """Each PCS replica's health without the PCS's Events (those cost a lookup per pod): what the forest shows."""
    return state.memoised(
        REPLICA_HEALTH,
        f"{namespace}/{name}",
        state.revision,
        lambda: _replicas(state, build_pcs(state, namespace, name)),
    )


def pcs_state(replicas: tuple[ReplicaHealth, ...]) -> str:
    """The PCS's health: its worst replica's."""
    return worst(r.state for r in replicas) if replicas else PENDING


def _health(state: State, namespace: str, name: str, event_limit: int) -> PcsHealth:
    pcs = build_pcs(state, namespace, name)
    replicas = replica_health_for(state, namespace, name)
    subjects: list[tuple[str, str, str]] = [(kinds.PODCLIQUESET, namespace, name)]
    for clique in pcs.cliques():
        subjects.append((kinds.PODCLIQUE, namespace, clique.name))
        subjects.extend((kinds.POD, namespace, p.facts.name) for p in clique.pods)
    for replica in pcs.replica_nodes:
        subjects.extend((kinds.PODCLIQUESCALINGGROUP, namespace, g.name) for g in replica.groups)
    subjects.extend((kinds.PODGANG, namespace, g.name) for g in pcs.gangs)
    events = events_for(state, subjects)
    return PcsHealth(
        namespace=namespace,
        name=name,
        termination_delay=pcs.termination_delay,
        state=pcs_state(replicas),
        replicas=pcs.replicas,
        available=pcs.available,
        replica_health=replicas,
        events=tuple(events[-event_limit:]) if event_limit else tuple(events),
    )


def _replicas(state: State, pcs: PcsNode) -> tuple[ReplicaHealth, ...]:
    replicas = []
    for replica in pcs.replica_nodes:
        children = [_clique_health(state, pcs, c) for c in replica.cliques]
        children += [_pcsg_health(state, pcs, g) for g in replica.groups]
        gangs = []
        clique_by_name = {c.name: c for c in replica.all_cliques()}
        for gang in pcs.gangs:
            if gang.pcs_replica != replica.index:
                continue
            below = []
            ready = total = 0
            for group in gang.podgroups:
                clique = clique_by_name.get(group.name)
                group_ready = sum(1 for p in clique.pods if p.facts.ready) if clique is not None else 0
                group_total = len(clique.pods) if clique is not None else len(group.pods)
                ready += group_ready
                total += group_total
                if group_ready < group.min_replicas:
                    below.append(group.name)
            member_states = [c.state for c in children if any(cl.gang == gang.name for cl in _cliques_of(replica, c))]
            gang_state = worst(member_states) if below else (HEALTHY if ready == total else PROGRESSING)
            gangs.append(GangHealth(gang.name, gang.base, ready, total, tuple(below), gang_state))
        countdowns = [c.countdown for c in children if c.countdown is not None]
        replicas.append(
            ReplicaHealth(
                index=replica.index,
                state=worst(c.state for c in children) if children else PENDING,
                countdown=min(countdowns) if countdowns else None,
                children=tuple(children),
                gangs=tuple(gangs),
            )
        )
    return tuple(replicas)


def _cliques_of(replica: PcsReplicaNode, child: ChildHealth) -> list[CliqueNode]:
    if child.kind == kinds.PODCLIQUE:
        return [c for c in replica.cliques if c.name == child.name]
    return [c for g in replica.groups if g.name == child.name for c in g.cliques()]
