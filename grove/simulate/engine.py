"""The simulation loop: Grove's controllers, a gang scheduler and the kubelets acting on a forked cluster.

Controllers work like real ones: every round each looks at the objects as they are now and acts (create missing pods,
delete what a rolling update or a scale-in selects, ungate, bind, write statuses); a round that changed something is
followed by another ``REQUEUE`` seconds later. Timers stand for what takes time outside the operator: a deleted pod
is gone after ``POD_GONE_AFTER`` seconds, a bound pod's containers are created after ``CREATING_AFTER`` and it is Ready
``pod_start`` seconds after it was scheduled.
"""

from __future__ import annotations

import functools
import heapq
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.derive.pods import gpu_request
from grove.reducers.derive.topology import TopologyInfo, resolve
from grove.reducers.state import State
from grove.simulate.capacity import Ledger
from grove.simulate.cluster import Cluster
from grove.simulate.fork import fork_cluster
from grove.simulate.gang_scheduler import FITS_MISSING_PREFERRED, GangFit, GangScheduler, Pack, pack_of
from grove.simulate.live_workload import LiveWorkload
from grove.simulate.pod_states import is_ready, is_terminating

REQUEUE = 0.3
POD_GONE_AFTER = 3.0
CREATING_AFTER = 1.0
MAX_ROUNDS = 200_000


@attrs.frozen
class Finding:
    """Something the simulation predicts that a user should read, in plain words."""

    at: float  # seconds after the start
    severity: str  # "warning" | "info"
    message: str


class Controller:
    """A PodCliqueSet-level policy (rolling update, scale) run at every round. Like every actor here it decides from
    the cluster's objects alone: a round in which nothing changed since a pass that wrote nothing skips it."""

    def reconcile(self, sim: Simulation) -> None:
        raise NotImplementedError


class Simulation:
    """A forked cluster and the actors that change it."""

    def __init__(self, state: State, *, pod_start: float, seed: int = 11) -> None:
        self.state = state
        self.c: Cluster = fork_cluster(state, seed=seed)
        self.ledger = Ledger.from_state(state)
        self.scheduler = GangScheduler(self.ledger)
        self.pod_start = pod_start
        self.findings: list[Finding] = []
        self.controllers: list[Controller] = []
        self._workloads: dict[tuple[str, str], LiveWorkload] = {}
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._requeued: set[float] = set()
        self._told: set[str] = set()
        self._topologies: dict[str | None, TopologyInfo] = {}
        self._peer_nodes: dict[tuple[str, str, str], tuple[tuple[object, ...], tuple[str, ...]]] = {}
        self._quiet: dict[object, int] = {}  # actor -> the store's write count when its last pass changed nothing

    # ------------------------------------------------------------------ time

    @property
    def offset(self) -> float:
        return round(self.c.now - self.c.start, 3)

    def after(self, seconds: float, action: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._timers, (round(self.offset + seconds, 3), self._seq, action))

    def run(self) -> None:
        """Rounds until nothing is left to happen."""
        self.round()
        rounds = 0
        while self._timers and rounds < MAX_ROUNDS:
            at, _, action = heapq.heappop(self._timers)
            self.c.at(at)
            action()
            while self._timers and self._timers[0][0] <= at:
                heapq.heappop(self._timers)[2]()
            self.round()
            rounds += 1

    def round(self) -> None:
        before = len(self.c.events)
        for controller in self.controllers:
            self._act(controller, functools.partial(controller.reconcile, self))
        for wl in list(self._workloads.values()):
            self._act(("pods", wl), functools.partial(self.sync_pods, wl))
        for wl in list(self._workloads.values()):
            self._act(("gates", wl), functools.partial(self.ungate, wl))
        self._act("scheduler", self.schedule)
        self.c.sync()
        if len(self.c.events) > before:
            when = round(self.offset + REQUEUE, 3)
            if when not in self._requeued:
                self._requeued.add(when)
                self.after(REQUEUE, lambda: None)

    def _act(self, actor: object, action: Callable[[], None]) -> None:
        """Run one controller's pass, unless it would look at the very objects its last pass saw and left alone: a
        controller acts on what the store holds (never on the clock alone), so that pass would change nothing again."""
        seen = self._quiet.get(actor)
        if seen is not None and seen == self.c.writes:
            return
        writes = self.c.writes
        action()
        if self.c.writes == writes:
            self._quiet[actor] = writes
        else:
            self._quiet.pop(actor, None)

    def tell(self, message: str, severity: str = "warning", *, key: str | None = None) -> None:
        """A finding, said once (``key`` names what makes it the same finding)."""
        key = key or message
        if key in self._told:
            return
        self._told.add(key)
        self.findings.append(Finding(self.offset, severity, message))

    # ------------------------------------------------------------------ workloads

    def workload(self, namespace: str, name: str) -> LiveWorkload:
        key = (namespace, name)
        if key not in self._workloads:
            self._workloads[key] = LiveWorkload(self.c, namespace, name)
            self._adopt(self._workloads[key])
        return self._workloads[key]

    def _adopt(self, wl: LiveWorkload) -> None:
        """Pods the state shows half way: a terminating pod is gone ``POD_GONE_AFTER`` after its deletion, a bound pod
        that is starting (not Ready, no container failed or restarted) is Ready ``pod_start`` after it was scheduled
        (at once when that is past). A crash-looping or unready pod stays as it is: the model does not heal pods."""
        now = self.c.now
        for pod in wl.all_pods(live=False):
            if is_terminating(pod):
                meta = f.mapping(pod.get("metadata"))
                deleted = (f.timestamp(meta.get("deletionTimestamp")) or now) - f.integer(
                    meta.get("deletionGracePeriodSeconds")
                )
                self.after(max(0.0, deleted + POD_GONE_AFTER - now), functools.partial(self._gone, wl, pod))
            elif f.text(f.get(pod, "spec", "nodeName")) and not is_ready(pod) and _starting(pod):
                scheduled = f.timestamp(f.get(f.condition(pod, "PodScheduled"), "lastTransitionTime")) or now
                ready_in = max(0.0, scheduled + self.pod_start - now)
                self.after(ready_in, functools.partial(self._kubelet, wl, pod, "ready"))

    def topology(self, named: str | None) -> TopologyInfo:
        if named not in self._topologies:
            self._topologies[named] = resolve(self.state, named)
        return self._topologies[named]

    # ------------------------------------------------------------------ the PodClique controller

    def sync_pods(self, wl: LiveWorkload) -> None:
        """Create the pods a PodClique misses (reusing free pod indices); delete the surplus in Grove's order."""
        for pclq in wl.cliques():
            live = wl.pod_views(f.name(pclq))
            want = f.integer(f.get(pclq, "spec", "replicas"))
            if len(live) < want:
                used = wl.used_indices(f.name(pclq))
                free = (n for n in range(1_000_000) if n not in used)
                for _ in range(want - len(live)):
                    wl.add_pod(pclq, next(free))
            elif len(live) > want:
                pods = [v.obj for v in live]
                for pod in sorted(pods, key=lambda p: deletion_order(p, wl.target_hash(pclq)))[: len(live) - want]:
                    self.delete_pod(wl, pod)

    def delete_pod(self, wl: LiveWorkload, pod: Mapping[str, Any]) -> None:
        new = wl.delete_pod(pod)
        self.after(POD_GONE_AFTER, lambda: self._gone(wl, new))

    def _gone(self, wl: LiveWorkload, pod: Mapping[str, Any]) -> None:
        key = (f.namespace(pod), f.name(pod))
        current = self.c.store[kinds.POD].get(key)
        if current is None:
            return
        wl.forget_pod(current)
        self.ledger.release(current)

    # ------------------------------------------------------------------ PodGangs and gates

    def ungate(self, wl: LiveWorkload) -> None:
        """Lift the gate of pods whose PodGang is initialized; a scaled gang's pods wait for the base gang."""
        ready = set(wl.sync_gangs())
        for pclq in wl.cliques():
            gang = f.text(f.label(pclq, f.PODGANG_LABEL))
            if gang not in ready:
                continue
            base = f.label(pclq, f.BASE_PODGANG)
            if base and not self._gang_scheduled(wl, base):
                continue
            for view in wl.pod_views(f.name(pclq)):
                if view.gated:
                    pod = view.obj
                    spec = {k: v for k, v in pod["spec"].items() if k != "schedulingGates"}
                    meta = pod["metadata"]
                    wl.c.put(
                        kinds.POD,
                        {**pod, "metadata": {**meta, "generation": meta.get("generation", 1) + 1}, "spec": spec},
                    )
                    wl.dirty.add(f.name(pclq))

    def _gang_scheduled(self, wl: LiveWorkload, gang: str) -> bool:
        obj = self.c.store[kinds.PODGANG].get((wl.ns, gang))
        if obj is None:
            return False
        for group in f.seq(f.get(obj, "spec", "podgroups")):
            name = f.text(f.mapping(group).get("name"))
            bound = sum(1 for p in wl.pod_views(name) if p.node)
            if bound < f.integer(f.mapping(group).get("minReplicas"), 1):
                return False
        return True

    # ------------------------------------------------------------------ the gang scheduler and the kubelets

    def schedule(self) -> None:
        waiting = functools.cache(
            lambda: any(wl.terminating() for wl in self._workloads.values())
        )  # asked only when a gang does not fit
        for wl in list(self._workloads.values()):
            cliques = [(clique, wl.scheduling(clique)) for clique in sorted(wl.pods_by_clique)]
            by_gang: dict[str, list[dict[str, Any]]] = {}
            for _, (_, unbound) in cliques:
                for gang, pods in unbound.items():
                    by_gang.setdefault(gang, []).extend(pods)
            for gang in sorted(by_gang):
                self._schedule_gang(wl, gang, by_gang[gang], self._peers(wl, gang, cliques), waiting)

    def _peers(
        self, wl: LiveWorkload, gang: str, cliques: list[tuple[str, tuple[Mapping[str, list[str]], Any]]]
    ) -> tuple[str, ...]:
        """The nodes of the gang's bound pods in clique and pod order, each once (the same tuple while the cliques'
        bound pods are where they were)."""
        seen = tuple(bound for _, (bound, _) in cliques)
        hit = self._peer_nodes.get((wl.ns, wl.name, gang))
        if hit is not None and len(hit[0]) == len(seen) and all(map(operator.is_, hit[0], seen)):
            return hit[1]
        peers = tuple(dict.fromkeys(node for bound in seen for node in bound.get(gang, ())))
        self._peer_nodes[(wl.ns, wl.name, gang)] = (seen, peers)
        return peers

    def gang_pack(self, wl: LiveWorkload, gang: str) -> tuple[Pack, TopologyInfo]:
        obj = self.c.store[kinds.PODGANG].get((wl.ns, gang))
        named = f.text(f.annotations_of(obj).get(f.TOPOLOGY_NAME_ANNOTATION)) if obj is not None else ""
        topo = self.topology(named or None)
        return pack_of(f.mapping(obj.get("spec")) if obj is not None else {}, topo.domain_of), topo

    def _schedule_gang(
        self,
        wl: LiveWorkload,
        gang: str,
        pods: list[dict[str, Any]],
        peers: Sequence[str],
        waiting: Callable[[], bool],
    ) -> None:
        pack, _ = self.gang_pack(wl, gang)
        fit = self.scheduler.place(pods, pack, peers)
        if not fit.placed:
            if waiting():
                return  # terminating pods still hold GPUs: the scheduler retries when they are gone
            for pod in pods:
                message = f"0/{len(self.ledger.slots)} nodes are available: {fit.message}"
                if f.get(f.condition(pod, "PodScheduled"), "message") != message:
                    self.c.unschedulable(pod, message)
                    wl.dirty.add(f.text(f.label(pod, f.PODCLIQUE_LABEL)))
            names = ", ".join(sorted(f.name(p) for p in pods))
            self.tell(f"{gang}: {len(pods)} pod(s) cannot be scheduled: {fit.message} ({names})", key=f"nofit:{gang}")
            return
        self._report_move(wl, gang, pods, peers, pack, fit)
        for pod in pods:
            node = fit.nodes[f.name(pod)]
            bound = self.c.bind(pod, node)
            self.ledger.bind(node, bound)
            wl.dirty.add(f.text(f.label(pod, f.PODCLIQUE_LABEL)))
            self.after(CREATING_AFTER, functools.partial(self._kubelet, wl, bound, "creating"))
            self.after(self.pod_start, functools.partial(self._kubelet, wl, bound, "ready"))

    def _kubelet(self, wl: LiveWorkload, pod: Mapping[str, Any], state: str) -> None:
        current = self.c.store[kinds.POD].get((f.namespace(pod), f.name(pod)))
        if (
            current is None
            or is_terminating(current)
            or f.get(current, "metadata", "uid") != f.get(pod, "metadata", "uid")
        ):
            return
        self.c.kubelet(current, state)
        wl.dirty.add(f.text(f.label(current, f.PODCLIQUE_LABEL)))

    def _report_move(
        self,
        wl: LiveWorkload,
        gang: str,
        pods: list[dict[str, Any]],
        peers: Sequence[str],
        pack: Pack,
        fit: GangFit,
    ) -> None:
        """Say when pods of a running gang cannot go back to its domain at the preferred level."""
        key = pack.preferred
        if key is None or not peers:
            if fit.verdict == FITS_MISSING_PREFERRED:
                self.tell(f"{gang}: placed without its preferred {pack.preferred_level} pack", key=f"pref:{gang}")
            return
        home = sorted({v for n in peers if (v := self.ledger.slots[n].labels.get(key)) is not None})
        landed = sorted({v for pod in pods if (v := self.ledger.slots[fit.nodes[f.name(pod)]].labels.get(key))})
        if not home or set(landed) <= set(home):
            return
        free_home = sum(self.ledger.free(s.name) for s in self.ledger.nodes() if s.labels.get(key) in home)
        role = _role(pods[0])
        what = "replacement " + (f"{role} pod" if len(pods) == 1 else f"{role} pods")
        self.tell(
            f"{what} {', '.join(f.name(p) for p in pods)} cannot return to {', '.join(home)}: {free_home} GPUs free "
            f"there (needs {sum(gpu_request(p) for p in pods)}); lands in {', '.join(landed)}, preferred "
            f"{pack.preferred_level} pack missed"
        )


def _starting(pod: Mapping[str, Any]) -> bool:
    """A bound pod on its way to Ready: no container restarted or ended, none waiting in a back-off."""
    if f.text(f.get(pod, "status", "phase")) not in ("Pending", "Running"):
        return False
    for status in f.seq(f.get(pod, "status", "containerStatuses")):
        status = f.mapping(status)
        waiting = f.text(f.get(status, "state", "waiting", "reason"))
        if f.integer(status.get("restartCount")) or "terminated" in f.mapping(status.get("state")):
            return False
        if waiting and waiting not in ("ContainerCreating", "PodInitializing"):
            return False
    return True


def _role(pod: Mapping[str, Any]) -> str:
    labels = f.labels(pod)
    clique = f.text(labels.get(f.PODCLIQUE_LABEL))
    return clique.rsplit("-", 1)[-1] if clique else "pod"


def deletion_order(pod: Mapping[str, Any], target_hash: str) -> tuple[int, int, int, int, float, int, str]:
    """Grove's preference for which pod of a PodClique goes first when it has too many (DeletionSorter in
    operator/internal/controller/podclique/components/pod/deletionsort.go): unassigned, then Pending < Unknown <
    Running, not ready, outdated, then the newest. Creation stamps have one-second precision and Grove leaves ties in
    its informer's (undefined) order; we break them by the highest pod index first, as a scale-in of replicas
    (computePCSGReplicasToDelete) removes the highest indices, so the lowest indices survive."""
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(f.text(f.get(pod, "status", "phase")), 3)
    ready = f.get(f.condition(pod, "Ready"), "status") == "True"
    outdated = f.label(pod, f.POD_TEMPLATE_HASH) != target_hash
    created = f.timestamp(f.get(pod, "metadata", "creationTimestamp")) or 0.0
    return (
        1 if f.text(f.get(pod, "spec", "nodeName")) else 0,
        phase,
        1 if ready else 0,
        0 if outdated else 1,
        -created,
        -f.integer(f.label(pod, f.POD_INDEX), -1),
        f.name(pod),
    )
