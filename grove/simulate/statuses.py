"""The statuses Grove's controllers compute for PodCliques, scaling groups, PodCliqueSets and PodGangs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grove.reducers.fields import MANAGED_BY, PART_OF, POD_TEMPLATE_HASH
from grove.simulate.conditions import condition, find_condition, set_condition
from grove.simulate.names import OPERATOR, Obj
from grove.simulate.pod_states import exited_non_zero, is_terminating, started_not_ready
from grove.simulate.spec import WorkloadSpec

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
        if exited_non_zero(pod):
            errored = 1
        elif started_not_ready(pod):
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


def cond_true(obj: Mapping[str, Any], ctype: str) -> bool:
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
        if all(cond_true(p, "PodCliqueScheduled") for p in live):
            scheduled += 1
            if all(p["status"].get("readyReplicas", 0) >= p["spec"]["minAvailable"] for p in live):
                available += 1
                if all(p["status"].get("currentPodCliqueSetGenerationHash") == pcs_hash for p in live):
                    updated += 1
        if any(cond_true(p, "MinAvailableBreached") for p in live):
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


def podgang_status(initialized: bool, at: float, prev: Sequence[Mapping[str, Any]] = ()) -> Obj:
    """What the operator writes in ``PodGang.status``: phase Pending and the Initialized condition, nothing else."""
    if initialized:
        cond = condition("Initialized", "True", "PodGangPodsCreated", "PodGang is fully initialized", at)
    else:
        cond = condition(
            "Initialized", "False", "PodGangPodsCreationPending", "Not all constituent pods have been created yet", at
        )
    return {"phase": "Pending", "conditions": set_condition(prev, cond)}
