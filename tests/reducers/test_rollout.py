"""Rolling-update progress read from what Grove writes: the PCS's ``status.updateProgress``, each child's
``updateProgress`` and ``currentPodCliqueSetGenerationHash``, and the pods' template hashes."""

from __future__ import annotations

from typing import Any

from grove.events.model import Listed
from grove.reducers.batch import fold
from grove.reducers.derive.rollout import rollout_for
from grove.reducers.state import State
from tests.support import handmade as h

T0 = 1_793_610_000.0  # 2026-11-02T09:00:00Z
STARTED = "2026-11-02T09:00:00Z"


def _state(objs: dict[str, list[dict[str, Any]]]) -> State:
    return fold([Listed(T0 + 60, kind, tuple(items)) for kind, items in objs.items()])


def _rolling(pcs_progress: dict[str, Any] | None, *, pod_hashes: tuple[str, ...] = ("h2", "h1", "h1")) -> State:
    """Two PCS replicas of one 3-pod clique; replica 0 is being updated to template hash h2 (generation g2)."""
    status: dict[str, Any] = {"replicas": 2, "availableReplicas": 2, "updatedReplicas": 1}
    status["currentGenerationHash"] = "g2"
    if pcs_progress is not None:
        status["updateProgress"] = pcs_progress
    pcs = h.pcs("llm", 2, [h.clique_template("decode", "decode", 3, 1)], status=status)
    rolling = h.podclique("llm", 0, "decode", "decode", 3, 1, template_hash="h2")
    rolling["status"].update(
        {
            "updatedReplicas": 1,
            "currentPodCliqueSetGenerationHash": "g1",
            "updateProgress": {
                "updateStartedAt": STARTED,
                "podTemplateHash": "h2",
                "readyPodsSelectedToUpdate": {"current": "llm-0-decode-00001", "completed": ["llm-0-decode-00000"]},
            },
        }
    )
    done = h.podclique("llm", 1, "decode", "decode", 3, 1, template_hash="h2")
    done["status"].update({"updatedReplicas": 3, "currentPodCliqueSetGenerationHash": "g2"})
    pods = [h.pod(rolling, i, "n1", template_hash=hsh) for i, hsh in enumerate(pod_hashes)]
    pods += [h.pod(done, i, "n2", template_hash="h2") for i in range(3)]
    return _state({"PodCliqueSet": [pcs], "PodClique": [rolling, done], "Pod": pods})


IN_PROGRESS = {
    "updateStartedAt": STARTED,
    "updatedPodCliquesCount": 1,
    "totalPodCliquesCount": 2,
    "currentlyUpdating": [{"replicaIndex": 0, "updateStartedAt": STARTED}],
}


def test_no_rollout_before_grove_records_one() -> None:
    assert rollout_for(_rolling(None), "prod", "llm") is None
    assert rollout_for(_rolling(IN_PROGRESS), "prod", "nope") is None


def test_a_rollout_in_progress() -> None:
    rollout = rollout_for(_rolling(IN_PROGRESS), "prod", "llm")
    assert rollout is not None
    assert rollout.in_progress and rollout.ended is None
    assert rollout.started == T0
    assert rollout.generation_hash == "g2"
    assert [(u.index, u.started) for u in rollout.currently_updating] == [(0, T0)]
    assert (rollout.updated_cliques, rollout.total_cliques) == (1, 2)
    assert (rollout.updated_replicas, rollout.replicas) == (1, 2)
    assert rollout.outdated_pods == 2  # replica 0's pods 1 and 2 still run template h1
    by_name = {c.name: c for c in rollout.children}
    rolling, done = by_name["llm-0-decode"], by_name["llm-1-decode"]
    assert (rolling.converged, rolling.in_progress, rolling.updated, rolling.total) == (False, True, 1, 3)
    assert rolling.selected == "llm-0-decode-00001" and rolling.completed == ("llm-0-decode-00000",)
    assert (done.converged, done.in_progress, done.updated, done.selected) == (True, False, 3, None)


def test_a_finished_rollout() -> None:
    ended = {**IN_PROGRESS, "updateEndedAt": "2026-11-02T09:10:00Z", "currentlyUpdating": []}
    rollout = rollout_for(_rolling(ended, pod_hashes=("h2", "h2", "h2")), "prod", "llm")
    assert rollout is not None
    assert not rollout.in_progress and rollout.ended == T0 + 600
    assert rollout.currently_updating == () and rollout.outdated_pods == 0


def test_a_child_without_updated_replicas_counts_its_pods_on_the_target_hash() -> None:
    state = _rolling(IN_PROGRESS)
    clique = dict(state.get("PodClique", "prod", "llm-0-decode") or {})
    clique["status"] = {k: v for k, v in clique["status"].items() if k != "updatedReplicas"}
    pods = list(state.iter_kind("Pod"))
    state = _state(
        {
            "PodCliqueSet": list(state.iter_kind("PodCliqueSet")),
            "PodClique": [clique, state.get("PodClique", "prod", "llm-1-decode") or {}],
            "Pod": pods,
        }
    )
    rollout = rollout_for(state, "prod", "llm")
    assert rollout is not None
    assert {c.name: c.updated for c in rollout.children}["llm-0-decode"] == 1  # one pod on h2


def test_a_scaling_group_reports_the_replica_index_it_replaces() -> None:
    status = {"replicas": 1, "availableReplicas": 1, "updatedReplicas": 0, "currentGenerationHash": "g2"}
    status["updateProgress"] = {**IN_PROGRESS, "totalPodCliquesCount": 0, "totalPodCliqueScalingGroupsCount": 1}
    pcs = h.pcs(
        "llm",
        1,
        [h.clique_template("prefill", "prefill", 2, 1)],
        groups=[{"name": "workers", "cliqueNames": ["prefill"], "replicas": 2, "minAvailable": 1}],
        status=status,
    )
    group: dict[str, Any] = {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodCliqueScalingGroup",
        "metadata": h.meta(
            "llm-0-workers",
            labels={"app.kubernetes.io/part-of": "llm", "grove.io/podcliqueset-replica-index": "0"},
            owner=("PodCliqueSet", "llm"),
        ),
        "spec": {"replicas": 2, "minAvailable": 1, "cliqueNames": ["prefill"]},
        "status": {
            "replicas": 2,
            "availableReplicas": 2,
            "updatedReplicas": 1,
            "currentPodCliqueSetGenerationHash": "g1",
            "updateProgress": {
                "updateStartedAt": STARTED,
                "readyReplicaIndicesSelectedToUpdate": {"current": 1, "completed": [0]},
            },
        },
    }
    members = [h.podclique("llm", 0, "prefill", "prefill", 2, 1, pcsg=("llm-0-workers", i)) for i in range(2)]
    state = _state({"PodCliqueSet": [pcs], "PodCliqueScalingGroup": [group], "PodClique": members})
    rollout = rollout_for(state, "prod", "llm")
    assert rollout is not None
    groups = [c for c in rollout.children if c.kind == "PodCliqueScalingGroup"]
    assert [(g.name, g.selected, g.completed, g.updated, g.converged) for g in groups] == [
        ("llm-0-workers", "1", ("0",), 1, False)
    ]
