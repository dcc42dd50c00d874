"""Previews on the bundled rolling-update recording: Grove's order, every pod updated, the recording round-trips."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from grove.commands.source import fold_recording
from grove.events import kinds
from grove.events.recording import Recording
from grove.reducers import fields as f
from grove.reducers.reduce import fold
from grove.reducers.state import State
from grove.simulate.intent import ChangeTemplate, ScaleClique
from grove.simulate.preview import Preview, PreviewError, preview, write_preview_recording

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
