"""A simulated cluster's object store: the objects, the clock, and the watch events every change produces."""

from __future__ import annotations

import copy
import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from grove.events import kinds
from grove.events.model import Applied, ClockAdvanced, Event, Listed, Removed
from grove.reducers.fields import GPU_RESOURCE, PODCLIQUE_LABEL
from grove.simulate.builders import binding_object, node_ip, node_object, pod_ip
from grove.simulate.event_objects import event_object, scheduler_event_object
from grove.simulate.names import DEFAULT_SCHEDULER, EVENT_TTL, GROVE_KINDS, START, Ids, Obj, micro_ts, sort_deep, ts
from grove.simulate.pod_states import parse_ts, pod_gpus, pod_terminating, with_pod_state

# ------------------------------------------------------------------------------------------------------- cluster

Key = tuple[str, str]


class Controller(Protocol):
    """Something that catches up with the cluster after every step (a workload's Grove controllers)."""

    def sync(self) -> None: ...


class Cluster:
    """The objects of a scripted cluster and the events their changes produce.

    Before ``begin()`` changes only build history (what already exists when the recording starts); after it, every
    change is appended to ``events``. ``at(offset)`` moves the clock, emitting ``ClockAdvanced`` every ``tick``
    seconds of quiet so ages and countdowns keep moving in a replay.
    """

    def __init__(
        self, *, start: float = START, seed: int = 1, first_rv: int = 48_000, tick: float = 5.0, history: float = 0.0
    ) -> None:
        self.start = start
        self.now = start - history  # scripts may build ``history`` seconds of state before the recording starts
        self.ids = Ids(seed, first_rv)
        self.rng = self.ids.rng
        self.tick = tick
        self.store: dict[str, dict[Key, Obj]] = {k: {} for k in kinds.ALL_KINDS}
        self.events: list[Event] = []
        self.writes = 0  # changes to the store so far: a controller that sees the same count sees the same objects
        self.recording = False
        self.workloads: list[Controller] = []
        self._event_seq = 0
        self._correlated: dict[tuple[str, ...], Key] = {}
        self._pod_ips: dict[str, int] = {}
        self._node_indexes: dict[str, int] = {}
        self._sorted: dict[tuple[str, Key], Obj] = {}  # the Grove objects as ``put`` last stored them, sorted deep
        # (namespace, PodClique label) -> the names of its pods in the order they were stored or removed: a reader
        # that saw as many writes saw the same pods, and the names since tell it which pods changed
        self._pod_log: dict[Key, list[str]] = {}

    # ------------------------------------------------------------------ time

    def at(self, offset: float) -> float:
        """Move the clock to ``start + offset`` (never backwards); returns the new time."""
        target = self.start + offset
        if target < self.now - 1e-9:
            raise ValueError(f"time goes forward only: {offset} is before {self.now - self.start}")
        if self.recording and self.tick > 0:
            t = self.now + self.tick
            while t < target - 1e-9:
                self.events.append(ClockAdvanced(round(t, 3)))
                t += self.tick
        self.now = round(target, 3)
        return self.now

    def after(self, seconds: float) -> float:
        return self.at(self.now - self.start + seconds)

    # ------------------------------------------------------------------ store

    @staticmethod
    def key_of(kind: str, obj: Mapping[str, Any]) -> Key:
        meta = obj["metadata"]
        return (meta.get("namespace", "") if kinds.KINDS[kind].namespaced else "", meta["name"])

    def get(self, kind: str, name: str, namespace: str = "") -> Obj:
        return self.store[kind][(namespace, name)]

    def select(self, kind: str, namespace: str | None, selector: Mapping[str, str]) -> list[Obj]:
        """Objects whose labels include ``selector``, ordered by name."""
        out = [
            obj
            for (ns, _), obj in self.store[kind].items()
            if (namespace is None or ns == namespace)
            and all(obj["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
        ]
        return sorted(out, key=lambda o: str(o["metadata"]["name"]))

    def pod_writes(self, namespace: str, clique: str) -> int:
        """How many times a pod labelled with PodClique ``clique`` was stored or removed so far."""
        log = self._pod_log.get((namespace, clique))
        return len(log) if log is not None else 0

    def pods_written(self, namespace: str, clique: str, since: int) -> list[str]:
        """The names of the pods of ``clique`` stored or removed after its first ``since`` writes."""
        return self._pod_log.get((namespace, clique), [])[since:]

    def _pod_written(self, key: Key, obj: Mapping[str, Any]) -> None:
        prev = self.store[kinds.POD].get(key)
        for pod in (obj, prev) if prev is not None else (obj,):
            clique = (key[0], pod["metadata"].get("labels", {}).get(PODCLIQUE_LABEL, ""))
            self._pod_log.setdefault(clique, []).append(key[1])

    def put(self, kind: str, obj: Obj) -> Obj:
        """Store a new version of an object (a fresh dict the caller no longer touches) and emit ``Applied``."""
        obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": self.ids.rv()}}
        key = self.key_of(kind, obj)
        if kind == kinds.POD:
            self._pod_written(key, obj)
        if kind in GROVE_KINDS:
            prev = self.store[kind].get(key)
            obj = _sort_sharing(obj, prev if prev is not None and self._sorted.get((kind, key)) is prev else None)
            self._sorted[(kind, key)] = obj
        self.store[kind][key] = obj
        self.writes += 1
        if self.recording:
            self.events.append(Applied(self.now, kind, obj))
        return obj

    def change(self, kind: str, obj: Mapping[str, Any], edit: Callable[[Obj], None], *, spec: bool = False) -> Obj:
        """Apply ``edit`` to a deep copy of ``obj`` (bumping ``generation`` when the spec changed) and store it."""
        new = copy.deepcopy(dict(obj))
        edit(new)
        if spec:
            new["metadata"]["generation"] = new["metadata"].get("generation", 1) + 1
        return self.put(kind, new)

    def remove(self, kind: str, obj: Mapping[str, Any]) -> None:
        """Delete an object: the watch's DELETED event carries its last state with a new resourceVersion."""
        key = self.key_of(kind, obj)
        if kind == kinds.POD:
            self._pod_written(key, self.store[kind][key])
        last = self.store[kind].pop(key)
        self.writes += 1
        last = {**last, "metadata": {**last["metadata"], "resourceVersion": self.ids.rv()}}
        if self.recording:
            self.events.append(Removed(self.now, kind, last))

    def begin(self) -> None:
        """Start recording: one ``Listed`` per kind with everything that exists (events older than the TTL expired)."""
        for key, ev in list(self.store[kinds.EVENT].items()):
            last = ev.get("lastTimestamp") or ev.get("series", {}).get("lastObservedTime") or ev.get("eventTime")
            if last is None or parse_ts(last) < self.now - EVENT_TTL:
                del self.store[kinds.EVENT][key]
                self.writes += 1
        self._correlated = {k: v for k, v in self._correlated.items() if v in self.store[kinds.EVENT]}
        for kind in kinds.ALL_KINDS:
            objects = tuple(obj for _, obj in sorted(self.store[kind].items()))
            self.events.append(Listed(self.now, kind, objects))
        self.recording = True

    # ------------------------------------------------------------------ objects of the cluster

    def add_node(
        self, name: str, *, labels: Mapping[str, str], gpus: int = 8, product: str, unschedulable: bool = False
    ) -> Obj:
        index = len(self._node_indexes) + 1
        self._node_indexes[name] = index
        return self.put(
            kinds.NODE,
            node_object(
                name,
                self.ids.uid(),
                self.now,
                labels=labels,
                gpus=gpus,
                gpu_product=product,
                index=index,
                unschedulable=unschedulable,
            ),
        )

    def set_schedulable(self, node: str, schedulable: bool = True) -> Obj:
        """Cordon or uncordon a node (``spec.unschedulable`` and its NoSchedule taint)."""
        obj = self.get(kinds.NODE, node)

        def edit(n: Obj) -> None:
            n["spec"].pop("taints", None)
            n["spec"].pop("unschedulable", None)
            if not schedulable:
                n["spec"]["taints"] = [
                    {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": ts(self.now)}
                ]
                n["spec"]["unschedulable"] = True

        new = self.change(kinds.NODE, obj, edit)
        status = "NodeSchedulable" if schedulable else "NodeNotSchedulable"
        # the kubelet's node reference carries the node name as its uid
        ref = {**new, "metadata": {**new["metadata"], "uid": node}}
        self.record_event(ref, status, f"Node {node} status is now: {status}", component="kubelet", host=node)
        return new

    def add_binding(self, name: str, levels: Sequence[tuple[str, str]]) -> Obj:
        return self.put(kinds.CLUSTERTOPOLOGYBINDING, binding_object(name, self.ids.uid(), self.now, levels))

    def fresh_name(self, kind: str, namespace: str, prefix: str) -> str:
        """``prefix`` plus a ``generateName`` suffix no object of ``kind`` in ``namespace`` holds yet (the API server
        retries a taken name too); a fork of a live state must never reuse the name of a pod it holds."""
        while True:
            name = f"{prefix}{self.ids.suffix()}"
            if (namespace, name) not in self.store[kind]:
                return name

    def add_pod(self, pod: Obj) -> Obj:
        return self.put(kinds.POD, pod)

    def owner(self, kind: str, name: str, uid: str | None = None) -> Obj:
        """A controller owner reference to an object that is not recorded (a Job, a StatefulSet …)."""
        group = {"Job": "batch/v1", "StatefulSet": "apps/v1", "ReplicaSet": "apps/v1"}.get(kind, "v1")
        return {
            "apiVersion": group,
            "kind": kind,
            "name": name,
            "uid": uid or self.ids.uid(),
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def pod(self, name: str, namespace: str) -> Obj:
        return self.get(kinds.POD, name, namespace)

    def node_pods(self, node: str) -> list[Obj]:
        return [p for p in self.store[kinds.POD].values() if p["spec"].get("nodeName") == node]

    def free_gpus(self, node: str) -> int:
        """Allocatable GPUs minus what bound, unfinished pods request."""
        alloc = int(self.get(kinds.NODE, node)["status"]["allocatable"].get(GPU_RESOURCE, "0"))
        used = sum(pod_gpus(p) for p in self.node_pods(node) if p["status"].get("phase") not in ("Succeeded", "Failed"))
        return alloc - used

    # ------------------------------------------------------------------ what the scheduler and kubelet do

    def bind(self, pod: Mapping[str, Any], node: str) -> Obj:
        """The scheduler binds the pod (nodeName, PodScheduled=True) and reports ``Scheduled``."""
        pod = self.pod(pod["metadata"]["name"], pod["metadata"]["namespace"])
        new = self.put(kinds.POD, with_pod_state(pod, "bound", self.now, node=node))
        scheduler = new["spec"].get("schedulerName", DEFAULT_SCHEDULER)
        meta = new["metadata"]
        self.scheduler_event(
            new,
            "Normal",
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {node}",
            "Binding",
            scheduler,
        )
        return new

    def unschedulable(self, pod: Mapping[str, Any], message: str) -> Obj:
        """The scheduler found no node: PodScheduled=False/Unschedulable and a ``FailedScheduling`` event."""
        pod = self.pod(pod["metadata"]["name"], pod["metadata"]["namespace"])
        new = self.put(kinds.POD, with_pod_state(pod, "unschedulable", self.now, message=message))
        self.scheduler_event(new, "Warning", "FailedScheduling", message, "Scheduling", new["spec"]["schedulerName"])
        return new

    def kubelet(self, pod: Mapping[str, Any], state: str, *, restarts: int = 0) -> Obj:
        """The kubelet reports ``state`` (creating, ready, unready, crashloop, succeeded) for a bound pod."""
        pod = self.pod(pod["metadata"]["name"], pod["metadata"]["namespace"])
        node = pod["spec"]["nodeName"]
        host_ip = node_ip(self._node_index(node))
        if state != "creating" and "podIP" not in pod["status"]:
            n = self._pod_ips.get(node, 1) + 1
            self._pod_ips[node] = n
            address = pod_ip(self._node_index(node), n)
        else:
            address = None
        new = self.put(
            kinds.POD, with_pod_state(pod, state, self.now, host_ip=host_ip, pod_ip=address, restarts=restarts)
        )
        if state == "crashloop":
            for c in new["spec"]["containers"]:
                meta = new["metadata"]
                self.record_event(
                    new,
                    "BackOff",
                    f"Back-off restarting failed container {c['name']} in pod "
                    f"{meta['name']}_{meta['namespace']}({meta['uid']})",
                    type_="Warning",
                    component="kubelet",
                    host=node,
                )
        return new

    def _node_index(self, node: str) -> int:
        return self._node_indexes.setdefault(node, len(self._node_indexes) + 1)

    def register_node(self, name: str, index: int) -> None:
        """Number a node that came with the store (pod and host IPs are derived from the number)."""
        self._node_indexes[name] = index

    def delete_pod(self, pod: Mapping[str, Any], grace: int | None = None) -> Obj:
        """A graceful DELETE: the pod is terminating (kubelet says ``Killing``) until ``forget`` removes it."""
        pod = self.pod(pod["metadata"]["name"], pod["metadata"]["namespace"])
        new = self.put(kinds.POD, pod_terminating(pod, self.now, grace))
        node = new["spec"].get("nodeName")
        if node:
            for c in new["spec"]["containers"]:
                self.record_event(new, "Killing", f"Stopping container {c['name']}", component="kubelet", host=node)
        return new

    def forget(self, pod: Mapping[str, Any]) -> None:
        """The terminating pod is gone."""
        self.remove(kinds.POD, self.pod(pod["metadata"]["name"], pod["metadata"]["namespace"]))

    # ------------------------------------------------------------------ events

    def record_event(
        self,
        involved: Mapping[str, Any],
        reason: str,
        message: str,
        *,
        type_: str = "Normal",
        component: str,
        host: str | None = None,
    ) -> Obj:
        """Record an event the way client-go's correlator does: a repeat bumps ``count`` and ``lastTimestamp``."""
        key = ("legacy", involved["metadata"]["uid"], reason, message, type_, component)
        existing_key = self._correlated.get(key)
        if existing_key is not None and existing_key in self.store[kinds.EVENT]:
            old = self.store[kinds.EVENT][existing_key]
            new = {**old, "lastTimestamp": ts(self.now), "count": old["count"] + 1}
            return self.put(kinds.EVENT, new)
        self._event_seq += 1
        uid = self.ids.uid()

        def build(seq: int) -> Obj:
            return event_object(
                involved, reason, message, self.now, uid=uid, seq=seq, type_=type_, component=component, host=host
            )

        obj = self.put(kinds.EVENT, self._unique_event(build))
        self._correlated[key] = self.key_of(kinds.EVENT, obj)
        return obj

    def scheduler_event(
        self, involved: Mapping[str, Any], type_: str, reason: str, message: str, action: str, scheduler: str
    ) -> Obj:
        """A scheduler event (events.k8s.io): a repeat grows ``series`` instead of ``count``."""
        key = ("series", involved["metadata"]["uid"], reason, message, type_, scheduler)
        existing_key = self._correlated.get(key)
        if existing_key is not None and existing_key in self.store[kinds.EVENT]:
            old = self.store[kinds.EVENT][existing_key]
            count = old.get("series", {}).get("count", 1) + 1
            new = {**old, "series": {"count": count, "lastObservedTime": micro_ts(self.now)}}
            return self.put(kinds.EVENT, new)
        self._event_seq += 1
        uid = self.ids.uid()

        def build(seq: int) -> Obj:
            return scheduler_event_object(
                involved, reason, message, self.now, uid=uid, seq=seq, type_=type_, action=action, scheduler=scheduler
            )

        obj = self.put(kinds.EVENT, self._unique_event(build))
        self._correlated[key] = self.key_of(kinds.EVENT, obj)
        return obj

    def _unique_event(self, build: Callable[[int], Obj]) -> Obj:
        """An Event named as client-go names it (``<object>.<time in ns + sequence, hex>``) that no stored Event
        holds: a fork of a live state starts its sequence again and must not overwrite a live Event."""
        while True:
            obj = build(self._event_seq)
            if self.key_of(kinds.EVENT, obj) not in self.store[kinds.EVENT]:
                return obj
            self._event_seq += 1

    def sync(self) -> None:
        """Let every workload's controllers catch up with what changed."""
        for w in self.workloads:
            w.sync()


def _sort_sharing(value: Any, sorted_before: Any) -> Any:
    """``sort_deep(value)``, taking over as they are the parts ``value`` shares (the very objects) with
    ``sorted_before``, an earlier version already sorted deep: a status write leaves the spec and labels alone. A list
    element that is not one of the earlier list's is compared with the element in its place there (a PodGang's
    podgroup copied to change its pod references keeps the references that stay)."""
    if value is sorted_before:
        return value
    if isinstance(value, dict) and isinstance(sorted_before, dict):
        out = {}
        for k in sorted(value):
            v, b = value[k], sorted_before.get(k)
            out[k] = v if v is b else _sort_sharing(v, b)
        return out
    if isinstance(value, list) and isinstance(sorted_before, list):
        # the very elements the new list kept, wherever they are now, stay as they are (looked up in C)
        before = dict(zip(map(id, sorted_before), sorted_before, strict=True))
        kept = list(map(before.get, map(id, value)))
        out_list = list(value)
        for i in itertools.compress(range(len(value)), map(operator.is_not, kept, value)):
            v = value[i]
            out_list[i] = _sort_sharing(v, sorted_before[i]) if i < len(sorted_before) else sort_deep(v)
        return out_list
    return sort_deep(value)
