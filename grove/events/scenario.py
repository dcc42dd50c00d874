"""Scripted clusters: Kubernetes objects shaped like the Grove operator and kube-apiserver write them, and the events a
watch would have delivered while they changed.

Three layers, each usable alone:

- **builders** (``node_object``, ``plain_pod``, ``event_object`` …) and **pod state changes** (``with_pod_state``)
  return new dicts and never touch their input: an object is immutable once emitted, every change is a new dict;
- ``Cluster`` holds the current objects, hands out uids and resourceVersions from a seeded RNG, keeps the scripted
  clock and turns every change into an ``Applied``/``Removed`` event (``begin()`` lists what exists so far);
- ``Workload`` plays the Grove operator for one PodCliqueSet: children, names, labels, owner references, PodGangs,
  scheduling gates and the statuses and conditions the controllers compute (REFERENCE.md §2–§12, and the controller
  sources of ai-dynamo/grove main for the exact condition reasons and messages).

Everything is deterministic: times are explicit offsets from ``START``, randomness comes from one seed.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import hashlib
import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import orjson

from grove.events import kinds
from grove.events.model import Applied, ClockAdvanced, Event, Listed, Removed

Obj = dict[str, Any]

START: Final = _dt.datetime(2026, 11, 2, 9, 0, tzinfo=_dt.UTC).timestamp()
"""2026-11-02T09:00:00Z, the moment every bundled recording starts."""

# ------------------------------------------------------------------------------------------- names and constants

MANAGED_BY: Final = "app.kubernetes.io/managed-by"
PART_OF: Final = "app.kubernetes.io/part-of"
COMPONENT: Final = "app.kubernetes.io/component"
APP_NAME: Final = "app.kubernetes.io/name"
PCS_REPLICA_INDEX: Final = "grove.io/podcliqueset-replica-index"
PODCLIQUE: Final = "grove.io/podclique"
POD_INDEX: Final = "grove.io/podclique-pod-index"
PODGANG: Final = "grove.io/podgang"
BASE_PODGANG: Final = "grove.io/base-podgang"
PCSG: Final = "grove.io/podcliquescalinggroup"
PCSG_REPLICA_INDEX: Final = "grove.io/podcliquescalinggroup-replica-index"
POD_TEMPLATE_HASH: Final = "grove.io/pod-template-hash"
SCHEDULER_NAME: Final = "grove.io/scheduler-name"
TOPOLOGY_NAME: Final = "grove.io/topology-name"
OPERATOR: Final = "grove-operator"
GATE: Final = "grove.io/podgang-pending-creation"
GPU: Final = "nvidia.com/gpu"
GPU_PRODUCT: Final = "nvidia.com/gpu.product"
HOSTNAME: Final = "kubernetes.io/hostname"
KAI: Final = "kai-scheduler"
DEFAULT_SCHEDULER: Final = "default-scheduler"

GROVE_GROUP: Final = "grove.io/v1alpha1"
SCHEDULER_GROUP: Final = "scheduler.grove.io/v1alpha1"
_GROVE_KINDS: Final = frozenset(
    {kinds.PODCLIQUESET, kinds.PODCLIQUESCALINGGROUP, kinds.PODCLIQUE, kinds.PODGANG, kinds.CLUSTERTOPOLOGYBINDING}
)

ALNUM: Final = "bcdfghjklmnpqrstvwxz2456789"
"""The alphabet of Kubernetes ``generateName`` suffixes (k8s.io/apimachinery/pkg/util/rand)."""

_SAFE_DIGITS: Final = str.maketrans("0123456789", "456789bcdf")
EVENT_TTL: Final = 3600.0
"""kube-apiserver's default ``--event-ttl``: older events are gone when a recording starts."""

_DEFAULT_TOLERATIONS: Final = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
)


def ts(at: float) -> str:
    """RFC 3339 with second precision, as metav1.Time is written."""
    return _ts_seconds(int(at))


@functools.lru_cache(maxsize=65_536)
def _ts_seconds(seconds: int) -> str:
    return _dt.datetime.fromtimestamp(seconds, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_ts(at: float) -> str:
    """RFC 3339 with microseconds, as metav1.MicroTime (``eventTime``) is written."""
    return _dt.datetime.fromtimestamp(round(at, 6), _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def grove_hash(value: Any) -> str:
    """A hash spelled like Grove's: decimal digits of a 64-bit hash passed through ``rand.SafeEncodeString``."""
    digest = hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).digest()
    return str(int.from_bytes(digest[:8], "big")).translate(_SAFE_DIGITS)


@functools.lru_cache(maxsize=65_536)
def _hex(seed: str, n: int = 64) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _sorted(mapping: Mapping[str, Any]) -> Obj:
    """Go encodes maps with sorted keys (labels, annotations, resource lists)."""
    return {k: mapping[k] for k in sorted(mapping)}


def _sort_deep(value: Any) -> Any:
    """Custom resources are stored unstructured, so every level of their JSON comes back with sorted keys."""
    if isinstance(value, dict):
        return {k: _sort_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sort_deep(v) for v in value]
    return value


class Ids:
    """Deterministic uids, resourceVersions and ``generateName`` suffixes from one seed."""

    def __init__(self, seed: int, first_rv: int = 48_000) -> None:
        self.rng = random.Random(seed)
        self._rv = first_rv

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice(ALNUM) for _ in range(n))


# ---------------------------------------------------------------------------------------------------- conditions


def condition(ctype: str, status: str, reason: str, message: str, at: float, observed: int | None = None) -> Obj:
    """A metav1.Condition."""
    out: Obj = {"type": ctype, "status": status}
    if observed is not None:
        out["observedGeneration"] = observed
    out["lastTransitionTime"] = ts(at)
    out["reason"] = reason
    out["message"] = message
    return out


def set_condition(conditions: Sequence[Mapping[str, Any]], new: Obj) -> list[Obj]:
    """``meta.SetStatusCondition``: replace by type, keeping ``lastTransitionTime`` while the status is unchanged."""
    out: list[Obj] = []
    found = False
    for cond in conditions:
        if cond.get("type") == new["type"]:
            found = True
            if cond.get("status") == new["status"]:
                new = {**new, "lastTransitionTime": cond["lastTransitionTime"]}
            out.append(new)
        else:
            out.append(dict(cond))
    if not found:
        out.append(new)
    return out


def find_condition(obj: Mapping[str, Any], ctype: str) -> Mapping[str, Any] | None:
    for cond in obj.get("status", {}).get("conditions", ()):
        if cond.get("type") == ctype:
            return cond  # type: ignore[no-any-return]
    return None


def _pod_condition(ctype: str, status: str, at: float, reason: str | None = None, message: str | None = None) -> Obj:
    out: Obj = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": ts(at)}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


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
        requests[GPU] = str(c.gpus)
    container: Obj = {"name": c.name, "image": c.image}
    if c.args:
        container["args"] = list(c.args)
    if c.readiness_port is not None:
        container["ports"] = [{"name": "http", "containerPort": c.readiness_port, "protocol": "TCP"}]
    container["resources"] = {"limits": _sorted(requests), "requests": _sorted(requests)}
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
        spec["nodeSelector"] = _sorted(c.node_selector)
    if c.scheduler:
        spec["schedulerName"] = c.scheduler
    return spec


def _clique_template(c: Clique) -> Obj:
    out: Obj = {"name": c.name}
    if c.labels:
        out["labels"] = _sorted(c.labels)
    if c.annotations:
        out["annotations"] = _sorted(c.annotations)
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


# -------------------------------------------------------------------------------------------------- object parts


def object_meta(
    name: str,
    uid: str,
    created: float,
    *,
    namespace: str | None = None,
    generate_name: str | None = None,
    generation: int | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    owner: Obj | None = None,
    finalizers: Sequence[str] = (),
) -> Obj:
    """ObjectMeta in Go field order (``resourceVersion`` is filled in by ``Cluster.put``)."""
    meta: Obj = {"name": name}
    if generate_name:
        meta["generateName"] = generate_name
    if namespace:
        meta["namespace"] = namespace
    meta["uid"] = uid
    meta["resourceVersion"] = ""
    if generation is not None:
        meta["generation"] = generation
    meta["creationTimestamp"] = ts(created)
    if labels:
        meta["labels"] = _sorted(labels)
    if annotations:
        meta["annotations"] = _sorted(annotations)
    if owner:
        meta["ownerReferences"] = [owner]
    if finalizers:
        meta["finalizers"] = list(finalizers)
    return meta


def owner_ref(obj: Mapping[str, Any], controller: bool = True) -> Obj:
    """A controller owner reference to ``obj``."""
    ref: Obj = {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
    }
    if controller:
        ref["controller"] = True
        ref["blockOwnerDeletion"] = True
    return ref


def node_object(
    name: str,
    uid: str,
    created: float,
    *,
    labels: Mapping[str, str],
    gpus: int,
    gpu_product: str,
    index: int,
    cpu: int = 224,
    memory_ki: int = 2_113_464_228,
    unschedulable: bool = False,
) -> Obj:
    """A GPU node: topology and GPU labels, capacity/allocatable with ``nvidia.com/gpu``, a Ready condition."""
    all_labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        HOSTNAME: name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "dgx-" + gpu_product.split("-")[1].lower(),
        GPU_PRODUCT: gpu_product,
        "nvidia.com/gpu.count": str(gpus),
        "nvidia.com/gpu.present": "true",
        **labels,
    }
    spec: Obj = {"podCIDR": pod_cidr(index), "podCIDRs": [pod_cidr(index)]}
    if unschedulable:
        spec["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": ts(created)}]
        spec["unschedulable"] = True
    capacity = {
        "cpu": str(cpu),
        "ephemeral-storage": "3750157288Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{memory_ki}Ki",
        GPU: str(gpus),
        "pods": "110",
    }
    allocatable = {**capacity, "cpu": str(cpu - 2), "memory": f"{memory_ki - 8_388_608}Ki"}
    heartbeat = ts(created)
    conditions = [
        {
            "type": t,
            "status": "False",
            "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": heartbeat,
            "reason": r,
            "message": m,
        }
        for t, r, m in (
            ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        )
    ]
    conditions.append(
        {
            "type": "Ready",
            "status": "True",
            "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": heartbeat,
            "reason": "KubeletReady",
            "message": "kubelet is posting ready status",
        }
    )
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": object_meta(name, uid, created, labels=all_labels),
        "spec": spec,
        "status": {
            "capacity": _sorted(capacity),
            "allocatable": _sorted(allocatable),
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": node_ip(index)},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "containerRuntimeVersion": "containerd://2.1.4",
                "kernelVersion": "6.8.0-60-generic",
                "kubeProxyVersion": "",
                "kubeletVersion": "v1.36.0",
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.2 LTS",
            },
        },
    }


def node_ip(index: int) -> str:
    """The InternalIP of the ``index``-th node (1-based)."""
    return f"10.0.{index // 250}.{index % 250 + 4}"


def pod_cidr(index: int) -> str:
    return f"10.{128 + index // 256}.{index % 256}.0/24"


def pod_ip(index: int, n: int) -> str:
    """The ``n``-th pod address on the ``index``-th node (n from 2)."""
    return f"10.{128 + index // 256}.{index % 256}.{n}"


def binding_object(name: str, uid: str, created: float, levels: Sequence[tuple[str, str]]) -> Obj:
    """A ClusterTopologyBinding: ``levels`` are (domain, node label key), broadest first."""
    return {
        "apiVersion": GROVE_GROUP,
        "kind": "ClusterTopologyBinding",
        "metadata": object_meta(name, uid, created, generation=1),
        "spec": {"levels": [{"domain": d, "key": k} for d, k in levels]},
        "status": {
            "conditions": [
                condition(
                    "SchedulerTopologyDrift",
                    "False",
                    "InSync",
                    "KAI Topology is in sync with ClusterTopology",
                    created + 1,
                    observed=1,
                )
            ],
            "observedGeneration": 1,
        },
    }


def container_spec(
    name: str, image: str, *, requests: Mapping[str, str], env: Sequence[Obj] = (), args: Sequence[str] = ()
) -> Obj:
    """A container as the API server returns it (defaults filled in)."""
    out: Obj = {"name": name, "image": image}
    if args:
        out["args"] = list(args)
    if env:
        out["env"] = list(env)
    out["resources"] = {"limits": _sorted(requests), "requests": _sorted(requests)}
    out["terminationMessagePath"] = "/dev/termination-log"
    out["terminationMessagePolicy"] = "File"
    out["imagePullPolicy"] = "Always" if image.endswith(":latest") or ":" not in image else "IfNotPresent"
    return out


def _defaulted_container(template: Mapping[str, Any], env: Sequence[Obj]) -> Obj:
    out: Obj = {}
    for key in ("name", "image", "command", "args", "ports"):
        if key in template:
            out[key] = copy.deepcopy(template[key])
    merged_env = [*template.get("env", ()), *env]
    if merged_env:
        out["env"] = [dict(e) for e in merged_env]
    out["resources"] = copy.deepcopy(template.get("resources", {}))
    if "readinessProbe" in template:
        out["readinessProbe"] = copy.deepcopy(template["readinessProbe"])
    out["terminationMessagePath"] = "/dev/termination-log"
    out["terminationMessagePolicy"] = "File"
    image = str(template.get("image", ""))
    out["imagePullPolicy"] = "Always" if image.endswith(":latest") or ":" not in image else "IfNotPresent"
    return out


def pod_spec(
    template: Mapping[str, Any],
    *,
    env: Sequence[Obj] = (),
    hostname: str | None = None,
    subdomain: str | None = None,
    gated: bool = False,
    node: str | None = None,
    priority_class: str | None = None,
) -> Obj:
    """A pod's spec from a podSpec template, with the API server's defaults, in Go field order."""
    spec: Obj = {"containers": [_defaulted_container(c, env) for c in template["containers"]]}
    spec["restartPolicy"] = template.get("restartPolicy", "Always")
    spec["terminationGracePeriodSeconds"] = template.get("terminationGracePeriodSeconds", 30)
    spec["dnsPolicy"] = "ClusterFirst"
    if template.get("nodeSelector"):
        spec["nodeSelector"] = dict(template["nodeSelector"])
    if node:
        spec["nodeName"] = node
    spec["securityContext"] = {}
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    spec["schedulerName"] = template.get("schedulerName", DEFAULT_SCHEDULER)
    spec["tolerations"] = [*copy.deepcopy(template.get("tolerations", [])), *(dict(t) for t in _DEFAULT_TOLERATIONS)]
    if priority_class:
        spec["priorityClassName"] = priority_class
    spec["priority"] = 0
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    if gated:
        spec["schedulingGates"] = [{"name": GATE}]
    return spec


def plain_pod(
    name: str,
    namespace: str,
    uid: str,
    created: float,
    *,
    gpus: int,
    image: str,
    labels: Mapping[str, str] | None = None,
    owner: Obj | None = None,
    generate_name: str | None = None,
    cpu: str = "8",
    memory: str = "64Gi",
    node_selector: Mapping[str, str] | None = None,
    container: str = "main",
) -> Obj:
    """A pod that Grove does not own (a notebook, a Job's pod …), just created and not yet scheduled."""
    requests = {"cpu": cpu, "memory": memory}
    if gpus:
        requests[GPU] = str(gpus)
    template: Obj = {
        "containers": [{"name": container, "image": image, "resources": {"limits": requests, "requests": requests}}],
        "restartPolicy": "Never" if owner and owner.get("kind") == "Job" else "Always",
    }
    if node_selector:
        template["nodeSelector"] = _sorted(node_selector)
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": object_meta(
            name,
            uid,
            created,
            namespace=namespace,
            generate_name=generate_name,
            generation=1,
            labels=labels,
            owner=owner,
        ),
        "spec": pod_spec(template),
        "status": {"phase": "Pending", "qosClass": "Guaranteed"},
    }


# ----------------------------------------------------------------------------------------------- pod lifecycle

POD_STATES: Final = ("gated", "unschedulable", "bound", "creating", "ready", "unready", "crashloop", "succeeded")


def _gpus_of(spec: Mapping[str, Any]) -> int:
    total = 0
    for c in spec.get("containers", ()):
        value = c.get("resources", {}).get("requests", {}).get(GPU) or c.get("resources", {}).get("limits", {}).get(GPU)
        total += int(value or 0)
    return total


def pod_gpus(pod: Mapping[str, Any]) -> int:
    return _gpus_of(pod.get("spec", {}))


def _qos(spec: Mapping[str, Any]) -> str:
    guaranteed = True
    for c in spec.get("containers", ()):
        res = c.get("resources", {})
        limits, requests = res.get("limits", {}), res.get("requests", {})
        if not limits.get("cpu") or not limits.get("memory") or limits != requests:
            guaranteed = False
    return "Guaranteed" if guaranteed else "Burstable"


def _container_status(
    uid: str, container: Mapping[str, Any], state: str, at: float, restarts: int, prev: Mapping[str, Any] | None
) -> Obj:
    name, image = container["name"], container["image"]
    image_id = f"{image.rsplit(':', 1)[0]}@sha256:{_hex(image)}"

    def cid(n: int) -> str:
        return f"containerd://{_hex(f'{uid}/{name}/{n}')}"

    last: Obj = {}
    if restarts:
        last = {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": ts(at - 15),
                "finishedAt": ts(at - 5),
                "containerID": cid(restarts - 1),
            }
        }
        if prev and prev.get("restartCount") == restarts and prev.get("lastState"):
            last = prev["lastState"]
    out: Obj = {"name": name}
    if state == "creating":
        return {
            **out,
            "state": {"waiting": {"reason": "ContainerCreating"}},
            "lastState": {},
            "ready": False,
            "restartCount": 0,
            "image": image,
            "imageID": "",
            "started": False,
        }
    if state == "crashloop":
        out["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {min(10 * 2 ** (restarts - 1), 300)}s restarting failed container={name}",
            }
        }
        container_id = cid(restarts - 1)
    elif state == "succeeded":
        started = prev.get("state", {}).get("running", {}).get("startedAt") if prev else None
        out["state"] = {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": started or ts(at),
                "finishedAt": ts(at),
                "containerID": cid(restarts),
            }
        }
        container_id = cid(restarts)
    else:
        started = None
        if prev and prev.get("restartCount") == restarts:
            started = prev.get("state", {}).get("running", {}).get("startedAt")
        out["state"] = {"running": {"startedAt": started or ts(at)}}
        container_id = cid(restarts)
    out.update(
        {
            "lastState": last,
            "ready": state == "ready",
            "restartCount": restarts,
            "image": image,
            "imageID": image_id,
            "containerID": container_id,
            "started": state in ("ready", "unready"),
        }
    )
    return out


def gated_status(spec: Mapping[str, Any], at: float) -> Obj:
    """The status of a pod just created with a scheduling gate."""
    return {
        "phase": "Pending",
        "conditions": [
            _pod_condition(
                "PodScheduled",
                "False",
                at,
                "SchedulingGated",
                "Scheduling is blocked due to non-empty scheduling gates",
            )
        ],
        "qosClass": _qos(spec),
    }


def with_pod_state(
    pod: Mapping[str, Any],
    state: str,
    at: float,
    *,
    node: str | None = None,
    host_ip: str | None = None,
    pod_ip: str | None = None,
    message: str = "",
    restarts: int = 0,
) -> Obj:
    """The pod in ``state`` at ``at`` (a new dict sharing unchanged parts; ``pod`` is left as it is).

    ``gated`` → ``unschedulable`` (scheduler gave up for now) or ``bound`` (scheduler set nodeName) → ``creating``
    (kubelet pulls the image) → ``ready``; ``unready`` (running, probe failing), ``crashloop`` (exit 1, back-off) and
    ``succeeded`` (finished) are the other kubelet-reported states. Unchanged conditions keep their transition time.
    """
    if state not in POD_STATES:
        raise ValueError(f"unknown pod state {state!r}")
    spec = pod["spec"]
    old_status: Mapping[str, Any] = pod.get("status", {})
    old_conditions = old_status.get("conditions", ())
    new_spec = spec
    if state != "gated" and "schedulingGates" in spec:
        new_spec = {k: v for k, v in spec.items() if k != "schedulingGates"}
    if node and spec.get("nodeName") != node:
        new_spec = _with_node(new_spec, node)

    old_by_type = {c.get("type"): c for c in old_conditions}

    def conds(*specs: Obj) -> list[Obj]:
        out: list[Obj] = []
        for new in specs:
            prev = old_by_type.get(new["type"])
            if prev is not None and prev.get("status") == new["status"]:
                new["lastTransitionTime"] = prev["lastTransitionTime"]  # ``new`` was built just now
            out.append(new)
        return out

    qos = old_status.get("qosClass") or _qos(spec)

    names = " ".join(c["name"] for c in spec["containers"])
    unready_msg = f"containers with unready status: [{names}]"
    status: Obj = {}
    if state in ("gated", "unschedulable"):
        status["phase"] = "Pending"
        if state == "gated":
            reason, msg = "SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates"
        else:
            reason, msg = "Unschedulable", message
        status["conditions"] = conds(_pod_condition("PodScheduled", "False", at, reason, msg))
        status["qosClass"] = qos
    elif state == "bound":
        status["phase"] = "Pending"
        status["conditions"] = conds(_pod_condition("PodScheduled", "True", at))
        status["qosClass"] = qos
    else:
        uid = pod["metadata"]["uid"]
        start_time = old_status.get("startTime") or ts(at)
        ready = state == "ready"
        if state == "succeeded":
            status["phase"] = "Succeeded"
            cond_list = conds(
                _pod_condition("PodReadyToStartContainers", "False", at),
                _pod_condition("Initialized", "True", at, "PodCompleted"),
                _pod_condition("Ready", "False", at, "PodCompleted"),
                _pod_condition("ContainersReady", "False", at, "PodCompleted"),
                _pod_condition("PodScheduled", "True", at),
            )
        else:
            status["phase"] = "Pending" if state == "creating" else "Running"
            sandbox = "False" if state == "creating" else "True"
            cond_list = conds(
                _pod_condition("PodReadyToStartContainers", sandbox, at),
                _pod_condition("Initialized", "True", at),
                _pod_condition(
                    "Ready", "True" if ready else "False", at, *(() if ready else ("ContainersNotReady", unready_msg))
                ),
                _pod_condition(
                    "ContainersReady",
                    "True" if ready else "False",
                    at,
                    *(() if ready else ("ContainersNotReady", unready_msg)),
                ),
                _pod_condition("PodScheduled", "True", at),
            )
        status["conditions"] = cond_list
        hip = host_ip or old_status.get("hostIP", "")
        status["hostIP"] = hip
        status["hostIPs"] = [{"ip": hip}]
        pip = pod_ip or old_status.get("podIP")
        if pip and state != "creating":
            status["podIP"] = pip
            status["podIPs"] = [{"ip": pip}]
        status["startTime"] = start_time
        prev_cs = {cs.get("name"): cs for cs in old_status.get("containerStatuses", ())}
        status["containerStatuses"] = [
            _container_status(uid, c, state, at, restarts, prev_cs.get(c["name"])) for c in spec["containers"]
        ]
        status["qosClass"] = qos
    meta = pod["metadata"]
    new_meta = meta
    if "schedulingGates" in spec and "schedulingGates" not in new_spec:  # a spec update; binding is not
        new_meta = {**meta, "generation": meta.get("generation", 1) + 1}
    return {**pod, "metadata": new_meta, "spec": new_spec, "status": status}


def _parse(value: str) -> float:
    return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _with_node(spec: Mapping[str, Any], node: str) -> Obj:
    """``spec.nodeName`` set, keeping Go field order (after dnsPolicy / nodeSelector)."""
    out: Obj = {}
    placed = False
    for key, value in spec.items():
        if key == "nodeName":
            continue
        out[key] = value
        if key == ("nodeSelector" if "nodeSelector" in spec else "dnsPolicy"):
            out["nodeName"] = node
            placed = True
    if not placed:
        out["nodeName"] = node
    return out


def pod_terminating(pod: Mapping[str, Any], at: float, grace: int | None = None) -> Obj:
    """The pod after a graceful DELETE: ``deletionTimestamp`` = now + grace, generation bumped."""
    meta = pod["metadata"]
    grace = pod["spec"].get("terminationGracePeriodSeconds", 30) if grace is None else grace
    new_meta: Obj = {}
    for key, value in meta.items():
        new_meta[key] = value
        if key == "creationTimestamp":
            new_meta["deletionTimestamp"] = ts(at + grace)
            new_meta["deletionGracePeriodSeconds"] = grace
    new_meta["generation"] = meta.get("generation", 1) + 1
    return {**pod, "metadata": new_meta}


def is_ready(pod: Mapping[str, Any]) -> bool:
    for cond in pod.get("status", {}).get("conditions", ()):
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def is_scheduled(pod: Mapping[str, Any]) -> bool:
    for cond in pod.get("status", {}).get("conditions", ()):
        if cond.get("type") == "PodScheduled":
            return bool(cond.get("status") == "True")
    return False


def is_terminating(obj: Mapping[str, Any]) -> bool:
    return "deletionTimestamp" in obj["metadata"]


def _exited_non_zero(pod: Mapping[str, Any]) -> bool:
    for cs in pod.get("status", {}).get("containerStatuses", ()):
        for st in (cs.get("state", {}), cs.get("lastState", {})):
            if st.get("terminated", {}).get("exitCode", 0) != 0:
                return True
    return False


def _started_not_ready(pod: Mapping[str, Any]) -> bool:
    return any(cs.get("started") and not cs.get("ready") for cs in pod.get("status", {}).get("containerStatuses", ()))


# ---------------------------------------------------------------------------------------- Grove status functions


PodCounts = tuple[int, int, int, int, int, int, int]
"""(live, ready, scheduled, gated, updated, errored, starting): what PodClique status counts, per pod or summed."""


def pod_counts(pod: Mapping[str, Any], target_hash: str) -> PodCounts:
    """One pod's contribution to its PodClique's status (``errored``: not ready with a container exited non-zero;
    ``starting``: not ready with a container started but not ready; both only for scheduled pods)."""
    ready = scheduled = False
    for cond in pod.get("status", {}).get("conditions", ()):
        ctype = cond.get("type")
        if ctype == "Ready":
            ready = cond.get("status") == "True"
        elif ctype == "PodScheduled":
            scheduled = cond.get("status") == "True"
    errored = starting = gated = 0
    if scheduled and not ready:
        if _exited_non_zero(pod):
            errored = 1
        elif _started_not_ready(pod):
            starting = 1
    elif not scheduled and "schedulingGates" in pod["spec"]:
        gated = 1
    return (
        int("deletionTimestamp" not in pod["metadata"]),
        int(ready),
        int(scheduled),
        gated,
        int(pod["metadata"]["labels"].get(POD_TEMPLATE_HASH) == target_hash),
        errored,
        starting,
    )


def podclique_status(
    *,
    pods: Sequence[Mapping[str, Any]] = (),
    counts: PodCounts | None = None,
    min_available: int,
    replicas_spec: int,
    target_hash: str,
    pcs_hash: str,
    observed: int,
    prev: Mapping[str, Any] | None,
    at: float,
    update_progress: Mapping[str, Any] | None = None,
    hpa_selector: str | None = None,
) -> Obj:
    """PodClique status from its pods (or their summed ``pod_counts``), as the PodClique controller computes it
    (reconcilestatus.go in main: replicas exclude terminating pods, ready and scheduled do not)."""
    prev = prev or {}
    if counts is None:
        totals = [0] * 7
        for p in pods:
            for n, v in enumerate(pod_counts(p, target_hash)):
                totals[n] += v
        counts = (totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6])
    live, ready, n_sched, gated, updated, errored, starting = counts
    updating = update_progress is not None and "updateEndedAt" not in update_progress
    cur_tpl, cur_gen = prev.get("currentPodTemplateHash"), prev.get("currentPodCliqueSetGenerationHash")
    if not updating and updated == live:
        cur_tpl, cur_gen = target_hash, pcs_hash
    status: Obj = {
        "observedGeneration": observed,
        "replicas": live,
        "readyReplicas": ready,
        "scheduledReplicas": n_sched,
        "scheduleGatedReplicas": gated,
        "updatedReplicas": updated,
    }
    if hpa_selector:
        status["hpaPodSelector"] = hpa_selector
    if cur_tpl:
        status["currentPodTemplateHash"] = cur_tpl
    if cur_gen:
        status["currentPodCliqueSetGenerationHash"] = cur_gen
    if update_progress is not None:
        status["updateProgress"] = dict(update_progress)
    conditions = list(prev.get("conditions", ()))
    if n_sched < min_available:
        sched = condition(
            "PodCliqueScheduled",
            "False",
            "InsufficientScheduledPods",
            f"Insufficient scheduled pods. expected at least: {min_available}, found: {n_sched}",
            at,
        )
    else:
        sched = condition(
            "PodCliqueScheduled",
            "True",
            "SufficientScheduledPods",
            f"Sufficient scheduled pods found. expected at least: {min_available}, found: {n_sched}",
            at,
        )
    conditions = set_condition(conditions, sched)
    if updating:
        breach = condition("MinAvailableBreached", "Unknown", "UpdateInProgress", "Update is in progress", at)
    elif replicas_spec == 0:
        breach = condition(
            "MinAvailableBreached",
            "False",
            "SufficientReadyPods",
            "PodClique is intentionally idle with replicas 0",
            at,
        )
    elif n_sched == 0:
        breach = condition(
            "MinAvailableBreached",
            "False",
            "InsufficientScheduledPods",
            f"Scheduled replicas 0 (MinAvailable {min_available}); gang termination suppressed to avoid recreating "
            "Pending pods against the same cluster state",
            at,
        )
    elif n_sched < min_available:
        breach = condition(
            "MinAvailableBreached",
            "True",
            "ScheduledReplicasBelowMinAvailable",
            f"Scheduled replicas ({n_sched}) below MinAvailable ({min_available})",
            at,
        )
    else:
        available = n_sched - errored - starting
        if available < min_available:
            breach = condition(
                "MinAvailableBreached",
                "True",
                "InsufficientReadyPods",
                f"Insufficient ready or starting pods. expected at least: {min_available}, found: {available}",
                at,
            )
        else:
            breach = condition(
                "MinAvailableBreached",
                "False",
                "SufficientReadyPods",
                "Either sufficient ready or starting pods found. "
                f"expected at least: {min_available}, found: {available}",
                at,
            )
    status["conditions"] = set_condition(conditions, breach)
    return status


def pcs_status(
    spec: WorkloadSpec,
    *,
    generation: int,
    gen_hash: str,
    available: int,
    updated: int,
    prev: Mapping[str, Any] | None,
    at: float,
) -> Obj:
    """PodCliqueSet status (without ``updateProgress``, which exists only once a template changed)."""
    message = "All topology levels are available" if spec.packs else "No topology constraints defined"
    topo = condition(
        "TopologyLevelsUnavailable", "False", "AllClusterTopologyLevelsAvailable", message, at, observed=generation
    )
    return {
        "observedGeneration": generation,
        "conditions": set_condition((prev or {}).get("conditions", ()), topo),
        "replicas": spec.replicas,
        "availableReplicas": available,
        "updatedReplicas": updated,
        "hpaPodSelector": f"{MANAGED_BY}={OPERATOR},{PART_OF}={spec.name}",
        "currentGenerationHash": gen_hash,
    }


def _cond_true(obj: Mapping[str, Any], ctype: str) -> bool:
    cond = find_condition(obj, ctype)
    return cond is not None and cond.get("status") == "True"


def scaling_group_status(
    *,
    replicas: int,
    min_available: int,
    members: Mapping[int, Sequence[Mapping[str, Any]]],
    clique_count: int,
    pcs_hash: str,
    observed: int,
    prev: Mapping[str, Any] | None,
    at: float,
    selector: str | None = None,
    update_progress: Mapping[str, Any] | None = None,
) -> Obj:
    """PodCliqueScalingGroup status from its member PodCliques (grouped by PCSG replica index)."""
    prev = prev or {}
    scheduled = available = updated = breached = 0
    for pclqs in members.values():
        live = [p for p in pclqs if not is_terminating(p)]
        if len(live) != clique_count:
            continue
        if all(_cond_true(p, "PodCliqueScheduled") for p in live):
            scheduled += 1
            if all(p["status"].get("readyReplicas", 0) >= p["spec"]["minAvailable"] for p in live):
                available += 1
                if all(p["status"].get("currentPodCliqueSetGenerationHash") == pcs_hash for p in live):
                    updated += 1
        if any(_cond_true(p, "MinAvailableBreached") for p in live):
            breached += 1
    status: Obj = {
        "observedGeneration": observed,
        "replicas": replicas,
        "scheduledReplicas": scheduled,
        "availableReplicas": available,
        "updatedReplicas": updated,
    }
    if selector:
        status["selector"] = selector
    all_current = all(
        p["status"].get("currentPodCliqueSetGenerationHash") == pcs_hash for ps in members.values() for p in ps
    )
    updating = update_progress is not None and "updateEndedAt" not in update_progress
    cur = prev.get("currentPodCliqueSetGenerationHash")
    if all_current and not updating:
        cur = pcs_hash
    if cur:
        status["currentPodCliqueSetGenerationHash"] = cur
    if update_progress is not None:
        status["updateProgress"] = dict(update_progress)
    if updating:
        breach = condition("MinAvailableBreached", "Unknown", "UpdateInProgress", "Update is in progress", at)
    elif scheduled < min_available:
        breach = condition(
            "MinAvailableBreached",
            "False",
            "InsufficientScheduledPodCliqueScalingGroupReplicas",
            f"Insufficient scheduled replicas. expected at least: {min_available}, found: {scheduled}",
            at,
        )
    elif scheduled - breached < min_available:
        breach = condition(
            "MinAvailableBreached",
            "True",
            "InsufficientAvailablePodCliqueScalingGroupReplicas",
            "Insufficient PodCliqueScalingGroup ready replicas, expected at least: "
            f"{min_available}, found: {scheduled - breached}",
            at,
        )
    else:
        breach = condition(
            "MinAvailableBreached",
            "False",
            "SufficientAvailablePodCliqueScalingGroupReplicas",
            "Sufficient PodCliqueScalingGroup ready replicas, expected at least: "
            f"{min_available}, found: {scheduled - breached}",
            at,
        )
    status["conditions"] = set_condition(prev.get("conditions", ()), breach)
    return status


# -------------------------------------------------------------------------------------------------------- events


def event_object(
    involved: Mapping[str, Any],
    reason: str,
    message: str,
    at: float,
    *,
    uid: str,
    seq: int,
    type_: str = "Normal",
    component: str,
    host: str | None = None,
) -> Obj:
    """A core/v1 Event as client-go's legacy recorder writes it (kubelet, controller-runtime controllers)."""
    meta = involved["metadata"]
    ns = meta.get("namespace") or "default"
    source: Obj = {"component": component}
    if host:
        source["host"] = host
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": object_meta(f"{meta['name']}.{int(at * 1e9) + seq:x}", uid, at, namespace=ns),
        "involvedObject": _involved(involved),
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": ts(at),
        "lastTimestamp": ts(at),
        "count": 1,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }


def scheduler_event_object(
    involved: Mapping[str, Any],
    reason: str,
    message: str,
    at: float,
    *,
    uid: str,
    seq: int,
    type_: str,
    action: str,
    scheduler: str = DEFAULT_SCHEDULER,
) -> Obj:
    """An Event written through events.k8s.io/v1, as kube-scheduler does, seen through the core/v1 API.

    Such events carry ``eventTime``, ``reportingComponent`` and (once repeated) ``series``; ``source`` is empty and
    ``firstTimestamp``/``lastTimestamp``/``count`` are unset.
    """
    meta = involved["metadata"]
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": object_meta(f"{meta['name']}.{int(at * 1e9) + seq:x}", uid, at, namespace=meta["namespace"]),
        "involvedObject": _involved(involved),
        "reason": reason,
        "message": message,
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "type": type_,
        "eventTime": micro_ts(at),
        "action": action,
        "reportingComponent": scheduler,
        "reportingInstance": f"{scheduler}-control-plane-1",
    }


def _involved(obj: Mapping[str, Any]) -> Obj:
    meta = obj["metadata"]
    out: Obj = {"kind": obj["kind"]}
    if meta.get("namespace"):
        out["namespace"] = meta["namespace"]
    out["name"] = meta["name"]
    out["uid"] = meta["uid"]
    out["apiVersion"] = obj["apiVersion"]
    out["resourceVersion"] = meta.get("resourceVersion", "")
    return out


# ------------------------------------------------------------------------------------------------------- cluster

Key = tuple[str, str]


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
        self.recording = False
        self.workloads: list[Workload] = []
        self._event_seq = 0
        self._correlated: dict[tuple[str, ...], Key] = {}
        self._pod_ips: dict[str, int] = {}
        self._node_indexes: dict[str, int] = {}

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

    def put(self, kind: str, obj: Obj) -> Obj:
        """Store a new version of an object (a fresh dict the caller no longer touches) and emit ``Applied``."""
        obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": self.ids.rv()}}
        if kind in _GROVE_KINDS:
            obj = _sort_deep(obj)
        self.store[kind][self.key_of(kind, obj)] = obj
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
        last = self.store[kind].pop(key)
        last = {**last, "metadata": {**last["metadata"], "resourceVersion": self.ids.rv()}}
        if self.recording:
            self.events.append(Removed(self.now, kind, last))

    def begin(self) -> None:
        """Start recording: one ``Listed`` per kind with everything that exists (events older than the TTL expired)."""
        for key, ev in list(self.store[kinds.EVENT].items()):
            last = ev.get("lastTimestamp") or ev.get("series", {}).get("lastObservedTime") or ev.get("eventTime")
            if last is None or _parse(last) < self.now - EVENT_TTL:
                del self.store[kinds.EVENT][key]
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
        alloc = int(self.get(kinds.NODE, node)["status"]["allocatable"].get(GPU, "0"))
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
        return self._node_indexes[node]

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
        obj = event_object(
            involved,
            reason,
            message,
            self.now,
            uid=self.ids.uid(),
            seq=self._event_seq,
            type_=type_,
            component=component,
            host=host,
        )
        obj = self.put(kinds.EVENT, obj)
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
        obj = scheduler_event_object(
            involved,
            reason,
            message,
            self.now,
            uid=self.ids.uid(),
            seq=self._event_seq,
            type_=type_,
            action=action,
            scheduler=scheduler,
        )
        obj = self.put(kinds.EVENT, obj)
        self._correlated[key] = self.key_of(kinds.EVENT, obj)
        return obj

    def sync(self) -> None:
        """Let every workload's controllers catch up with what changed."""
        for w in self.workloads:
            w.sync()


# ------------------------------------------------------------------------------------------------------ workload


@attrs.frozen
class Member:
    """One PodClique a PCS replica is expected to have, and the gang it belongs to."""

    pclq: str
    clique: Clique
    replica: int
    group: ScalingGroup | None
    sg_name: str | None  # the PCSG's full name
    sg_index: int | None
    gang: str
    base_gang: str

    @property
    def scaled(self) -> bool:
        return self.gang != self.base_gang


def members_of(spec: WorkloadSpec, i: int, group_replicas: Mapping[str, int] | None = None) -> list[Member]:
    """The PodCliques of PCS replica ``i`` in PodGang order: standalone ones, then PCSG replicas (REFERENCE §3)."""
    base = f"{spec.name}-{i}"
    out = [Member(f"{base}-{c.name}", c, i, None, None, None, base, base) for c in spec.standalone]
    for g in spec.groups:
        sg = f"{base}-{g.name}"
        replicas = group_replicas.get(sg, g.replicas) if group_replicas is not None else g.replicas
        for k in range(replicas):
            gang = base if k < g.min_available else f"{sg}-{k - g.min_available}"
            for cname in g.cliques:
                out.append(Member(f"{sg}-{k}-{cname}", spec.clique(cname), i, g, sg, k, gang, base))
    return out


def pcs_object(spec: WorkloadSpec, *, uid: str, created: float) -> Obj:
    """The PodCliqueSet as the user created it (no finalizer, no status yet)."""
    return {
        "apiVersion": GROVE_GROUP,
        "kind": "PodCliqueSet",
        "metadata": object_meta(spec.name, uid, created, namespace=spec.namespace, generation=1, labels=spec.labels),
        "spec": pcs_spec(spec),
    }


def pclq_labels(spec: WorkloadSpec, m: Member, tpl_hash: str) -> Obj:
    """A PodClique's labels: the clique template's plus Grove's (REFERENCE §2)."""
    labels: Obj = dict(m.clique.labels)
    labels.update(
        {
            MANAGED_BY: OPERATOR,
            PART_OF: spec.name,
            COMPONENT: "pcsg-podclique" if m.group else "pcs-podclique",
            APP_NAME: m.pclq,
            PCS_REPLICA_INDEX: str(m.replica),
            PODGANG: m.gang,
            POD_TEMPLATE_HASH: tpl_hash,
        }
    )
    if m.group is not None and m.sg_name is not None:
        labels[PCSG] = m.sg_name
        labels[PCSG_REPLICA_INDEX] = str(m.sg_index)
        if m.scaled:
            labels[BASE_PODGANG] = m.base_gang
    return labels


def pclq_object(spec: WorkloadSpec, m: Member, *, uid: str, created: float, owner: Obj) -> Obj:
    """A PodClique as its controller (PCS or PCSG) creates it; ``owner`` is its controller reference."""
    c = m.clique
    pclq_spec: Obj = {
        "roleName": c.role_name,
        "podSpec": pod_spec_template(c),
        "replicas": c.replicas,
        "minAvailable": c.minimum,
    }
    if c.max_replicas is not None and m.group is None:
        pclq_spec["autoScalingConfig"] = {"minReplicas": c.replicas, "maxReplicas": c.max_replicas}
    return {
        "apiVersion": GROVE_GROUP,
        "kind": "PodClique",
        "metadata": object_meta(
            m.pclq,
            uid,
            created,
            namespace=spec.namespace,
            generation=1,
            labels=pclq_labels(spec, m, template_hash(spec, c.name)),
            annotations=c.annotations,
            owner=owner,
            finalizers=["grove.io/podclique.grove.io"],
        ),
        "spec": pclq_spec,
    }


def grove_pod(
    spec: WorkloadSpec, m: Member, pclq: Mapping[str, Any], *, index: int, name: str, uid: str, created: float
) -> Obj:
    """A pod as the PodClique controller creates it: gated, labelled, owned, with hostname/subdomain and env."""
    labels: Obj = {MANAGED_BY: OPERATOR, PART_OF: spec.name}
    labels.update(pclq["metadata"]["labels"])
    labels.update({PODCLIQUE: m.pclq, PCS_REPLICA_INDEX: str(m.replica), PODGANG: m.gang, POD_INDEX: str(index)})
    annotations: Obj = dict(pclq["metadata"].get("annotations", {}))
    if spec.scheduler == KAI:
        labels["kai.scheduler/subgroup-name"] = m.pclq
        annotations["kai.scheduler/skip-podgrouper"] = "true"
        annotations["pod-group-name"] = m.gang
    subdomain = f"{spec.name}-{m.replica}"
    env: list[Obj] = [
        {"name": "GROVE_PCS_NAME", "value": spec.name},
        {"name": "GROVE_PCS_INDEX", "value": str(m.replica)},
        {"name": "GROVE_PCLQ_NAME", "value": m.pclq},
        {"name": "GROVE_HEADLESS_SERVICE", "value": f"{subdomain}.{spec.namespace}.svc.cluster.local"},
        {"name": "GROVE_PCLQ_POD_INDEX", "value": str(index)},
    ]
    if m.group is not None:
        pods_per_replica = sum(spec.clique(c).replicas for c in m.group.cliques)
        env += [
            {"name": "GROVE_PCSG_NAME", "value": str(m.sg_name)},
            {"name": "GROVE_PCSG_INDEX", "value": str(m.sg_index)},
            {"name": "GROVE_PCSG_TEMPLATE_NUM_PODS", "value": str(pods_per_replica)},
        ]
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": object_meta(
            name,
            uid,
            created,
            namespace=spec.namespace,
            generate_name=f"{m.pclq}-",
            generation=1,
            labels=labels,
            annotations=annotations,
            owner=owner_ref(pclq),
        ),
        "spec": pod_spec(
            pclq["spec"]["podSpec"],
            env=env,
            hostname=f"{m.pclq}-{index}",
            subdomain=subdomain,
            gated=True,
            priority_class=spec.priority_class,
        ),
        "status": gated_status(pclq["spec"]["podSpec"], created),
    }


def translate(pack: Pack | None, levels: Mapping[str, str]) -> Obj | None:
    """A workload constraint as node label keys (``levels``: domain → key); domains the binding lacks are dropped."""
    if pack is None:
        return None
    out: Obj = {}
    if pack.required and pack.required in levels:
        out["required"] = levels[pack.required]
    if pack.preferred and pack.preferred in levels:
        out["preferred"] = levels[pack.preferred]
    return {"packConstraint": out} if out else None


def gang_spec(
    spec: WorkloadSpec,
    i: int,
    gang: str,
    members: Sequence[Member],
    refs: Mapping[str, Sequence[str]],
    levels: Mapping[str, str],
) -> Obj:
    """``PodGang.spec``: one podgroup per PodClique (``refs``: PodClique → its pod names) and the translated packs."""
    groups: list[Obj] = []
    for m in members:
        group: Obj = {
            "name": m.pclq,
            "podReferences": [{"namespace": spec.namespace, "name": n} for n in sorted(refs.get(m.pclq, ()))],
            "minReplicas": m.clique.minimum,
        }
        clique_keys = translate(m.clique.pack, levels)
        if clique_keys:
            group["topologyConstraint"] = clique_keys
        groups.append(group)
    out: Obj = {"podgroups": groups}
    if spec.priority_class:
        out["priorityClassName"] = spec.priority_class
    if gang == f"{spec.name}-{i}":
        keys = translate(spec.pack, levels)
        configs: list[Obj] = []
        for g in spec.groups:
            g_keys = translate(g.pack, levels)
            if g_keys is None:
                continue
            sg = f"{spec.name}-{i}-{g.name}"
            for k in range(g.min_available):
                configs.append(
                    {
                        "name": f"{sg}-{k}",
                        "podGroupNames": [f"{sg}-{k}-{c}" for c in g.cliques],
                        "topologyConstraint": g_keys,
                    }
                )
        if configs:
            out["topologyConstraintGroupConfigs"] = configs
    else:  # a scaled gang: its PCSG's constraint, else the PCS's
        group_of = members[0].group
        keys = translate(group_of.pack if group_of and group_of.pack else spec.pack, levels)
    if keys:
        out["topologyConstraint"] = keys
    return out


def podgang_object(spec: WorkloadSpec, gang: str, gspec: Obj, *, uid: str, created: float, owner: Obj) -> Obj:
    """A PodGang as the PCS controller creates it (status is written separately)."""
    labels: Obj = {k: v for k, v in spec.labels.items() if not k.startswith("grove.io/")}
    labels.update({MANAGED_BY: OPERATOR, PART_OF: spec.name, COMPONENT: "podgang", SCHEDULER_NAME: spec.scheduler})
    annotations: Obj = {}
    if spec.packs:
        annotations[TOPOLOGY_NAME] = spec.packs[0].topology
    if spec.scheduler == KAI:
        annotations["kai.scheduler/skip-podgrouper"] = "true"
    return {
        "apiVersion": SCHEDULER_GROUP,
        "kind": "PodGang",
        "metadata": object_meta(
            gang,
            uid,
            created,
            namespace=spec.namespace,
            generation=1,
            labels=labels,
            annotations=annotations,
            owner=owner,
        ),
        "spec": gspec,
    }


def podgang_status(initialized: bool, at: float, prev: Sequence[Mapping[str, Any]] = ()) -> Obj:
    """What the operator writes in ``PodGang.status``: phase Pending and the Initialized condition, nothing else."""
    if initialized:
        cond = condition("Initialized", "True", "PodGangPodsCreated", "PodGang is fully initialized", at)
    else:
        cond = condition(
            "Initialized", "False", "PodGangPodsCreationPending", "Not all constituent pods have been created yet", at
        )
    return {"phase": "Pending", "conditions": set_condition(prev, cond)}


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
        pods = [p for p in self.c.select(kinds.POD, self.ns, {PODCLIQUE: pclq}) if not (live and is_terminating(p))]
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
                if gang is None or not _cond_true(gang, "Initialized"):
                    continue
                if m.scaled and not base_ready:
                    continue
                for pod in self.pods(m.pclq):
                    if "schedulingGates" in pod["spec"]:
                        out.append(self.c.put(kinds.POD, _ungated(pod)))
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
        spec = _sort_deep(self._gang_spec(i, gang, members))
        if spec != obj["spec"]:
            obj = self.c.put(
                kinds.PODGANG,
                {**obj, "metadata": {**obj["metadata"], "generation": obj["metadata"]["generation"] + 1}, "spec": spec},
            )
        if _cond_true(obj, "Initialized"):
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
            hpa = f"{MANAGED_BY}={OPERATOR},{PART_OF}={self.name},{PODCLIQUE}={m.pclq}"
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
        status = _sort_deep(status)
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
            selector = f"{MANAGED_BY}={OPERATOR},{PART_OF}={self.name},{PCSG}={sg}"
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


def _ungated(pod: Mapping[str, Any]) -> Obj:
    spec = {k: v for k, v in pod["spec"].items() if k != "schedulingGates"}
    meta = pod["metadata"]
    return {**pod, "metadata": {**meta, "generation": meta.get("generation", 1) + 1}, "spec": spec}
