"""Per-pod facts: status as kubectl would show it, readiness, scheduling, GPU requests counted like the scheduler."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from grove.events import kinds
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers.derive.by_identity import ByIdentity

GATE = "grove.io/podgang-pending-creation"


def _container_gpus(container: Any) -> float:
    res = f.mapping(f.mapping(container).get("resources"))
    value = f.quantity(f.mapping(res.get("requests")).get(f.GPU_RESOURCE))
    if value is None:  # extended resources: the request defaults to the limit
        value = f.quantity(f.mapping(res.get("limits")).get(f.GPU_RESOURCE))
    return value or 0.0


def gpu_request(pod: KubeObject) -> int:
    """GPUs the scheduler reserves for the pod.

    max(sum of app containers + sidecars, the largest init container plus the sidecars started before it); sidecars
    are init containers with ``restartPolicy: Always``.
    """
    spec = f.mapping(pod.get("spec"))
    app = sum(_container_gpus(c) for c in f.seq(spec.get("containers")))
    sidecars = 0.0
    init_peak = 0.0
    for init in f.seq(spec.get("initContainers")):
        gpus = _container_gpus(init)
        if f.mapping(init).get("restartPolicy") == "Always":
            sidecars += gpus
        else:
            init_peak = max(init_peak, sidecars + gpus)
    return int(max(app + sidecars, init_peak))


def is_finished(pod: KubeObject) -> bool:
    return f.get(pod, "status", "phase") in ("Succeeded", "Failed")


def is_grove_pod(pod: KubeObject) -> bool:
    """Owned by a PodClique (the label is a fallback for objects made without owner references)."""
    return f.controller_owner(pod, kinds.PODCLIQUE) is not None or f.label(pod, f.PODCLIQUE_LABEL) is not None


def _cond_true(pod: KubeObject, ctype: str) -> bool:
    cond = f.condition(pod, ctype)
    return cond is not None and cond.get("status") == "True"


def is_ready(pod: KubeObject) -> bool:
    return _cond_true(pod, "Ready") and f.get(pod, "metadata", "deletionTimestamp") is None


def is_scheduled(pod: KubeObject) -> bool:
    return bool(f.text(f.get(pod, "spec", "nodeName"))) or _cond_true(pod, "PodScheduled")


def is_gated(pod: KubeObject) -> bool:
    return bool(f.seq(f.get(pod, "spec", "schedulingGates"))) and not is_scheduled(pod)


def restarts(pod: KubeObject) -> int:
    return sum(f.integer(f.mapping(cs).get("restartCount")) for cs in f.seq(f.get(pod, "status", "containerStatuses")))


def display_status(pod: KubeObject) -> str:
    """The STATUS column kubectl shows: waiting/terminated reasons first, then gates, then the phase."""
    if f.get(pod, "metadata", "deletionTimestamp") is not None:
        return "Terminating"
    status = f.mapping(pod.get("status"))
    reason = f.text(status.get("reason"))
    if reason:
        return reason
    for cs in f.seq(status.get("initContainerStatuses")):
        state = f.mapping(f.mapping(cs).get("state"))
        waiting = f.text(f.mapping(state.get("waiting")).get("reason"))
        if waiting and waiting != "PodInitializing":
            return f"Init:{waiting}"
    for cs in f.seq(status.get("containerStatuses")):
        state = f.mapping(f.mapping(cs).get("state"))
        waiting = f.text(f.mapping(state.get("waiting")).get("reason"))
        if waiting and waiting != "ContainerCreating":
            return waiting
        terminated = f.mapping(state.get("terminated"))
        if terminated and f.integer(terminated.get("exitCode")) != 0:
            return f.text(terminated.get("reason"), "Error")
    if is_gated(pod):
        return "SchedulingGated"
    phase = f.text(status.get("phase"), "Pending")
    if phase == "Running" and not _cond_true(pod, "Ready"):
        return "Running"  # the READY column tells the rest
    return phase


def pending_reason(pod: KubeObject) -> str:
    """Why the pod is not scheduled, from its PodScheduled condition ("" when scheduled or unknown)."""
    if is_scheduled(pod):
        return ""
    if is_gated(pod):
        gates = [f.text(f.mapping(g).get("name")) for g in f.seq(f.get(pod, "spec", "schedulingGates"))]
        return "gated by " + ", ".join(g for g in gates if g)
    cond = f.condition(pod, "PodScheduled")
    if cond is not None and cond.get("status") == "False":
        return f.text(cond.get("message")) or f.text(cond.get("reason"))
    return ""


def has_failed_container(pod: KubeObject) -> bool:
    for cs in f.seq(f.get(pod, "status", "containerStatuses")):
        state = f.mapping(f.mapping(cs).get("state"))
        last = f.mapping(f.mapping(cs).get("lastState"))
        for st in (state, last):
            term = f.mapping(st.get("terminated"))
            if term and f.integer(term.get("exitCode")) != 0:
                return True
    return False


def mnnvl_group(pod: KubeObject) -> str | None:
    """The MNNVL ComputeDomain claim template the pod uses (``<pcs>-<i>-<group>``), if any."""
    for claim in f.seq(f.get(pod, "spec", "resourceClaims")):
        claim_map: Mapping[str, Any] = f.mapping(claim)
        if claim_map.get("name") == "mnnvl-claim":
            return f.text(claim_map.get("resourceClaimTemplateName")) or "mnnvl"
    return None


@attrs.frozen
class PodFacts:
    namespace: str
    name: str
    status: str
    phase: str
    ready: bool
    scheduled: bool
    gated: bool
    node: str
    gpus: int
    restarts: int
    created: float | None
    clique: str | None
    gang: str | None
    pod_index: int | None
    template_hash: str | None
    pending_reason: str
    mnnvl: str | None
    grove: bool
    finished: bool


def facts(pod: KubeObject) -> PodFacts:
    """The pod's facts (cached by object identity; see ``by_identity``)."""
    return _CACHE.get(pod)


def _read_facts(pod: KubeObject) -> PodFacts:
    """The facts of a well-formed pod read in one pass (a one-shot read does it for every pod of the cluster); any
    other shape goes through the safe readers, which give the same results."""
    try:
        fast = _read_well_formed(pod)
    except (KeyError, TypeError, AttributeError, ValueError):
        fast = None
    return fast if fast is not None else _read_facts_safely(pod)


def _conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each condition type's first condition (as ``fields.condition`` picks it); raises on an odd shape."""
    out: dict[str, dict[str, Any]] = {}
    for cond in status.get("conditions") or ():
        if type(cond) is not dict:
            raise TypeError
        out.setdefault(cond.get("type"), cond)  # type: ignore[arg-type]
    return out


def _read_well_formed(pod: KubeObject) -> PodFacts | None:
    """None when the pod is not plain decoded JSON of the expected shape (the safe readers handle it then)."""
    if type(pod) is not dict:
        return None
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    labels = meta.get("labels") or {}
    if type(meta) is not dict or type(spec) is not dict or type(status) is not dict or type(labels) is not dict:
        return None
    namespace, name, phase, node = meta.get("namespace"), meta.get("name"), status.get("phase"), spec.get("nodeName")
    if type(namespace) is not str or type(name) is not str:
        return None
    if not all(v is None or type(v) is str for v in (phase, node)):
        return None
    conditions = _conditions(status)
    statuses = status.get("containerStatuses") or []
    if type(statuses) is not list or not all(type(cs) is dict for cs in statuses):
        return None
    restart_total = 0
    for cs in statuses:
        count = cs.get("restartCount", 0)
        if type(count) is not int:
            return None
        restart_total += count
    gates = spec.get("schedulingGates") or []
    if type(gates) is not list:
        return None
    node = node or ""
    scheduled_cond = conditions.get("PodScheduled")
    scheduled = bool(node) or (scheduled_cond is not None and scheduled_cond.get("status") == "True")
    gated = bool(gates) and not scheduled
    ready_cond = conditions.get("Ready")
    ready_true = ready_cond is not None and ready_cond.get("status") == "True"
    deleting = meta.get("deletionTimestamp") is not None
    clique, gang, index, template = (
        labels.get(key) for key in (f.PODCLIQUE_LABEL, f.PODGANG_LABEL, f.POD_INDEX, f.POD_TEMPLATE_HASH)
    )
    if not all(v is None or type(v) is str for v in (clique, gang, index, template)):
        return None
    owner = f.controller_owner(pod, kinds.PODCLIQUE)
    return PodFacts(
        namespace=namespace,
        name=name,
        status=display_status(pod),
        phase="Pending" if phase is None else phase,
        ready=ready_true and not deleting,
        scheduled=scheduled,
        gated=gated,
        node=node,
        gpus=gpu_request(pod),
        restarts=restart_total,
        created=f.created(pod),
        clique=clique or (f.text(owner.get("name")) or None if owner is not None else None),
        gang=gang,
        pod_index=f.opt_int(index),
        template_hash=template,
        pending_reason="" if scheduled else pending_reason(pod),
        mnnvl=mnnvl_group(pod) if spec.get("resourceClaims") else None,
        grove=owner is not None or clique is not None,
        finished=phase in ("Succeeded", "Failed"),
    )


def _read_facts_safely(pod: KubeObject) -> PodFacts:
    return PodFacts(
        namespace=f.namespace(pod),
        name=f.name(pod),
        status=display_status(pod),
        phase=f.text(f.get(pod, "status", "phase"), "Pending"),
        ready=is_ready(pod),
        scheduled=is_scheduled(pod),
        gated=is_gated(pod),
        node=f.text(f.get(pod, "spec", "nodeName")),
        gpus=gpu_request(pod),
        restarts=restarts(pod),
        created=f.created(pod),
        clique=f.label(pod, f.PODCLIQUE_LABEL) or f.owner_name(pod, kinds.PODCLIQUE),
        gang=f.label(pod, f.PODGANG_LABEL),
        pod_index=f.opt_int(f.label(pod, f.POD_INDEX)),
        template_hash=f.label(pod, f.POD_TEMPLATE_HASH),
        pending_reason=pending_reason(pod),
        mnnvl=mnnvl_group(pod),
        grove=is_grove_pod(pod),
        finished=is_finished(pod),
    )


_CACHE: ByIdentity[PodFacts] = ByIdentity(_read_facts)
