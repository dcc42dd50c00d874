"""Kubernetes Event objects as rows, per involved object, newest last (named so: "events" elsewhere are the
event-sourcing events of grove/events/)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers import indexes as ix
from grove.reducers.derive.by_identity import ByIdentity
from grove.reducers.state import State


@attrs.frozen
class EventRow:
    at: float | None  # the last time it happened
    first_at: float | None
    type: str  # Normal | Warning
    reason: str
    kind: str
    namespace: str
    name: str
    message: str
    count: int
    source: str

    @property
    def warning(self) -> bool:
        return self.type == "Warning"


def event_time(event: KubeObject) -> float | None:
    """When the event last happened, whichever of the fields the writer filled in.

    core/v1 events from older writers set ``lastTimestamp``; the events.k8s.io writers (the scheduler's
    FailedScheduling among them) leave it null and set ``eventTime`` and ``series.lastObservedTime``.
    """
    candidates = (
        f.get(event, "series", "lastObservedTime"),
        f.get(event, "lastTimestamp"),
        f.get(event, "eventTime"),
        f.get(event, "firstTimestamp"),
        f.get(event, "metadata", "creationTimestamp"),
    )
    times = [t for t in (f.timestamp(c) for c in candidates) if t is not None]
    return max(times) if times else None


def to_row(event: KubeObject) -> EventRow:
    involved = f.mapping(event.get("involvedObject")) or f.mapping(event.get("regarding"))
    source = f.mapping(event.get("source"))
    count = f.integer(event.get("count")) or f.integer(f.get(event, "series", "count")) or 1
    return EventRow(
        at=event_time(event),
        first_at=f.timestamp(event.get("firstTimestamp")) or f.timestamp(event.get("eventTime")),
        type=f.text(event.get("type"), "Normal"),
        reason=f.text(event.get("reason")),
        kind=f.text(involved.get("kind")),
        namespace=f.text(involved.get("namespace")) or f.namespace(event),
        name=f.text(involved.get("name")),
        message=f.text(event.get("message")) or f.text(event.get("note")),
        count=count,
        source=f.text(source.get("component"))
        or f.text(event.get("reportingComponent"))
        or f.text(event.get("reportingController")),
    )


_ROWS: ByIdentity[EventRow] = ByIdentity(to_row)


def row_of(event: KubeObject) -> EventRow:
    """``to_row(event)``, read once per Event object (see ``by_identity``)."""
    return _ROWS.get(event)


def keyed_events(state: State, subjects: Iterable[tuple[str, str, str]]) -> list[tuple[tuple[str, str], EventRow]]:
    """(Event key, row) for events whose involved object is one of ``(kind, namespace, name)``, oldest first."""
    events = state.of_kind(kinds.EVENT)
    rows: list[tuple[tuple[str, str], EventRow]] = []
    seen: set[tuple[str, str]] = set()
    for subject in subjects:
        for key in state.indexed(ix.EVENTS_BY_OBJECT, subject):
            if key in seen:
                continue
            seen.add(key)
            obj = events.get(key)
            if obj is not None:
                rows.append((key, row_of(obj)))
    # The Event's own key breaks ties: index maps iterate in hash order, which differs between processes.
    rows.sort(key=lambda item: (item[1].at or 0.0, item[1].kind, item[1].name, item[1].reason, item[0]))
    return rows


def events_for(state: State, subjects: Iterable[tuple[str, str, str]]) -> list[EventRow]:
    """Events whose involved object is one of ``(kind, namespace, name)``, oldest first."""
    return [row for _, row in keyed_events(state, subjects)]


def latest_failed_scheduling(state: State, namespace: str, pod: str) -> str:
    rows = [r for r in events_for(state, [(kinds.POD, namespace, pod)]) if r.reason == "FailedScheduling"]
    return rows[-1].message if rows else ""
