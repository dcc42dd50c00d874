"""Hand-made Grove objects for unit tests, written from the CRDs independently of grove.simulate."""

from __future__ import annotations

from typing import Any

T0 = "2026-11-02T09:00:00Z"


def meta(
    name: str,
    namespace: str | None = "prod",
    labels: dict[str, str] | None = None,
    uid: str | None = None,
    owner: tuple[str, str] | None = None,
    created: str = T0,
    **extra: Any,
) -> dict[str, Any]:
    m: dict[str, Any] = {
        "name": name,
        "uid": uid or f"uid-{name}",
        "creationTimestamp": created,
        "resourceVersion": "1",
    }
    if namespace is not None:
        m["namespace"] = namespace
    if labels:
        m["labels"] = labels
    if owner:
        kind, owner_name = owner
        m["ownerReferences"] = [
            {
                "apiVersion": "grove.io/v1alpha1",
                "kind": kind,
                "name": owner_name,
                "uid": f"uid-{owner_name}",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    m.update(extra)
    return m


def binding(name: str, levels: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "ClusterTopologyBinding",
        "metadata": meta(name, None),
        "spec": {"levels": [{"domain": d, "key": k} for d, k in levels]},
    }


def node(
    name: str, gpus: int, labels: dict[str, str], product: str = "NVIDIA-H100-80GB-HBM3", ready: bool = True
) -> dict[str, Any]:
    all_labels = {"kubernetes.io/hostname": name, "nvidia.com/gpu.product": product, **labels}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta(name, None, all_labels),
        "status": {
            "capacity": {"nvidia.com/gpu": str(gpus), "cpu": "64"},
            "allocatable": {"nvidia.com/gpu": str(gpus), "cpu": "63"},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pcs(
    name: str,
    replicas: int,
    cliques: list[dict[str, Any]],
    namespace: str = "prod",
    topology: dict[str, Any] | None = None,
    groups: list[dict[str, Any]] | None = None,
    status: dict[str, Any] | None = None,
    termination_delay: str | None = None,
) -> dict[str, Any]:
    template: dict[str, Any] = {"cliques": cliques}
    if topology:
        template["topologyConstraint"] = topology
    if groups:
        template["podCliqueScalingGroups"] = groups
    if termination_delay:
        template["terminationDelay"] = termination_delay
    return {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodCliqueSet",
        "metadata": meta(name, namespace),
        "spec": {"replicas": replicas, "template": template},
        "status": status or {"replicas": replicas, "availableReplicas": replicas, "updatedReplicas": replicas},
    }


def clique_template(name: str, role: str, replicas: int, gpus: int, min_available: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "roleName": role,
        "replicas": replicas,
        "podSpec": {
            "containers": [{"name": "main", "image": "vllm:1", "resources": {"limits": {"nvidia.com/gpu": str(gpus)}}}]
        },
    }
    if min_available is not None:
        spec["minAvailable"] = min_available
    return {"name": name, "spec": spec}


def podclique(
    pcs_name: str,
    index: int,
    clique: str,
    role: str,
    replicas: int,
    gpus: int,
    *,
    namespace: str = "prod",
    ready: int | None = None,
    conditions: list[dict[str, Any]] | None = None,
    pcsg: tuple[str, int] | None = None,
    gang: str | None = None,
    base_gang: str | None = None,
    min_available: int | None = None,
    template_hash: str = "h1",
) -> dict[str, Any]:
    labels = {
        "app.kubernetes.io/managed-by": "grove-operator",
        "app.kubernetes.io/part-of": pcs_name,
        "grove.io/podcliqueset-replica-index": str(index),
        "grove.io/pod-template-hash": template_hash,
    }
    if pcsg:
        name = f"{pcsg[0]}-{pcsg[1]}-{clique}"
        labels.update(
            {
                "app.kubernetes.io/component": "pcsg-podclique",
                "grove.io/podcliquescalinggroup": pcsg[0],
                "grove.io/podcliquescalinggroup-replica-index": str(pcsg[1]),
            }
        )
        owner = ("PodCliqueScalingGroup", pcsg[0])
    else:
        name = f"{pcs_name}-{index}-{clique}"
        labels["app.kubernetes.io/component"] = "pcs-podclique"
        owner = ("PodCliqueSet", pcs_name)
    labels["app.kubernetes.io/name"] = name
    labels["grove.io/podgang"] = gang or f"{pcs_name}-{index}"
    if base_gang:
        labels["grove.io/base-podgang"] = base_gang
    spec = clique_template(clique, role, replicas, gpus, min_available)["spec"]
    return {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodClique",
        "metadata": meta(name, namespace, labels, owner=owner),
        "spec": spec,
        "status": {
            "replicas": replicas,
            "readyReplicas": replicas if ready is None else ready,
            "scheduledReplicas": replicas,
            "conditions": conditions or [],
        },
    }


def pod(
    clique_obj: dict[str, Any],
    idx: int,
    node_name: str | None,
    *,
    ready: bool = True,
    gpus: int | None = None,
    suffix: str | None = None,
    template_hash: str | None = None,
) -> dict[str, Any]:
    cl = clique_obj["metadata"]
    labels = {k: v for k, v in cl["labels"].items() if k != "app.kubernetes.io/name"}
    labels["grove.io/podclique"] = cl["name"]
    labels["grove.io/podclique-pod-index"] = str(idx)
    labels["app.kubernetes.io/name"] = cl["name"]
    if template_hash:
        labels["grove.io/pod-template-hash"] = template_hash
    name = f"{cl['name']}-{suffix or format(idx, '05d')}"
    g = (
        gpus
        if gpus is not None
        else int(clique_obj["spec"]["podSpec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"])
    )
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "main",
                "resources": {"limits": {"nvidia.com/gpu": str(g)}, "requests": {"nvidia.com/gpu": str(g)}},
            }
        ]
    }
    conds = []
    if node_name:
        spec["nodeName"] = node_name
        conds.append({"type": "PodScheduled", "status": "True"})
        conds.append({"type": "Ready", "status": "True" if ready else "False"})
        phase = "Running"
    else:
        conds.append(
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/5 nodes are available: 3 Insufficient nvidia.com/gpu.",
            }
        )
        phase = "Pending"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, cl["namespace"], labels, owner=("PodClique", cl["name"])),
        "spec": spec,
        "status": {"phase": phase, "conditions": conds},
    }


def other_pod(name: str, namespace: str, node_name: str, gpus: int, phase: str = "Running") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, namespace, {"app": "notebook"}),
        "spec": {
            "nodeName": node_name,
            "containers": [{"name": "nb", "resources": {"requests": {"nvidia.com/gpu": str(gpus)}}}],
        },
        "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True"}]},
    }


def podgang(
    pcs_name: str,
    name: str,
    groups: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    pack: dict[str, str] | None = None,
    namespace: str = "prod",
    group_configs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "podgroups": [
            {
                "name": c["metadata"]["name"],
                "minReplicas": c["spec"].get("minAvailable", c["spec"]["replicas"]),
                "podReferences": [{"namespace": namespace, "name": p["metadata"]["name"]} for p in pods],
            }
            for c, pods in groups
        ]
    }
    if pack:
        spec["topologyConstraint"] = {"packConstraint": pack}
    if group_configs:
        spec["topologyConstraintGroupConfigs"] = group_configs
    labels = {
        "app.kubernetes.io/managed-by": "grove-operator",
        "app.kubernetes.io/part-of": pcs_name,
        "app.kubernetes.io/component": "podgang",
    }
    return {
        "apiVersion": "scheduler.grove.io/v1alpha1",
        "kind": "PodGang",
        "metadata": meta(name, namespace, labels, owner=("PodCliqueSet", pcs_name)),
        "spec": spec,
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "Initialized", "status": "True", "reason": "PodGangPodsCreated"}],
        },
    }


def event(
    name: str,
    namespace: str,
    kind: str,
    obj_name: str,
    reason: str,
    message: str,
    typ: str = "Normal",
    last: str = T0,
    count: int = 1,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta(name, namespace),
        "involvedObject": {"kind": kind, "namespace": namespace, "name": obj_name},
        "reason": reason,
        "message": message,
        "type": typ,
        "firstTimestamp": last,
        "lastTimestamp": last,
        "count": count,
        "source": {"component": "default-scheduler"},
    }
