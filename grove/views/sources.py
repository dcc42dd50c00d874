"""One line per source problem: what is missing and which permission would fix it."""

from __future__ import annotations

from rich.text import Text

from grove.reducers.reports import SourceNote

_CONSEQUENCE = {
    "Node": "GPU capacity and topology labels unknown",
    "Event": "no events to explain pending pods",
    "PodGang": "gang membership taken from pod labels",
    "ClusterTopologyBinding": "topology levels unknown, grouping by host",
    "Pod": "pods unknown",
}
_SCOPE = {"Node": "at cluster scope", "ClusterTopologyBinding": "at cluster scope"}


def source_line(note: SourceNote) -> Text:
    if note.status == "forbidden":
        plural = note.kind.lower() + "s"
        why = _CONSEQUENCE.get(note.kind, "not shown")
        scope = _SCOPE.get(note.kind, "in the namespace")
        return Text(f"⚠ {plural} is forbidden: {why}; needs list/watch on {plural} {scope}", style="yellow")
    if note.status == "not-installed":
        return Text(
            f"⚠ {note.kind} is not installed in this cluster: {_CONSEQUENCE.get(note.kind, 'not shown')}",
            style="yellow",
        )
    if note.status in ("live", "replay"):
        return Text(f"⚠ {note.kind}: {note.message}", style="yellow")
    if note.status in ("reconnecting", "stale"):
        return Text(f"⚠ {note.kind}: {note.status}" + (f" — {note.message}" if note.message else ""), style="yellow")
    return Text(f"⚠ {note.kind}: {note.status}" + (f" — {note.message}" if note.message else ""), style="yellow")


def source_lines(notes: tuple[SourceNote, ...]) -> list[Text]:
    return [source_line(n) for n in notes if n.kind != "*"]
