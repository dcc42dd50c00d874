from __future__ import annotations

from typing import Any

import pytest

from grove.events.model import ClockAdvanced, Listed
from grove.reducers.batch import fold
from grove.reducers.derive.health import health_for
from grove.reducers.derive.hierarchy import build_forest, build_pcs
from grove.reducers.reduce import reduce
from grove.reducers.state import State
from tests.support import handmade as h

T0 = 1_793_610_000.0  # 2026-11-02T09:00:00Z


def _state(objs: dict[str, list[dict[str, Any]]], at: float = T0) -> State:
    return fold([Listed(at, kind, tuple(items)) for kind, items in objs.items()])


def test_pcs_foo_and_foo_bar_are_not_confused() -> None:
    foo = h.podclique("foo", 0, "bar-x", "worker", 1, 1)  # named foo-0-bar-x
    foo_bar = h.podclique("foo-bar", 0, "x", "worker", 1, 1)  # named foo-bar-0-x
    state = _state({"PodClique": [foo, foo_bar], "Pod": [h.pod(foo, 0, "n"), h.pod(foo_bar, 0, "n")]})
    forest = {p.name: p for p in build_forest(state)}
    assert set(forest) == {"foo", "foo-bar"}
    assert [c.name for c in forest["foo"].cliques()] == ["foo-0-bar-x"]
    assert [c.clique for c in forest["foo-bar"].cliques()] == ["x"]
    assert [p.facts.name for p in forest["foo"].pods()] == ["foo-0-bar-x-00000"]


def test_scaling_group_replicas_and_scaled_gangs() -> None:
    pcsg = {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodCliqueScalingGroup",
        "metadata": h.meta(
            "svc-0-decode",
            labels={"app.kubernetes.io/part-of": "svc", "grove.io/podcliqueset-replica-index": "0"},
            owner=("PodCliqueSet", "svc"),
        ),
        "spec": {"replicas": 3, "minAvailable": 1, "cliqueNames": ["leader", "worker"]},
        "status": {"availableReplicas": 3, "scheduledReplicas": 3},
    }
    cliques = []
    for k in range(3):
        gang = "svc-0" if k == 0 else f"svc-0-decode-{k - 1}"
        base = None if k == 0 else "svc-0"
        for name, role in (("leader", "dleader"), ("worker", "dworker")):
            cliques.append(h.podclique("svc", 0, name, role, 1, 1, pcsg=("svc-0-decode", k), gang=gang, base_gang=base))
    pods = [h.pod(c, 0, "n1") for c in cliques]
    state = _state({"PodCliqueScalingGroup": [pcsg], "PodClique": cliques, "Pod": pods})
    pcs = build_pcs(state, "prod", "svc")
    (group,) = pcs.replica_nodes[0].groups
    assert group.group == "decode"
    assert [(r.index, r.base, r.gang) for r in group.replica_nodes] == [
        (0, True, "svc-0"),
        (1, False, "svc-0-decode-0"),
        (2, False, "svc-0-decode-1"),
    ]
    assert {c.clique for c in group.cliques()} == {"leader", "worker"}
    gangs = {g.name: g for g in pcs.gangs}
    assert gangs["svc-0"].base and not gangs["svc-0-decode-1"].base
    assert gangs["svc-0-decode-1"].pcsg_replica == 2
    assert {c.role for c in pcs.cliques()} == {"dleader", "dworker"}


def _breached(since: str, scheduled_status: str = "True") -> list[dict[str, Any]]:
    return [
        {
            "type": "MinAvailableBreached",
            "status": "True",
            "reason": "InsufficientReadyPods",
            "lastTransitionTime": since,
            "message": "1 ready < 2",
        },
        {"type": "PodCliqueScheduled", "status": scheduled_status, "reason": "x", "lastTransitionTime": h.T0},
    ]


def test_breach_countdown_runs_from_the_last_transition_time() -> None:
    clique = h.podclique(
        "svc", 0, "w", "worker", 2, 1, ready=1, min_available=2, conditions=_breached("2026-11-02T09:10:00Z")
    )
    objs = {
        "PodCliqueSet": [h.pcs("svc", 1, [h.clique_template("w", "worker", 2, 1)], termination_delay="30m")],
        "PodClique": [clique],
        "Pod": [h.pod(clique, 0, "n1"), h.pod(clique, 1, "n1", ready=False)],
    }
    state = _state(objs, at=T0 + 15 * 60)  # 09:15
    report = health_for(state, "prod", "svc")
    replica = report.replica_health[0]
    (child,) = replica.children
    assert child.eligible and child.state == "at-risk"
    assert child.countdown == pytest.approx(25 * 60)
    assert replica.countdown == pytest.approx(25 * 60)
    later = reduce(state, ClockAdvanced(T0 + 45 * 60))
    assert health_for(later, "prod", "svc").replica_health[0].state == "terminating"


def test_a_clique_that_was_never_scheduled_is_not_a_termination_candidate() -> None:
    clique = h.podclique(
        "svc", 0, "w", "worker", 2, 1, ready=0, conditions=_breached("2026-11-02T09:00:01Z", scheduled_status="False")
    )
    state = _state({"PodCliqueSet": [h.pcs("svc", 1, [])], "PodClique": [clique]}, at=T0 + 600)
    (child,) = health_for(state, "prod", "svc").replica_health[0].children
    assert not child.eligible and child.countdown is None and child.state == "degraded"


def test_update_in_progress_pauses_gang_termination() -> None:
    conditions = [
        {
            "type": "MinAvailableBreached",
            "status": "Unknown",
            "reason": "UpdateInProgress",
            "lastTransitionTime": h.T0,
            "message": "",
        }
    ]
    clique = h.podclique("svc", 0, "w", "worker", 2, 1, conditions=conditions)
    pods = [h.pod(clique, 0, "n1"), h.pod(clique, 1, "n1")]
    state = _state({"PodCliqueSet": [h.pcs("svc", 1, [])], "PodClique": [clique], "Pod": pods})
    (child,) = health_for(state, "prod", "svc").replica_health[0].children
    assert child.state == "updating" and not child.eligible


def test_objects_without_grove_labels_are_linked_by_owner_references_and_podgroups() -> None:
    """A hand-made cluster whose objects carry owner references but none of Grove's labels."""
    pcsg = {
        "apiVersion": "grove.io/v1alpha1",
        "kind": "PodCliqueScalingGroup",
        "metadata": h.meta(
            "svc-0-dec", labels={"grove.io/podcliqueset-replica-index": "0"}, owner=("PodCliqueSet", "svc")
        ),
        "spec": {"replicas": 1, "minAvailable": 1, "cliqueNames": ["w"]},
    }
    grouped = h.podclique("svc", 0, "w", "worker", 1, 1, pcsg=("svc-0-dec", 0))
    standalone = h.podclique("svc", 0, "fe", "frontend", 1, 0)
    for obj in (grouped, standalone):
        obj["metadata"]["labels"] = {}
    pods = [h.pod(grouped, 0, "n1"), h.pod(standalone, 0, "n1")]
    for pod in pods:
        pod["metadata"]["labels"] = {}
    gang = h.podgang("svc", "svc-0", [(grouped, pods[:1]), (standalone, pods[1:])])
    gang["metadata"]["labels"] = {}
    state = _state(
        {
            "PodCliqueSet": [h.pcs("svc", 1, [])],
            "PodCliqueScalingGroup": [pcsg],
            "PodClique": [grouped, standalone],
            "Pod": pods,
            "PodGang": [gang],
        }
    )
    pcs = build_pcs(state, "prod", "svc")
    assert {c.name for c in pcs.cliques()} == {"svc-0-dec-0-w", "svc-0-fe"}
    assert all(c.gang == "svc-0" for c in pcs.cliques())
    assert sum(len(c.pods) for c in pcs.cliques()) == 2
    (group,) = pcs.replica_nodes[0].groups
    assert [c.name for c in group.cliques()] == ["svc-0-dec-0-w"]
    assert [g.name for g in pcs.gangs] == ["svc-0"] and set(pcs.gangs[0].pods) == {p["metadata"]["name"] for p in pods}
