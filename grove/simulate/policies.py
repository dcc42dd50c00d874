"""What Grove's operator does with each intent (docs/grove-model.md and the controllers of ai-dynamo/grove main).

- A new template: ``status.currentGenerationHash`` moves; under ``RollingRecreate`` one PCS replica is updated at a
  time (replicas with no scheduled pods first, then those breaching minAvailable, then by index); inside it each
  standalone PodClique deletes its old pods that are not Ready at once and its Ready ones one at a time, oldest
  first, the next only when the replacement is Ready and never while fewer than minAvailable are Ready; each scaling
  group replaces one Ready replica at a time. Under ``OnDelete`` the PodCliques take the new template and nothing is
  deleted.
- Scaling a PodClique creates pods with the lowest free indices, or deletes in Grove's deletion order; scaling a
  scaling group adds replicas (those at or past minAvailable each get a scaled PodGang) or removes the highest ones;
  scaling the PodCliqueSet adds replicas built like replica 0, or removes the highest ones.
- Deleting pods: the PodClique controller recreates them.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.derive.hierarchy import clique_template_name
from grove.simulate.engine import Controller, Simulation
from grove.simulate.intent import ContinueUpdate, DeletePods, Intent, ScaleClique, ScaleGroup, ScaleSet
from grove.simulate.live_workload import LiveWorkload, PodView, clique_parts, template_cliques
from grove.simulate.names import Obj, grove_hash, sort_deep, ts
from grove.simulate.pod_states import is_terminating
from grove.simulate.statuses import podgang_status

ROLLING_RECREATE = "RollingRecreate"
ON_DELETE = "OnDelete"


def generation_hash_of(pcs_spec: Mapping[str, Any]) -> str:
    """A stand-in for Grove's generation hash: it changes exactly when a clique's pod template does."""
    priority = f.text(f.get(pcs_spec, "template", "priorityClassName")) or None
    cliques = template_cliques(pcs_spec)
    return grove_hash([clique_parts(cliques[name], priority) for name in sorted(cliques)])


def strategy_of(pcs: Mapping[str, Any]) -> str:
    return f.text(f.get(pcs, "spec", "updateStrategy", "type")) or ROLLING_RECREATE


# ---------------------------------------------------------------------------------------------------------- intents


def apply_intent(sim: Simulation, intent: Intent) -> None:
    """The write the user makes (what ``kubectl grove`` would send), and the controllers it wakes."""
    if isinstance(intent, DeletePods):
        for name in intent.pods:
            pod = sim.c.store[kinds.POD].get((intent.namespace, name))
            if pod is None or is_terminating(pod):
                continue
            owner = f.label(pod, f.PART_OF)
            if owner:
                sim.delete_pod(sim.workload(intent.namespace, owner), pod)
        return
    if isinstance(intent, ScaleClique):
        obj = sim.c.store[kinds.PODCLIQUE].get((intent.namespace, intent.pclq))
        if obj is None:
            raise KeyError(f"PodClique {intent.namespace}/{intent.pclq} not found")
        wl = sim.workload(intent.namespace, f.text(f.label(obj, f.PART_OF)))
        wl.change(kinds.PODCLIQUE, obj, spec={**obj["spec"], "replicas": intent.replicas})
        wl.dirty.add(intent.pclq)
        return
    if isinstance(intent, ScaleGroup):
        obj = sim.c.store[kinds.PODCLIQUESCALINGGROUP].get((intent.namespace, intent.pcsg))
        if obj is None:
            raise KeyError(f"PodCliqueScalingGroup {intent.namespace}/{intent.pcsg} not found")
        wl = sim.workload(intent.namespace, f.text(f.label(obj, f.PART_OF)))
        wl.change(kinds.PODCLIQUESCALINGGROUP, obj, spec={**obj["spec"], "replicas": intent.replicas})
        sim.controllers.append(GroupScaler(wl, intent.pcsg))
        return
    if isinstance(intent, ContinueUpdate):
        sim.controllers.append(TemplateRollout(sim.workload(intent.namespace, intent.pcs), None))
        return
    if isinstance(intent, ScaleSet):
        wl = sim.workload(intent.namespace, intent.pcs)
        pcs = wl.pcs()
        wl.change(kinds.PODCLIQUESET, pcs, spec={**pcs["spec"], "replicas": intent.replicas})
        sim.controllers.append(SetScaler(wl))
        return
    wl = sim.workload(intent.namespace, intent.pcs)
    pcs = wl.pcs()
    spec: Obj = {**pcs["spec"], "template": dict(intent.template)}
    if intent.update_strategy is not None:
        spec["updateStrategy"] = {**f.mapping(spec.get("updateStrategy")), "type": intent.update_strategy}
    wl.change(kinds.PODCLIQUESET, pcs, spec=sort_deep(spec))
    sim.controllers.append(TemplateRollout(wl, pcs["spec"]))


# ---------------------------------------------------------------------------------------------------- rolling update


@attrs.frozen
class _Rolling:
    """A standalone PodClique's live pods as its rolling pass reads them for one target hash."""

    views: tuple[PodView, ...]  # the clique's live pods (the very tuple ``LiveWorkload.pod_views`` gave)
    target: str
    old_unready: tuple[PodView, ...]  # on another hash and not Ready: deleted at once
    old_ready: tuple[PodView, ...]  # on another hash and Ready: replaced one at a time
    names: tuple[str, ...]
    new_ready: int  # Ready on the target hash


_TEMPLATE_HASH = operator.attrgetter("template_hash")
_READY = operator.attrgetter("ready")


class TemplateRollout(Controller):
    """The PCS, PCSG and PCLQ controllers carrying a new template to every pod (or, under OnDelete, to the cliques)."""

    def __init__(self, wl: LiveWorkload, old_spec: Mapping[str, Any] | None) -> None:
        """``old_spec`` None: the update already under way (``ContinueUpdate``), see ``_resume``."""
        self.wl = wl
        self.started = False
        self.finished = False
        self.targets: dict[str, str] = {}  # PodClique -> the pod-template hash it converges to
        self.reached: dict[str, str] = {}  # resumed: clique template -> the hash Grove already gave it
        self.resumed = old_spec is None
        # per PodClique or scaling group, what a pass of its rolling update read when it wrote nothing and had not
        # ended (the very objects and the pod write counts): such a pass repeated on them would do nothing again
        self._idle: dict[str, tuple[tuple[Obj, ...], tuple[int, ...]]] = {}
        self._update_keys: dict[str, tuple[float, int, str]] = {}  # pod uid -> update_order
        self._rolling_seen: dict[str, _Rolling] = {}  # PodClique -> what its last rolling pass read of its pods
        if old_spec is None:
            self.changed: set[str] = set()
            self._resume()
            return
        old = template_cliques(old_spec)
        new_spec = f.mapping(wl.pcs().get("spec"))
        new = template_cliques(new_spec)
        old_priority = f.text(f.get(old_spec, "template", "priorityClassName")) or None
        new_priority = f.text(f.get(new_spec, "template", "priorityClassName")) or None
        self.changed = {
            name
            for name, template in new.items()
            if clique_parts(template, new_priority) != clique_parts(old.get(name, {}), old_priority)
        }

    def _resume(self) -> None:
        """Take over the update Grove is carrying out: started when the PCS has an open ``updateProgress``.

        Grove's pod-template hash depends on the clique template only, not on the replica, so a PodClique Grove has
        not reached yet converges to the hash Grove gave the same clique template in a replica it did reach
        (``updateProgress.podTemplateHash`` for this generation). A template no replica shows yet (the update has just
        started) is taken as changed: the estimate then replaces its pods too."""
        wl = self.wl
        progress = f.mapping(f.get(wl.pcs(), "status", "updateProgress"))
        if not progress or progress.get("updateEndedAt"):
            self.started = self.finished = True  # nothing under way: nothing to continue
            return
        self.started = True
        gen = wl.generation_hash()
        for pclq in wl.cliques():
            pushed = f.mapping(f.get(pclq, "status", "updateProgress"))
            if pushed.get("podCliqueSetGenerationHash") == gen and pushed.get("podTemplateHash"):
                self.reached.setdefault(clique_template_name(pclq), f.text(pushed.get("podTemplateHash")))
            elif f.get(pclq, "status", "currentPodCliqueSetGenerationHash") == gen:
                self.reached.setdefault(clique_template_name(pclq), f.text(f.label(pclq, f.POD_TEMPLATE_HASH)))

    def target_for(self, pclq: Mapping[str, Any]) -> str:
        """A changed clique gets a new hash; an unchanged one keeps the hash Grove gave it."""
        name = f.name(pclq)
        if name not in self.targets:
            template = clique_template_name(pclq)
            if self.resumed:
                self.targets[name] = self.reached.get(template) or self.wl.podspec_hash(pclq)
            elif template in self.changed:
                self.targets[name] = self.wl.podspec_hash(pclq)
            else:
                self.targets[name] = f.text(f.label(pclq, f.POD_TEMPLATE_HASH))
        return self.targets[name]

    def reconcile(self, sim: Simulation) -> None:
        wl = self.wl
        if self.finished:
            return
        if not self.started:
            self._start(sim)
            return
        progress = dict(f.mapping(f.get(wl.pcs(), "status", "updateProgress")))
        current = [dict(f.mapping(c)) for c in f.seq(progress.get("currentlyUpdating"))]
        if current:
            replica = f.integer(current[0].get("replicaIndex"))
            done = self._roll_replica(sim, replica)
            if not done:
                return
            if "updateEndedAt" not in current[0]:
                current[0]["updateEndedAt"] = ts(sim.c.now)
                wl.put_pcs_status({**progress, "currentlyUpdating": current})
                return
        nxt = self._next_replica()
        now = ts(sim.c.now)
        if nxt is None:
            progress.pop("currentlyUpdating", None)
            progress["updateEndedAt"] = now
            wl.put_pcs_status(progress)
            self.finished = True
            return
        progress["currentlyUpdating"] = [{"replicaIndex": nxt, "updateStartedAt": now}]
        wl.put_pcs_status(progress)
        self._push_template(sim, nxt)

    def _start(self, sim: Simulation) -> None:
        wl = self.wl
        self.started = True
        pcs = wl.pcs()
        gen = generation_hash_of(pcs["spec"])
        old_gen = wl.generation_hash()
        status = dict(f.mapping(pcs.get("status")))
        if gen == old_gen or not self.changed:
            status["currentGenerationHash"] = old_gen or gen
            status["observedGeneration"] = pcs["metadata"].get("generation", 1)
            wl.change(kinds.PODCLIQUESET, pcs, status=sort_deep(status))
            sim.tell("the template change touches no pod template: nothing rolls", "info")
            self.finished = True
            return
        now = ts(sim.c.now)
        replicas = wl.spec_replicas()
        progress: Obj = {
            "updateStartedAt": now,
            "updatedPodCliquesCount": 0,
            "totalPodCliquesCount": len(wl.standalone()),
            "updatedPodCliqueScalingGroupsCount": 0,
            "totalPodCliqueScalingGroupsCount": len(wl.groups()),
        }
        status.update({"currentGenerationHash": gen, "observedGeneration": pcs["metadata"].get("generation", 1)})
        if strategy_of(pcs) == ON_DELETE:
            progress["updateEndedAt"] = now
            status["updateProgress"] = progress
            wl.change(kinds.PODCLIQUESET, pcs, status=sort_deep(status))
            for i in range(replicas):
                self._push_template(sim, i, on_delete=True)
            outdated = sum(
                1 for p in wl.all_pods() if f.label(p, f.POD_TEMPLATE_HASH) != wl.target_hash(wl.pclq(_clique(p)))
            )
            sim.tell(f"OnDelete: Grove deletes nothing; {outdated} pod(s) keep the old template until deleted", "info")
            self.finished = True
            return
        status["updateProgress"] = progress
        wl.change(kinds.PODCLIQUESET, pcs, status=sort_deep(status))

    def _next_replica(self) -> int | None:
        """Grove's order (orderPCSReplicaInfo): no scheduled pods first, then minAvailable breached, then by index."""
        wl = self.wl
        pending = [i for i in range(wl.spec_replicas()) if not self._replica_updated(i)]

        def order(i: int) -> tuple[int, int, int]:
            cliques = [*wl.standalone(i), *(p for g in wl.groups(i) for p in wl.group_cliques(f.name(g)))]
            scheduled = sum(f.integer(f.get(p, "status", "scheduledReplicas")) for p in cliques)
            breached = any(f.get(f.condition(p, "MinAvailableBreached"), "status") == "True" for p in cliques)
            return (0 if scheduled == 0 else 1, 0 if breached else 1, i)

        return min(pending, key=order) if pending else None

    def _replica_updated(self, i: int) -> bool:
        wl = self.wl
        return all(
            f.label(p, f.POD_TEMPLATE_HASH) == self.target_for(p)
            and f.get(p, "status", "currentPodCliqueSetGenerationHash") == wl.generation_hash()
            for p in wl.cliques(i)
        )

    def _push_template(self, sim: Simulation, replica: int, *, on_delete: bool = False) -> None:
        """The PCS controller writes the new podSpec and hash into the replica's PodCliques and starts their
        (and their scaling groups') update progress."""
        wl = self.wl
        now = ts(sim.c.now)
        gen = wl.generation_hash()
        for pclq in wl.cliques(replica):
            target = self.target_for(pclq)
            template = wl.template_of(pclq)
            spec = {**pclq["spec"], "podSpec": f.mapping(f.get(template, "spec", "podSpec")) or pclq["spec"]["podSpec"]}
            labels = {**f.labels(pclq), f.POD_TEMPLATE_HASH: target}
            new = wl.change(
                kinds.PODCLIQUE, pclq, spec=sort_deep(spec), metadata={**pclq["metadata"], "labels": labels}
            )
            progress: Obj = {"updateStartedAt": now, "podCliqueSetGenerationHash": gen, "podTemplateHash": target}
            if on_delete:
                progress["updateEndedAt"] = now
            wl.put_clique_status(new, progress)
        for group in wl.groups(replica):
            progress = {"updateStartedAt": now, "podCliqueSetGenerationHash": gen}
            progress["totalPodCliquesCount"] = len(wl.group_cliques(f.name(group)))
            if on_delete:
                progress["updateEndedAt"] = now
            wl.put_group_status(group, progress)

    # ------------------------------------------------------------------ one replica

    def _roll_replica(self, sim: Simulation, replica: int) -> bool:
        wl = self.wl
        done = True
        for pclq in wl.standalone(replica):
            done = self._roll_clique(sim, pclq) and done
        for group in wl.groups(replica):
            done = self._roll_group(sim, group) and done
        if not done:
            return False
        # the PCS moves on once every PodClique of the replica converged (isPCLQUpdateComplete)
        for pclq in wl.cliques(replica):
            status = f.mapping(pclq.get("status"))
            minimum = f.integer(f.get(pclq, "spec", "minAvailable"), 1)
            if (
                status.get("currentPodCliqueSetGenerationHash") != wl.generation_hash()
                or f.integer(status.get("readyReplicas")) < minimum
                or f.integer(status.get("updatedReplicas")) < minimum
            ):
                return False
        return True

    def _update_order(self, pod: PodView) -> tuple[float, int, str]:
        """``update_order`` of the pod, read once per pod (its uid: creation stamp, index and name never change)."""
        key = self._update_keys.get(pod.uid) if pod.uid else None
        if key is None:
            key = update_order(pod.obj)
            if pod.uid:
                self._update_keys[pod.uid] = key
        return key

    def _rolling(self, pclq: str, target: str) -> _Rolling:
        """What a standalone PodClique's rolling pass reads of its live pods, the same while they are."""
        views = self.wl.pod_views(pclq)
        hit = self._rolling_seen.get(pclq)
        if hit is not None and hit.views is views and hit.target == target:
            return hit
        names = self.wl.pod_names(pclq)
        if hit is not None and hit.target == target and hit.names == names:
            # the same pods, some written again: while every one of those is on the target hash before and after,
            # the old pods are the very views they were and only the count of Ready new pods can move
            new_ready = hit.new_ready
            for a, b in zip(
                itertools.compress(hit.views, map(operator.is_not, hit.views, views)),
                itertools.compress(views, map(operator.is_not, hit.views, views)),
                strict=True,
            ):
                if a.template_hash != target or b.template_hash != target:
                    break
                new_ready += b.ready - a.ready
            else:
                hit = _Rolling(views, target, hit.old_unready, hit.old_ready, names, new_ready)
                self._rolling_seen[pclq] = hit
                return hit
        old = tuple(itertools.compress(views, map(operator.ne, itertools.repeat(target), map(_TEMPLATE_HASH, views))))
        old_ready = tuple(itertools.compress(old, map(_READY, old)))
        old_unready = tuple(itertools.compress(old, map(operator.not_, map(_READY, old))))
        hit = _Rolling(views, target, old_unready, old_ready, names, sum(map(_READY, views)) - len(old_ready))
        self._rolling_seen[pclq] = hit
        return hit

    def _unchanged(self, sim: Simulation, key: str, roll: Callable[[], bool], *objs: Obj) -> bool:
        """``roll()``, unless its last pass on these very objects (and their pods) wrote nothing and had not ended."""
        seen = (objs, tuple(sim.c.pod_writes(self.wl.ns, f.name(o)) for o in objs))
        idle = self._idle.get(key)
        if (
            idle is not None
            and idle[1] == seen[1]
            and len(idle[0]) == len(objs)
            and all(a is b for a, b in zip(idle[0], objs, strict=True))
        ):
            return False
        writes = sim.c.writes
        done = roll()
        if not done and sim.c.writes == writes:
            self._idle[key] = seen
        else:
            self._idle.pop(key, None)
        return done

    def _roll_clique(self, sim: Simulation, pclq: Obj) -> bool:
        return self._unchanged(sim, f.name(pclq), lambda: self._roll_clique_pass(sim, pclq), pclq)

    def _roll_group(self, sim: Simulation, group: Obj) -> bool:
        cliques = self.wl.group_cliques(f.name(group))
        return self._unchanged(sim, f.name(group), lambda: self._roll_group_pass(sim, group), group, *cliques)

    def _roll_clique_pass(self, sim: Simulation, pclq: Obj) -> bool:
        """One standalone PodClique's RollingRecreate (processPendingUpdates); True when its update ended."""
        wl = self.wl
        progress = dict(f.mapping(f.get(pclq, "status", "updateProgress")))
        if "updateEndedAt" in progress:
            return True
        target = wl.target_hash(pclq)
        rolling = self._rolling(f.name(pclq), target)
        for pod in rolling.old_unready:
            sim.delete_pod(wl, pod.obj)  # pending, starting or unhealthy old pods go at once
        old_ready = rolling.old_ready
        selected = dict(f.mapping(progress.get("readyPodsSelectedToUpdate")))
        current = f.text(selected.get("current"))
        if current:
            still = current in rolling.names
            if still or rolling.new_ready < len(f.seq(selected.get("completed"))) + 1:
                return False
        if old_ready:
            if f.integer(f.get(pclq, "status", "readyReplicas")) < f.integer(f.get(pclq, "spec", "minAvailable"), 1):
                return False
            nxt = min(old_ready, key=self._update_order).obj
            if current:
                selected = {"current": f.name(nxt), "completed": [*f.seq(selected.get("completed")), current]}
            else:
                selected = {"current": f.name(nxt)}
            progress["readyPodsSelectedToUpdate"] = selected
            wl.put_clique_status(pclq, progress)
            sim.delete_pod(wl, nxt)
            return False
        if any(p.template_hash != target for p in wl.pod_views(f.name(pclq), live=False)):
            return False  # old pods still terminating
        progress.pop("readyPodsSelectedToUpdate", None)
        progress["updateEndedAt"] = ts(sim.c.now)
        wl.put_clique_status(pclq, progress)
        return True

    def _roll_group_pass(self, sim: Simulation, group: Obj) -> bool:
        """A scaling group's RollingRecreate: replicas that are not available are replaced at once, available ones
        one at a time, lowest index first (``readyReplicaIndicesSelectedToUpdate``), never while fewer than
        minAvailable replicas are available; True when its update ended."""
        wl = self.wl
        progress = dict(f.mapping(f.get(group, "status", "updateProgress")))
        if "updateEndedAt" in progress:
            return True
        by_index: dict[int, list[Obj]] = {}
        for pclq in wl.group_cliques(f.name(group)):
            by_index.setdefault(f.integer(f.label(pclq, f.PCSG_REPLICA_INDEX)), []).append(pclq)

        def outdated(index: int) -> bool:
            return any(p.template_hash != wl.target_hash(c) for c in by_index[index] for p in wl.pod_views(f.name(c)))

        def available(index: int) -> bool:
            return all(
                sum(1 for p in wl.pod_views(f.name(c)) if p.ready) >= f.integer(f.get(c, "spec", "minAvailable"), 1)
                for c in by_index[index]
            )

        def replace(index: int) -> None:
            for c in by_index[index]:
                for pod in wl.pods(f.name(c)):
                    sim.delete_pod(wl, pod)

        for index in sorted(by_index):
            if outdated(index) and not available(index):
                replace(index)
        selected = dict(f.mapping(progress.get("readyReplicaIndicesSelectedToUpdate")))
        if "current" in selected:
            current = f.integer(selected.get("current"))
            if current in by_index and (outdated(current) or not available(current)):
                return False
        pending = [i for i in sorted(by_index) if outdated(i)]
        if pending:
            # processPendingUpdates (operator/internal/controller/podcliquescalinggroup/components/podclique/
            # rollingupdate.go): the next available replica goes only while status.availableReplicas is not below
            # minAvailable, so a group already at fewer available replicas waits for its replacements first
            group_available = f.integer(f.get(group, "status", "availableReplicas"))
            if group_available < f.integer(f.get(group, "spec", "minAvailable"), 1):
                return False
            nxt = pending[0]
            if "current" in selected:
                selected = {"current": nxt, "completed": [*f.seq(selected.get("completed")), selected["current"]]}
            else:
                selected = {"current": nxt}
            progress["readyReplicaIndicesSelectedToUpdate"] = selected
            wl.put_group_status(group, progress)
            replace(nxt)
            return False
        if any(
            f.label(p, f.POD_TEMPLATE_HASH) != wl.target_hash(c)
            for cs in by_index.values()
            for c in cs
            for p in wl.pods(f.name(c), live=False)
        ):
            return False
        progress.pop("readyReplicaIndicesSelectedToUpdate", None)
        progress["updateEndedAt"] = ts(sim.c.now)
        wl.put_group_status(group, progress)
        for c in wl.group_cliques(f.name(group)):
            wl.put_clique_status(c, {**f.mapping(f.get(c, "status", "updateProgress")), "updateEndedAt": ts(sim.c.now)})
        return True


def update_order(pod: Mapping[str, Any]) -> tuple[float, int, str]:
    """Which Ready old pod of a PodClique is replaced next: the oldest (getNextPodToUpdate in Grove's
    operator/internal/controller/podclique/components/pod/rollingupdate.go sorts by creationTimestamp only). Stamps
    have one-second precision, so pods created together tie; Grove then takes them in its informer's list order,
    which it does not define — we take the lowest pod index first, the order ``replays/rolling-update.jsonl`` shows."""
    created = f.timestamp(f.get(pod, "metadata", "creationTimestamp")) or 0.0
    return (created, f.integer(f.label(pod, f.POD_INDEX), 1 << 30), f.name(pod))


def _clique(pod: Mapping[str, Any]) -> str:
    return f.text(f.label(pod, f.PODCLIQUE_LABEL))


# ----------------------------------------------------------------------------------------------------------- scaling


def _renamed(obj: Mapping[str, Any], old: str, new: str) -> Any:
    """A deep copy with every string ``old…`` rewritten to start with ``new`` (names, references)."""
    if isinstance(obj, Mapping):
        return {k: _renamed(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_renamed(v, old, new) for v in obj]
    if isinstance(obj, str) and obj.startswith(old):
        return new + obj[len(old) :]
    return obj


def _fresh_meta(sim: Simulation, meta: Mapping[str, Any], labels: Mapping[str, str]) -> Obj:
    out = {k: v for k, v in meta.items() if k not in ("resourceVersion", "managedFields", "deletionTimestamp")}
    out.update({"uid": sim.c.ids.uid(), "creationTimestamp": ts(sim.c.now), "generation": 1, "labels": dict(labels)})
    return out


def _new_clique(sim: Simulation, wl: LiveWorkload, proto: Mapping[str, Any], old: str, new: str, **labels: str) -> Obj:
    meta = _renamed(proto["metadata"], old, new)
    merged = {**f.labels(proto), **_renamed(dict(f.labels(proto)), old, new), **labels}
    obj: Obj = {**proto, "metadata": _fresh_meta(sim, meta, merged), "spec": dict(proto["spec"])}
    obj.pop("status", None)
    created = sim.c.put(kinds.PODCLIQUE, obj)
    wl.pclq_names.add(f.name(created))
    wl.dirty.add(f.name(created))
    return created


def _new_gang(
    sim: Simulation, wl: LiveWorkload, proto: Mapping[str, Any], name: str, groups: Sequence[Mapping[str, Any]]
) -> None:
    spec = {k: v for k, v in f.mapping(proto.get("spec")).items() if k != "topologyConstraintGroupConfigs"}
    spec["podgroups"] = [dict(g) for g in groups]
    meta = {**proto["metadata"], "name": name}
    obj: Obj = {**proto, "metadata": _fresh_meta(sim, meta, f.labels(proto)), "spec": sort_deep(spec)}
    obj["status"] = podgang_status(False, sim.c.now)
    sim.c.put(kinds.PODGANG, obj)
    wl.gang_names.add(name)
    wl.grove_event(wl.pcs(), "PodGangCreateOrUpdateSuccessful", f"Created/Updated PodGang {wl.ns}/{name}")


def _remove_clique(sim: Simulation, wl: LiveWorkload, pclq: Mapping[str, Any]) -> None:
    for pod in wl.pods(f.name(pclq)):
        sim.delete_pod(wl, pod)
    sim.c.remove(kinds.PODCLIQUE, pclq)
    wl.pclq_names.discard(f.name(pclq))


def _remove_gang(sim: Simulation, wl: LiveWorkload, name: str) -> None:
    obj = sim.c.store[kinds.PODGANG].get((wl.ns, name))
    if obj is not None:
        sim.c.remove(kinds.PODGANG, obj)
    wl.gang_names.discard(name)


class GroupScaler(Controller):
    """The PCSG controller after ``/scale``: new replicas get PodCliques (and, from minAvailable on, scaled
    PodGangs); surplus replicas go, highest index first, with their scaled PodGangs."""

    def __init__(self, wl: LiveWorkload, pcsg: str) -> None:
        self.wl = wl
        self.pcsg = pcsg
        self.done = False

    def reconcile(self, sim: Simulation) -> None:
        if self.done:
            return
        self.done = True
        wl = self.wl
        group = wl.pcsg(self.pcsg)
        want = f.integer(f.get(group, "spec", "replicas"))
        minimum = f.integer(f.get(group, "spec", "minAvailable"), 1)
        by_index: dict[int, list[Obj]] = {}
        for pclq in wl.group_cliques(self.pcsg):
            by_index.setdefault(f.integer(f.label(pclq, f.PCSG_REPLICA_INDEX)), []).append(pclq)
        if not by_index:
            sim.tell(f"{self.pcsg} has no replica to copy: scaling it up is not modelled", key=f"noproto:{self.pcsg}")
            return
        for index in sorted(i for i in by_index if i >= want):
            for pclq in by_index[index]:
                _remove_clique(sim, wl, pclq)
            if index >= minimum:
                _remove_gang(sim, wl, f"{self.pcsg}-{index - minimum}")
        proto_index = min(by_index)
        base = f.text(f.label(by_index[proto_index][0], f.PODGANG_LABEL))
        if proto_index >= minimum:
            base = f.text(f.label(by_index[proto_index][0], f.BASE_PODGANG)) or base
        for index in range(max(by_index) + 1, want):
            gang = base if index < minimum else f"{self.pcsg}-{index - minimum}"
            created: list[Obj] = []
            for proto in by_index[proto_index]:
                labels: dict[str, str] = {f.PCSG_REPLICA_INDEX: str(index), f.PODGANG_LABEL: gang}
                if gang != base:
                    labels[f.BASE_PODGANG] = base
                clique = _new_clique(sim, wl, proto, f"{self.pcsg}-{proto_index}-", f"{self.pcsg}-{index}-", **labels)
                created.append(clique)
                message = f"PodClique {wl.ns}/{f.name(clique)} created or updated successfully"
                wl.grove_event(group, "PodCliqueCreateOrUpdateSuccessful", message)
            groups = [
                {"name": f.name(c), "podReferences": [], "minReplicas": f.integer(f.get(c, "spec", "minAvailable"), 1)}
                for c in created
            ]
            if gang != base:
                proto_gang = sim.c.store[kinds.PODGANG].get((wl.ns, base))
                if proto_gang is not None:
                    _new_gang(sim, wl, _scaled_proto(proto_gang, self.pcsg), gang, groups)
            else:
                gang_obj = sim.c.store[kinds.PODGANG].get((wl.ns, base))
                if gang_obj is not None:
                    spec = dict(gang_obj["spec"])
                    spec["podgroups"] = [*f.seq(spec.get("podgroups")), *groups]
                    wl.change(kinds.PODGANG, gang_obj, spec=sort_deep(spec))


def _scaled_proto(base_gang: Mapping[str, Any], pcsg: str) -> Obj:
    """A scaled gang's constraint: its scaling group's own (from the base gang's group configs), else the gang's."""
    spec = dict(f.mapping(base_gang.get("spec")))
    for config in f.seq(spec.get("topologyConstraintGroupConfigs")):
        config = f.mapping(config)
        if f.text(config.get("name")).startswith(f"{pcsg}-") and config.get("topologyConstraint"):
            spec["topologyConstraint"] = config["topologyConstraint"]
            break
    return {**base_gang, "spec": spec}


class SetScaler(Controller):
    """The PCS controller after ``/scale``: new replicas are built like the lowest existing one (PodCliques, scaling
    groups, PodGangs); replicas at or past the new count go, with everything they own."""

    def __init__(self, wl: LiveWorkload) -> None:
        self.wl = wl
        self.done = False

    def reconcile(self, sim: Simulation) -> None:
        if self.done:
            return
        self.done = True
        wl = self.wl
        want = wl.spec_replicas()
        have = sorted({f.integer(f.label(p, f.PCS_REPLICA_INDEX)) for p in wl.cliques()})
        for index in [i for i in have if i >= want]:
            for pclq in wl.cliques(index):
                _remove_clique(sim, wl, pclq)
            for group in wl.groups(index):
                sim.c.remove(kinds.PODCLIQUESCALINGGROUP, group)
                wl.pcsg_names.discard(f.name(group))
            for gang in sorted(wl.gang_names):
                if gang == f"{wl.name}-{index}" or gang.startswith(f"{wl.name}-{index}-"):
                    _remove_gang(sim, wl, gang)
        if not have:
            sim.tell(f"{wl.name} has no replica to copy: scaling it up is not modelled", key="noproto")
            return
        proto = have[0]
        old, pcs = f"{wl.name}-{proto}", wl.pcs()
        for index in range(max(have) + 1, want):
            new = f"{wl.name}-{index}"
            for group in wl.groups(proto):
                meta = _renamed(group["metadata"], old + "-", new + "-")
                labels = {**f.labels(group), f.PCS_REPLICA_INDEX: str(index)}
                obj: Obj = {**group, "metadata": _fresh_meta(sim, meta, labels), "spec": dict(group["spec"])}
                obj.pop("status", None)
                sim.c.put(kinds.PODCLIQUESCALINGGROUP, obj)
                wl.pcsg_names.add(f.name(obj))
                wl.grove_event(
                    pcs, "PodCliqueScalingGroupCreateSuccessful", f"Created PodCliqueScalingGroup {wl.ns}/{f.name(obj)}"
                )
            for pclq in wl.cliques(proto):
                labels = {f.PCS_REPLICA_INDEX: str(index)}
                for key in (f.PODGANG_LABEL, f.BASE_PODGANG, f.PCSG_LABEL):
                    value = f.label(pclq, key)
                    if value is not None:
                        labels[key] = new + value[len(old) :] if value.startswith(old) else value
                clique = _new_clique(sim, wl, pclq, old + "-", new + "-", **labels)
                message = f"PodClique {wl.ns}/{f.name(clique)} created or updated successfully"
                wl.grove_event(pcs, "PodCliqueCreateOrUpdateSuccessful", message)
            for gang in sorted(wl.gang_names):
                if gang == old or gang.startswith(old + "-"):
                    proto_gang = sim.c.store[kinds.PODGANG][(wl.ns, gang)]
                    groups = [
                        {**_renamed(dict(f.mapping(g)), old + "-", new + "-"), "podReferences": []}
                        for g in f.seq(f.get(proto_gang, "spec", "podgroups"))
                    ]
                    renamed_gang = _renamed(dict(proto_gang), old + "-", new + "-")
                    _new_gang(sim, wl, renamed_gang, new + gang[len(old) :], groups)
        wl.dirty.update(wl.pclq_names)
