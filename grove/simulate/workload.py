"""The Grove operator for one PodCliqueSet built from a ``WorkloadSpec``: creation, scaling, updates, statuses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from grove.events import kinds
from grove.reducers.fields import (
    COMPONENT,
    MANAGED_BY,
    PART_OF,
    PCS_REPLICA_INDEX,
    PCSG_LABEL,
    POD_INDEX,
    POD_TEMPLATE_HASH,
    PODCLIQUE_LABEL,
)
from grove.simulate.builders import object_meta, owner_ref
from grove.simulate.cluster import Cluster
from grove.simulate.grove_objects import (
    Member,
    gang_spec,
    grove_pod,
    members_of,
    pclq_object,
    pcs_object,
    podgang_object,
)
from grove.simulate.names import APP_NAME, GROVE_GROUP, OPERATOR, Obj, sort_deep, ts
from grove.simulate.pod_states import is_terminating
from grove.simulate.spec import ScalingGroup, WorkloadSpec, generation_hash, pcs_spec, pod_spec_template, template_hash
from grove.simulate.statuses import cond_true, pcs_status, podclique_status, podgang_status, scaling_group_status


class Workload:
    """The Grove operator's view of one PodCliqueSet: creates its children and keeps their statuses current."""

    def __init__(self, cluster: Cluster, spec: WorkloadSpec) -> None:
        self.c = cluster
        self.spec = spec
        self.hash = generation_hash(spec)
        self.group_replicas: dict[str, int] = {
            self.pcsg_name(i, g.name): g.replicas for i in range(spec.replicas) for g in spec.groups
        }
        self.pclq_progress: dict[str, Obj] = {}
        self.pcs_progress: Obj | None = None
        cluster.workloads.append(self)

    # ------------------------------------------------------------------ names

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ns(self) -> str:
        return self.spec.namespace

    def pcsg_name(self, i: int, group: str) -> str:
        return f"{self.name}-{i}-{group}"

    def members(self, i: int) -> list[Member]:
        """The PodCliques of PCS replica ``i`` in PodGang order: standalone ones, then PCSG replicas."""
        return members_of(self.spec, i, self.group_replicas)

    def member(self, pclq: str) -> Member:
        for i in range(self.spec.replicas):
            for m in self.members(i):
                if m.pclq == pclq:
                    return m
        raise KeyError(pclq)

    def gangs(self, i: int) -> dict[str, list[Member]]:
        out: dict[str, list[Member]] = {}
        for m in self.members(i):
            out.setdefault(m.gang, []).append(m)
        return out

    def pods(self, pclq: str, *, live: bool = True) -> list[Obj]:
        """Pods of a PodClique by pod index (terminating ones left out unless ``live`` is False)."""
        pods = [
            p for p in self.c.select(kinds.POD, self.ns, {PODCLIQUE_LABEL: pclq}) if not (live and is_terminating(p))
        ]
        return sorted(pods, key=lambda p: (int(p["metadata"]["labels"][POD_INDEX]), p["metadata"]["name"]))

    def pod_names(self, pclq: str) -> list[str]:
        return [p["metadata"]["name"] for p in self.pods(pclq)]

    def pcs(self) -> Obj:
        return self.c.get(kinds.PODCLIQUESET, self.name, self.ns)

    def pclq(self, name: str) -> Obj:
        return self.c.get(kinds.PODCLIQUE, name, self.ns)

    # ------------------------------------------------------------------ topology

    def levels(self) -> dict[str, str]:
        """domain → node label key of the binding the workload's constraints name (empty when there is none)."""
        if not self.spec.packs:
            return {}
        binding = self.c.store[kinds.CLUSTERTOPOLOGYBINDING].get(("", self.spec.packs[0].topology))
        return {lv["domain"]: lv["key"] for lv in binding["spec"]["levels"]} if binding else {}

    # ------------------------------------------------------------------ creation

    def create(self) -> None:
        """The user applies the PCS; the operator adds its finalizer and creates every child and PodGang."""
        pcs = self.c.put(kinds.PODCLIQUESET, pcs_object(self.spec, uid=self.c.ids.uid(), created=self.c.now))
        self.c.change(
            kinds.PODCLIQUESET,
            pcs,
            lambda o: o["metadata"].__setitem__("finalizers", ["grove.io/podcliqueset.grove.io"]),
        )
        self._put_pcs_status()
        for i in range(self.spec.replicas):
            self._create_replica(i)

    def _create_replica(self, i: int) -> None:
        for g in self.spec.groups:
            self._create_pcsg(i, g)
        for m in self.members(i):
            self._create_pclq(m)
        for g in self.spec.groups:
            self._put_pcsg_status(i, g)
        for gang, members in self.gangs(i).items():
            self._create_gang(i, gang, members)

    def _grove_event(self, obj: Mapping[str, Any], reason: str, message: str, type_: str = "Normal") -> None:
        component = {
            "PodCliqueSet": "podcliqueset-controller",
            "PodCliqueScalingGroup": "podcliquescalinggroup-controller",
            "PodClique": "podclique-controller",
        }[obj["kind"]]
        self.c.record_event(obj, reason, message, type_=type_, component=component)

    def _create_pcsg(self, i: int, g: ScalingGroup) -> None:
        sg = self.pcsg_name(i, g.name)
        labels = {
            MANAGED_BY: OPERATOR,
            PART_OF: self.name,
            COMPONENT: "pcs-podcliquescalinggroup",
            APP_NAME: sg,
            PCS_REPLICA_INDEX: str(i),
        }
        pcs = self.pcs()
        obj: Obj = {
            "apiVersion": GROVE_GROUP,
            "kind": "PodCliqueScalingGroup",
            "metadata": object_meta(
                sg,
                self.c.ids.uid(),
                self.c.now,
                namespace=self.ns,
                generation=1,
                labels=labels,
                owner=owner_ref(pcs),
                finalizers=["grove.io/podcliquescalinggroup.grove.io"],
            ),
            "spec": {
                "replicas": self.group_replicas[sg],
                "minAvailable": g.min_available,
                "cliqueNames": list(g.cliques),
            },
        }
        self.c.put(kinds.PODCLIQUESCALINGGROUP, obj)
        self._grove_event(pcs, "PodCliqueScalingGroupCreateSuccessful", f"Created PodCliqueScalingGroup {self.ns}/{sg}")

    def _create_pclq(self, m: Member) -> None:
        owner_obj = self.c.get(kinds.PODCLIQUESCALINGGROUP, m.sg_name, self.ns) if m.sg_name is not None else self.pcs()
        obj = pclq_object(self.spec, m, uid=self.c.ids.uid(), created=self.c.now, owner=owner_ref(owner_obj))
        self.c.put(kinds.PODCLIQUE, obj)
        message = f"PodClique {self.ns}/{m.pclq} created or updated successfully"
        self._grove_event(self.pcs() if m.group is None else owner_obj, "PodCliqueCreateOrUpdateSuccessful", message)
        self._put_pclq_status(m)

    def _create_gang(self, i: int, gang: str, members: Sequence[Member]) -> None:
        """Created before its pods exist (empty references, Initialized=False), as in the operator's sync flow."""
        pcs = self.pcs()
        gspec = self._gang_spec(i, gang, members)
        obj = self.c.put(
            kinds.PODGANG,
            podgang_object(self.spec, gang, gspec, uid=self.c.ids.uid(), created=self.c.now, owner=owner_ref(pcs)),
        )
        self.c.put(kinds.PODGANG, {**obj, "status": podgang_status(False, self.c.now)})
        self._grove_event(pcs, "PodGangCreateOrUpdateSuccessful", f"Created/Updated PodGang {self.ns}/{gang}")

    def _gang_spec(self, i: int, gang: str, members: Sequence[Member]) -> Obj:
        refs = {m.pclq: self.pod_names(m.pclq) for m in members}
        return gang_spec(self.spec, i, gang, members, refs, self.levels())

    def create_pods(self, only: Iterable[str] | None = None) -> list[Obj]:
        """The PodClique controller creates the missing pods (gated) of every PodClique (or of ``only``)."""
        wanted = set(only) if only is not None else None
        created: list[Obj] = []
        for i in range(self.spec.replicas):
            for m in self.members(i):
                if wanted is not None and m.pclq not in wanted:
                    continue
                if (self.ns, m.pclq) not in self.c.store[kinds.PODCLIQUE]:
                    continue
                pclq = self.pclq(m.pclq)
                existing = self.pods(m.pclq)
                used = {int(p["metadata"]["labels"][POD_INDEX]) for p in existing}
                free = (n for n in range(10_000) if n not in used)
                for _ in range(pclq["spec"]["replicas"] - len(existing)):
                    pod = self._new_pod(m, pclq, next(free))
                    created.append(self.c.put(kinds.POD, pod))
                    self._grove_event(pclq, "PodCreateSuccessful", f"Created Pod: {pod['metadata']['name']}")
        return created

    def _new_pod(self, m: Member, pclq: Mapping[str, Any], index: int) -> Obj:
        name = f"{m.pclq}-{self.c.ids.suffix()}"
        return grove_pod(self.spec, m, pclq, index=index, name=name, uid=self.c.ids.uid(), created=self.c.now)

    def ungate(self) -> list[Obj]:
        """Remove the gate from pods whose PodGang is initialized (scaled gangs: once their base gang is scheduled)."""
        out: list[Obj] = []
        for i in range(self.spec.replicas):
            base_ready = all(
                self.pclq(m.pclq)["status"].get("scheduledReplicas", 0) >= m.clique.minimum
                for m in self.members(i)
                if not m.scaled and (self.ns, m.pclq) in self.c.store[kinds.PODCLIQUE]
            )
            for m in self.members(i):
                gang = self.c.store[kinds.PODGANG].get((self.ns, m.gang))
                if gang is None or not cond_true(gang, "Initialized"):
                    continue
                if m.scaled and not base_ready:
                    continue
                for pod in self.pods(m.pclq):
                    if "schedulingGates" in pod["spec"]:
                        out.append(self.c.put(kinds.POD, ungated(pod)))
        return out

    # ------------------------------------------------------------------ scaling and updates

    def scale_group(self, i: int, group: str, replicas: int) -> None:
        """The HPA scales a PCSG (``/scale``); the operator creates the new replicas' PodCliques and PodGangs."""
        sg = self.pcsg_name(i, group)
        old = self.group_replicas[sg]
        self.group_replicas[sg] = replicas
        obj = self.c.get(kinds.PODCLIQUESCALINGGROUP, sg, self.ns)
        self.c.change(
            kinds.PODCLIQUESCALINGGROUP, obj, lambda o: o["spec"].__setitem__("replicas", replicas), spec=True
        )
        new_members = [m for m in self.members(i) if m.sg_name == sg and m.sg_index is not None and m.sg_index >= old]
        for m in new_members:
            self._create_pclq(m)
        gangs = self.gangs(i)
        for gang in sorted({m.gang for m in new_members if m.scaled}):
            self._create_gang(i, gang, gangs[gang])

    def edit_template(self, spec: WorkloadSpec) -> None:
        """The user changes the PCS template (a new generation)."""
        self.spec = spec

        def edit(o: Obj) -> None:
            o["spec"] = pcs_spec(spec)

        self.c.change(kinds.PODCLIQUESET, self.pcs(), edit, spec=True)

    def start_update(self, replica: int) -> None:
        """RollingRecreate: the operator takes the new generation hash and starts updating PCS replica ``replica``."""
        now = ts(self.c.now)
        self.hash = generation_hash(self.spec)
        self.pcs_progress = {
            "updateStartedAt": now,
            "currentlyUpdating": [{"replicaIndex": replica, "updateStartedAt": now}],
            "updatedPodCliquesCount": 0,
            "totalPodCliquesCount": len(self.spec.standalone) * self.spec.replicas,
            "updatedPodCliqueScalingGroupsCount": 0,
            "totalPodCliqueScalingGroupsCount": len(self.spec.groups) * self.spec.replicas,
        }
        self._put_pcs_status()
        for m in self.members(replica):
            if m.group is not None:
                continue  # scaling groups are updated replica by replica by their own controller (not scripted here)
            tpl = template_hash(self.spec, m.clique.name)

            def edit(o: Obj, m: Member = m, tpl: str = tpl) -> None:
                o["spec"]["podSpec"] = pod_spec_template(m.clique)
                o["metadata"]["labels"][POD_TEMPLATE_HASH] = tpl

            self.c.change(kinds.PODCLIQUE, self.pclq(m.pclq), edit, spec=True)
            self._grove_event(
                self.pcs(),
                "PodCliqueCreateOrUpdateSuccessful",
                f"PodClique {self.ns}/{m.pclq} created or updated successfully",
            )
            self.pclq_progress[m.pclq] = {
                "updateStartedAt": now,
                "podCliqueSetGenerationHash": self.hash,
                "podTemplateHash": tpl,
            }
            self._put_pclq_status(self.member(m.pclq))

    def select_for_update(self, pclq: str, pod: Mapping[str, Any]) -> None:
        """The PodClique picks its next ready old pod (``readyPodsSelectedToUpdate``) and deletes it."""
        progress = dict(self.pclq_progress[pclq])
        selected = progress.get("readyPodsSelectedToUpdate")
        if selected is None:
            progress["readyPodsSelectedToUpdate"] = {"current": pod["metadata"]["name"]}
        else:
            completed = [*selected.get("completed", ()), selected["current"]]
            progress["readyPodsSelectedToUpdate"] = {"current": pod["metadata"]["name"], "completed": completed}
        self.pclq_progress[pclq] = progress
        self._put_pclq_status(self.member(pclq))
        self.c.delete_pod(pod)
        self._grove_event(self.pclq(pclq), "PodDeleteSuccessful", f"Deleted Pod: {pod['metadata']['name']}")

    def finish_clique_update(self, pclq: str) -> None:
        progress = {k: v for k, v in self.pclq_progress[pclq].items() if k != "readyPodsSelectedToUpdate"}
        progress["updateEndedAt"] = ts(self.c.now)
        self.pclq_progress[pclq] = progress
        self._put_pclq_status(self.member(pclq))

    # ------------------------------------------------------------------ statuses

    def sync(self) -> None:
        """Recompute every derived field: PodGang references, PodClique, PCSG and PCS statuses (only changes emit)."""
        if (self.ns, self.name) not in self.c.store[kinds.PODCLIQUESET]:
            return
        for i in range(self.spec.replicas):
            for gang, members in self.gangs(i).items():
                self._sync_gang(i, gang, members)
            for m in self.members(i):
                if (self.ns, m.pclq) in self.c.store[kinds.PODCLIQUE]:
                    self._put_pclq_status(m)
            for g in self.spec.groups:
                self._put_pcsg_status(i, g)
        self._put_pcs_status()

    def _sync_gang(self, i: int, gang: str, members: Sequence[Member]) -> None:
        obj = self.c.store[kinds.PODGANG].get((self.ns, gang))
        if obj is None:
            return
        spec = sort_deep(self._gang_spec(i, gang, members))
        if spec != obj["spec"]:
            obj = self.c.put(
                kinds.PODGANG,
                {**obj, "metadata": {**obj["metadata"], "generation": obj["metadata"]["generation"] + 1}, "spec": spec},
            )
        if cond_true(obj, "Initialized"):
            return
        complete = True
        for m in members:
            if (self.ns, m.pclq) not in self.c.store[kinds.PODCLIQUE]:
                complete = False
                break
            if len(self.pods(m.pclq)) < self.pclq(m.pclq)["spec"]["replicas"]:
                complete = False
        if complete:
            status = podgang_status(True, self.c.now, obj["status"]["conditions"])
            self.c.put(kinds.PODGANG, {**obj, "status": status})

    def _put_pclq_status(self, m: Member) -> None:
        obj = self.pclq(m.pclq)
        hpa = None
        if m.group is None and m.clique.max_replicas is not None:
            hpa = f"{MANAGED_BY}={OPERATOR},{PART_OF}={self.name},{PODCLIQUE_LABEL}={m.pclq}"
        target = obj["metadata"]["labels"][POD_TEMPLATE_HASH]
        progress = self.pclq_progress.get(m.pclq)
        status = podclique_status(
            pods=self.pods(m.pclq, live=False),
            min_available=obj["spec"]["minAvailable"],
            replicas_spec=obj["spec"]["replicas"],
            target_hash=progress["podTemplateHash"] if progress else target,
            pcs_hash=self.hash if target == template_hash(self.spec, m.clique.name) else self._old_hash(obj),
            observed=obj["metadata"]["generation"],
            prev=obj.get("status"),
            at=self.c.now,
            update_progress=progress,
            hpa_selector=hpa,
        )
        self._put_status(kinds.PODCLIQUE, obj, status)

    @staticmethod
    def _old_hash(obj: Mapping[str, Any]) -> str:
        return str(obj.get("status", {}).get("currentPodCliqueSetGenerationHash", ""))

    def _put_status(self, kind: str, obj: Mapping[str, Any], status: Obj) -> None:
        status = sort_deep(status)
        if obj.get("status") != status:
            self.c.put(kind, {**obj, "status": status})

    def _put_pcsg_status(self, i: int, g: ScalingGroup) -> None:
        sg = self.pcsg_name(i, g.name)
        obj = self.c.get(kinds.PODCLIQUESCALINGGROUP, sg, self.ns)
        members: dict[int, list[Obj]] = {}
        for m in self.members(i):
            if m.sg_name == sg and m.sg_index is not None and (self.ns, m.pclq) in self.c.store[kinds.PODCLIQUE]:
                members.setdefault(m.sg_index, []).append(self.pclq(m.pclq))
        selector = None
        if g.max_replicas is not None:
            selector = f"{MANAGED_BY}={OPERATOR},{PART_OF}={self.name},{PCSG_LABEL}={sg}"
        status = scaling_group_status(
            replicas=obj["spec"]["replicas"],
            min_available=g.min_available,
            members=members,
            clique_count=len(g.cliques),
            pcs_hash=self.hash,
            observed=obj["metadata"]["generation"],
            prev=obj.get("status"),
            at=self.c.now,
            selector=selector,
        )
        self._put_status(kinds.PODCLIQUESCALINGGROUP, obj, status)

    def replica_available(self, i: int) -> tuple[bool, bool]:
        """(available, updated) for PCS replica ``i`` as the PCS controller counts them."""
        available = True
        updated = True
        for m in self.members(i):
            if m.group is not None:
                continue
            obj = self.c.store[kinds.PODCLIQUE].get((self.ns, m.pclq))
            if obj is None or is_terminating(obj) or "status" not in obj:
                return False, False
            if obj["status"].get("readyReplicas", 0) < obj["spec"]["minAvailable"]:
                available = False
            if obj["status"].get("currentPodCliqueSetGenerationHash") != self.hash:
                updated = False
        for g in self.spec.groups:
            obj = self.c.store[kinds.PODCLIQUESCALINGGROUP].get((self.ns, self.pcsg_name(i, g.name)))
            if obj is None or "status" not in obj:
                return False, False
            if obj["status"].get("availableReplicas", 0) < g.min_available:
                available = False
            if obj["status"].get("currentPodCliqueSetGenerationHash") != self.hash:
                updated = False
        return available, available and updated

    def _put_pcs_status(self) -> None:
        obj = self.pcs()
        available = updated = 0
        for i in range(self.spec.replicas):
            a, u = self.replica_available(i)
            available += a
            updated += u
        status = pcs_status(
            self.spec,
            generation=obj["metadata"]["generation"],
            gen_hash=self.hash,
            available=available,
            updated=updated,
            prev=obj.get("status"),
            at=self.c.now,
        )
        if self.pcs_progress is not None:
            progress = dict(self.pcs_progress)
            progress["updatedPodCliquesCount"] = sum(
                1
                for i in range(self.spec.replicas)
                for m in self.members(i)
                if m.group is None
                and self.c.store[kinds.PODCLIQUE]
                .get((self.ns, m.pclq), {})
                .get("status", {})
                .get("currentPodCliqueSetGenerationHash")
                == self.hash
            )
            status["updateProgress"] = progress
        self._put_status(kinds.PODCLIQUESET, obj, status)


def ungated(pod: Mapping[str, Any]) -> Obj:
    spec = {k: v for k, v in pod["spec"].items() if k != "schedulingGates"}
    meta = pod["metadata"]
    return {**pod, "metadata": {**meta, "generation": meta.get("generation", 1) + 1}, "spec": spec}
