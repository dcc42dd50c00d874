"""Hand-built acceptance recordings (independent of grove/simulate/ and tests/support/).

Objects are written the way the Grove operator and kube-apiserver produce them (docs/grove-model.md).
Run ``python tests/acceptance/build_recordings.py`` to regenerate the ``.jsonl`` files next to this script.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z

Obj = dict[str, Any]


def ts(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def uid(name: str) -> str:
    h = hashlib.sha1(name.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def suffix(name: str) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    h = int(hashlib.sha1(name.encode()).hexdigest(), 16)
    out = ""
    for _ in range(5):
        h, r = divmod(h, len(alphabet))
        out += alphabet[r]
    return out


def owner(kind: str, name: str, api: str = "grove.io/v1alpha1") -> Obj:
    return {
        "apiVersion": api,
        "kind": kind,
        "name": name,
        "uid": uid(name),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def cond(type_: str, status: str, reason: str, since: float, message: str = "") -> Obj:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": ts(since),
    }


def meta(name: str, ns: str | None, created: float, labels: Obj, owners: list[Obj] | None = None) -> Obj:
    m: Obj = {
        "name": name,
        "uid": uid(f"{ns}/{name}"),
        "resourceVersion": "1",
        "generation": 1,
        "creationTimestamp": ts(created),
        "labels": labels,
    }
    if ns is not None:
        m["namespace"] = ns
    if owners:
        m["ownerReferences"] = owners
    return m


def gpu_container(name: str, gpus: int, *, limits_only: bool = True) -> Obj:
    res: Obj = {"limits": {"nvidia.com/gpu": str(gpus), "cpu": "2", "memory": "8Gi"}}
    if not limits_only:
        res["requests"] = {"nvidia.com/gpu": str(gpus)}
    if gpus == 0:
        res = {"requests": {"cpu": "100m"}}
    return {"name": name, "image": "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.4.0", "resources": res}


# ------------------------------------------------------------------------------------------------ Grove objects


def binding(name: str, levels: list[tuple[str, str]], created: float) -> Obj:
    return {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "ClusterTopologyBinding",
        "metadata": meta(name, None, created, {}),
        "spec": {"levels": [{"domain": d, "key": k} for d, k in levels]},
        "status": {
            "observedGeneration": 1,
            "conditions": [cond("SchedulerTopologyDrift", "False", "InSync", created)],
        },
    }


def node(name: str, product: str, gpus: int, labels: Obj, created: float) -> Obj:
    all_labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "nvidia.com/gpu.product": product,
        "nvidia.com/gpu.count": str(gpus),
        **labels,
    }
    alloc = {"cpu": "96", "memory": "1500Gi", "pods": "110", "nvidia.com/gpu": str(gpus)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta(name, None, created, all_labels),
        "spec": {"podCIDR": "10.0.0.0/24"},
        "status": {
            "capacity": dict(alloc),
            "allocatable": dict(alloc),
            "conditions": [cond("Ready", "True", "KubeletReady", created, "kubelet is posting ready status")],
            "nodeInfo": {"kubeletVersion": "v1.33.1"},
        },
    }


class Pcs:
    """Builds one PCS with its PCSGs, PCLQs, PodGangs and pods; the caller sets pod placement/state."""

    def __init__(
        self,
        ns: str,
        name: str,
        replicas: int,
        created: float,
        cliques: list[Obj],
        groups: list[Obj] | None = None,
        constraint: Obj | None = None,
        termination_delay: str | None = None,
        translate: dict[str, str] | None = None,
    ) -> None:
        self.translate = translate or {}
        self.ns, self.name, self.replicas, self.created = ns, name, replicas, created
        self.cliques = cliques
        self.groups = groups or []
        self.constraint = constraint
        template: Obj = {"cliques": cliques, "podCliqueScalingGroups": self.groups}
        if constraint:
            template["topologyConstraint"] = constraint
        if termination_delay:
            template["terminationDelay"] = termination_delay
        self.obj: Obj = {
            "apiVersion": "grove.io/v1alpha1",
            "kind": "PodCliqueSet",
            "metadata": meta(name, ns, created, {"app": name}),
            "spec": {"replicas": replicas, "template": template},
            "status": {
                "observedGeneration": 1,
                "replicas": replicas,
                "availableReplicas": replicas,
                "updatedReplicas": replicas,
                "currentGenerationHash": "gen-" + name,
                "hpaPodSelector": f"app.kubernetes.io/managed-by=grove-operator,app.kubernetes.io/part-of={name}",
                "conditions": [
                    cond(
                        "TopologyLevelsUnavailable",
                        "False",
                        "AllClusterTopologyLevelsAvailable",
                        created,
                    )
                ],
            },
        }
        self.pclqs: dict[str, Obj] = {}
        self.pcsgs: dict[str, Obj] = {}
        self.gangs: dict[str, Obj] = {}
        self.pods: dict[str, Obj] = {}  # key: (pclq name, pod index) -> pod, stored as "pclq/idx"
        self._build()

    def clique(self, cname: str) -> Obj:
        return next(c for c in self.cliques if c["name"] == cname)

    def base_labels(self, component: str, own_name: str) -> Obj:
        return {
            "app.kubernetes.io/managed-by": "grove-operator",
            "app.kubernetes.io/part-of": self.name,
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/name": own_name,
        }

    def _build(self) -> None:
        grouped = {c for g in self.groups for c in g["cliqueNames"]}
        for i in range(self.replicas):
            base = f"{self.name}-{i}"
            base_groups: list[Obj] = []
            group_configs: list[Obj] = []
            for c in self.cliques:
                if c["name"] in grouped:
                    continue
                pclq = self._pclq(f"{base}-{c['name']}", c, i, base, None, None, None)
                base_groups.append(self._podgroup(pclq))
            for g in self.groups:
                sg = f"{base}-{g['name']}"
                min_av = g.get("minAvailable", 1)
                reps = g.get("replicas", 1)
                labels = self.base_labels("pcs-podcliquescalinggroup", sg)
                labels["grove.io/podcliqueset-replica-index"] = str(i)
                self.pcsgs[sg] = {
                    "apiVersion": "grove.io/v1alpha1",
                    "kind": "PodCliqueScalingGroup",
                    "metadata": meta(sg, self.ns, self.created + 1, labels, [owner("PodCliqueSet", self.name)]),
                    "spec": {"replicas": reps, "minAvailable": min_av, "cliqueNames": g["cliqueNames"]},
                    "status": {
                        "observedGeneration": 1,
                        "replicas": reps,
                        "scheduledReplicas": reps,
                        "availableReplicas": reps,
                        "updatedReplicas": reps,
                        "selector": f"app.kubernetes.io/managed-by=grove-operator,"
                        f"app.kubernetes.io/part-of={self.name},grove.io/podcliquescalinggroup={sg}",
                        "currentPodCliqueSetGenerationHash": "gen-" + self.name,
                        "conditions": [
                            cond(
                                "MinAvailableBreached",
                                "False",
                                "SufficientAvailablePodCliqueScalingGroupReplicas",
                                self.created + 30,
                            )
                        ],
                    },
                }
                for k in range(reps):
                    gang = base if k < min_av else f"{sg}-{k - min_av}"
                    members = []
                    for cn in g["cliqueNames"]:
                        c = self.clique(cn)
                        pclq = self._pclq(f"{sg}-{k}-{cn}", c, i, gang, sg, k, base if gang != base else None)
                        members.append(self._podgroup(pclq))
                    if gang == base:
                        base_groups.extend(members)
                        if g.get("topologyConstraint"):
                            group_configs.append(
                                {
                                    "name": f"{sg}-{k}",
                                    "podGroupNames": [m["name"] for m in members],
                                    "topologyConstraint": self._translate(g["topologyConstraint"]),
                                }
                            )
                    else:
                        tc = g.get("topologyConstraint") or self.constraint
                        self._gang(gang, i, members, tc, [])
            self._gang(base, i, base_groups, self.constraint, group_configs)

    def _translate(self, tc: Obj | None) -> Obj | None:
        if not tc or "pack" not in tc:
            return None
        pack = {}
        if "required" in tc["pack"]:
            pack["required"] = self.translate[tc["pack"]["required"]]
        if "preferred" in tc["pack"]:
            pack["preferred"] = self.translate[tc["pack"]["preferred"]]
        return {"packConstraint": pack}

    def _pclq(
        self,
        name: str,
        c: Obj,
        i: int,
        gang: str,
        sg: str | None,
        k: int | None,
        base_gang: str | None,
    ) -> Obj:
        labels = self.base_labels("pcsg-podclique" if sg else "pcs-podclique", name)
        labels["grove.io/podcliqueset-replica-index"] = str(i)
        labels["grove.io/podgang"] = gang
        labels["grove.io/pod-template-hash"] = "h-" + c["name"]
        if sg:
            labels["grove.io/podcliquescalinggroup"] = sg
            labels["grove.io/podcliquescalinggroup-replica-index"] = str(k)
        if base_gang:
            labels["grove.io/base-podgang"] = base_gang
        spec = c["spec"]
        reps = spec.get("replicas", 1)
        own = owner("PodCliqueScalingGroup", sg) if sg else owner("PodCliqueSet", self.name)
        pclq = {
            "apiVersion": "grove.io/v1alpha1",
            "kind": "PodClique",
            "metadata": meta(name, self.ns, self.created + 2, labels, [own]),
            "spec": {
                "roleName": spec["roleName"],
                "replicas": reps,
                "minAvailable": spec.get("minAvailable", reps),
                "podSpec": spec["podSpec"],
            },
            "status": {
                "observedGeneration": 1,
                "replicas": reps,
                "readyReplicas": reps,
                "scheduledReplicas": reps,
                "scheduleGatedReplicas": 0,
                "updatedReplicas": reps,
                "currentPodTemplateHash": "h-" + c["name"],
                "currentPodCliqueSetGenerationHash": "gen-" + self.name,
                "conditions": [
                    cond("MinAvailableBreached", "False", "SufficientReadyPods", self.created + 30),
                    cond("PodCliqueScheduled", "True", "SufficientScheduledPods", self.created + 20),
                ],
            },
        }
        if not sg:
            pclq["status"]["hpaPodSelector"] = (
                f"app.kubernetes.io/managed-by=grove-operator,app.kubernetes.io/part-of={self.name},"
                f"grove.io/podclique={name}"
            )
        if c.get("topologyConstraint"):
            pclq["_tc"] = c["topologyConstraint"]
        self.pclqs[name] = pclq
        for idx in range(reps):
            self._pod(pclq, idx, i, gang, sg, k, base_gang)
        return pclq

    def _pod(
        self,
        pclq: Obj,
        idx: int,
        i: int,
        gang: str,
        sg: str | None,
        k: int | None,
        base_gang: str | None,
    ) -> None:
        pname = f"{pclq['metadata']['name']}-{suffix(pclq['metadata']['name'] + str(idx))}"
        labels = {
            "app.kubernetes.io/managed-by": "grove-operator",
            "app.kubernetes.io/part-of": self.name,
            "app.kubernetes.io/component": pclq["metadata"]["labels"]["app.kubernetes.io/component"],
            "app.kubernetes.io/name": pclq["metadata"]["name"],
            "grove.io/podcliqueset-replica-index": str(i),
            "grove.io/podclique": pclq["metadata"]["name"],
            "grove.io/podclique-pod-index": str(idx),
            "grove.io/podgang": gang,
            "grove.io/pod-template-hash": pclq["metadata"]["labels"]["grove.io/pod-template-hash"],
        }
        if sg:
            labels["grove.io/podcliquescalinggroup"] = sg
            labels["grove.io/podcliquescalinggroup-replica-index"] = str(k)
        if base_gang:
            labels["grove.io/base-podgang"] = base_gang
        m = meta(pname, self.ns, self.created + 3, labels, [owner("PodClique", pclq["metadata"]["name"])])
        m["generateName"] = pclq["metadata"]["name"] + "-"
        spec = json.loads(json.dumps(pclq["spec"]["podSpec"]))
        spec["hostname"] = f"{pclq['metadata']['name']}-{idx}"
        spec["subdomain"] = f"{self.name}-{i}"
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("schedulerName", "default-scheduler")
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec, "status": {}}
        self.pods[f"{pclq['metadata']['name']}/{idx}"] = pod

    def _podgroup(self, pclq: Obj) -> Obj:
        name = pclq["metadata"]["name"]
        refs = [
            {"namespace": self.ns, "name": p["metadata"]["name"]}
            for key, p in self.pods.items()
            if key.rsplit("/", 1)[0] == name
        ]
        pg: Obj = {"name": name, "podReferences": refs, "minReplicas": pclq["spec"]["minAvailable"]}
        tc = self._translate(pclq.pop("_tc", None))
        if tc:
            pg["topologyConstraint"] = tc
        return pg

    def _gang(self, name: str, i: int, groups: list[Obj], tc: Obj | None, configs: list[Obj]) -> None:
        labels = {
            "app.kubernetes.io/managed-by": "grove-operator",
            "app.kubernetes.io/part-of": self.name,
            "app.kubernetes.io/component": "podgang",
            "grove.io/scheduler-name": "default-scheduler",
            "app": self.name,
        }
        m = meta(name, self.ns, self.created + 2, labels, [owner("PodCliqueSet", self.name)])
        spec: Obj = {"podgroups": groups}
        translated = self._translate(tc)
        if translated:
            spec["topologyConstraint"] = translated
            m["annotations"] = {"grove.io/topology-name": tc["topologyName"]}  # type: ignore[index]
        if configs:
            spec["topologyConstraintGroupConfigs"] = configs
        self.gangs[name] = {
            "apiVersion": "scheduler.grove.io/v1alpha1",
            "kind": "PodGang",
            "metadata": m,
            "spec": spec,
            "status": {
                "phase": "Pending",
                "conditions": [cond("Initialized", "True", "PodGangPodsCreated", self.created + 5)],
            },
        }

    def pod(self, pclq: str, idx: int = 0) -> Obj:
        return self.pods[f"{pclq}/{idx}"]


# ------------------------------------------------------------------------------------------------ pod states


def run_pod(pod: Obj, node_name: str, at: float, *, ready: bool = True, restarts: int = 0) -> Obj:
    pod["spec"]["nodeName"] = node_name
    containers = pod["spec"]["containers"]
    statuses = []
    for c in containers:
        st: Obj = {
            "name": c["name"],
            "image": c["image"],
            "imageID": "",
            "ready": ready,
            "started": ready or restarts == 0,
            "restartCount": restarts,
            "containerID": "containerd://" + uid(pod["metadata"]["name"] + c["name"]),
        }
        if ready or restarts == 0:
            st["state"] = {"running": {"startedAt": ts(at)}}
        else:
            st["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting"}}
            st["lastState"] = {
                "terminated": {"exitCode": 1, "reason": "Error", "startedAt": ts(at), "finishedAt": ts(at + 5)}
            }
        statuses.append(st)
    init_statuses = [
        {
            "name": c["name"],
            "image": c["image"],
            "imageID": "",
            "ready": True,
            "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": ts(at), "finishedAt": ts(at)}},
        }
        for c in pod["spec"].get("initContainers", [])
    ]
    r = "True" if ready else "False"
    pod["status"] = {
        "phase": "Running",
        "hostIP": "10.0.0.1",
        "podIP": "10.1." + str(len(node_name)) + ".7",
        "startTime": ts(at),
        "qosClass": "Burstable",
        "conditions": [
            {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": ts(at)},
            {"type": "Initialized", "status": "True", "lastTransitionTime": ts(at)},
            {"type": "Ready", "status": r, "lastTransitionTime": ts(at)}
            | ({} if ready else {"reason": "ContainersNotReady", "message": "containers with unready status"}),
            {"type": "ContainersReady", "status": r, "lastTransitionTime": ts(at)},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": ts(at - 2)},
        ],
        "containerStatuses": statuses,
    }
    if init_statuses:
        pod["status"]["initContainerStatuses"] = init_statuses
    return pod


def pending_pod(pod: Obj, at: float, message: str) -> Obj:
    pod["status"] = {
        "phase": "Pending",
        "qosClass": "Burstable",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": message,
                "lastProbeTime": None,
                "lastTransitionTime": ts(at),
            }
        ],
    }
    return pod


def plain_pod(
    ns: str, name: str, node_name: str, gpus: int, at: float, phase: str = "Running", init_gpus: int = 0
) -> Obj:
    """A non-Grove pod (owned by a ReplicaSet / Job)."""
    spec: Obj = {
        "containers": [gpu_container("main", gpus, limits_only=False)],
        "nodeName": node_name,
        "restartPolicy": "Never" if phase == "Succeeded" else "Always",
        "schedulerName": "default-scheduler",
    }
    owners = [owner("Job" if phase == "Succeeded" else "ReplicaSet", name.rsplit("-", 1)[0], "apps/v1")]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, ns, at, {"app": name.rsplit("-", 1)[0]}, owners),
        "spec": spec,
        "status": {},
    }
    if phase == "Succeeded":
        pod["status"] = {
            "phase": "Succeeded",
            "startTime": ts(at),
            "conditions": [
                {"type": "Ready", "status": "False", "reason": "PodCompleted", "lastTransitionTime": ts(at + 60)},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": ts(at)},
            ],
            "containerStatuses": [
                {
                    "name": "main",
                    "image": "x",
                    "imageID": "",
                    "ready": False,
                    "started": False,
                    "restartCount": 0,
                    "state": {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": ts(at),
                            "finishedAt": ts(at + 60),
                        }
                    },
                }
            ],
        }
        return pod
    pod["metadata"]["ownerReferences"][0]["apiVersion"] = "apps/v1"
    return run_pod(pod, node_name, at)


def scheduler_event(ns: str, pod: Obj, first: float, last: float, count: int, message: str) -> Obj:
    """FailedScheduling as the core v1 API serves an events.k8s.io event: eventTime + series, null timestamps."""
    name = pod["metadata"]["name"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{name}.{int(first * 1000):x}",
            "namespace": ns,
            "uid": uid("ev" + name),
            "resourceVersion": "99",
            "creationTimestamp": ts(first),
        },
        "involvedObject": {
            "kind": "Pod",
            "namespace": ns,
            "name": name,
            "uid": pod["metadata"]["uid"],
            "apiVersion": "v1",
            "resourceVersion": "5",
        },
        "reason": "FailedScheduling",
        "message": message,
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "type": "Warning",
        "eventTime": micro(first),
        "series": {"count": count, "lastObservedTime": micro(last)},
        "action": "Scheduling",
        "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-control-plane",
    }


def grove_event(ns: str, kind: str, name: str, reason: str, typ: str, message: str, at: float, count: int = 1) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{name}.{int(at * 1000):x}",
            "namespace": ns,
            "uid": uid("ev" + name + reason),
            "resourceVersion": "77",
            "creationTimestamp": ts(at),
        },
        "involvedObject": {
            "kind": kind,
            "namespace": ns,
            "name": name,
            "uid": uid(f"{ns}/{name}"),
            "apiVersion": "grove.io/v1alpha1",
        },
        "reason": reason,
        "message": message,
        "source": {"component": "grove-operator"},
        "firstTimestamp": ts(at),
        "lastTimestamp": ts(at),
        "count": count,
        "type": typ,
        "eventTime": None,
        "reportingComponent": "grove-operator",
        "reportingInstance": "",
    }


# ------------------------------------------------------------------------------------------------ writing


def write(path: Path, lines: list[Obj], start: float = START) -> None:
    header = {"format": "kubectl-grove-recording", "version": 1, "start": start}
    with open(path, "w") as f:
        f.write(json.dumps(header) + "\n")
        for line in lines:
            f.write(json.dumps(line, sort_keys=False) + "\n")


def listed(t: float, kind: str, objects: list[Obj]) -> Obj:
    return {"t": t, "type": "listed", "kind": kind, "objects": objects}


def applied(t: float, kind: str, obj: Obj) -> Obj:
    return {"t": t, "type": "applied", "kind": kind, "object": obj}


def everything(
    t: float, pcss: list[Pcs], bindings: list[Obj], nodes: list[Obj], extra_pods: list[Obj], events: list[Obj]
) -> list[Obj]:
    return [
        listed(t, "ClusterTopologyBinding", bindings),
        listed(t, "Node", nodes),
        listed(t, "PodCliqueSet", [p.obj for p in pcss]),
        listed(t, "PodCliqueScalingGroup", [g for p in pcss for g in p.pcsgs.values()]),
        listed(t, "PodClique", [c for p in pcss for c in p.pclqs.values()]),
        listed(t, "PodGang", [g for p in pcss for g in p.gangs.values()]),
        listed(t, "Pod", [pod for p in pcss for pod in p.pods.values()] + extra_pods),
        listed(t, "Event", events),
    ]


# ------------------------------------------------------------------------------------------------ scenarios

H100 = "NVIDIA-H100-80GB-HBM3"
A100 = "NVIDIA-A100-SXM4-80GB"
B200 = "NVIDIA-B200"
H200 = "NVIDIA-H200"
TOPO_KEYS = {
    "zone": "topology.kubernetes.io/zone",
    "rack": "topology.kubernetes.io/rack",
    "host": "kubernetes.io/hostname",
}


def clock_lines(until: int, step: int = 300) -> list[Obj]:
    return [{"t": t, "type": "clock"} for t in range(step, until + 1, step)]


def disagg() -> list[Obj]:
    """1. Multi-node disaggregated: 2 PCS replicas, one per rack, scaled prefill gangs, init-container GPUs."""
    ns, created = "inference", START - 3600
    worker_spec = {
        "initContainers": [
            {
                "name": "warmup",
                "image": "busybox",
                "resources": {"requests": {"nvidia.com/gpu": "4"}, "limits": {"nvidia.com/gpu": "4"}},
            }
        ],
        "containers": [gpu_container("prefill-worker", 2)],
    }
    cliques = [
        {
            "name": "pleader",
            "spec": {
                "roleName": "pleader",
                "replicas": 1,
                "podSpec": {"containers": [gpu_container("prefill-leader", 1)]},
            },
        },
        {"name": "pworker", "spec": {"roleName": "pworker", "replicas": 1, "podSpec": worker_spec}},
        {
            "name": "dleader",
            "spec": {
                "roleName": "dleader",
                "replicas": 1,
                "podSpec": {"containers": [gpu_container("decode-leader", 1)]},
            },
        },
        {
            "name": "dworker",
            "spec": {
                "roleName": "dworker",
                "replicas": 1,
                "podSpec": {"containers": [gpu_container("decode-worker", 2)]},
            },
        },
    ]
    groups = [
        {"name": "prefill", "cliqueNames": ["pleader", "pworker"], "replicas": 3, "minAvailable": 1},
        {"name": "decode", "cliqueNames": ["dleader", "dworker"], "replicas": 1, "minAvailable": 1},
    ]
    pcs = Pcs(
        ns,
        "disagg",
        2,
        created,
        cliques,
        groups,
        constraint={"topologyName": "gpu-fabric", "pack": {"required": "rack"}},
        translate=TOPO_KEYS,
    )
    at = created + 60
    place = {
        "disagg-0-prefill-0-pleader": "a1",
        "disagg-0-prefill-0-pworker": "a1",
        "disagg-0-prefill-1-pleader": "a1",
        "disagg-0-prefill-1-pworker": "a2",
        "disagg-0-prefill-2-pleader": "a2",
        "disagg-0-decode-0-dleader": "a2",
        "disagg-0-decode-0-dworker": "a2",
        "disagg-1-prefill-0-pleader": "b1",
        "disagg-1-prefill-0-pworker": "b1",
        "disagg-1-prefill-1-pleader": "b1",
        "disagg-1-prefill-1-pworker": "b2",
        "disagg-1-decode-0-dleader": "b2",
        "disagg-1-decode-0-dworker": "b2",
        "disagg-1-prefill-2-pleader": "a4",
        "disagg-1-prefill-2-pworker": "a4",
    }
    for pclq, n in place.items():
        run_pod(pcs.pod(pclq), n, at)
    # the pworker of scaled gang disagg-0-prefill-1 crash-loops: clique breached, PCSG still available 2/3
    run_pod(pcs.pod("disagg-0-prefill-2-pworker"), "a3", at, ready=False, restarts=3)
    bad = pcs.pclqs["disagg-0-prefill-2-pworker"]["status"]
    bad["readyReplicas"] = 0
    bad["conditions"][0] = cond(
        "MinAvailableBreached",
        "True",
        "InsufficientReadyPods",
        START - 600,
        "Insufficient ready pods. expected at least: 1, found: 0",
    )
    pcs.pcsgs["disagg-0-prefill"]["status"]["availableReplicas"] = 2

    nodes = [
        node(n, H100, 8, {TOPO_KEYS["zone"]: "z1", TOPO_KEYS["rack"]: "rack-a"}, created - 86400)
        for n in ("a1", "a2", "a3", "a4")
    ] + [
        node(n, A100, 8, {TOPO_KEYS["zone"]: "z1", TOPO_KEYS["rack"]: "rack-b"}, created - 86400) for n in ("b1", "b2")
    ]
    extra = [
        plain_pod("research", "notebook-5d8f9-qx2lm", "a3", 2, created),
        plain_pod("batch", "eval-job-x7k2p", "a3", 4, created - 1800, phase="Succeeded"),
    ]
    b = binding(
        "gpu-fabric",
        [("zone", TOPO_KEYS["zone"]), ("rack", TOPO_KEYS["rack"]), ("host", TOPO_KEYS["host"])],
        created - 86400,
    )
    return everything(0, [pcs], [b], nodes, extra, []) + clock_lines(600)


def fabric() -> list[Obj]:
    """2. Two bindings with unusual levels; required pack violated by llm-0, preferred missed by llm-1."""
    ns, created = "team-b", START - 3600
    fab, tray = "example.com/fabric", "example.com/tray"
    cliques = [
        {
            "name": "prefill",
            "spec": {"roleName": "prefill", "replicas": 2, "podSpec": {"containers": [gpu_container("prefill", 4)]}},
        },
        {
            "name": "decode",
            "spec": {"roleName": "decode", "replicas": 2, "podSpec": {"containers": [gpu_container("decode", 4)]}},
        },
    ]
    pcs = Pcs(
        ns,
        "llm",
        2,
        created,
        cliques,
        [],
        constraint={"topologyName": "fabric-topo", "pack": {"required": "pod-fabric", "preferred": "tray"}},
        translate={"pod-fabric": fab, "tray": tray},
    )
    at = created + 60
    for (pclq, idx), n in {
        ("llm-0-prefill", 0): "n1",
        ("llm-0-prefill", 1): "n2",
        ("llm-0-decode", 0): "n3",
        ("llm-0-decode", 1): "n5",
        ("llm-1-prefill", 0): "n4",
        ("llm-1-prefill", 1): "n4",
        ("llm-1-decode", 0): "n3",
        ("llm-1-decode", 1): "n1",
    }.items():
        run_pod(pcs.pod(pclq, idx), n, at)
    layout = {
        "n1": ("fab-1", "tray-1", B200),
        "n2": ("fab-1", "tray-1", B200),
        "n3": ("fab-1", "tray-2", B200),
        "n4": ("fab-1", "tray-2", B200),
        "n5": ("fab-2", "tray-3", H200),
        "n6": ("fab-2", "tray-3", H200),
    }
    nodes = [
        node(n, prod, 8, {fab: f, tray: t, TOPO_KEYS["rack"]: "rack-all", TOPO_KEYS["zone"]: "z9"}, created - 86400)
        for n, (f, t, prod) in layout.items()
    ]
    bindings = [
        binding("fabric-topo", [("pod-fabric", fab), ("tray", tray)], created - 86400),
        binding(
            "rack-topo",
            [("zone", TOPO_KEYS["zone"]), ("rack", TOPO_KEYS["rack"]), ("host", TOPO_KEYS["host"])],
            created - 86400,
        ),
    ]
    return everything(0, [pcs], bindings, nodes, [], []) + clock_lines(300)


def breach() -> list[Obj]:
    """3. Standalone clique breached 5 min before the recording starts; PCSG breached since creation (never healthy)."""
    ns, created = "ops", START - 7200
    cliques = [
        {
            "name": "router",
            "spec": {
                "roleName": "router",
                "replicas": 2,
                "minAvailable": 2,
                "podSpec": {"containers": [gpu_container("router", 1)]},
            },
        },
        {
            "name": "worker",
            "spec": {
                "roleName": "worker",
                "replicas": 2,
                "minAvailable": 2,
                "podSpec": {"containers": [gpu_container("worker", 2)]},
            },
        },
    ]
    groups = [{"name": "workers", "cliqueNames": ["worker"], "replicas": 1, "minAvailable": 1}]
    pcs = Pcs(ns, "breachy", 1, created, cliques, groups, termination_delay="45m")
    at = created + 60
    run_pod(pcs.pod("breachy-0-router", 0), "ops-1", at)
    run_pod(pcs.pod("breachy-0-router", 1), "ops-1", at, ready=False, restarts=6)
    run_pod(pcs.pod("breachy-0-workers-0-worker", 0), "ops-1", at, ready=False)
    run_pod(pcs.pod("breachy-0-workers-0-worker", 1), "ops-1", at, ready=False)
    pcs.obj["status"]["availableReplicas"] = 0
    pcs.obj["status"]["updatedReplicas"] = 0
    r = pcs.pclqs["breachy-0-router"]["status"]
    r["readyReplicas"] = 1
    r["conditions"][0] = cond(
        "MinAvailableBreached",
        "True",
        "InsufficientReadyPods",
        START - 300,
        "Insufficient ready pods. expected at least: 2, found: 1",
    )
    w = pcs.pclqs["breachy-0-workers-0-worker"]["status"]
    w["readyReplicas"] = 0
    w["conditions"][0] = cond(
        "MinAvailableBreached",
        "True",
        "InsufficientReadyPods",
        created + 5,
        "Insufficient ready pods. expected at least: 2, found: 0",
    )
    g = pcs.pcsgs["breachy-0-workers"]["status"]
    g["availableReplicas"] = 0
    g["conditions"] = [
        cond(
            "MinAvailableBreached",
            "True",
            "InsufficientAvailablePodCliqueScalingGroupReplicas",
            created + 4,
            "Insufficient PodCliqueScalingGroup ready replicas, expected at least: 1, found: 0",
        )
    ]
    nodes = [node("ops-1", H100, 8, {}, created - 86400)]
    return everything(0, [pcs], [], nodes, [], []) + clock_lines(3600)


def naming() -> list[Obj]:
    """4. PCS svc and svc-a side by side, clique names with -0-, an orphan pod, a pending scaled gang."""
    ns, created = "shop", START - 3600
    svc = Pcs(
        ns,
        "svc",
        1,
        created,
        [
            {
                "name": "a-0-web",
                "spec": {"roleName": "web", "replicas": 2, "podSpec": {"containers": [gpu_container("web", 1)]}},
            },
        ],
    )
    svca = Pcs(
        ns,
        "svc-a",
        1,
        created + 10,
        [
            {
                "name": "w-0-k",
                "spec": {"roleName": "kv", "replicas": 1, "podSpec": {"containers": [gpu_container("kv", 2)]}},
            },
        ],
        [{"name": "grp", "cliqueNames": ["w-0-k"], "replicas": 2, "minAvailable": 1}],
    )
    at = created + 60
    run_pod(svc.pod("svc-0-a-0-web", 0), "s1", at)
    run_pod(svc.pod("svc-0-a-0-web", 1), "s1", at)
    run_pod(svca.pod("svc-a-0-grp-0-w-0-k"), "s2", at)
    msg = (
        "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are available: "
        "2 No preemption victims found for incoming pod."
    )
    pend = pending_pod(svca.pod("svc-a-0-grp-1-w-0-k"), created + 20, msg)
    st = svca.pclqs["svc-a-0-grp-1-w-0-k"]["status"]
    st.update(readyReplicas=0, scheduledReplicas=0)
    st["conditions"] = [
        cond("MinAvailableBreached", "True", "ScheduledReplicasBelowMinAvailable", created + 20),
        cond("PodCliqueScheduled", "False", "InsufficientScheduledPods", created + 20),
    ]
    svca.pcsgs["svc-a-0-grp"]["status"].update(availableReplicas=1, scheduledReplicas=1)
    # a pod of svc whose PodClique svc-0-cache is not (or no longer) there
    orphan = json.loads(json.dumps(svc.pod("svc-0-a-0-web", 0)))
    orphan["metadata"]["name"] = "svc-0-cache-q7w2z"
    orphan["metadata"]["uid"] = uid("orphan")
    orphan["metadata"]["generateName"] = "svc-0-cache-"
    orphan["metadata"]["ownerReferences"] = [owner("PodClique", "svc-0-cache")]
    orphan["metadata"]["labels"].update(
        {
            "grove.io/podclique": "svc-0-cache",
            "app.kubernetes.io/name": "svc-0-cache",
            "grove.io/podclique-pod-index": "0",
        }
    )
    run_pod(orphan, "s1", at)
    nodes = [node(n, H100, 4, {TOPO_KEYS["rack"]: "r1"}, created - 86400) for n in ("s1", "s2")]
    other = plain_pod(ns, "cache-7c9d8-mm2rt", "s2", 2, created)
    b = binding("dc", [("rack", TOPO_KEYS["rack"]), ("host", TOPO_KEYS["host"])], created - 86400)
    events = [scheduler_event(ns, pend, START - 3580, START + 250, 7, msg)]
    return everything(0, [svc, svca], [b], nodes, [orphan, other], events) + clock_lines(300)


def main() -> None:
    write(HERE / "disagg-two-racks.jsonl", disagg())
    write(HERE / "fabric-two-bindings.jsonl", fabric())
    write(HERE / "breach-countdown.jsonl", breach())
    write(HERE / "naming-traps.jsonl", naming())
    lines = naming()
    bad = [*lines[:3], {"t": 1, "type": "patched", "kind": "Pod", "object": {}}, *lines[3:]]
    write(HERE / "corrupt-unknown-type.jsonl", bad)  # the unknown type sits on line 5 (header is line 1)
    write(HERE / "corrupt-truncated.jsonl", lines)
    with open(HERE / "corrupt-truncated.jsonl", "rb+") as f:
        data = f.read()
        f.seek(0)
        f.truncate()
        f.write(data[: len(data) - 25])  # cut inside the last line (a clock line), no trailing newline


if __name__ == "__main__":
    main()
