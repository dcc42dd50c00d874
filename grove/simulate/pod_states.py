"""A pod's life as the scheduler and kubelet write it: gated, bound, creating, ready, crash-looping, terminating."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, Final

from grove.reducers.fields import GPU_RESOURCE
from grove.simulate.conditions import pod_condition
from grove.simulate.names import Obj, hex_digest, ts

# ----------------------------------------------------------------------------------------------- pod lifecycle

POD_STATES: Final = ("gated", "unschedulable", "bound", "creating", "ready", "unready", "crashloop", "succeeded")


def gpus_of(spec: Mapping[str, Any]) -> int:
    total = 0
    for c in spec.get("containers", ()):
        value = c.get("resources", {}).get("requests", {}).get(GPU_RESOURCE) or c.get("resources", {}).get(
            "limits", {}
        ).get(GPU_RESOURCE)
        total += int(value or 0)
    return total


def pod_gpus(pod: Mapping[str, Any]) -> int:
    return gpus_of(pod.get("spec", {}))


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
    image_id = f"{image.rsplit(':', 1)[0]}@sha256:{hex_digest(image)}"

    def cid(n: int) -> str:
        return f"containerd://{hex_digest(f'{uid}/{name}/{n}')}"

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
            pod_condition(
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
        new_spec = with_node(new_spec, node)

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
        status["conditions"] = conds(pod_condition("PodScheduled", "False", at, reason, msg))
        status["qosClass"] = qos
    elif state == "bound":
        status["phase"] = "Pending"
        status["conditions"] = conds(pod_condition("PodScheduled", "True", at))
        status["qosClass"] = qos
    else:
        uid = pod["metadata"]["uid"]
        start_time = old_status.get("startTime") or ts(at)
        ready = state == "ready"
        if state == "succeeded":
            status["phase"] = "Succeeded"
            cond_list = conds(
                pod_condition("PodReadyToStartContainers", "False", at),
                pod_condition("Initialized", "True", at, "PodCompleted"),
                pod_condition("Ready", "False", at, "PodCompleted"),
                pod_condition("ContainersReady", "False", at, "PodCompleted"),
                pod_condition("PodScheduled", "True", at),
            )
        else:
            status["phase"] = "Pending" if state == "creating" else "Running"
            sandbox = "False" if state == "creating" else "True"
            cond_list = conds(
                pod_condition("PodReadyToStartContainers", sandbox, at),
                pod_condition("Initialized", "True", at),
                pod_condition(
                    "Ready", "True" if ready else "False", at, *(() if ready else ("ContainersNotReady", unready_msg))
                ),
                pod_condition(
                    "ContainersReady",
                    "True" if ready else "False",
                    at,
                    *(() if ready else ("ContainersNotReady", unready_msg)),
                ),
                pod_condition("PodScheduled", "True", at),
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


def parse_ts(value: str) -> float:
    return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def with_node(spec: Mapping[str, Any], node: str) -> Obj:
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


def exited_non_zero(pod: Mapping[str, Any]) -> bool:
    for cs in pod.get("status", {}).get("containerStatuses", ()):
        for st in (cs.get("state", {}), cs.get("lastState", {})):
            if st.get("terminated", {}).get("exitCode", 0) != 0:
                return True
    return False


def started_not_ready(pod: Mapping[str, Any]) -> bool:
    return any(cs.get("started") and not cs.get("ready") for cs in pod.get("status", {}).get("containerStatuses", ()))
