"""From what was collected to the files of a bundle: redact, record, render, describe.

Every object is redacted once, and everything else is made from the redacted copies: the YAML files, the recording
(so ``--replay BUNDLE.tgz`` shows exactly what a support engineer reads, and leaks nothing either) and the views
rendered from the state folded out of that recording.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from grove.commands.diagnostics import texts
from grove.commands.diagnostics.bundle import Staging
from grove.commands.diagnostics.collect import Collected, KindOutcome
from grove.commands.diagnostics.runner import ItemResult
from grove.events import kinds
from grove.events.access import ClusterAccess
from grove.events.kinds import ALL_KINDS, KINDS
from grove.events.model import Applied, Event, KubeObject, Listed, SourceHealthChanged, SourceStatus
from grove.events.recordings.format import BUNDLE_MEMBER, Header
from grove.events.recordings.writer import RecordingWriter
from grove.events.redact import Redaction, redact_object, scrub
from grove.reducers import fields as f
from grove.reducers.batch import fold
from grove.reducers.state import State
from grove.views.common import duration

FORMAT = "kubectl-grove-diagnostics"
VERSION = 1

_GROVE_FILES = {
    kinds.PODCLIQUESET: "grove/podcliquesets.yaml",
    kinds.PODCLIQUESCALINGGROUP: "grove/podcliquescalinggroups.yaml",
    kinds.PODCLIQUE: "grove/podcliques.yaml",
    kinds.PODGANG: "grove/podgangs.yaml",
    kinds.CLUSTERTOPOLOGYBINDING: "grove/clustertopologybindings.yaml",
}
_FILES_OF_KIND = {
    **{kind: (path, BUNDLE_MEMBER) for kind, path in _GROVE_FILES.items()},
    kinds.POD: ("pods/pods.yaml", BUNDLE_MEMBER),
    kinds.NODE: ("nodes/nodes.yaml", BUNDLE_MEMBER),
    kinds.EVENT: ("events.yaml", "events.txt", BUNDLE_MEMBER),
}


@attrs.define
class Redactions:
    """Every redaction, grouped per object (or file) and reason for the manifest."""

    groups: dict[tuple[str, str], dict[str, Any]] = attrs.field(factory=dict)
    total: int = 0

    def add(self, found: Iterable[Redaction], files: Sequence[str]) -> None:
        for r in found:
            group = self.groups.setdefault(
                (r.where, r.reason), {"where": r.where, "files": list(files), "reason": r.reason, "fields": []}
            )
            group["fields"].append(r.field)
            if r.count != 1:
                group["count"] = group.get("count", 1) - 1 + r.count
            self.total += r.count

    def by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (_, reason), group in self.groups.items():
            counts[reason] = counts.get(reason, 0) + group.get("count", len(group["fields"]))
        return dict(sorted(counts.items()))

    def to_json(self) -> list[dict[str, Any]]:
        return [self.groups[key] for key in sorted(self.groups)]


def _clean(objects: Iterable[KubeObject], files: Sequence[str], redactions: Redactions) -> list[KubeObject]:
    out = []
    for obj in objects:
        new, found = redact_object(obj)
        if found:
            redactions.add(found, files)
        out.append(new)
    return out


def _sorted(objects: Iterable[KubeObject]) -> list[KubeObject]:
    return sorted(objects, key=lambda o: (f.namespace(o), f.name(o)))


# --------------------------------------------------------------------------------------------------- recording


def _source_status(outcome: KindOutcome) -> SourceStatus:
    reason = outcome.result.reason
    if reason == "forbidden":
        return SourceStatus.FORBIDDEN
    if reason == "not found":
        return SourceStatus.NOT_INSTALLED
    return SourceStatus.RECONNECTING


def recording_events(
    collected: Collected, clean: dict[str, list[KubeObject]], cluster_events: list[KubeObject]
) -> list[Event]:
    """What a live session would have said at the moment each list came back, ordered by time."""
    namespace = collected.settings.namespace
    events: list[Event] = []
    for kind in ALL_KINDS:
        outcome = collected.kinds.get(kind)
        if outcome is None:
            continue
        info = KINDS[kind]
        at = outcome.at
        if outcome.objects is not None:
            events.append(SourceHealthChanged(at, kind, SourceStatus.LIVE, outcome.note))
            events.append(Listed(at, kind, tuple(clean.get(kind, ())), namespace if info.namespaced else None))
        else:
            message = outcome.result.message
            if _source_status(outcome) is SourceStatus.RECONNECTING:
                message = f"not collected ({outcome.result.reason}): {message}"
            events.append(SourceHealthChanged(at, kind, _source_status(outcome), message))
    if cluster_events:
        at = max((e.at for e in events), default=collected.finished)
        events.extend(Applied(at, kinds.EVENT, obj) for obj in cluster_events)
    events.extend(collected.metrics)
    events.sort(key=lambda e: e.at)  # stable: each kind's health change stays before its list
    return events


def _header(collected: Collected, access: ClusterAccess) -> Header:
    namespace = collected.settings.namespace
    note = f"kubectl grove diagnostics from {safe_server(access.server)}"
    if collected.server_version:
        note += f" ({collected.server_version})"
    if access.user:
        note += f" as {access.user}"
    return Header(
        start=collected.started,
        context=access.context,
        namespaces=(namespace,) if namespace else (),
        kinds=tuple(k for k in ALL_KINDS if k in collected.kinds),
        note=note,
    )


def safe_server(server: str) -> str:
    return scrub(server)[0]


# ------------------------------------------------------------------------------------------------------- build


@attrs.frozen
class Built:
    state: State
    redactions: Redactions
    items: list[ItemResult]  # rendering steps that failed (collection items are in Collected)


def write_bundle(staging: Staging, collected: Collected, access: ClusterAccess) -> Built:
    """Write every file except the manifest; returns what the manifest needs."""
    redactions = Redactions()
    clean: dict[str, list[KubeObject]] = {}
    for kind in ALL_KINDS:
        outcome = collected.kinds.get(kind)
        if outcome is not None and outcome.objects is not None:
            clean[kind] = _clean(_sorted(outcome.objects), _FILES_OF_KIND[kind], redactions)
    cluster_events = _clean(collected.cluster_events, _FILES_OF_KIND[kinds.EVENT], redactions)
    operator_events = _clean(collected.operator_events, ("events.yaml", "events.txt"), redactions)
    operator_pods = _clean(_sorted(collected.operator_pods), ("operator/pods.yaml",), redactions)
    for piece in collected.logs:
        redactions.add(piece.redactions, (piece.file,))

    events = recording_events(collected, clean, cluster_events)
    with RecordingWriter(staging.file(BUNDLE_MEMBER), _header(collected, access)) as writer:
        for event in events:
            writer.write(event)
    state = fold(events)
    now = state.now or collected.finished

    for kind, path in _GROVE_FILES.items():
        if kind in clean:
            staging.write(path, texts.yaml_documents(clean[kind]))
    pods = clean.get(kinds.POD, [])
    if kinds.POD in clean:
        staging.write("pods/summary.txt", texts.pods_table(state, pods, now))
        staging.write("pods/pods.yaml", texts.yaml_documents(pods))
    if kinds.NODE in clean:
        hosting = {f.text(f.get(p, "spec", "nodeName")) for p in pods}
        nodes = [n for n in clean[kinds.NODE] if f.name(n) in hosting]
        staging.write("nodes/summary.txt", texts.nodes_table(nodes, pods))
        staging.write("nodes/nodes.yaml", texts.yaml_documents(_without_images(n) for n in nodes))
    every_event = _unique([*clean.get(kinds.EVENT, []), *cluster_events, *operator_events])
    if every_event or kinds.EVENT in clean:
        ordered = texts.sort_events(every_event)
        since = collected.settings.since
        none = f"# no events{' in the last ' + duration(since) if since else ''}\n"
        staging.write("events.txt", texts.events_table(ordered, now) if ordered else none)
        staging.write("events.yaml", texts.yaml_documents(ordered) if ordered else none)
    if collected.operator_pods:
        staging.write("operator/pods.yaml", texts.yaml_documents(operator_pods))
        staging.write("operator/summary.txt", texts.pods_table(state, operator_pods, now))
    for piece in collected.logs:
        staging.write(piece.file, piece.text)

    failed: list[ItemResult] = []
    namespace = collected.settings.namespace
    for path, view in texts.VIEWS.items():
        started = time.monotonic()
        try:
            text = view(state, namespace)
            if path == "topology.txt" and namespace is not None:
                text = (
                    f"Only pods in namespace {namespace} were collected: GPUs used by pods of other namespaces "
                    "count as free below.\n\n" + text
                )
            staging.write(path, text)
        except Exception as exc:  # one view failing must not lose the bundle
            message = f"{type(exc).__name__}: {exc}"
            staging.write(path, f"rendering {path} failed: {message}\n")
            failed.append(ItemResult(f"render {path}", "failed", "error", message, time.monotonic() - started))
    return Built(state, redactions, failed)


def _without_images(node: KubeObject) -> KubeObject:
    """A node without ``status.images`` (hundreds of image names that say nothing about Grove)."""
    status = node.get("status")
    if not isinstance(status, dict) or "images" not in status:
        return node
    return {**node, "status": {k: v for k, v in status.items() if k != "images"}}


def _unique(events: Iterable[KubeObject]) -> list[KubeObject]:
    seen: dict[tuple[str, str], KubeObject] = {}
    for event in events:
        seen.setdefault((f.namespace(event), f.name(event)), event)
    return list(seen.values())
