"""What a user writes in a PodCliqueSet, as small frozen records, and the templates and hashes derived from it."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from grove.reducers.fields import GPU_RESOURCE
from grove.simulate.names import DEFAULT_SCHEDULER, Obj, grove_hash, sorted_map

# ------------------------------------------------------------------------------------------------ workload specs


@attrs.frozen
class Pack:
    """A Grove ``topologyConstraint``: domains named by a ClusterTopologyBinding's levels."""

    topology: str
    required: str | None = None
    preferred: str | None = None

    def to_json(self) -> Obj:
        pack: Obj = {}
        if self.required:
            pack["required"] = self.required
        if self.preferred:
            pack["preferred"] = self.preferred
        return {"topologyName": self.topology, "pack": pack}


@attrs.frozen
class Clique:
    """One clique template (``spec.template.cliques[]``); ``gpus`` is per pod."""

    name: str
    replicas: int
    gpus: int = 0
    role: str = ""
    min_available: int | None = None
    image: str = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1"
    args: tuple[str, ...] = ()
    cpu: str = "8"
    memory: str = "64Gi"
    labels: Mapping[str, str] = attrs.field(factory=dict)
    annotations: Mapping[str, str] = attrs.field(factory=dict)
    pack: Pack | None = None
    scheduler: str | None = None
    node_selector: Mapping[str, str] = attrs.field(factory=dict)
    readiness_port: int | None = None
    max_replicas: int | None = None  # autoScalingConfig (standalone cliques only)

    @property
    def minimum(self) -> int:
        return self.replicas if self.min_available is None else self.min_available

    @property
    def role_name(self) -> str:
        return self.role or self.name


@attrs.frozen
class ScalingGroup:
    """One ``podCliqueScalingGroups[]`` entry."""

    name: str
    cliques: tuple[str, ...]
    replicas: int = 1
    min_available: int = 1
    pack: Pack | None = None
    max_replicas: int | None = None  # scaleConfig


@attrs.frozen
class WorkloadSpec:
    """What a user writes in a PodCliqueSet (the operator's defaults are filled in by ``pcs_spec``)."""

    name: str
    namespace: str
    cliques: tuple[Clique, ...]
    replicas: int = 1
    groups: tuple[ScalingGroup, ...] = ()
    pack: Pack | None = None
    termination_delay: str = "4h"
    update_strategy: str = "RollingRecreate"
    priority_class: str | None = None
    labels: Mapping[str, str] = attrs.field(factory=dict)

    def clique(self, name: str) -> Clique:
        for c in self.cliques:
            if c.name == name:
                return c
        raise KeyError(name)

    def group_of(self, clique: str) -> ScalingGroup | None:
        for g in self.groups:
            if clique in g.cliques:
                return g
        return None

    @property
    def standalone(self) -> tuple[Clique, ...]:
        return tuple(c for c in self.cliques if self.group_of(c.name) is None)

    @property
    def scheduler(self) -> str:
        """One scheduler per PCS: the first clique that names one, else the default backend."""
        for c in self.cliques:
            if c.scheduler:
                return c.scheduler
        return DEFAULT_SCHEDULER

    @property
    def packs(self) -> tuple[Pack, ...]:
        found = [self.pack, *(g.pack for g in self.groups), *(c.pack for c in self.cliques)]
        return tuple(p for p in found if p is not None)

    def replace_clique(self, clique: Clique) -> WorkloadSpec:
        return attrs.evolve(self, cliques=tuple(clique if c.name == clique.name else c for c in self.cliques))


def pod_spec_template(c: Clique) -> Obj:
    """The clique's ``podSpec`` as the user wrote it (plus the defaults Grove's webhook fills in)."""
    requests: Obj = {"cpu": c.cpu, "memory": c.memory}
    if c.gpus:
        requests[GPU_RESOURCE] = str(c.gpus)
    container: Obj = {"name": c.name, "image": c.image}
    if c.args:
        container["args"] = list(c.args)
    if c.readiness_port is not None:
        container["ports"] = [{"name": "http", "containerPort": c.readiness_port, "protocol": "TCP"}]
    container["resources"] = {"limits": sorted_map(requests), "requests": sorted_map(requests)}
    if c.readiness_port is not None:
        container["readinessProbe"] = {
            "httpGet": {"path": "/health", "port": c.readiness_port, "scheme": "HTTP"},
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
    spec: Obj = {"containers": [container], "restartPolicy": "Always", "terminationGracePeriodSeconds": 30}
    if c.node_selector:
        spec["nodeSelector"] = sorted_map(c.node_selector)
    if c.scheduler:
        spec["schedulerName"] = c.scheduler
    return spec


def _clique_template(c: Clique) -> Obj:
    out: Obj = {"name": c.name}
    if c.labels:
        out["labels"] = sorted_map(c.labels)
    if c.annotations:
        out["annotations"] = sorted_map(c.annotations)
    if c.pack:
        out["topologyConstraint"] = c.pack.to_json()
    spec: Obj = {
        "roleName": c.role_name,
        "podSpec": pod_spec_template(c),
        "replicas": c.replicas,
        "minAvailable": c.minimum,
    }
    if c.max_replicas is not None:
        spec["autoScalingConfig"] = {"minReplicas": c.replicas, "maxReplicas": c.max_replicas}
    out["spec"] = spec
    return out


def pcs_spec(w: WorkloadSpec) -> Obj:
    """``PodCliqueSet.spec`` after defaulting."""
    template: Obj = {"cliques": [_clique_template(c) for c in w.cliques]}
    template["cliqueStartupType"] = "CliqueStartupTypeAnyOrder"
    template["headlessServiceConfig"] = {"publishNotReadyAddresses": True}
    if w.groups:
        groups: list[Obj] = []
        for g in w.groups:
            item: Obj = {
                "name": g.name,
                "cliqueNames": list(g.cliques),
                "replicas": g.replicas,
                "minAvailable": g.min_available,
            }
            if g.pack:
                item["topologyConstraint"] = g.pack.to_json()
            if g.max_replicas is not None:
                item["scaleConfig"] = {"minReplicas": g.min_available, "maxReplicas": g.max_replicas}
            groups.append(item)
        template["podCliqueScalingGroups"] = groups
    if w.priority_class:
        template["priorityClassName"] = w.priority_class
    template["terminationDelay"] = w.termination_delay
    if w.pack:
        template["topologyConstraint"] = w.pack.to_json()
    return {"replicas": w.replicas, "template": template, "updateStrategy": {"type": w.update_strategy}}


def generation_hash(w: WorkloadSpec) -> str:
    """PCS ``currentGenerationHash``: every clique's pod template (labels, annotations, podSpec) and priority class."""
    parts = [[dict(c.labels), dict(c.annotations), pod_spec_template(c)] for c in w.cliques]
    return grove_hash([parts, w.priority_class or ""])


def template_hash(w: WorkloadSpec, clique: str) -> str:
    """``grove.io/pod-template-hash`` of one clique."""
    c = w.clique(clique)
    return grove_hash([dict(c.labels), dict(c.annotations), pod_spec_template(c), w.priority_class or ""])
