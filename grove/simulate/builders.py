"""Kubernetes objects as kube-apiserver returns them: metadata, owner references, nodes, bindings, pods."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from grove.reducers.derive.pods import GATE
from grove.reducers.fields import GPU_PRODUCT_LABEL, GPU_RESOURCE, HOSTNAME_KEY
from grove.simulate.conditions import condition
from grove.simulate.names import DEFAULT_SCHEDULER, DEFAULT_TOLERATIONS, GROVE_GROUP, Obj, sorted_map, ts

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
        meta["labels"] = sorted_map(labels)
    if annotations:
        meta["annotations"] = sorted_map(annotations)
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
        HOSTNAME_KEY: name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "dgx-" + gpu_product.split("-")[1].lower(),
        GPU_PRODUCT_LABEL: gpu_product,
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
        GPU_RESOURCE: str(gpus),
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
            "capacity": sorted_map(capacity),
            "allocatable": sorted_map(allocatable),
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
    out["resources"] = {"limits": sorted_map(requests), "requests": sorted_map(requests)}
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
    spec["tolerations"] = [*copy.deepcopy(template.get("tolerations", [])), *(dict(t) for t in DEFAULT_TOLERATIONS)]
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
        requests[GPU_RESOURCE] = str(gpus)
    template: Obj = {
        "containers": [{"name": container, "image": image, "resources": {"limits": requests, "requests": requests}}],
        "restartPolicy": "Never" if owner and owner.get("kind") == "Job" else "Always",
    }
    if node_selector:
        template["nodeSelector"] = sorted_map(node_selector)
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
