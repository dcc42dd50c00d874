"""Which indexes each kind feeds, and how an object maps to its index keys.

Links follow labels first and owner references second, never name prefixes (REFERENCE.md §2).
"""

from __future__ import annotations

from collections.abc import Callable

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers.state import IndexKey

PODS_BY_CLIQUE = "pods_by_clique"
PODS_BY_GANG = "pods_by_gang"
PODS_BY_NODE = "pods_by_node"
EVENTS_BY_OBJECT = "events_by_object"
CLIQUES_BY_PCS = "cliques_by_pcs"  # by (namespace, PCS name)
PCSGS_BY_PCS = "pcsgs_by_pcs"
GANGS_BY_PCS = "gangs_by_pcs"
CLIQUES_BY_PCSG = "cliques_by_pcsg"

KeyFn = Callable[[KubeObject], IndexKey | None]


def _pod_clique(pod: KubeObject) -> IndexKey | None:
    clique = f.label(pod, f.PODCLIQUE_LABEL) or f.owner_name(pod, kinds.PODCLIQUE)
    return (f.namespace(pod), clique) if clique else None


def _pod_gang(pod: KubeObject) -> IndexKey | None:
    gang = f.label(pod, f.PODGANG_LABEL)
    return (f.namespace(pod), gang) if gang else None


def _pod_node(pod: KubeObject) -> IndexKey | None:
    node = f.text(f.get(pod, "spec", "nodeName"))
    return (node,) if node else None


def _event_subject(event: KubeObject) -> IndexKey | None:
    involved = f.mapping(event.get("involvedObject")) or f.mapping(event.get("regarding"))
    kind = f.text(involved.get("kind"))
    name = f.text(involved.get("name"))
    if not kind or not name:
        return None
    return (kind, f.text(involved.get("namespace")) or f.namespace(event), name)


def pcs_of(obj: KubeObject) -> IndexKey | None:
    """The PodCliqueSet a PCLQ / PCSG / PodGang belongs to: part-of label, else the controlling PCS owner."""
    pcs = f.label(obj, f.PART_OF) or f.owner_name(obj, kinds.PODCLIQUESET)
    return (f.namespace(obj), pcs) if pcs else None


def _clique_pcsg(clique: KubeObject) -> IndexKey | None:
    pcsg = f.label(clique, f.PCSG_LABEL) or f.owner_name(clique, kinds.PODCLIQUESCALINGGROUP)
    return (f.namespace(clique), pcsg) if pcsg else None


INDEXES: dict[str, tuple[tuple[str, KeyFn], ...]] = {
    kinds.POD: ((PODS_BY_CLIQUE, _pod_clique), (PODS_BY_GANG, _pod_gang), (PODS_BY_NODE, _pod_node)),
    kinds.EVENT: ((EVENTS_BY_OBJECT, _event_subject),),
    kinds.PODCLIQUE: ((CLIQUES_BY_PCS, pcs_of), (CLIQUES_BY_PCSG, _clique_pcsg)),
    kinds.PODCLIQUESCALINGGROUP: ((PCSGS_BY_PCS, pcs_of),),
    kinds.PODGANG: ((GANGS_BY_PCS, pcs_of),),
}
