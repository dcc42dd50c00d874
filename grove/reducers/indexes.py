"""Which indexes each kind feeds, and how an object maps to its index keys.

Links follow labels first and owner references second, never name prefixes (docs/grove-model.md, The hierarchy).
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

# Indexes whose buckets map each member's key to the member object itself (the others map it to None): such a bucket
# is a new object whenever one of its members changes, so a derivation over a clique's or a node's pods can tell
# from the bucket alone that none of them changed (``hierarchy.clique_pods``, ``gpu.node_gpus``, the pods of each
# node in ``reports.topology_report``), without looking each pod up again.
VALUED = frozenset({PODS_BY_CLIQUE, PODS_BY_NODE})


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


def _slow_keys(kind: str) -> Callable[[KubeObject], tuple[IndexKey | None, ...]]:
    specs = INDEXES[kind]

    def keys(obj: KubeObject) -> tuple[IndexKey | None, ...]:
        out = []
        for _, fn in specs:
            try:
                out.append(fn(obj))
            except Exception:  # a shape the key function did not expect: leave it out of that index
                out.append(None)
        return tuple(out)

    return keys


_slow_pod_keys = _slow_keys(kinds.POD)


def _pod_keys(pod: KubeObject) -> tuple[IndexKey | None, ...]:
    """All three pod index keys at once: the hot path of the fold (same results as the per-index functions)."""
    try:
        meta = pod["metadata"]
        ns = meta["namespace"]
        labels = meta.get("labels") or {}
        clique = labels.get(f.PODCLIQUE_LABEL)
        gang = labels.get(f.PODGANG_LABEL)
        spec = pod.get("spec") or {}
        node = spec.get("nodeName")
    except (KeyError, TypeError, AttributeError):
        return _slow_pod_keys(pod)
    if type(clique) is not str or not clique or type(ns) is not str or (gang is not None and type(gang) is not str):
        return _slow_pod_keys(pod)
    if node is not None and type(node) is not str:
        return _slow_pod_keys(pod)
    return ((ns, clique), (ns, gang) if gang else None, (node,) if node else None)


_slow_event_keys = _slow_keys(kinds.EVENT)


def _event_keys(event: KubeObject) -> tuple[IndexKey | None, ...]:
    """The event's subject for the well-formed case (same result as ``_event_subject``; Events are many)."""
    involved = event.get("involvedObject")
    if type(involved) is dict:
        kind, name, ns = involved.get("kind"), involved.get("name"), involved.get("namespace")
        if type(kind) is str and kind and type(name) is str and name and type(ns) is str and ns:
            return ((kind, ns, name),)
    return _slow_event_keys(event)


_FAST_KEYS = {kinds.POD: _pod_keys, kinds.EVENT: _event_keys}

INDEX_KEYS: dict[str, tuple[tuple[str, ...], Callable[[KubeObject], tuple[IndexKey | None, ...]]]] = {
    kind: (tuple(name for name, _ in specs), _FAST_KEYS.get(kind) or _slow_keys(kind))
    for kind, specs in INDEXES.items()
}

VALUED_POSITIONS: dict[str, tuple[int, ...]] = {
    kind: tuple(i for i, (name, _) in enumerate(specs) if name in VALUED) for kind, specs in INDEXES.items()
}
"""Per kind: where in its index keys the valued indexes are (empty for most kinds)."""
