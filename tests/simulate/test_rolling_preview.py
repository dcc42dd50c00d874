"""Previews on the bundled rolling-update recording: Grove's order, every pod updated, the recording round-trips."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from grove.commands.source import fold_recording
from grove.events import kinds
from grove.events.model import Applied, Event
from grove.events.recordings.reader import Recording
from grove.reducers import fields as f
from grove.reducers.batch import fold
from grove.reducers.reduce import reduce
from grove.reducers.state import State
from grove.simulate.intent import ChangeTemplate, ContinueUpdate, ScaleClique, ScaleGroup
from grove.simulate.preview import Preview, PreviewError, figures, preview, write_preview_recording

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.2"


@pytest.fixture(scope="module")
def state() -> State:
    return fold_recording(Recording(str(ROOT / "replays" / "rolling-update.jsonl")), 5.0)


def _new_image(state: State) -> dict[str, Any]:
    template = copy.deepcopy(dict(state.get(kinds.PODCLIQUESET, "prod", "llm-serve")["spec"]["template"]))  # type: ignore[index]
    for clique in template["cliques"]:
        for container in clique["spec"]["podSpec"]["containers"]:
            container["image"] = IMAGE
    return template


def _pods(state: State) -> list[Any]:
    return [p for p in state.iter_kind(kinds.POD, "prod") if f.label(p, f.PART_OF) == "llm-serve"]


@pytest.fixture(scope="module")
def rolled(state: State) -> Preview:
    return preview(state, [ChangeTemplate("prod", "llm-serve", _new_image(state))])


def test_every_pod_ends_updated_and_the_count_is_unchanged(state: State, rolled: Preview) -> None:
    before, after = _pods(state), _pods(rolled.final_state)
    assert len(after) == len(before) == 14
    assert all(c["image"] == IMAGE for p in after for c in p["spec"]["containers"])
    assert not any("deletionTimestamp" in p["metadata"] for p in after)
    assert rolled.steps[-1].main.health == "healthy"
    assert all(r.updated == r.desired == r.ready for r in rolled.steps[-1].main.roles)


def test_replica_zero_rolls_before_replica_one_one_pod_at_a_time(rolled: Preview) -> None:
    deleted = [c for s in rolled.steps for c in s.changes if c.endswith(" deleted")]
    replicas = [int(c.split("-")[2]) for c in deleted]
    assert replicas == sorted(replicas)  # all of replica 0 before any of replica 1
    for step in rolled.steps:  # one ready pod per clique at a time: never two of one clique deleted in one step
        cliques = ["-".join(c.split("-")[:4]) for c in step.changes if c.endswith(" deleted")]
        assert len(cliques) == len(set(cliques))
    progress = rolled.final_state.get(kinds.PODCLIQUESET, "prod", "llm-serve")["status"]["updateProgress"]  # type: ignore[index]
    assert "updateEndedAt" in progress and "currentlyUpdating" not in progress


def test_pod_start_comes_from_the_workloads_history(rolled: Preview) -> None:
    assert rolled.pod_start_source.startswith("median Scheduled→Ready of 14 pods")
    assert 20 < rolled.pod_start < 60


def test_last_step_equals_folding_the_recording(tmp_path: Path, rolled: Preview) -> None:
    out = tmp_path / "preview.jsonl"
    write_preview_recording(rolled, str(out), context="gpu-demo", command="kubectl grove update llm-serve")
    replayed = fold(Recording(str(out)).events())
    for kind in (kinds.POD, kinds.PODCLIQUE, kinds.PODCLIQUESET, kinds.PODGANG):
        assert dict(replayed.of_kind(kind).items()) == dict(rolled.final_state.of_kind(kind).items())


def test_scaling_a_clique_in_deletes_the_newest_ready_pods(state: State) -> None:
    result = preview(state, [ScaleClique("prod", "llm-serve-0-decode", 2)])
    left = [p for p in _pods(result.final_state) if f.label(p, f.PODCLIQUE_LABEL) == "llm-serve-0-decode"]
    assert len(left) == 2
    before = sorted(
        (p for p in _pods(state) if f.label(p, f.PODCLIQUE_LABEL) == "llm-serve-0-decode"),
        key=lambda p: p["metadata"]["creationTimestamp"],
    )
    assert {f.name(p) for p in left} <= {f.name(p) for p in before}


def test_unknown_target_is_one_line(state: State) -> None:
    with pytest.raises(PreviewError, match="not found"):
        preview(state, [ScaleClique("prod", "nope", 2)])


def _selections(events: Iterable[Event]) -> tuple[dict[str, list[tuple[str, tuple[str, ...]]]], list[int]]:
    """Per PodClique, each ``readyPodsSelectedToUpdate`` (current, completed) in turn; the PCS replicas updated in
    turn (``currentlyUpdating``)."""
    per_clique: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    replicas: list[int] = []
    for event in events:
        if not isinstance(event, Applied):
            continue
        if event.kind == kinds.PODCLIQUE:
            selected = f.mapping(f.get(event.object, "status", "updateProgress", "readyPodsSelectedToUpdate"))
            if selected:
                item = (f.text(selected.get("current")), tuple(f.seq(selected.get("completed"))))
                seen = per_clique.setdefault(f.name(event.object), [])
                if not seen or seen[-1] != item:
                    seen.append(item)
        elif event.kind == kinds.PODCLIQUESET:
            for entry in f.seq(f.get(event.object, "status", "updateProgress", "currentlyUpdating")):
                index = f.integer(f.mapping(entry).get("replicaIndex"))
                if not replicas or replicas[-1] != index:
                    replicas.append(index)
    return per_clique, replicas


def test_each_clique_replaces_its_pods_in_the_order_the_recording_shows(state: State, rolled: Preview) -> None:
    """replays/rolling-update.jsonl records Grove's order through replica 0 (it stops half way through decode): the
    preview from before the change makes the same selections, step by step, then carries on the same way."""
    recording = Recording(str(ROOT / "replays" / "rolling-update.jsonl"))
    recorded, recorded_replicas = _selections(recording.events())
    predicted, predicted_replicas = _selections(rolled.events)
    assert recorded_replicas == [0] and predicted_replicas == [0, 1]
    assert set(recorded) == {"llm-serve-0-prefill", "llm-serve-0-decode"}
    for clique, steps in recorded.items():
        assert predicted[clique][: len(steps)] == steps, clique
    for clique, steps in predicted.items():  # every Ready pod once, lowest pod index first (they were created together)
        pods = {f.name(p): p for p in _pods(state) if f.label(p, f.PODCLIQUE_LABEL) == clique}
        order = [current for current, _ in steps]
        assert sorted(order) == sorted(pods)
        assert [f.integer(f.label(pods[n], f.POD_INDEX)) for n in order] == list(range(len(pods)))
        assert len({pods[n]["metadata"]["creationTimestamp"] for n in order}) == 1
        assert all(completed == tuple(order[:k]) for k, (_, completed) in enumerate(steps))


def test_every_step_offset_folds_to_that_step(tmp_path: Path, rolled: Preview) -> None:
    """``status --replay PREVIEW --at OFFSET`` at each step offset shows that step's figures."""
    out = tmp_path / "preview.jsonl"
    write_preview_recording(rolled, str(out), context="gpu-demo", command="kubectl grove update llm-serve")
    recording = Recording(str(out))
    for step in rolled.steps:
        assert figures(fold_recording(recording, step.at), "prod", "llm-serve").comparable() == step.main.comparable()


def test_each_scaling_group_replaces_its_replicas_lowest_index_first() -> None:
    """multi-tenant's llama-70b has scaling groups prefill (2 replicas) and decode (3), minAvailable 1: each selects
    its available replicas one at a time, lowest index first (oldReadyReplicaIndices[0] in Grove's
    operator/internal/controller/podcliquescalinggroup/components/podclique/rollingupdate.go), each only while the
    group still has minAvailable available replicas."""
    state = fold_recording(Recording(str(ROOT / "replays" / "multi-tenant.jsonl")), None)
    pcs = state.get(kinds.PODCLIQUESET, "inference", "llama-70b")
    assert pcs is not None
    template = copy.deepcopy(dict(pcs["spec"]["template"]))
    for clique in template["cliques"]:
        for container in clique["spec"]["podSpec"]["containers"]:
            container["image"] = IMAGE
    result = preview(state, [ChangeTemplate("inference", "llama-70b", template)])
    selections: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
    for event in result.events:
        if isinstance(event, Applied) and event.kind == kinds.PODCLIQUESCALINGGROUP:
            selected = f.mapping(f.get(event.object, "status", "updateProgress", "readyReplicaIndicesSelectedToUpdate"))
            if not selected:
                continue
            item = (f.integer(selected.get("current")), tuple(f.integer(i) for i in f.seq(selected.get("completed"))))
            seen = selections.setdefault(f.name(event.object), [])
            if not seen or seen[-1] != item:
                seen.append(item)
                assert f.integer(f.get(event.object, "status", "availableReplicas")) >= f.integer(
                    f.get(event.object, "spec", "minAvailable")
                )
    assert selections == {
        "llama-70b-0-prefill": [(0, ()), (1, (0,))],
        "llama-70b-0-decode": [(0, ()), (1, (0,)), (2, (0, 1))],
    }
    groups = {f.name(g): g for g in result.final_state.iter_kind(kinds.PODCLIQUESCALINGGROUP, "inference")}
    for name in selections:
        progress = f.mapping(f.get(groups[name], "status", "updateProgress"))
        assert progress.get("updateEndedAt") and "readyReplicaIndicesSelectedToUpdate" not in progress


@pytest.mark.parametrize("at", [30.0, 60.0, 100.0])
def test_continuing_the_recorded_update_mid_way_ends_with_every_pod_updated(at: float) -> None:
    """``ContinueUpdate`` (rollout status's estimate) from a moment in the middle of the recorded update: the pods
    Grove has not replaced yet go in the recording's order, replica 1 follows, and every pod ends on the new image."""
    mid = fold_recording(Recording(str(ROOT / "replays" / "rolling-update.jsonl")), at)
    rest = preview(mid, [ContinueUpdate("prod", "llm-serve")])
    after = _pods(rest.final_state)
    assert len(after) == 14 and all(c["image"] == IMAGE for p in after for c in p["spec"]["containers"])
    assert all(f.get(f.condition(p, "Ready"), "status") == "True" and "deletionTimestamp" not in p["metadata"]
               for p in after)  # fmt: skip
    progress = f.mapping(
        f.get(rest.final_state.get(kinds.PODCLIQUESET, "prod", "llm-serve"), "status", "updateProgress")
    )
    assert progress.get("updateEndedAt") and "currentlyUpdating" not in progress
    assert rest.duration > 100  # replica 1 is still to do, one pod per clique at a time
    recording = Recording(str(ROOT / "replays" / "rolling-update.jsonl"))
    before, _ = _selections(_events_until(recording, at))
    recorded, _ = _selections(recording.events())  # the recording stops at 112 s, half way through decode
    continued, replicas = _selections(rest.events)
    assert replicas[-1] == 1
    compared = 0
    for clique, steps in recorded.items():
        later = steps[len(before.get(clique, [])) :]  # what the recording selects after ``at``
        predicted = [s for s in continued.get(clique, []) if s not in before.get(clique, [])]
        assert predicted[: len(later)] == later, clique
        compared += len(later)
    assert compared or at >= 85.0  # the recording's last selection is at 85 s


def _events_until(recording: Recording, at: float) -> list[Event]:
    return [e for e in recording.events() if e.at - recording.header.start <= at]


def test_continuing_when_nothing_is_under_way_changes_nothing(state: State) -> None:
    rest = preview(state, [ContinueUpdate("prod", "llm-serve")])
    assert rest.events == () and rest.duration == 0.0


def test_a_preview_never_overwrites_a_live_event_or_pod() -> None:
    """The fork's Event names (object.time+sequence) and pod names (generateName suffixes) skip what the live state
    holds: here a live Event has exactly the name of the first Event the preview writes."""
    state = fold_recording(Recording(str(ROOT / "replays" / "multi-tenant.jsonl")), None)
    group = state.get(kinds.PODCLIQUESCALINGGROUP, "inference", "llama-70b-0-decode")
    assert group is not None
    name = f"llama-70b-0-decode.{int(state.now * 1e9) + 1:x}"
    live_event = {"kind": "Event", "apiVersion": "v1", "reason": "Live", "message": "from the cluster",
                  "metadata": {"name": name, "namespace": "inference", "uid": "live", "resourceVersion": "1"},
                  "involvedObject": {"kind": "PodCliqueScalingGroup", "name": "llama-70b-0-decode",
                                     "namespace": "inference", "uid": group["metadata"]["uid"]}}  # fmt: skip
    state = reduce(state, Applied(state.now, kinds.EVENT, live_event))
    result = preview(state, [ScaleGroup("inference", "llama-70b-0-decode", 4)])
    assert result.final_state.get(kinds.EVENT, "inference", name) == state.get(kinds.EVENT, "inference", name)
    created = [e.object for e in result.events if isinstance(e, Applied) and e.kind == kinds.EVENT]
    assert created and all(f.get(e, "metadata", "uid") != "live" for e in created)
    live_uids = {f.get(p, "metadata", "uid") for p in state.iter_kind(kinds.POD)}
    live_names = {f.name(p) for p in state.iter_kind(kinds.POD)}
    created_pods = {
        f.name(e.object)
        for e in result.events
        if isinstance(e, Applied) and e.kind == kinds.POD and f.get(e.object, "metadata", "uid") not in live_uids
    }
    assert created_pods and not created_pods & live_names  # the scale-out's pods, none under a live pod's name


def test_a_scale_out_is_no_dip_but_an_update_at_exactly_min_available_is() -> None:
    """New PodCliques coming up are not below minAvailable "again"; llama-70b's router (2 replicas, minAvailable 2)
    loses a pod during an update because Grove main only waits while readyReplicas < minAvailable
    (operator/internal/controller/podclique/components/pod/rollingupdate.go): the preview reports that dip."""
    state = fold_recording(Recording(str(ROOT / "replays" / "multi-tenant.jsonl")), None)
    scaled = preview(state, [ScaleGroup("inference", "llama-70b-0-decode", 4)])
    assert scaled.min_dips == () and scaled.steps[1].main.below_min  # below, coming up, yet no dip
    pcs = state.get(kinds.PODCLIQUESET, "inference", "llama-70b")
    assert pcs is not None
    template = copy.deepcopy(dict(pcs["spec"]["template"]))
    for clique in template["cliques"]:
        for container in clique["spec"]["podSpec"]["containers"]:
            container["image"] = IMAGE
    updated = preview(state, [ChangeTemplate("inference", "llama-70b", template)])
    assert "llama-70b-0-router: 1 ready < minAvailable 2" in updated.min_dips
