"""The Grove hierarchy: PCS → PCS replica → (PCSG → PCSG replica) → PodClique → Pod, plus PodGang membership.

Linked only by labels and owner references (docs/grove-model.md, The hierarchy), never by name prefixes.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from immutables import Map

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers import indexes as ix
from grove.reducers.carryover import CarryOver
from grove.reducers.derivation import derivation
from grove.reducers.derive.pods import PodFacts, facts, gpu_request
from grove.reducers.journal import Entry, Journal, changes_between
from grove.reducers.state import IndexKey, ObjKey, State

CLIQUES_PART_OF = derivation(
    "pod-cliques-part-of", reads_clock=False, about="which PodCliqueSet each PodClique is part of"
)
PCS_TREE = derivation(
    "pcs", reads_clock=False, about="one PodCliqueSet's hierarchy: replicas, scaling groups, gangs, cliques, pods"
)
FOREST = derivation("forest", reads_clock=False, about="the hierarchies of every PodCliqueSet in a namespace (or all)")

DEFAULT_TERMINATION_DELAY = 4 * 3600.0


@attrs.frozen
class Condition:
    type: str
    status: str
    reason: str
    message: str
    since: float | None

    @property
    def is_true(self) -> bool:
        return self.status == "True"


def read_condition(obj: KubeObject | None, ctype: str) -> Condition | None:
    if obj is None:
        return None
    cond = f.condition(obj, ctype)
    if cond is None:
        return None
    return Condition(
        type=ctype,
        status=f.text(cond.get("status"), "Unknown"),
        reason=f.text(cond.get("reason")),
        message=f.text(cond.get("message")),
        since=f.timestamp(cond.get("lastTransitionTime")),
    )


@attrs.frozen
class PodNode:
    facts: PodFacts
    role: str
    outdated: bool  # its pod-template hash differs from its clique's target hash


@attrs.frozen
class CliqueNode:
    namespace: str
    name: str
    clique: str  # the template name (role id inside the PCS)
    role: str
    pcs: str
    pcs_replica: int | None
    pcsg: str | None
    pcsg_replica: int | None
    gang: str | None
    replicas: int
    min_available: int
    ready: int
    scheduled: int
    gated: int
    updated: int
    pods: tuple[PodNode, ...]
    gpus_per_pod: int
    min_breached: Condition | None
    scheduled_condition: Condition | None
    target_hash: str | None
    created: float | None
    exists: bool = True  # False when only pods refer to it

    @property
    def gpus(self) -> int:
        return sum(p.facts.gpus for p in self.pods if not p.facts.finished)


@attrs.frozen
class PcsgReplicaNode:
    index: int
    gang: str | None
    base: bool  # part of the base PodGang (index < minAvailable)
    cliques: tuple[CliqueNode, ...]


@attrs.frozen
class PcsgNode:
    namespace: str
    name: str
    group: str  # the template name of the scaling group
    pcs_replica: int | None
    replicas: int
    min_available: int
    available: int
    scheduled: int
    updated: int
    replica_nodes: tuple[PcsgReplicaNode, ...]
    min_breached: Condition | None
    gang_termination: Condition | None
    created: float | None

    def cliques(self) -> Iterable[CliqueNode]:
        for replica in self.replica_nodes:
            yield from replica.cliques


@attrs.frozen
class PodGroupRef:
    name: str  # = PodClique name
    min_replicas: int
    pods: tuple[str, ...]


@attrs.frozen
class GangNode:
    namespace: str
    name: str
    pcs: str
    pcs_replica: int | None
    base: bool
    pcsg: str | None
    pcsg_replica: int | None
    phase: str
    initialized: Condition | None
    scheduler_score: float | None  # PodGang.status.placementScore, only when a scheduler wrote one
    podgroups: tuple[PodGroupRef, ...]
    pods: tuple[str, ...]  # pod names (labels and podReferences)
    exists: bool


@attrs.frozen
class PcsReplicaNode:
    index: int
    cliques: tuple[CliqueNode, ...]  # standalone
    groups: tuple[PcsgNode, ...]
    gangs: tuple[str, ...]

    def all_cliques(self) -> Iterable[CliqueNode]:
        yield from self.cliques
        for group in self.groups:
            yield from group.cliques()


@attrs.frozen
class PcsNode:
    namespace: str
    name: str
    replicas: int
    available: int
    updated: int
    created: float | None
    strategy: str
    termination_delay: float
    generation_hash: str | None
    topology_name: str | None
    replica_nodes: tuple[PcsReplicaNode, ...]
    gangs: tuple[GangNode, ...]
    exists: bool = True

    def cliques(self) -> Iterable[CliqueNode]:
        for replica in self.replica_nodes:
            yield from replica.all_cliques()

    def pods(self) -> Iterable[PodNode]:
        for clique in self.cliques():
            yield from clique.pods


def clique_template_name(clique: KubeObject) -> str:
    """PCLQ name minus ``<pcsg>-<sgIdx>-`` (grouped) or ``<pcs>-<pcsIdx>-`` (standalone); see docs/grove-model.md.

    Works on a pod too (its labels carry the same keys), given the PodClique name from ``grove.io/podclique``."""
    return template_name_of(f.name(clique), clique)


def template_name_of(name: str, clique: KubeObject) -> str:
    """The template name inside PodClique name ``name``, read with the labels of ``clique`` (or of one of its pods)."""
    pcsg = f.label(clique, f.PCSG_LABEL)
    sg_idx = f.label(clique, f.PCSG_REPLICA_INDEX)
    if pcsg and sg_idx is not None and name.startswith(f"{pcsg}-{sg_idx}-"):
        return name[len(pcsg) + len(sg_idx) + 2 :]
    pcs = f.label(clique, f.PART_OF)
    idx = f.label(clique, f.PCS_REPLICA_INDEX)
    if pcs and idx is not None and name.startswith(f"{pcs}-{idx}-"):
        return name[len(pcs) + len(idx) + 2 :]
    return name


def pcsg_template_name(pcsg: KubeObject) -> str:
    name = f.name(pcsg)
    pcs = f.label(pcsg, f.PART_OF)
    idx = f.label(pcsg, f.PCS_REPLICA_INDEX)
    if pcs and idx is not None and name.startswith(f"{pcs}-{idx}-"):
        return name[len(pcs) + len(idx) + 2 :]
    return name


_CLIQUE_PODS: CarryOver[tuple[KubeObject | None, ...]] = CarryOver(max_entries=65_536)


def clique_pods(state: State, namespace: str, clique_name: str) -> tuple[KubeObject | None, ...]:
    """The pod objects of a clique's index bucket, in bucket order.

    The very same tuple is returned, state after state, while the bucket is the same object, which it is while every
    pod in it is (``PODS_BY_CLIQUE`` holds the pods themselves, see ``indexes.VALUED``): a derivation over many cliques
    compares one tuple per clique instead of every pod (see ``carryover``), and an unchanged clique costs no lookup.
    """
    bucket = state.indexed(ix.PODS_BY_CLIQUE, (namespace, clique_name))
    return _CLIQUE_PODS.get((state.lineage, namespace, clique_name), (bucket,), lambda: tuple(bucket.values()))


_Counts = dict[IndexKey, tuple[Map[ObjKey, KubeObject | None], dict[str, int]]]
_PartOfCarried = tuple[Journal | None, _Counts, dict[tuple[str, str], tuple[str, ...]]]
_PART_OF: CarryOver[_PartOfCarried] = CarryOver(max_entries=256)


def _pod_cliques_part_of(state: State) -> dict[tuple[str, str], tuple[str, ...]]:
    """(namespace, PCS) -> the PodClique names of pods labelled part-of that PCS, in index order: worked out once
    per state, so that a PCS looks up its own instead of reading every clique of its namespace. Carried over in a
    line of states: a clique's bucket that is the same object as before has the same pods, so the same labels."""

    def compute() -> dict[tuple[str, str], tuple[str, ...]]:
        buckets = state.indexes.get(ix.PODS_BY_CLIQUE, _NO_BUCKETS)
        return _PART_OF.get(state.lineage, (buckets,), lambda: _carry_part_of(state, buckets))[2]

    return state.memoised(CLIQUES_PART_OF, "", state.revision, compute)


_BY_CLIQUE = ix.INDEX_KEYS[kinds.POD][0].index(ix.PODS_BY_CLIQUE)  # where a pod's clique is in its index keys


def _carry_part_of(state: State, buckets: Map[IndexKey, Map[ObjKey, KubeObject | None]]) -> _PartOfCarried:
    """From the answer of the state seen before in the lineage: only the buckets of the pods the journal says
    changed since are counted again (a pod's readiness flip costs its clique's bucket, not every clique's);
    without a journal to go by, each bucket that is not the same object as before."""
    before = _PART_OF.previous(state.lineage)
    if before is not None:
        changes = changes_between(state.journal, before[0])
        if changes is not None:
            keys: set[IndexKey] = set()
            for kind, _, old, new in changes:
                if kind == kinds.POD:
                    if old is not None and (key := old[_BY_CLIQUE]) is not None:
                        keys.add(key)
                    if new is not None and (key := new[_BY_CLIQUE]) is not None:
                        keys.add(key)
            return _part_of_of(state.journal, buckets, before, keys)
    return _part_of_of(state.journal, buckets, before, None)


def _part_of_of(
    journal: Journal | None,
    buckets: Map[IndexKey, Map[ObjKey, KubeObject | None]],
    before: _PartOfCarried | None,
    changed: set[IndexKey] | None,
) -> _PartOfCarried:
    """Each bucket keeps how many of its pods name each PodCliqueSet; a bucket that changed (of those in
    ``changed``, or any when None) is counted again from its pods that changed only. When the buckets name the same
    PodCliqueSets as before, the previous answer is kept as it is (a pod's readiness flip or replacement changes its
    bucket, not the labels); else it is made again from every bucket, in index order."""
    counts_before, answer_before = (before[1], before[2]) if before is not None else ({}, None)
    same = answer_before is not None
    if changed is not None:
        counts = dict(counts_before)
        for key in changed:
            bucket = buckets.get(key)
            hit = counts_before.get(key)
            if bucket is None:
                if hit is not None:
                    del counts[key]
                    same = same and not hit[1]
                continue
            if hit is None:
                now = _part_of_counts(bucket, None, {})
                same = same and not now
            elif hit[0] is bucket:
                continue
            else:
                now = _part_of_counts(bucket, hit[0], hit[1])
                same = same and now.keys() == hit[1].keys()
            counts[key] = (bucket, now)
    else:
        counts = {}
        same = same and len(buckets) == len(counts_before)
        for key, bucket in buckets.items():
            hit = counts_before.get(key)
            if hit is None:
                same = False
                hit = (bucket, _part_of_counts(bucket, None, {}))
            elif hit[0] is not bucket:
                now = _part_of_counts(bucket, hit[0], hit[1])
                same = same and now.keys() == hit[1].keys()
                hit = (bucket, now)
            counts[key] = hit
    if same and answer_before is not None:
        return journal, counts, answer_before
    out: dict[tuple[str, str], list[str]] = {}
    for key in buckets:
        ns, clique_name = key
        for pcs in counts[key][1]:
            out.setdefault((ns, pcs), []).append(clique_name)
    return journal, counts, {key: tuple(names) for key, names in out.items()}


def _part_of_counts(
    bucket: Map[ObjKey, KubeObject | None], old: Map[ObjKey, KubeObject | None] | None, old_counts: dict[str, int]
) -> dict[str, int]:
    """PCS name -> pods of ``bucket`` labelled part-of it, from ``old_counts`` (those of the bucket ``old``) and the
    pods that are not the same objects in both."""
    counts = dict(old_counts)

    def add(pod: KubeObject | None, by: int) -> None:
        pcs = f.label(pod, f.PART_OF) if pod is not None else None
        if pcs is not None:
            left = counts.get(pcs, 0) + by
            if left:
                counts[pcs] = left
            else:
                del counts[pcs]

    for key, pod in bucket.items():
        was = old.get(key) if old is not None else None
        if was is not pod:
            add(was, -1)
            add(pod, 1)
    if old is not None:
        for key, was in old.items():
            if key not in bucket:
                add(was, -1)
    return counts


def _clique_node(
    state: State,
    namespace: str,
    name: str,
    obj: KubeObject | None,
    pcs: str,
    role_fallback: str = "?",
    gang_fallback: str | None = None,
    replica_fallback: int | None = None,
    previous: CliqueNode | None = None,
    previous_pods: Sequence[Any] | None = None,
) -> CliqueNode:
    """``previous``: this clique's node in an earlier state, built from the pod objects ``previous_pods`` (as
    ``clique_pods`` gave them); pods that did not change keep their nodes."""
    pods_now = clique_pods(state, namespace, name)
    raw_pods = [pod for pod in pods_now if pod is not None]
    spec = f.mapping(obj.get("spec")) if obj is not None else {}
    status = f.mapping(obj.get("status")) if obj is not None else {}
    role = f.text(spec.get("roleName")) or role_fallback
    target_hash = (
        f.label(obj, f.POD_TEMPLATE_HASH)
        or f.text(f.get(obj, "status", "updateProgress", "podTemplateHash"))
        or f.text(status.get("currentPodTemplateHash"))
        or None
        if obj is not None
        else None
    )
    same_pods = previous is not None and previous.role == role and previous.target_hash == (target_hash or None)
    pod_nodes: list[PodNode] | None = None
    if same_pods and previous is not None and previous_pods is not None:
        pod_nodes = _pod_nodes_updated(previous.pods, previous_pods, pods_now, role, target_hash)
    if pod_nodes is None:
        reusable: dict[int, PodNode] = {}
        if same_pods and previous is not None:
            reusable = {id(p.facts): p for p in previous.pods}  # same facts, role and target: the same pod node
        pod_nodes = []
        for pod in raw_pods:
            pf = facts(pod)
            node = reusable.get(id(pf))
            if node is None or node.facts is not pf:
                node = PodNode(pf, role, _outdated(pf, target_hash))
            pod_nodes.append(node)
        pod_nodes.sort(key=_pod_order)
    live = ready = scheduled = gated = updated = 0
    for node in pod_nodes:  # one pass: cliques of a thousand pods are rebuilt at every readiness flip
        pf = node.facts
        if pf.finished or pf.status == "Terminating":
            continue
        live += 1
        ready += pf.ready
        scheduled += pf.scheduled
        gated += pf.gated
        updated += not node.outdated
    replicas = f.integer(spec.get("replicas"), live) if obj is not None else live
    gpus_per_pod = 0
    if obj is not None:
        gpus_per_pod = _gpus_per_pod(namespace, name, f.mapping(spec.get("podSpec")))
    elif pod_nodes:
        gpus_per_pod = pod_nodes[0].facts.gpus
    sample = obj if obj is not None else (raw_pods[0] if raw_pods else None)
    return CliqueNode(
        namespace=namespace,
        name=name,
        clique=(clique_template_name(obj) if obj is not None else template_name_of(name, sample))
        if sample is not None
        else name,
        role=role,
        pcs=pcs,
        pcs_replica=(f.opt_int(f.label(sample, f.PCS_REPLICA_INDEX)) if sample is not None else None)
        if sample is not None and f.label(sample, f.PCS_REPLICA_INDEX) is not None
        else replica_fallback,
        pcsg=(f.label(sample, f.PCSG_LABEL) or f.owner_name(sample, kinds.PODCLIQUESCALINGGROUP))
        if sample is not None
        else None,
        pcsg_replica=f.opt_int(f.label(sample, f.PCSG_REPLICA_INDEX)) if sample is not None else None,
        gang=(f.label(sample, f.PODGANG_LABEL) if sample is not None else None) or gang_fallback,
        replicas=replicas,
        min_available=f.integer(spec.get("minAvailable"), replicas),
        ready=ready,
        scheduled=scheduled,
        gated=gated,
        updated=updated,
        pods=tuple(pod_nodes),
        gpus_per_pod=gpus_per_pod,
        min_breached=read_condition(obj, "MinAvailableBreached"),
        scheduled_condition=read_condition(obj, "PodCliqueScheduled"),
        target_hash=target_hash or None,
        created=f.created(obj) if obj is not None else None,
        exists=obj is not None,
    )


_GPUS_PER_POD: CarryOver[int] = CarryOver(max_entries=65_536)


def _gpus_per_pod(namespace: str, name: str, pod_spec: Mapping[str, Any]) -> int:
    """The GPUs a PodClique's pod template requests, read again only when its podSpec is another object (a status
    write leaves the spec as it is)."""
    return _GPUS_PER_POD.get((namespace, name), (pod_spec,), lambda: gpu_request({"spec": pod_spec}))


def _outdated(pf: PodFacts, target_hash: str | None) -> bool:
    return bool(target_hash and pf.template_hash and pf.template_hash != target_hash)


DELTA_SHARE = 4  # more than one pod in this many changed: the clique's pod nodes are built afresh


def _pod_nodes_updated(
    nodes: tuple[PodNode, ...],
    before: Sequence[Any],
    after: Sequence[KubeObject | None],
    role: str,
    target_hash: str | None,
) -> list[PodNode] | None:
    """``nodes`` (built from the pods ``before``, sorted) without the nodes of the pods that are not in ``after``
    and with nodes for the pods that are new in it (pod objects compared by identity: a pod's new version is both),
    when only a few pods came or went; None otherwise.

    A readiness flip or a pod replaced in a clique of a thousand pods then costs two sets of identities and the nodes
    of the pods that changed, not a node, a lookup and a sort for each of the thousand.
    """
    if len(before) != len(nodes):
        return None
    after_ids = set(map(id, after))
    gone = [pod for pod in before if id(pod) not in after_ids]
    if not gone and len(before) == len(after):
        return list(nodes)
    before_ids = set(map(id, before))
    came = [pod for pod in after if id(pod) not in before_ids]
    if (len(gone) + len(came)) * DELTA_SHARE > 2 * len(after) or any(pod is None for pod in (*gone, *came)):
        return None
    gone_names = {f.name(pod) for pod in gone}
    updated = [node for node in nodes if node.facts.name not in gone_names]
    for pod in came:
        assert pod is not None
        pf = facts(pod)
        bisect.insort(updated, PodNode(pf, role, _outdated(pf, target_hash)), key=_pod_order)
    return updated


_PODGROUPS: CarryOver[tuple[PodGroupRef, ...]] = CarryOver(max_entries=65_536)


def _podgroups(namespace: str, name: str, obj: KubeObject) -> tuple[PodGroupRef, ...]:
    """The PodGroups a PodGang object lists (a thousand pod references), read once per object."""

    def read() -> tuple[PodGroupRef, ...]:
        groups = []
        for group in f.seq(f.get(obj, "spec", "podgroups")):
            gm = f.mapping(group)
            refs = tuple(
                f.text(f.mapping(r).get("name")) for r in f.seq(gm.get("podReferences")) if f.mapping(r).get("name")
            )
            groups.append(PodGroupRef(f.text(gm.get("name")), f.integer(gm.get("minReplicas")), refs))
        return tuple(groups)

    return _PODGROUPS.get((namespace, name), (obj,), read)


def _pod_order(pod: PodNode) -> tuple[int, str]:
    return (pod.facts.pod_index if pod.facts.pod_index is not None else 1 << 30, pod.facts.name)


def _gang_node(state: State, namespace: str, name: str, pcs: str, cliques: list[CliqueNode]) -> GangNode:
    obj = state.get(kinds.PODGANG, namespace, name)
    groups: list[PodGroupRef] = []
    pod_names: dict[str, None] = {}
    if obj is not None:
        groups = list(_podgroups(namespace, name, obj))
        for group in groups:
            pod_names.update(dict.fromkeys(group.pods))
    for key in state.indexed(ix.PODS_BY_GANG, (namespace, name)):
        pod_names[key[1]] = None
    members = [c for c in cliques if c.gang == name]
    if obj is None:
        groups = [PodGroupRef(c.name, c.min_available, tuple(p.facts.name for p in c.pods)) for c in members]
    scaled = [c for c in members if c.pcsg is not None and _is_scaled_member(state, c)]
    replica = next((c.pcs_replica for c in members if c.pcs_replica is not None), None)
    score = f.get(obj, "status", "placementScore") if obj is not None else None
    return GangNode(
        namespace=namespace,
        name=name,
        pcs=pcs,
        pcs_replica=replica,
        base=not scaled,
        pcsg=scaled[0].pcsg if scaled else None,
        pcsg_replica=scaled[0].pcsg_replica if scaled else None,
        phase=f.text(f.get(obj, "status", "phase"), "Pending") if obj is not None else "",
        initialized=read_condition(obj, "Initialized"),
        scheduler_score=float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None,
        podgroups=tuple(groups),
        pods=tuple(sorted(pod_names)),
        exists=obj is not None,
    )


def _is_scaled_member(state: State, clique: CliqueNode) -> bool:
    obj = state.get(kinds.PODCLIQUE, clique.namespace, clique.name)
    if obj is not None:
        return f.label(obj, f.BASE_PODGANG) is not None
    return False


def _keys(state: State, index: str, namespace: str, pcs: str) -> list[str]:
    return sorted(name for _, name in state.indexed(index, (namespace, pcs)))


def build_pcs(state: State, namespace: str, name: str) -> PcsNode:
    """The hierarchy of one PodCliqueSet (also when only its children are known)."""
    return state.memoised(PCS_TREE, f"{namespace}/{name}", state.revision, lambda: _carried_pcs(state, namespace, name))


_CARRIED: CarryOver[PcsNode] = CarryOver()
_CARRIED_CLIQUES: CarryOver[CliqueNode] = CarryOver(max_entries=65_536)


def _carried_clique(
    state: State,
    namespace: str,
    name: str,
    obj: KubeObject,
    pcs: str,
    role_fallback: str,
    gang_fallback: str | None,
    replica_fallback: int | None,
) -> CliqueNode:
    """A clique's node, reused while the PodClique and each of its pods are the same objects."""
    key = (state.lineage, namespace, name, pcs, role_fallback, gang_fallback, replica_fallback)
    inputs = (obj, clique_pods(state, namespace, name))
    previous = _CARRIED_CLIQUES.previous(key)
    previous_inputs = _CARRIED_CLIQUES.previous_inputs(key)
    previous_pods = previous_inputs[1] if previous_inputs is not None else None
    if not isinstance(previous_pods, tuple):
        previous_pods = None
    return _CARRIED_CLIQUES.get(
        key,
        inputs,
        lambda: _clique_node(
            state,
            namespace,
            name,
            obj,
            pcs,
            role_fallback,
            gang_fallback,
            replica_fallback,
            previous,
            previous_pods,
        ),
    )


def _carried_pcs(state: State, namespace: str, name: str) -> PcsNode:
    """The hierarchy kept from an earlier state of the lineage while nothing it read changed since (``_Touched``),
    else checked input by input against the one last built (``_pcs_inputs``), else built."""
    touched = _TOUCHED.get(state.lineage, (), _Touched)
    journal = state.journal
    with touched.lock:
        touched.sync(state)
        clean = touched.clean.get((namespace, name))
    if clean is not None:
        return clean
    key = (state.lineage, namespace, name)
    inputs = _pcs_inputs(state, namespace, name, _CARRIED.previous(key))
    node = _CARRIED.get(key, inputs, lambda: _build_pcs(state, namespace, name))
    if journal is not None:
        reads = _pcs_reads(state, namespace, name, node)
        with touched.lock:
            if touched.seen is journal:  # still at this state's objects (another thread may have moved it on)
                touched.note((namespace, name), node, reads)
    return node


_Read = tuple[str, tuple[str, ...]]
"""An object ``(kind, (namespace, name))`` or an index bucket ``(index, key)`` that a hierarchy read."""


class _Touched:
    """Per lineage: the hierarchies known to be up to date at the state last seen, and what each read.

    At each state the journal says which objects and index buckets changed since the state seen before (reducers/
    journal.py); every PodCliqueSet whose hierarchy read one of them is dropped from ``clean`` and built again when
    asked for, the others are returned as they are. A clique's pods labelled part-of a PCS are read through the
    namespace-wide ``_pod_cliques_part_of``: a PCS whose entry in it changed is dropped too. When the journal cannot
    say what changed (a relist, another branch, a history let go), nothing is clean.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: Journal | None = None
        self.part_of: dict[tuple[str, str], tuple[str, ...]] | None = None
        self.clean: dict[tuple[str, str], PcsNode] = {}
        self.reads: dict[tuple[str, str], frozenset[_Read]] = {}
        self.readers: dict[_Read, set[tuple[str, str]]] = {}

    def sync(self, state: State) -> None:
        journal = state.journal
        if journal is not None and journal is self.seen:
            return
        changes = changes_between(journal, self.seen)
        part_of = _pod_cliques_part_of(state)
        if changes is None or self.part_of is None:
            self.clean.clear()
        else:
            clean, readers = self.clean, self.readers
            if clean:
                for entry in changes:
                    for read in _entry_reads(entry):
                        for pcs in readers.get(read, ()):
                            clean.pop(pcs, None)
            before = self.part_of
            if part_of is not before:
                for pcs in before.keys() | part_of.keys():
                    if before.get(pcs) != part_of.get(pcs):
                        clean.pop(pcs, None)
        self.seen = journal
        self.part_of = part_of

    def note(self, pcs: tuple[str, str], node: PcsNode, reads: frozenset[_Read]) -> None:
        old = self.reads.get(pcs)
        if old != reads:
            readers = self.readers
            for read in old or ():
                holders = readers.get(read)
                if holders is not None:
                    holders.discard(pcs)
                    if not holders:
                        del readers[read]
            for read in reads:
                readers.setdefault(read, set()).add(pcs)
            self.reads[pcs] = reads
        self.clean[pcs] = node


_TOUCHED: CarryOver[_Touched] = CarryOver(max_entries=8, lru=True)  # the live feed's, and a few previews'


def _entry_reads(entry: Entry) -> Iterable[_Read]:
    """The object and the index buckets (before and after) one journal entry changed."""
    kind, key, before, after = entry
    yield (kind, key)
    if before is None and after is None:
        return
    names = ix.INDEX_KEYS[kind][0]
    for i, index in enumerate(names):
        old = before[i] if before is not None else None
        new = after[i] if after is not None else None
        if old is not None:
            yield (index, old)
        if new is not None and new != old:
            yield (index, new)


def _pcs_reads(state: State, namespace: str, name: str, node: PcsNode) -> frozenset[_Read]:
    """Every object and bucket ``_build_pcs`` read to build ``node`` (the same as ``_pcs_inputs``, with the
    cliques and gangs of ``node`` itself: a gang only its pods name is read too)."""
    pcs_key = (namespace, name)
    clique_bucket = state.indexed(ix.CLIQUES_BY_PCS, pcs_key)
    pcsg_bucket = state.indexed(ix.PCSGS_BY_PCS, pcs_key)
    gang_bucket = state.indexed(ix.GANGS_BY_PCS, pcs_key)
    reads: list[_Read] = [
        (kinds.PODCLIQUESET, pcs_key),
        (ix.CLIQUES_BY_PCS, pcs_key),
        (ix.PCSGS_BY_PCS, pcs_key),
        (ix.GANGS_BY_PCS, pcs_key),
    ]
    clique_names = {n for _, n in clique_bucket}
    for key in pcsg_bucket:
        reads += ((kinds.PODCLIQUESCALINGGROUP, key), (ix.CLIQUES_BY_PCSG, key))
        clique_names.update(n for _, n in state.indexed(ix.CLIQUES_BY_PCSG, key))
    clique_names.update(c.name for c in node.cliques())
    clique_names.update(_pod_cliques_part_of(state).get(pcs_key, ()))
    for clique_name in clique_names:
        reads += ((kinds.PODCLIQUE, (namespace, clique_name)), (ix.PODS_BY_CLIQUE, (namespace, clique_name)))
    gang_names = {n for _, n in gang_bucket}
    gang_names.update(g.name for g in node.gangs)
    for gang_name in gang_names:
        reads += ((kinds.PODGANG, (namespace, gang_name)), (ix.PODS_BY_GANG, (namespace, gang_name)))
    return frozenset(reads)


_NO_BUCKETS: Map[IndexKey, Map[ObjKey, KubeObject | None]] = Map()


def _pcs_inputs(state: State, namespace: str, name: str, previous: PcsNode | None) -> tuple[object, ...]:
    """Every object, bucket and index ``_build_pcs`` reads, in a stable order (see ``carryover``)."""
    cliques = state.of_kind(kinds.PODCLIQUE)
    clique_bucket = state.indexed(ix.CLIQUES_BY_PCS, (namespace, name))
    pcsg_bucket = state.indexed(ix.PCSGS_BY_PCS, (namespace, name))
    gang_bucket = state.indexed(ix.GANGS_BY_PCS, (namespace, name))
    refs: list[object] = [
        state.get(kinds.PODCLIQUESET, namespace, name),
        clique_bucket,
        pcsg_bucket,
        gang_bucket,
    ]
    clique_names = {n for _, n in clique_bucket}
    for key in sorted(pcsg_bucket):
        members = state.indexed(ix.CLIQUES_BY_PCSG, key)
        refs += (state.of_kind(kinds.PODCLIQUESCALINGGROUP).get(key), members)
        clique_names.update(n for _, n in members)
    gang_names = {n for _, n in gang_bucket}
    if previous is not None:
        clique_names.update(c.name for c in previous.cliques())
        gang_names.update(g.name for g in previous.gangs)
    # A clique's pods by their bucket (``PODS_BY_CLIQUE`` holds the pods: the same bucket, the same pods), not by
    # ``clique_pods``' tuple: this runs for every workload at every state, and most buckets are unchanged.
    pod_buckets = state.indexes.get(ix.PODS_BY_CLIQUE, _NO_BUCKETS)
    for clique_name in sorted(clique_names):
        refs += (cliques.get((namespace, clique_name)), pod_buckets.get((namespace, clique_name)))
    # Pods of the namespace's other cliques: one labelled part-of this PCS makes its clique an orphan of it.
    for clique_name in _pod_cliques_part_of(state).get((namespace, name), ()):
        if clique_name not in clique_names:
            refs += (clique_name, pod_buckets.get((namespace, clique_name)))
    for gang_name in sorted(gang_names):
        refs += (
            state.get(kinds.PODGANG, namespace, gang_name),
            state.indexed(ix.PODS_BY_GANG, (namespace, gang_name)),
        )
    return tuple(refs)


def _build_pcs(state: State, namespace: str, name: str) -> PcsNode:
    pcs_obj = state.get(kinds.PODCLIQUESET, namespace, name)
    spec = f.mapping(pcs_obj.get("spec")) if pcs_obj is not None else {}
    template = f.mapping(spec.get("template"))
    status = f.mapping(pcs_obj.get("status")) if pcs_obj is not None else {}
    role_by_template = {
        f.text(f.mapping(c).get("name")): f.text(f.get(c, "spec", "roleName")) for c in f.seq(template.get("cliques"))
    }

    pcsg_objs = {
        n: state.get(kinds.PODCLIQUESCALINGGROUP, namespace, n) for n in _keys(state, ix.PCSGS_BY_PCS, namespace, name)
    }
    gang_names: dict[str, None] = dict.fromkeys(_keys(state, ix.GANGS_BY_PCS, namespace, name))
    # Without the grove.io/podgang label, a PodClique's gang is the PodGang listing it as a PodGroup.
    gang_by_clique: dict[str, str] = {}
    for gang_name in gang_names:
        gang_obj = state.get(kinds.PODGANG, namespace, gang_name)
        for group in f.seq(f.get(gang_obj, "spec", "podgroups")):
            gang_by_clique.setdefault(f.text(f.mapping(group).get("name")), gang_name)
    # Cliques of this PCS: by part-of label / PCS owner, and (without those) through the PCSGs that own them.
    candidates = dict.fromkeys(_keys(state, ix.CLIQUES_BY_PCS, namespace, name))
    replica_of_pcsg: dict[str, int | None] = {}
    for pcsg_name, pcsg_obj in pcsg_objs.items():
        replica_of_pcsg[pcsg_name] = f.opt_int(f.label(pcsg_obj, f.PCS_REPLICA_INDEX)) if pcsg_obj else None
        candidates.update(dict.fromkeys(_keys(state, ix.CLIQUES_BY_PCSG, namespace, pcsg_name)))

    clique_nodes: list[CliqueNode] = []
    seen: set[str] = set()
    for clique_name in candidates:
        obj = state.get(kinds.PODCLIQUE, namespace, clique_name)
        if obj is None:
            continue
        fallback = role_by_template.get(clique_template_name(obj), "?") or "?"
        owner_pcsg = f.label(obj, f.PCSG_LABEL) or f.owner_name(obj, kinds.PODCLIQUESCALINGGROUP)
        clique_nodes.append(
            _carried_clique(
                state,
                namespace,
                clique_name,
                obj,
                name,
                fallback,
                gang_by_clique.get(clique_name),
                replica_of_pcsg.get(owner_pcsg or ""),
            )
        )
        seen.add(clique_name)
    # Pods whose PodClique is not (yet, or no longer) known but which belong to this PCS.
    orphan_cliques: dict[str, None] = {}
    for clique_name in _pod_cliques_part_of(state).get((namespace, name), ()):
        if clique_name not in seen:
            orphan_cliques[clique_name] = None
    for clique_name in orphan_cliques:
        node = _clique_node(state, namespace, clique_name, None, name, gang_fallback=gang_by_clique.get(clique_name))
        clique_nodes.append(attrs.evolve(node, role=role_by_template.get(node.clique, "?") or "?"))

    clique_nodes = _infer_missing_replicas(clique_nodes, name, role_by_template)
    replica_indices: set[int] = set(range(f.integer(spec.get("replicas"))))
    for c in clique_nodes:
        if c.pcs_replica is not None:
            replica_indices.add(c.pcs_replica)
    for obj in pcsg_objs.values():
        idx = f.opt_int(f.label(obj, f.PCS_REPLICA_INDEX)) if obj is not None else None
        if idx is not None:
            replica_indices.add(idx)

    for c in clique_nodes:
        if c.gang:
            gang_names.setdefault(c.gang, None)
    gangs = tuple(_gang_node(state, namespace, g, name, clique_nodes) for g in sorted(gang_names))

    replica_nodes = []
    for index in sorted(replica_indices):
        standalone = tuple(
            sorted(
                (c for c in clique_nodes if c.pcs_replica == index and c.pcsg is None),
                key=lambda c: c.name,
            )
        )
        groups = []
        for pcsg_name, obj in sorted(pcsg_objs.items()):
            if obj is None or f.opt_int(f.label(obj, f.PCS_REPLICA_INDEX)) != index:
                continue
            groups.append(_pcsg_node(obj, [c for c in clique_nodes if c.pcsg == pcsg_name], gangs))
        # grouped cliques whose PCSG object is unknown
        known = {g.name for g in groups}
        for pcsg_name in sorted({c.pcsg for c in clique_nodes if c.pcsg and c.pcs_replica == index} - known):
            assert pcsg_name is not None
            groups.append(_pcsg_node(None, [c for c in clique_nodes if c.pcsg == pcsg_name], gangs, pcsg_name))
        replica_gangs = tuple(g.name for g in gangs if g.pcs_replica == index)
        replica_nodes.append(PcsReplicaNode(index, standalone, tuple(groups), replica_gangs))

    return PcsNode(
        namespace=namespace,
        name=name,
        replicas=f.integer(spec.get("replicas"), len(replica_nodes)),
        available=f.integer(status.get("availableReplicas")),
        updated=f.integer(status.get("updatedReplicas")),
        created=f.created(pcs_obj) if pcs_obj is not None else None,
        strategy=f.text(f.get(spec, "updateStrategy", "type"), "RollingRecreate"),
        termination_delay=f.parse_duration(template.get("terminationDelay"), DEFAULT_TERMINATION_DELAY),
        generation_hash=f.text(status.get("currentGenerationHash")) or None,
        topology_name=topology_name_of(pcs_obj),
        replica_nodes=tuple(replica_nodes),
        gangs=gangs,
        exists=pcs_obj is not None,
    )


def topology_name_of(pcs: KubeObject | None) -> str | None:
    """The ClusterTopologyBinding a PodCliqueSet names (``spec.template.topologyConstraint.topologyName``)."""
    return f.text(f.get(pcs, "spec", "template", "topologyConstraint", "topologyName")) or None if pcs else None


def _infer_missing_replicas(cliques: list[CliqueNode], pcs: str, templates: Mapping[str, str]) -> list[CliqueNode]:
    """Give a PCS replica index to cliques that lack the label: from the other cliques of their gang, else from an
    exact ``<pcs>-<i>`` base-gang name or ``<pcs>-<i>-<template>`` clique name (exact matches, never prefixes)."""
    by_gang = {c.gang: c.pcs_replica for c in cliques if c.gang and c.pcs_replica is not None}
    out = []
    for c in cliques:
        if c.pcs_replica is None:
            index = by_gang.get(c.gang) if c.gang else None
            if index is None and c.gang:
                index = _exact_index(c.gang, pcs, "")
            if index is None:
                index = next((i for t in templates if (i := _exact_index(c.name, pcs, f"-{t}")) is not None), None)
            if index is not None:
                c = attrs.evolve(c, pcs_replica=index)
        out.append(c)
    return out


def _exact_index(name: str, pcs: str, suffix: str) -> int | None:
    middle = (
        name[len(pcs) + 1 : len(name) - len(suffix)] if name.startswith(pcs + "-") and name.endswith(suffix) else ""
    )
    return int(middle) if middle.isdigit() else None


def _pcsg_node(
    obj: KubeObject | None, members: list[CliqueNode], gangs: tuple[GangNode, ...], fallback_name: str = ""
) -> PcsgNode:
    spec: Mapping[str, Any] = f.mapping(obj.get("spec")) if obj is not None else {}
    status: Mapping[str, Any] = f.mapping(obj.get("status")) if obj is not None else {}
    by_index: dict[int, list[CliqueNode]] = {}
    for c in members:
        by_index.setdefault(c.pcsg_replica if c.pcsg_replica is not None else -1, []).append(c)
    replicas = f.integer(spec.get("replicas"), len(by_index))
    min_available = f.integer(spec.get("minAvailable"), 1)
    for i in range(replicas):
        by_index.setdefault(i, [])
    replica_nodes = []
    for index in sorted(by_index):
        cliques = tuple(sorted(by_index[index], key=lambda c: c.name))
        gang = next((c.gang for c in cliques if c.gang), None)
        replica_nodes.append(PcsgReplicaNode(index, gang, 0 <= index < min_available, cliques))
    name = f.name(obj) if obj is not None else fallback_name
    sample = obj if obj is not None else None
    return PcsgNode(
        namespace=members[0].namespace if members else (f.namespace(obj) if obj is not None else ""),
        name=name,
        group=pcsg_template_name(sample) if sample is not None else name,
        pcs_replica=(
            f.opt_int(f.label(obj, f.PCS_REPLICA_INDEX))
            if obj is not None
            else (members[0].pcs_replica if members else None)
        ),
        replicas=replicas,
        min_available=min_available,
        available=f.integer(status.get("availableReplicas")),
        scheduled=f.integer(status.get("scheduledReplicas")),
        updated=f.integer(status.get("updatedReplicas")),
        replica_nodes=tuple(replica_nodes),
        min_breached=read_condition(obj, "MinAvailableBreached"),
        gang_termination=read_condition(obj, "GangTerminationInProgress"),
        created=f.created(obj) if obj is not None else None,
    )


def pcs_names(state: State, namespace: str | None = None) -> list[tuple[str, str]]:
    """Every PCS known in scope: the objects themselves and PCS names their children carry."""
    names: set[tuple[str, str]] = set()
    for ns, name in state.of_kind(kinds.PODCLIQUESET):
        if namespace is None or ns == namespace:
            names.add((ns, name))
    for index in (ix.CLIQUES_BY_PCS, ix.PCSGS_BY_PCS):
        for key in state.indexes.get(index, {}):
            ns, name = key[0], key[1]
            if namespace is None or ns == namespace:
                names.add((ns, name))
    return sorted(names)


def build_forest(state: State, namespace: str | None = None) -> tuple[PcsNode, ...]:
    return state.memoised(
        FOREST,
        namespace or "",
        state.revision,
        lambda: tuple(build_pcs(state, ns, name) for ns, name in pcs_names(state, namespace)),
    )


def role_of_pod(state: State, pod: KubeObject) -> str:
    """A pod's role is its PodClique's ``spec.roleName`` (there is no role label)."""
    clique = f.label(pod, f.PODCLIQUE_LABEL) or f.owner_name(pod, kinds.PODCLIQUE)
    if not clique:
        return ""
    obj = state.get(kinds.PODCLIQUE, f.namespace(pod), clique)
    if obj is None:
        return ""
    return f.text(f.get(obj, "spec", "roleName"))
