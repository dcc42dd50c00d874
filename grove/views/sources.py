"""One line per source problem: what is missing and which permission would fix it."""

from __future__ import annotations

import re

from rich.text import Text

from grove.events.model import READABLE_IN
from grove.reducers.derive.reports import SourceNote

_CONSEQUENCE = {
    "Node": "GPU capacity and topology labels unknown",
    "Event": "no events to explain pending pods",
    "PodGang": "gang membership taken from pod labels",
    "ClusterTopologyBinding": "topology levels unknown, grouping by host",
    "Pod": "pods unknown",
}
_SCOPE = {"Node": "at cluster scope", "ClusterTopologyBinding": "at cluster scope"}
_ASKED_CLUSTER_WIDE = "at the cluster scope"  # the API server's words for a request across all namespaces
_ASKED_IN_NAMESPACE = re.compile(r'in the namespace "([^"]+)"')


def _forbidden_line(note: SourceNote, all_namespaces: bool) -> str:
    """Which list was refused, where, and what to do: a namespaced kind refused across all namespaces (-A) needs a
    ClusterRole, or ``-n`` for a namespace the user may read (named when the source found one)."""
    plural = note.kind.lower() + "s"
    why = _CONSEQUENCE.get(note.kind, "not shown")
    message, _, readable = note.message.partition(READABLE_IN)
    if note.kind in _SCOPE:
        return f"⚠ {plural} is forbidden: {why}; needs list/watch on {plural} {_SCOPE[note.kind]}"
    in_namespace = _ASKED_IN_NAMESPACE.search(message)
    cluster_wide = _ASKED_CLUSTER_WIDE in message or (all_namespaces and in_namespace is None)
    if not cluster_wide:
        where = f'in namespace "{in_namespace.group(1)}"' if in_namespace else "in the namespace"
        return f"⚠ {plural} is forbidden: {why}; needs list/watch on {plural} {where}"
    hint = f"use -n {readable} (you can read that namespace)" if readable else "or use -n NAMESPACE you can read"
    return (
        f"⚠ {plural} is forbidden in all namespaces: {why}; -A needs list/watch on {plural} at cluster scope "
        f"(a ClusterRole); {hint}"
    )


def source_line(note: SourceNote, all_namespaces: bool = False) -> Text:
    """``all_namespaces``: the view was asked for every namespace (-A), when the message does not say the scope."""
    if note.status == "forbidden":
        return Text(_forbidden_line(note, all_namespaces), style="yellow")
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


def source_lines(notes: tuple[SourceNote, ...], namespace: str | None = "") -> list[Text]:
    """``namespace`` of the report: None means every namespace (-A)."""
    return [source_line(n, namespace is None) for n in notes if n.kind != "*"]
