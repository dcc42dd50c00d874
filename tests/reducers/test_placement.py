from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grove.events import kinds
from grove.events.model import Listed
from grove.events.recordings.reader import Recording
from grove.reducers.batch import fold
from grove.reducers.derive.placement import placement_for, placement_score
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state
from tests.support import fragmented
from tests.support import handmade as h

RACK = "topology.kubernetes.io/rack"
REPLAYS = Path(__file__).resolve().parents[2] / "replays"


def _state(objs: dict[str, list[dict[str, Any]]]) -> State:
    return fold([Listed(1_793_610_000.0, kind, tuple(items)) for kind, items in objs.items()])


def test_seed_example_reports_the_one_decode_pod_in_rack_2() -> None:
    placement = placement_for(_state(fragmented.objects()), "prod", "my-inference")
    assert placement_score(_state(fragmented.objects()), "prod", "my-inference") == placement.score
    assert placement.topology.binding == "gpu-fabric"
    assert [lv.domain for lv in placement.topology.levels] == ["rack", "host"]
    assert placement.score == pytest.approx(22 / 24)
    (finding,) = [f for f in placement.findings if f.code == "preferred-pack-missed"]
    assert finding.severity == "warning"
    assert finding.pods == ("my-inference-0-decode-00007",)
    assert "1 decode pod in rack-2" in finding.message
    gang = placement.gangs[0]
    assert gang.best_domain == "rack-1" and gang.gpus == 24


def _two_replicas(required: bool, split_second: bool) -> dict[str, list[dict[str, Any]]]:
    pack = {"required": RACK} if required else {"preferred": RACK}
    nodes = [h.node(f"n{i}", 8, {RACK: f"rack-{1 + i // 2}"}) for i in range(4)]
    objs: dict[str, list[dict[str, Any]]] = {
        "ClusterTopologyBinding": [h.binding("b", [("rack", RACK), ("host", "kubernetes.io/hostname")])],
        "Node": nodes,
        "PodCliqueSet": [
            h.pcs(
                "svc",
                2,
                [h.clique_template("w", "worker", 2, 4)],
                topology={"topologyName": "b", "pack": {("required" if required else "preferred"): "rack"}},
            )
        ],
        "PodClique": [],
        "Pod": [],
        "PodGang": [],
    }
    for replica, hosts in ((0, ["n0", "n1"]), (1, ["n2", "n3"] if not split_second else ["n1", "n2"])):
        clique = h.podclique("svc", replica, "w", "worker", 2, 4)
        pods = [h.pod(clique, i, node) for i, node in enumerate(hosts)]
        objs["PodClique"].append(clique)
        objs["Pod"].extend(pods)
        objs["PodGang"].append(h.podgang("svc", f"svc-{replica}", [(clique, pods)], pack=pack))
    return objs


def test_replicas_in_different_racks_each_packed_are_not_fragmented() -> None:
    placement = placement_for(_state(_two_replicas(required=True, split_second=False)), "prod", "svc")
    assert placement.score == 1.0
    assert [f.code for f in placement.findings] == []
    assert {g.best_domain for g in placement.gangs} == {"rack-1", "rack-2"}


def test_required_pack_violation_is_an_error_on_that_gang_only() -> None:
    placement = placement_for(_state(_two_replicas(required=True, split_second=True)), "prod", "svc")
    (finding,) = placement.findings
    assert (finding.severity, finding.code, finding.subject) == ("error", "required-pack-violated", "svc-1")
    assert placement.score == pytest.approx(0.75)


def test_unconstrained_split_is_info_and_pending_pods_are_warned_with_the_scheduler_reason() -> None:
    objs = _two_replicas(required=False, split_second=True)
    for gang in objs["PodGang"]:
        del gang["spec"]["topologyConstraint"]
    del objs["PodCliqueSet"][0]["spec"]["template"]["topologyConstraint"]
    clique = objs["PodClique"][0]
    waiting = h.pod(clique, 2, None, suffix="waiting")
    objs["Pod"].append(waiting)
    objs["Event"] = [
        h.event(
            "e1",
            "prod",
            "Pod",
            waiting["metadata"]["name"],
            "FailedScheduling",
            "0/4 nodes are available: 4 Insufficient nvidia.com/gpu.",
            "Warning",
        )
    ]
    placement = placement_for(_state(objs), "prod", "svc")
    codes = {(f.code, f.severity, f.subject) for f in placement.findings}
    assert ("split-unconstrained", "info", "svc-1") in codes
    assert ("pods-pending", "warning", "svc-0") in codes
    pending = next(f for f in placement.findings if f.code == "pods-pending")
    assert "4 Insufficient nvidia.com/gpu" in pending.message
    # the only binding in the cluster is used for display even though the workload names none
    assert placement.topology.origin == "only-binding"


def test_missing_binding_falls_back_to_hosts_with_a_warning() -> None:
    objs = fragmented.objects()
    objs["ClusterTopologyBinding"] = []
    placement = placement_for(_state(objs), "prod", "my-inference")
    assert placement.topology.origin == "missing"
    assert placement.topology.levels == () and placement.topology.default_pack_level.domain == "host"
    assert "binding-missing" in {f.code for f in placement.findings}


def test_scheduler_score_is_shown_only_when_written() -> None:
    objs = fragmented.objects()
    assert placement_for(_state(objs), "prod", "my-inference").scheduler_score is None
    objs["PodGang"][0]["status"]["placementScore"] = 0.5
    assert placement_for(_state(objs), "prod", "my-inference").scheduler_score == 0.5


@pytest.mark.parametrize("recording", sorted(p.stem for p in REPLAYS.glob("*.jsonl")))
def test_the_score_alone_equals_the_full_placement_score_through_every_bundled_recording(recording: str) -> None:
    """``placement_score`` (what a preview reads at each predicted state) gives ``placement_for(...).score`` at every
    moment of the recording: pending, gated, finished and GPU-less pods, several gangs per workload."""
    rec = Recording(REPLAYS / f"{recording}.jsonl")
    state = empty_state()
    checked = 0
    for i, event in enumerate(rec.events()):
        state = reduce(state, event)
        if i % 7:
            continue
        for ns, name in state.of_kind(kinds.PODCLIQUESET):
            assert placement_score(state, ns, name) == placement_for(state.branched(), ns, name).score
            checked += 1
    assert checked > 10
