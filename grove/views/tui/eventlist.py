"""The events pane: Kubernetes Events about a set of objects, Warnings first (or all by time), as keyed rows.

FailedScheduling from the events.k8s.io writers has no ``lastTimestamp``; ``to_row`` reads whichever time is set, so
it sorts and ages like any other event.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from rich.text import Text

from grove.events import kinds
from grove.reducers.derive.kube_event_rows import EventRow, keyed_events
from grove.reducers.state import State
from grove.views.common import age
from grove.views.tui.rows import Column, Ref, Row, dim, filtered

WARNINGS_FIRST = "warnings-first"
ALL = "all"
NORMAL_LIMIT = 10  # Normal events shown under the warnings before "e: all"
ALL_LIMIT = 500

COLUMNS = (
    Column("age", "AGE", 5),
    Column("type", "", 1),
    Column("reason", "REASON", 20, 2),
    Column("object", "OBJECT", 24, 3, flex=1),
    Column("message", "MESSAGE", 20, flex=3),
    Column("count", "×", 4, 4),
)

_SHORT_KIND = {
    kinds.POD: "pod",
    kinds.PODCLIQUE: "pclq",
    kinds.PODCLIQUESET: "pcs",
    kinds.PODCLIQUESCALINGGROUP: "pcsg",
    kinds.PODGANG: "pg",
    kinds.NODE: "node",
    kinds.CLUSTERTOPOLOGYBINDING: "ctb",
}


@attrs.frozen(eq=False)
class EventList:
    rows: tuple[Row, ...]
    warnings: int
    normals: int
    hidden: int  # events not shown in this mode


def _row(key: tuple[str, str], event: EventRow, now: float) -> Row:
    warning = event.warning
    kind = _SHORT_KIND.get(event.kind, event.kind.lower())
    return Row(
        key=f"ev:{key[0]}/{key[1]}",
        cells=(
            Text(age(now, event.at)),
            Text("⚠", style="bold yellow") if warning else Text(" "),
            Text(event.reason, style="yellow" if warning else ""),
            dim(f"{kind}/{event.name}"),
            Text(event.message.replace("\n", " ")),
            dim(f"×{event.count}") if event.count > 1 else Text(""),
        ),
        ref=Ref(kinds.EVENT, key[0], key[1]),
        search=f"{event.reason} {event.name} {event.message}".lower(),
    )


def event_list(state: State, subjects: Iterable[tuple[str, str, str]], mode: str, filter_text: str = "") -> EventList:
    collected = keyed_events(state, subjects)
    collected.sort(key=lambda item: (item[1].at or 0.0, item[0]), reverse=True)
    warnings = [item for item in collected if item[1].warning]
    normals = [item for item in collected if not item[1].warning]
    chosen = collected[:ALL_LIMIT] if mode == ALL else warnings + normals[:NORMAL_LIMIT]
    rows = filtered([_row(key, event, state.now) for key, event in chosen], filter_text)
    return EventList(rows, len(warnings), len(normals), len(collected) - len(chosen))
