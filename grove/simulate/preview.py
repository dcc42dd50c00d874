"""Previews: a state plus intents → the events Grove, a gang scheduler and the kubelets would produce, folded with
the same reducers as a live feed, and the figures every view shows at each step.

A preview is therefore a recording: ``write_preview_recording`` writes the input state as lists and the predicted
events after it, so ``kubectl grove replay FILE`` plays it and ``status --replay FILE --at OFFSET`` shows a step
(``step_offsets`` are those offsets).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from grove.events import kinds
from grove.events.model import Applied, Event, Listed, Removed
from grove.events.recordings.format import Header
from grove.events.recordings.writer import write_recording
from grove.reducers import fields as f
from grove.reducers.derive.health import pcs_state, replica_health_for
from grove.reducers.derive.hierarchy import PodNode, build_pcs
from grove.reducers.derive.placement import placement_score
from grove.reducers.reduce import reduce
from grove.reducers.state import State
from grove.simulate.engine import Finding, Simulation
from grove.simulate.intent import ChangeTemplate, ContinueUpdate, Intent, ScaleClique, ScaleGroup, ScaleSet
from grove.simulate.policies import apply_intent
from grove.simulate.timing import pod_start_of


class PreviewError(ValueError):
    """The intents name something the state does not hold; ``str()`` is one line for the user."""


@attrs.frozen
class RoleFigure:
    role: str
    ready: int
    desired: int
    updated: int  # pods on their clique's target template


@attrs.frozen
class Figures:
    """One PodCliqueSet at one step, as the views derive it."""

    namespace: str
    pcs: str
    roles: tuple[RoleFigure, ...]
    replicas: int
    available_replicas: int
    gpus_in_use: int  # GPUs of its scheduled, unfinished pods
    placement_score: float | None
    health: str
    below_min: tuple[str, ...]  # "decode (replica 0): 2 ready < minAvailable 3"

    def comparable(self) -> tuple[object, ...]:
        return (self.roles, self.replicas, self.available_replicas, self.gpus_in_use, self.placement_score,
                self.health, self.below_min)  # fmt: skip


@attrs.frozen
class Step:
    """One moment something visible changes."""

    at: float  # seconds after the preview starts
    changes: tuple[str, ...]
    figures: tuple[Figures, ...]  # one per PodCliqueSet the intents touch
    findings: tuple[str, ...] = ()  # new at this step
    dips: tuple[str, ...] = ()  # cliques that held minAvailable and fell below it at this step

    @property
    def main(self) -> Figures:
        return self.figures[0]


@attrs.frozen
class Preview:
    steps: tuple[Step, ...]
    events: tuple[Event, ...]
    initial_state: State = attrs.field(repr=False)
    final_state: State = attrs.field(repr=False)
    pod_start: float
    pod_start_source: str
    step_offsets: tuple[float, ...]
    findings: tuple[Finding, ...]
    targets: tuple[tuple[str, str], ...]  # (namespace, PodCliqueSet)

    @property
    def duration(self) -> float:
        return self.steps[-1].at if self.steps else 0.0

    @property
    def min_dips(self) -> tuple[str, ...]:
        return tuple(d for s in self.steps for d in s.dips)


# ---------------------------------------------------------------------------------------------------------- targets


def _owner_pcs(state: State, kind: str, namespace: str, name: str) -> str:
    obj = state.get(kind, namespace, name)
    if obj is None:
        raise PreviewError(f"{kind} {namespace}/{name} not found")
    pcs = f.label(obj, f.PART_OF)
    if not pcs:
        raise PreviewError(f"{kind} {namespace}/{name} belongs to no PodCliqueSet")
    return pcs


def targets_of(state: State, intents: Sequence[Intent]) -> tuple[tuple[str, str], ...]:
    """The PodCliqueSets the intents change, in order; raises ``PreviewError`` for what the state does not hold."""
    out: list[tuple[str, str]] = []
    for intent in intents:
        if isinstance(intent, ScaleSet | ChangeTemplate | ContinueUpdate):
            if state.get(kinds.PODCLIQUESET, intent.namespace, intent.pcs) is None:
                raise PreviewError(f"PodCliqueSet {intent.namespace}/{intent.pcs} not found")
            key = (intent.namespace, intent.pcs)
        elif isinstance(intent, ScaleClique):
            key = (intent.namespace, _owner_pcs(state, kinds.PODCLIQUE, intent.namespace, intent.pclq))
        elif isinstance(intent, ScaleGroup):
            key = (intent.namespace, _owner_pcs(state, kinds.PODCLIQUESCALINGGROUP, intent.namespace, intent.pcsg))
        else:
            if not intent.pods:
                continue
            key = (intent.namespace, _owner_pcs(state, kinds.POD, intent.namespace, intent.pods[0]))
        if key not in out:
            out.append(key)
    return tuple(out)


def _workload_pods(state: State, targets: Iterable[tuple[str, str]]) -> list[Mapping[str, Any]]:
    pods: list[Mapping[str, Any]] = []
    for ns, name in targets:
        pcs = build_pcs(state, ns, name)
        for node in pcs.pods():
            obj = state.get(kinds.POD, node.facts.namespace, node.facts.name)
            if obj is not None:
                pods.append(obj)
    return pods


# ---------------------------------------------------------------------------------------------------------- figures


def _pod_sums(pods: tuple[PodNode, ...]) -> tuple[int, int]:
    """(pods on their clique's target template, GPUs of the scheduled, unfinished ones)."""
    updated = gpus = 0
    for p in pods:
        updated += not p.outdated
        if p.facts.scheduled and not p.facts.finished:
            gpus += p.facts.gpus
    return updated, gpus


def figures(
    state: State, namespace: str, name: str, memo: dict[int, tuple[tuple[PodNode, ...], tuple[int, int]]] | None = None
) -> Figures:
    """The figures of one PodCliqueSet, from the same derivations as ``status`` and ``topology``. ``memo`` keeps a
    clique's pod sums by its pods (the very tuple: the hierarchy carries a clique's pods while they are the same)."""
    pcs = build_pcs(state, namespace, name)
    roles: dict[str, list[int]] = {}
    below: list[str] = []
    gpus = 0
    for replica in pcs.replica_nodes:
        for clique in replica.all_cliques():
            figure = roles.setdefault(clique.role or clique.clique, [0, 0, 0])
            figure[0] += clique.ready
            figure[1] += clique.replicas
            hit = memo.get(id(clique.pods)) if memo is not None else None
            if hit is None or hit[0] is not clique.pods:
                hit = (clique.pods, _pod_sums(clique.pods))
                if memo is not None:
                    memo[id(clique.pods)] = hit
            figure[2] += hit[1][0]
            gpus += hit[1][1]
            if clique.exists and clique.ready < clique.min_available:
                below.append(f"{clique.name}: {clique.ready} ready < minAvailable {clique.min_available}")
    return Figures(
        namespace=namespace,
        pcs=name,
        roles=tuple(RoleFigure(r, v[0], v[1], v[2]) for r, v in sorted(roles.items())),
        replicas=pcs.replicas,
        available_replicas=pcs.available,
        gpus_in_use=gpus,
        placement_score=placement_score(state, namespace, name),
        health=pcs_state(replica_health_for(state, namespace, name)),
        below_min=tuple(below),
    )


# ---------------------------------------------------------------------------------------------------------- changes


def _ready(obj: Mapping[str, Any] | None) -> bool:
    return obj is not None and f.get(f.condition(obj, "Ready"), "status") == "True"


def describe(event: Event, before: State) -> str | None:
    """What an event changes, in a few words (None: nothing a reader follows)."""
    if isinstance(event, Removed):
        if event.kind == kinds.POD:
            return f"{f.name(event.object)} gone"
        if event.kind in (kinds.PODGANG, kinds.PODCLIQUE, kinds.PODCLIQUESCALINGGROUP):
            return f"{event.kind} {f.name(event.object)} deleted"
        return None
    if not isinstance(event, Applied):
        return None
    obj = event.object
    old = before.get(event.kind, f.namespace(obj), f.name(obj))
    name = f.name(obj)
    if event.kind == kinds.POD:
        if old is None:
            return f"{name} created"
        if "deletionTimestamp" in f.mapping(obj.get("metadata")) and "deletionTimestamp" not in f.mapping(
            old.get("metadata")
        ):
            return f"{name} deleted"
        node = f.text(f.get(obj, "spec", "nodeName"))
        if node and not f.text(f.get(old, "spec", "nodeName")):
            return f"{name} → {node}"
        if _ready(obj) and not _ready(old):
            return f"{name} Ready"
        cond = f.condition(obj, "PodScheduled")
        if cond is not None and cond.get("reason") == "Unschedulable" and f.condition(old, "PodScheduled") != cond:
            return f"{name} unschedulable"
        return None
    if event.kind == kinds.PODGANG and old is None:
        return f"PodGang {name} created"
    if event.kind == kinds.PODCLIQUE and old is None:
        return f"PodClique {name} created"
    if event.kind == kinds.PODCLIQUESET:
        new_p = f.mapping(f.get(obj, "status", "updateProgress"))
        old_p = f.mapping(f.get(old, "status", "updateProgress")) if old is not None else {}
        new_c = [f.mapping(c) for c in f.seq(new_p.get("currentlyUpdating"))]
        old_c = [f.mapping(c) for c in f.seq(old_p.get("currentlyUpdating"))]
        if new_p.get("updateEndedAt") and not old_p.get("updateEndedAt"):
            return "update complete"
        if new_c and (not old_c or old_c[0].get("replicaIndex") != new_c[0].get("replicaIndex")):
            return f"replica {new_c[0].get('replicaIndex')} updating"
        if new_c and new_c[0].get("updateEndedAt") and not (old_c and old_c[0].get("updateEndedAt")):
            return f"replica {new_c[0].get('replicaIndex')} updated"
        if old is not None and f.get(obj, "spec") != f.get(old, "spec"):
            return f"PodCliqueSet {name} spec changed"
    return None


# ---------------------------------------------------------------------------------------------------------- preview


def preview(state: State, intents: Sequence[Intent], *, pod_start: float | None = None) -> Preview:
    """Simulate what Grove does with ``intents`` from ``state``; raises ``PreviewError`` for unknown targets."""
    state = state.branched()  # the predicted states carry their derivations in a line of their own
    targets = targets_of(state, intents)
    seconds, source = pod_start_of(_workload_pods(state, targets), pod_start)
    sim = Simulation(state, pod_start=seconds)
    for ns, name in targets:
        sim.workload(ns, name)
    for intent in intents:
        try:
            apply_intent(sim, intent)
        except KeyError as exc:
            raise PreviewError(str(exc.args[0])) from None
    sim.run()
    events = tuple(sim.c.events)
    return _steps(state, events, targets, seconds, source, tuple(sim.findings))


def _subject(below: str) -> str:
    return below.split(":", 1)[0]


def _holding(state: State, targets: Iterable[tuple[str, str]]) -> set[str]:
    """PodCliques of the targets with at least minAvailable Ready pods: only such a clique can dip below it (one a
    scale-out creates is coming up, not dipping)."""
    return {
        clique.name
        for ns, name in targets
        for replica in build_pcs(state, ns, name).replica_nodes
        for clique in replica.all_cliques()
        if clique.exists and clique.ready >= clique.min_available
    }


def _steps(
    state: State,
    events: tuple[Event, ...],
    targets: tuple[tuple[str, str], ...],
    pod_start: float,
    source: str,
    findings: tuple[Finding, ...],
) -> Preview:
    start = state.now
    current = state
    memo: dict[int, tuple[tuple[PodNode, ...], tuple[int, int]]] = {}  # see ``figures``
    first = tuple(figures(state, ns, name, memo) for ns, name in targets)
    steps: list[Step] = [Step(0.0, ("now",), first)]
    shown = [fig.comparable() for fig in first]
    held = _holding(state, targets)
    pending_findings = sorted(findings, key=lambda x: x.at)
    changes: list[str] = []
    i = 0
    while i < len(events):
        at = events[i].at
        while i < len(events) and events[i].at == at:
            text = describe(events[i], current)
            if text is not None:
                changes.append(text)
            current = reduce(current, events[i])
            i += 1
        offset = round(at - start, 3)
        new_findings = tuple(x.message for x in pending_findings if x.at <= offset)
        pending_findings = [x for x in pending_findings if x.at > offset]
        figs = tuple(figures(current, ns, name, memo) for ns, name in targets)
        if [fig.comparable() for fig in figs] == shown and not new_findings and not changes:
            continue
        if [fig.comparable() for fig in figs] == shown and not new_findings and i < len(events):
            continue  # nothing visible yet: the changes are carried to the next step
        before = {_subject(b) for fig in steps[-1].figures for b in fig.below_min}
        dips = tuple(b for fig in figs for b in fig.below_min if _subject(b) not in before and _subject(b) in held)
        held |= _holding(current, targets)
        steps.append(Step(offset, tuple(changes), figs, new_findings, dips))
        shown = [fig.comparable() for fig in figs]
        changes = []
    if pending_findings:
        last = steps[-1]
        steps[-1] = attrs.evolve(last, findings=last.findings + tuple(x.message for x in pending_findings))
    return Preview(
        steps=tuple(steps),
        events=events,
        initial_state=state,
        final_state=current,
        pod_start=pod_start,
        pod_start_source=source,
        step_offsets=tuple(s.at for s in steps),
        findings=findings,
        targets=targets,
    )


def write_preview_recording(
    preview: Preview, path: str | os.PathLike[str], *, context: str | None, command: str
) -> None:
    """A recording of the preview: the input state as one list per kind at offset 0, then the predicted events."""
    state = preview.initial_state
    header = Header(
        start=state.now,
        tool="kubectl-grove preview",
        context=context,
        kinds=kinds.ALL_KINDS,
        note=f"Preview of `{command}` (simulated: Grove's order and a feasible placement; pods Ready "
        f"{preview.pod_start:g}s after scheduling, {preview.pod_start_source})",
    )
    listed: list[Event] = [
        Listed(state.now, kind, tuple(obj for _, obj in sorted(state.of_kind(kind).items())))
        for kind in kinds.ALL_KINDS
    ]
    write_recording(path, header, [*listed, *preview.events])
