"""What a one-shot read computes per listed object while the next page downloads (``LiveSource(warm=...)``): the
values each derivation reads from one object alone, kept by identity (``by_identity``), so that the report after the
last page finds them read."""

from __future__ import annotations

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers.derive.gpu import node_object_facts
from grove.reducers.derive.kube_event_rows import row_of
from grove.reducers.derive.pods import facts


def warm(kind: str, obj: KubeObject) -> None:
    """Read ahead what the reports read from ``obj`` alone: a pod's facts, an Event's row, a Node's labels and
    readiness. Other kinds have nothing read per object."""
    if kind == kinds.POD:
        facts(obj)
    elif kind == kinds.EVENT:
        row_of(obj)
    elif kind == kinds.NODE:
        node_object_facts(obj)
