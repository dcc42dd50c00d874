"""One PodCliqueSet as the API server returned it, inside a forked cluster: its children found by label, the pods
Grove creates for a PodClique, and the statuses its controllers write back.

Where ``workload.Workload`` builds a PCS from a ``WorkloadSpec`` (for the bundled recordings), this starts from live
objects and keeps every field it does not model as it was.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import operator
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.derive.hierarchy import clique_template_name
from grove.reducers.derive.pods import is_ready
from grove.simulate.builders import object_meta, owner_ref, pod_spec
from grove.simulate.cluster import Cluster
from grove.simulate.names import OPERATOR, Obj, grove_hash
from grove.simulate.pod_states import gated_status, is_terminating
from grove.simulate.statuses import PodCounts, pod_counts, podclique_status, podgang_status, scaling_group_status


def _index(obj: Mapping[str, Any], key: str) -> int:
    return f.integer(f.label(obj, key), -1)


def clique_parts(template: Mapping[str, Any], priority_class: str | None) -> Obj:
    """What of a clique template enters its pod-template hash (docs/grove-model.md): labels, annotations,
    podSpec, and the PCS's priorityClassName."""
    return {
        "labels": dict(f.mapping(template.get("labels"))),
        "annotations": dict(f.mapping(template.get("annotations"))),
        "podSpec": f.mapping(f.get(template, "spec", "podSpec")),
        "priorityClassName": priority_class,
    }


def template_cliques(pcs_spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f.text(c.get("name")): c for c in (f.mapping(x) for x in f.seq(f.get(pcs_spec, "template", "cliques")))}


@attrs.frozen(slots=True)
class PodView:
    """What the simulated controllers read of one pod object, read once per object (a pod changes only by a new
    object being stored)."""

    obj: Obj
    name: str
    uid: str
    template_hash: str | None
    gang: str
    node: str
    gated: bool
    ready: bool
    terminating: bool


_GANG = operator.attrgetter("gang")
_NODE = operator.attrgetter("node")
_GATED = operator.attrgetter("gated")


def pod_view(pod: Obj) -> PodView:
    return PodView(
        obj=pod,
        name=f.name(pod),
        uid=f.text(f.get(pod, "metadata", "uid")),
        template_hash=f.label(pod, f.POD_TEMPLATE_HASH),
        gang=f.text(f.label(pod, f.PODGANG_LABEL)),
        node=f.text(f.get(pod, "spec", "nodeName")),
        gated="schedulingGates" in f.mapping(pod.get("spec")),
        ready=is_ready(pod),
        terminating=is_terminating(pod),
    )


@attrs.define
class _Pods:
    """A PodClique's pods as ``LiveWorkload.pods`` read them, with the clique's pod write count then, and what was
    worked out from them (valid while the count stays)."""

    writes: int
    views: tuple[PodView, ...]
    pods: tuple[Obj, ...]
    names: tuple[str, ...]
    # what the gang scheduler reads of them: per gang, the nodes of its bound pods and the pods waiting for a node
    scheduling: tuple[dict[str, list[str]], dict[str, list[Obj]]] | None = None
    used: frozenset[int] | None = None  # their pod indices
    sorted_names: tuple[str, ...] | None = None


@attrs.define
class _Every:
    """Every pod of a PodClique by pod index as last read, with the clique's pod write count then."""

    writes: int
    views: list[PodView]
    position: dict[str, int]  # pod name -> its place in ``views``
    keys: list[tuple[int, str]]  # (pod index, name) of ``views``, their order
    # once asked for: the target hash, each pod's ``pod_counts`` for it (in ``views`` order) and their sums
    target: str | None = None
    counts: list[PodCounts] = attrs.Factory(list)
    totals: list[int] = attrs.Factory(list)
    # what ``views`` hold, kept beside them so the tuples ``LiveWorkload.pods`` answers are copies of lists
    objs: list[Obj] = attrs.Factory(list)
    names: list[str] = attrs.Factory(list)
    live: list[bool] = attrs.Factory(list)  # not terminating
    terminating: int = 0  # how many are

    def __attrs_post_init__(self) -> None:
        self.objs = [v.obj for v in self.views]
        self.names = [v.name for v in self.views]
        self.live = [not v.terminating for v in self.views]
        self.terminating = self.live.count(False)

    def put(self, i: int, view: PodView) -> None:
        self.terminating += view.terminating - self.views[i].terminating
        self.views[i] = view
        self.objs[i] = view.obj
        self.live[i] = not view.terminating

    def insert(self, i: int, view: PodView, key: tuple[int, str]) -> None:
        self.views.insert(i, view)
        self.keys.insert(i, key)
        self.objs.insert(i, view.obj)
        self.names.insert(i, view.name)
        self.live.insert(i, not view.terminating)
        self.terminating += view.terminating
        self.position = {n: j for j, n in enumerate(self.names)}

    def delete(self, i: int) -> None:
        self.terminating -= self.views[i].terminating
        for column in (self.views, self.keys, self.objs, self.names, self.live):
            del column[i]
        self.position = {n: j for j, n in enumerate(self.names)}


class LiveWorkload:
    """The Grove operator's objects for one PodCliqueSet in a forked cluster."""

    def __init__(self, cluster: Cluster, namespace: str, name: str) -> None:
        self.c = cluster
        self.ns = namespace
        self.name = name
        self.pclq_names: set[str] = set()
        self.pcsg_names: set[str] = set()
        self.gang_names: set[str] = set()
        self.pods_by_clique: dict[str, set[str]] = {}
        # per PodClique, its pods by pod index: asked for by every controller at every round, while a round writes a
        # few pods only (a pod's index label never changes; adding or forgetting a pod reads them all again)
        self._all: dict[str, _Every] = {}
        self._order: dict[str, tuple[int, str]] = {}  # pod name -> (pod index, name), its place among its clique's
        # per (PodClique, live), its pods as ``pods`` last answered and the clique's pod write count then (a pod's
        # write counts for the clique its label names, and every write of a pod goes through the store)
        self._pods: dict[tuple[str, bool], _Pods] = {}
        for (ns, n), obj in cluster.store[kinds.PODCLIQUE].items():
            if ns == namespace and self._ours(obj, n):
                self.pclq_names.add(n)
        for (ns, n), obj in cluster.store[kinds.PODCLIQUESCALINGGROUP].items():
            if ns == namespace and self._ours(obj, n):
                self.pcsg_names.add(n)
        for (ns, n), obj in cluster.store[kinds.PODGANG].items():
            if ns == namespace and self._ours(obj, n):
                self.gang_names.add(n)
        for (ns, n), pod in cluster.store[kinds.POD].items():
            clique = f.label(pod, f.PODCLIQUE_LABEL) if ns == namespace else None
            if clique is not None and (clique in self.pclq_names or self._ours(pod, clique)):
                self.pods_by_clique.setdefault(clique, set()).add(n)
        self.dirty: set[str] = set()  # PodCliques whose pods changed since their status was last written
        # a pod's view by the identity of the pod object (kept alive here, so the id is not reused): the controllers
        # read every pod at every round, while a pod object changes only when it is written again
        self._views: dict[int, PodView] = {}
        self._counts_of: dict[int, tuple[PodView, str, PodCounts]] = {}  # by the identity of a view, kept here
        # per PodGang, what its last sync read (identities, the objects kept so they stay unique) and its answer
        self._gangs_seen: dict[str, tuple[tuple[Any, ...], tuple[Any, ...], bool]] = {}
        # per PodGang, the object its last sync left and the pod names each podgroup's references hold in it: while
        # the PodGang is that object and a clique's names are the same, its references stay as they are
        self._refs_written: dict[str, tuple[Obj, dict[str, tuple[str, ...]]]] = {}
        cluster.workloads.append(self)

    def _ours(self, obj: Mapping[str, Any], name: str) -> bool:
        part_of = f.label(obj, f.PART_OF)
        return part_of == self.name if part_of is not None else name.startswith(f"{self.name}-")

    # ------------------------------------------------------------------ reading

    def pcs(self) -> Obj:
        return self.c.get(kinds.PODCLIQUESET, self.name, self.ns)

    def pclq(self, name: str) -> Obj:
        return self.c.get(kinds.PODCLIQUE, name, self.ns)

    def pcsg(self, name: str) -> Obj:
        return self.c.get(kinds.PODCLIQUESCALINGGROUP, name, self.ns)

    def spec_replicas(self) -> int:
        return f.integer(f.get(self.pcs(), "spec", "replicas"), 1)

    def cliques(self, replica: int | None = None) -> list[Obj]:
        """PodCliques (optionally of one PCS replica), by name."""
        out = [self.pclq(n) for n in sorted(self.pclq_names)]
        return [p for p in out if replica is None or _index(p, f.PCS_REPLICA_INDEX) == replica]

    def standalone(self, replica: int | None = None) -> list[Obj]:
        return [p for p in self.cliques(replica) if f.label(p, f.PCSG_LABEL) is None]

    def groups(self, replica: int | None = None) -> list[Obj]:
        out = [self.pcsg(n) for n in sorted(self.pcsg_names)]
        return [g for g in out if replica is None or _index(g, f.PCS_REPLICA_INDEX) == replica]

    def group_cliques(self, pcsg: str, sg_index: int | None = None) -> list[Obj]:
        return [
            p
            for p in self.cliques()
            if f.label(p, f.PCSG_LABEL) == pcsg and (sg_index is None or _index(p, f.PCSG_REPLICA_INDEX) == sg_index)
        ]

    def pods(self, pclq: str, *, live: bool = True) -> list[Obj]:
        """Pods of a PodClique by pod index (terminating ones left out unless ``live`` is False)."""
        return list(self._pods_of(pclq, live).pods)

    def pod_names(self, pclq: str) -> tuple[str, ...]:
        """The names of ``pods(pclq)``, the very same tuple while no pod of the clique is written."""
        return self._pods_of(pclq, True).names

    def pod_views(self, pclq: str, *, live: bool = True) -> tuple[PodView, ...]:
        """``pods(pclq, live=live)`` as ``PodView``s."""
        return self._pods_of(pclq, live).views

    def scheduling(self, pclq: str) -> tuple[Mapping[str, list[str]], Mapping[str, list[Obj]]]:
        """What the gang scheduler reads of a PodClique's live pods, per gang and in pod order: the nodes of the bound
        ones and the pods waiting for a node (not bound, not gated). Read them, do not change them."""
        seen = self._pods_of(pclq, True)
        if seen.scheduling is None:
            bound: dict[str, list[str]] = {}
            waiting: dict[str, list[Obj]] = {}
            gangs = set(map(_GANG, seen.views))
            if len(gangs) == 1:  # the common case, read in C: every pod of the clique in one gang
                (gang,) = gangs
                nodes = list(filter(None, map(_NODE, seen.views)))
                bound_or_gated = map(operator.or_, map(bool, map(_NODE, seen.views)), map(_GATED, seen.views))
                unbound = list(itertools.compress(seen.pods, map(operator.not_, bound_or_gated)))
                if nodes:
                    bound[gang] = nodes
                if unbound:
                    waiting[gang] = unbound
            else:
                for v in seen.views:
                    if v.node:
                        bound.setdefault(v.gang, []).append(v.node)
                    elif not v.gated:
                        waiting.setdefault(v.gang, []).append(v.obj)
            seen.scheduling = (bound, waiting)
        return seen.scheduling

    def _sorted_names(self, pclq: str) -> tuple[str, ...]:
        """``pod_names(pclq)`` sorted by name, the same tuple while they are."""
        seen = self._pods_of(pclq, True)
        if seen.sorted_names is None:
            seen.sorted_names = tuple(sorted(seen.names))
        return seen.sorted_names

    def used_indices(self, pclq: str) -> frozenset[int]:
        """The pod indices of a PodClique's live pods."""
        seen = self._pods_of(pclq, True)
        if seen.used is None:
            order = self._order
            try:
                seen.used = frozenset(map(operator.itemgetter(0), map(order.__getitem__, seen.names)))
            except KeyError:
                seen.used = frozenset(
                    order[v.name][0] if v.name in order else _index(v.obj, f.POD_INDEX) for v in seen.views
                )
        return seen.used

    def terminating(self) -> bool:
        """Whether a pod of the workload is terminating (its PodClique holds more pods than live ones)."""
        return any(len(self.pod_views(n, live=False)) != len(self.pod_views(n)) for n in self.pods_by_clique)

    def clique_counts(self, pclq: str, target_hash: str) -> PodCounts:
        """The summed ``pod_counts`` of every pod of a PodClique (terminating ones too) for ``target_hash``."""
        every = self._every(pclq, self.c.pod_writes(self.ns, pclq))
        if every.target != target_hash:
            every.counts = [self._pod_counts(v, target_hash) for v in every.views]
            every.totals = [sum(column) for column in zip(*every.counts, strict=True)] if every.counts else [0] * 7
            every.target = target_hash
        t = every.totals
        return (t[0], t[1], t[2], t[3], t[4], t[5], t[6])

    def _pod_counts(self, view: PodView, target_hash: str) -> PodCounts:
        """``pod_counts`` of the pod, read once per pod object and target hash."""
        hit = self._counts_of.get(id(view))
        if hit is not None and hit[0] is view and hit[1] == target_hash:
            return hit[2]
        counts = pod_counts(view.obj, target_hash)
        self._counts_of[id(view)] = (view, target_hash, counts)
        return counts

    def view(self, pod: Obj) -> PodView:
        """The pod's ``PodView``, the same while the pod object is (kept here, so its id is not reused)."""
        hit = self._views.get(id(pod))
        if hit is not None and hit.obj is pod:
            return hit
        hit = pod_view(pod)
        self._views[id(pod)] = hit
        return hit

    def _pods_of(self, pclq: str, live: bool) -> _Pods:
        writes = self.c.pod_writes(self.ns, pclq)
        stale = self._pods.get((pclq, live))
        if stale is not None and stale.writes == writes:
            return stale
        every = self._every(pclq, writes)
        if not live or not every.terminating:
            hit = _Pods(writes, tuple(every.views), tuple(every.objs), tuple(every.names))
        else:
            hit = _Pods(
                writes,
                tuple(itertools.compress(every.views, every.live)),
                tuple(itertools.compress(every.objs, every.live)),
                tuple(itertools.compress(every.names, every.live)),
            )
        if stale is not None and stale.names == hit.names:
            # the same pods, some of them written again: what depends on their names stays, and what the scheduler
            # reads stays while every pod written again is bound to the node and in the gang it was
            hit.used, hit.sorted_names = stale.used, stale.sorted_names
            if stale.scheduling is not None and all(
                a.node and a.node == b.node and a.gang == b.gang
                for a, b in zip(
                    itertools.compress(stale.views, map(operator.is_not, stale.views, hit.views)),
                    itertools.compress(hit.views, map(operator.is_not, stale.views, hit.views)),
                    strict=True,
                )
            ):
                hit.scheduling = stale.scheduling
        self._pods[(pclq, live)] = hit
        return hit

    def _every(self, pclq: str, writes: int) -> _Every:
        """Every pod of a PodClique (terminating ones too) by pod index, brought up to date by reading again only the
        pods written since (a pod added or forgotten starts it afresh)."""
        store = self.c.store[kinds.POD]
        ns = self.ns
        every = self._all.get(pclq)
        if every is not None and every.writes != writes:
            for n in self.c.pods_written(ns, pclq, every.writes):
                i = every.position.get(n)
                pod = store.get((ns, n))
                if i is None or pod is None:
                    every = None  # a pod came or went some other way: read them all again
                    break
                view = self.view(pod)
                if every.target is not None and view is not every.views[i]:
                    counts = self._pod_counts(view, every.target)
                    every.totals = [t - o + n for t, o, n in zip(every.totals, every.counts[i], counts, strict=True)]
                    every.counts[i] = counts
                every.put(i, view)
            else:
                every.writes = writes
        if every is None:
            order = self._order
            present = [n for n in self.pods_by_clique.get(pclq, ()) if (ns, n) in store]
            for n in present:
                if n not in order:
                    order[n] = (_index(store[(ns, n)], f.POD_INDEX), n)
            present.sort(key=order.__getitem__)
            views = [self.view(store[(ns, n)]) for n in present]
            every = _Every(writes, views, {v.name: i for i, v in enumerate(views)}, [order[v.name] for v in views])
            self._all[pclq] = every
        return every

    def _added(self, pclq: str, pod: Obj, before: int) -> None:
        """A pod of ``pclq`` was created: put in its place among the clique's pods as last read, when they were
        read up to the clique's ``before`` writes (otherwise they are read afresh at the next ask)."""
        every = self._all.get(pclq)
        if every is None or every.writes != before:
            self._forget_pods_of(pclq)
            return
        name = f.name(pod)
        key = self._order[name] = (_index(pod, f.POD_INDEX), name)
        i = bisect.bisect(every.keys, key)
        view = self.view(pod)
        every.insert(i, view, key)
        if every.target is not None:
            counts = self._pod_counts(view, every.target)
            every.counts.insert(i, counts)
            every.totals = [t + n for t, n in zip(every.totals, counts, strict=True)]
        every.writes = self.c.pod_writes(self.ns, pclq)

    def _forgotten(self, pclq: str, name: str, before: int) -> None:
        """A pod of ``pclq`` is gone: taken out of the clique's pods as last read (as in ``_added``)."""
        every = self._all.get(pclq)
        if every is None or every.writes != before or name not in every.position:
            self._forget_pods_of(pclq)
            return
        i = every.position[name]
        if every.target is not None:
            every.totals = [t - o for t, o in zip(every.totals, every.counts[i], strict=True)]
            del every.counts[i]
        every.delete(i)
        every.writes = self.c.pod_writes(self.ns, pclq)

    def _forget_pods_of(self, pclq: str) -> None:
        self._all.pop(pclq, None)
        self._pods.pop((pclq, True), None)
        self._pods.pop((pclq, False), None)

    def all_pods(self, *, live: bool = True) -> list[Obj]:
        return [p for n in sorted(self.pods_by_clique) for p in self.pods(n, live=live)]

    def template_of(self, pclq: Mapping[str, Any]) -> Mapping[str, Any]:
        """The clique template of a PodClique in the PCS's current spec."""
        return template_cliques(f.mapping(self.pcs().get("spec"))).get(clique_template_name(pclq), {})

    def target_hash(self, pclq: Mapping[str, Any]) -> str:
        progress = f.mapping(f.get(pclq, "status", "updateProgress"))
        return f.text(progress.get("podTemplateHash")) or f.text(f.label(pclq, f.POD_TEMPLATE_HASH))

    def generation_hash(self) -> str:
        return f.text(f.get(self.pcs(), "status", "currentGenerationHash"))

    # ------------------------------------------------------------------ what the PodClique controller does

    def new_pod(self, pclq: Mapping[str, Any], index: int) -> Obj:
        """A pod as the PodClique controller creates it (gated), from the PodClique's podSpec and labels; env and
        annotations follow a live sibling where there is one."""
        name = f.name(pclq)
        views = self.pod_views(name, live=False)
        sibling = views[0].obj if views else None
        replica = f.text(f.label(pclq, f.PCS_REPLICA_INDEX))
        gang = f.text(f.label(pclq, f.PODGANG_LABEL))
        labels: Obj = {f.MANAGED_BY: OPERATOR, f.PART_OF: self.name}
        labels.update(f.labels(pclq))
        labels.update({f.PODCLIQUE_LABEL: name, f.PCS_REPLICA_INDEX: replica, f.PODGANG_LABEL: gang})
        labels[f.POD_INDEX] = str(index)
        annotations: Obj = dict(f.annotations_of(sibling) if sibling is not None else f.annotations_of(pclq))
        env: list[Obj] = []
        if sibling is not None:
            containers = f.seq(f.get(sibling, "spec", "containers"))
            env = [dict(e) for e in f.seq(f.mapping(containers[0]).get("env"))] if containers else []
            env = [
                {"name": "GROVE_PCLQ_POD_INDEX", "value": str(index)} if e.get("name") == "GROVE_PCLQ_POD_INDEX" else e
                for e in env
            ]
        template = f.mapping(f.get(pclq, "spec", "podSpec"))
        priority = f.text(f.get(self.pcs(), "spec", "template", "priorityClassName")) or None
        subdomain = f.text(f.get(sibling, "spec", "subdomain")) if sibling is not None else f"{self.name}-{replica}"
        spec = pod_spec(
            {"containers": [], **template},
            env=env,
            hostname=f"{name}-{index}",
            subdomain=subdomain,
            gated=True,
            priority_class=priority,
        )
        pod_name = self.c.fresh_name(kinds.POD, self.ns, f"{name}-")
        return {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": object_meta(
                pod_name,
                self.c.ids.uid(),
                self.c.now,
                namespace=self.ns,
                generate_name=f"{name}-",
                generation=1,
                labels=labels,
                annotations=annotations,
                owner=owner_ref(pclq),
            ),
            "spec": spec,
            "status": gated_status(template, self.c.now),
        }

    def add_pod(self, pclq: Mapping[str, Any], index: int) -> Obj:
        new = self.new_pod(pclq, index)
        before = self.c.pod_writes(self.ns, f.name(pclq))
        pod = self.c.put(kinds.POD, new)
        self.pods_by_clique.setdefault(f.name(pclq), set()).add(f.name(pod))
        self._added(f.name(pclq), pod, before)
        self.dirty.add(f.name(pclq))
        self.grove_event(pclq, "PodCreateSuccessful", f"Created Pod: {f.name(pod)}")
        return pod

    def delete_pod(self, pod: Mapping[str, Any]) -> Obj:
        clique = f.text(f.label(pod, f.PODCLIQUE_LABEL))
        new = self.c.delete_pod(pod)
        self.dirty.add(clique)
        if (self.ns, clique) in self.c.store[kinds.PODCLIQUE]:
            self.grove_event(self.pclq(clique), "PodDeleteSuccessful", f"Deleted Pod: {f.name(pod)}")
        return new

    def forget_pod(self, pod: Mapping[str, Any]) -> None:
        clique = f.text(f.label(pod, f.PODCLIQUE_LABEL))
        before = self.c.pod_writes(self.ns, clique)
        self.c.forget(pod)
        self.pods_by_clique.get(clique, set()).discard(f.name(pod))
        self._forgotten(clique, f.name(pod), before)
        self._order.pop(f.name(pod), None)  # a later pod may be given the name again
        self.dirty.add(clique)

    def grove_event(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        component = {
            "PodCliqueSet": "podcliqueset-controller",
            "PodCliqueScalingGroup": "podcliquescalinggroup-controller",
            "PodClique": "podclique-controller",
        }.get(f.text(obj.get("kind")), "grove-operator")
        self.c.record_event(obj, reason, message, component=component)

    # ------------------------------------------------------------------ PodGangs

    def sync_gangs(self) -> list[str]:
        """Keep every PodGang's pod references current; mark it Initialized once all its pods exist. Returns the
        gangs whose pods may be ungated."""
        ready: list[str] = []
        for gang in sorted(self.gang_names):
            obj = self.c.store[kinds.PODGANG].get((self.ns, gang))
            if obj is None:
                continue
            members = [
                (clique, self.c.store[kinds.PODCLIQUE].get((self.ns, clique)))
                for clique in (f.text(f.mapping(g).get("name")) for g in f.seq(f.get(obj, "spec", "podgroups")))
            ]
            # what this pass reads: the PodGang, its PodCliques (the very objects) and the names of their pods; when
            # all are as a pass of it left them, it would write nothing again and answer the same
            keep = (obj, [pclq for _, pclq in members])
            seen = (
                id(obj),
                tuple(id(pclq) for _, pclq in members),
                tuple(self.pod_names(clique) for clique, pclq in members if pclq is not None),
            )
            last = self._gangs_seen.get(gang)
            if last is not None and last[0] == seen:
                if last[2]:
                    ready.append(gang)
                continue
            present = {clique for clique, pclq in members if pclq is not None}
            written = self._refs_written.get(gang)
            referenced: dict[str, tuple[str, ...]] = {}
            groups = []
            complete = True
            for group in f.seq(f.get(obj, "spec", "podgroups")):
                group = dict(f.mapping(group))
                clique = f.text(group.get("name"))
                if clique not in present:
                    complete = False
                    groups.append(group)
                    continue
                if len(self.pod_names(clique)) < f.integer(f.get(self.pclq(clique), "spec", "replicas")):
                    complete = False
                names = self._sorted_names(clique)
                referenced[clique] = names
                if written is None or written[0] is not obj or written[1].get(clique) != names:
                    # the references that stay are the very objects stored before (the store's write keeps them)
                    refs = f.seq(group.get("podReferences"))
                    was = written[1].get(clique) if written is not None and written[0] is obj else None
                    if was is not None and len(was) == len(refs):
                        stored = dict(zip(was, refs, strict=True))  # our last write: the references in name order
                    else:
                        stored = {
                            f.text(f.mapping(r).get("name")): r
                            for r in refs
                            if isinstance(r, dict)
                            and r.keys() == {"namespace", "name"}
                            and r.get("namespace") == self.ns
                        }
                    group["podReferences"] = [stored.get(n) or {"namespace": self.ns, "name": n} for n in names]
                groups.append(group)
            spec = {**f.mapping(obj.get("spec")), "podgroups": groups}
            if spec != obj.get("spec"):  # dict equality ignores key order; the store's write sorts the keys
                meta = f.mapping(obj.get("metadata"))
                obj = self.c.put(
                    kinds.PODGANG,
                    {**obj, "metadata": {**meta, "generation": f.integer(meta.get("generation"), 1) + 1}, "spec": spec},
                )
            initialized = f.get(f.condition(obj, "Initialized"), "status") == "True"
            if complete and not initialized:
                prev = [dict(c) for c in f.seq(f.get(obj, "status", "conditions"))]
                obj = self.c.put(kinds.PODGANG, {**obj, "status": podgang_status(True, self.c.now, prev)})
                initialized = True
            if initialized:
                ready.append(gang)
            self._refs_written[gang] = (obj, referenced)
            keep = (obj, keep[1])
            seen = (id(obj), seen[1], seen[2])
            self._gangs_seen[gang] = (seen, keep, initialized)
        return ready

    def gang_of(self, pod: Mapping[str, Any]) -> str:
        return f.text(f.label(pod, f.PODGANG_LABEL))

    # ------------------------------------------------------------------ statuses

    def sync(self) -> None:
        """Write the statuses of PodCliques whose pods changed, then their scaling groups and the PCS."""
        if (self.ns, self.name) not in self.c.store[kinds.PODCLIQUESET] or not self.dirty:
            return
        dirty, self.dirty = self.dirty, set()
        groups: set[str] = set()
        for name in sorted(dirty):
            if (self.ns, name) not in self.c.store[kinds.PODCLIQUE]:
                continue
            obj = self.pclq(name)
            self.put_clique_status(obj)
            group = f.label(obj, f.PCSG_LABEL)
            if group:
                groups.add(group)
        for group in sorted(groups):
            if (self.ns, group) in self.c.store[kinds.PODCLIQUESCALINGGROUP]:
                self.put_group_status(self.pcsg(group))
        self.put_pcs_status()

    def put_clique_status(self, obj: Mapping[str, Any], progress: Mapping[str, Any] | None = None) -> Obj:
        prev = f.mapping(obj.get("status"))
        progress = progress if progress is not None else (f.mapping(prev.get("updateProgress")) or None)
        target = self.target_hash(obj)
        status = podclique_status(
            counts=self.clique_counts(f.name(obj), target),
            min_available=f.integer(f.get(obj, "spec", "minAvailable"), 1),
            replicas_spec=f.integer(f.get(obj, "spec", "replicas")),
            target_hash=target,
            pcs_hash=self.generation_hash(),
            observed=f.integer(f.get(obj, "metadata", "generation"), 1),
            prev=prev,
            at=self.c.now,
            update_progress=progress,
            hpa_selector=f.text(prev.get("hpaPodSelector")) or None,
        )
        return self._put_status(kinds.PODCLIQUE, obj, {**prev, **status})

    def put_group_status(self, obj: Mapping[str, Any], progress: Mapping[str, Any] | None = None) -> Obj:
        prev = f.mapping(obj.get("status"))
        progress = progress if progress is not None else (f.mapping(prev.get("updateProgress")) or None)
        members: dict[int, list[Obj]] = {}
        for pclq in self.group_cliques(f.name(obj)):
            members.setdefault(_index(pclq, f.PCSG_REPLICA_INDEX), []).append(pclq)
        status = scaling_group_status(
            replicas=f.integer(f.get(obj, "spec", "replicas")),
            min_available=f.integer(f.get(obj, "spec", "minAvailable"), 1),
            members=members,
            clique_count=len(f.seq(f.get(obj, "spec", "cliqueNames"))),
            pcs_hash=self.generation_hash(),
            observed=f.integer(f.get(obj, "metadata", "generation"), 1),
            prev=prev,
            at=self.c.now,
            selector=f.text(prev.get("selector")) or None,
            update_progress=progress,
        )
        if progress is not None:
            updated = sum(
                1
                for p in self.group_cliques(f.name(obj))
                if f.get(p, "status", "currentPodCliqueSetGenerationHash") == self.generation_hash()
            )
            status["updateProgress"] = {**status["updateProgress"], "updatedPodCliquesCount": updated}
        return self._put_status(kinds.PODCLIQUESCALINGGROUP, obj, {**prev, **status})

    def replica_available(self, i: int) -> tuple[bool, bool]:
        """(available, updated) for PCS replica ``i`` as the PCS controller counts them."""
        gen = self.generation_hash()
        available = updated = True
        for obj in self.standalone(i):
            status = f.mapping(obj.get("status"))
            if f.integer(status.get("readyReplicas")) < f.integer(f.get(obj, "spec", "minAvailable"), 1):
                available = False
            if status.get("currentPodCliqueSetGenerationHash") != gen:
                updated = False
        for obj in self.groups(i):
            status = f.mapping(obj.get("status"))
            if f.integer(status.get("availableReplicas")) < f.integer(f.get(obj, "spec", "minAvailable"), 1):
                available = False
            if status.get("currentPodCliqueSetGenerationHash") != gen:
                updated = False
        return available, available and updated

    def put_pcs_status(self, progress: Mapping[str, Any] | None = None) -> Obj:
        obj = self.pcs()
        prev = f.mapping(obj.get("status"))
        available = updated = 0
        for i in range(self.spec_replicas()):
            a, u = self.replica_available(i)
            available += a
            updated += u
        status: Obj = {**prev, "availableReplicas": available, "updatedReplicas": updated}
        status["replicas"] = self.spec_replicas()
        progress = progress if progress is not None else (f.mapping(prev.get("updateProgress")) or None)
        if progress is not None:
            gen = self.generation_hash()
            progress = dict(progress)
            progress["updatedPodCliquesCount"] = sum(
                1 for p in self.standalone() if f.get(p, "status", "currentPodCliqueSetGenerationHash") == gen
            )
            progress["updatedPodCliqueScalingGroupsCount"] = sum(
                1 for g in self.groups() if f.get(g, "status", "currentPodCliqueSetGenerationHash") == gen
            )
            status["updateProgress"] = progress
        return self._put_status(kinds.PODCLIQUESET, obj, status)

    def _put_status(self, kind: str, obj: Mapping[str, Any], status: Mapping[str, Any]) -> Obj:
        status = dict(status)
        if obj.get("status") != status:  # dict equality ignores key order; the store's write sorts the keys
            return self.c.put(kind, {**obj, "status": status})
        return dict(obj)

    def change(self, kind: str, obj: Mapping[str, Any], **top: Any) -> Obj:
        """Store ``obj`` with top-level fields replaced (``spec`` bumps the generation)."""
        new = {**obj, **top}
        if "spec" in top:
            meta = f.mapping(new.get("metadata"))
            new["metadata"] = {**meta, "generation": f.integer(meta.get("generation"), 1) + 1}
        return self.c.put(kind, new)

    def podspec_hash(self, pclq: Mapping[str, Any]) -> str:
        """The pod-template hash Grove would give this PodClique's clique template in the PCS's current spec."""
        priority = f.text(f.get(self.pcs(), "spec", "template", "priorityClassName")) or None
        return grove_hash(clique_parts(self.template_of(pclq), priority))


def copy_template(template: Mapping[str, Any]) -> Obj:
    return copy.deepcopy(dict(template))


def names(objs: Iterable[Mapping[str, Any]]) -> list[str]:
    return [f.name(o) for o in objs]
