"""The compacting reader: folding its events gives the state that folding every event gives."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grove.events.compaction import compacted_events
from grove.events.model import (
    Applied,
    ClockAdvanced,
    Event,
    Listed,
    Removed,
    SourceHealthChanged,
    SourceStatus,
)
from grove.events.recording import Header, Recording, RecordingError, write_recording
from grove.reducers.reduce import fold
from grove.reducers.state import State
from tests.support import handmade as h

START = 1_700_000_000.0
CLIQUE = h.podclique("a", 0, "x", "prefill", 3, 1)


def _pod(i: int, node: int | None, ns: str, phase: str) -> dict[str, Any]:
    pod = h.pod(CLIQUE, i, f"n{node}" if node is not None else None, suffix=f"p{i}")
    pod["metadata"]["namespace"] = ns
    pod.setdefault("status", {})["phase"] = phase
    return pod


def _node(i: int, gpus: int) -> dict[str, Any]:
    return {"metadata": {"name": f"n{i}"}, "status": {"allocatable": {"nvidia.com/gpu": str(gpus)}}}


pods = st.builds(
    _pod,
    st.integers(0, 4),
    st.one_of(st.none(), st.integers(0, 2)),
    st.sampled_from(["prod", "dev"]),
    st.sampled_from(["Pending", "Running"]),
)
nodes = st.builds(_node, st.integers(0, 2), st.sampled_from([4, 8]))
odd = st.sampled_from(
    [
        ("Pod", {"metadata": {"namespace": "prod"}}),  # no name
        ("Pod", {"metadata": {"name": "nameless-namespace"}}),  # namespaced kind without a namespace
        ("Widget", {"metadata": {"name": "w", "namespace": "prod"}}),  # a kind nobody follows
    ]
)

steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # how far the clock moves before this step
        st.one_of(
            st.tuples(st.sampled_from(["apply", "remove"]), st.just("Pod"), pods),
            st.tuples(st.sampled_from(["apply", "remove"]), st.just("Node"), nodes),
            st.tuples(st.just("odd"), odd),
            st.tuples(st.just("list"), st.lists(pods, max_size=3), st.sampled_from([None, "prod"])),
            st.tuples(st.just("clock")),
            st.tuples(st.just("source"), st.sampled_from([SourceStatus.LIVE, SourceStatus.RECONNECTING])),
        ),
    ),
    max_size=30,
)


def _events(spec: list[Any]) -> list[Event]:
    out: list[Event] = []
    t = START
    for gap, step in spec:
        t += gap * 0.5
        match step:
            case ("apply", kind, obj):
                out.append(Applied(t, kind, obj))
            case ("remove", kind, obj):
                out.append(Removed(t, kind, obj))
            case ("odd", (kind, obj)):
                out.append(Applied(t, kind, obj))
            case ("list", objs, namespace):
                out.append(Listed(t, "Pod", tuple(objs), namespace))
            case ("clock",):
                out.append(ClockAdvanced(t))
            case ("source", status):
                out.append(SourceHealthChanged(t, "Pod", status, "m"))
    return out


def _indexes(state: State) -> dict[str, dict[Any, set[Any]]]:
    """The indexes without empty entries (a re-list may leave an empty index map behind)."""
    out = {name: {k: set(m) for k, m in index.items() if len(m)} for name, index in state.indexes.items()}
    return {name: index for name, index in out.items() if index}


def _same(a: State, b: State) -> None:
    assert dict(a.objects.items()) == dict(b.objects.items())
    assert _indexes(a) == _indexes(b)
    assert dict(a.sources.items()) == dict(b.sources.items())
    assert a.listed == b.listed
    assert set(a.problems.keys()) == set(b.problems.keys())
    assert (a.now, a.first_at) == (b.now, b.first_at)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps, st.one_of(st.none(), st.integers(0, 30)))
def test_folding_the_compacted_events_gives_the_full_fold(tmp_path: Path, spec: list[Any], cut: int | None) -> None:
    events = _events(spec)
    path = tmp_path / "r.jsonl"
    write_recording(path, Header(start=START), events)
    until = None if cut is None else START + cut * 0.5
    everything = [e for e in Recording(path).events() if until is None or e.at <= until]
    compacted = list(compacted_events(Recording(path), until))
    _same(fold(compacted), fold(everything))


def _churn(tmp_path: Path, name: str = "r.jsonl") -> tuple[Path, list[Event]]:
    events: list[Event] = [Listed(START, "Node", (_node(0, 8),))]
    for i in range(50):
        events.append(Applied(START + i, "Pod", _pod(i % 3, i % 2, "prod", "Running" if i % 5 else "Pending")))
    events.append(Removed(START + 60, "Pod", _pod(1, 1, "prod", "Running")))
    path = tmp_path / name
    write_recording(path, Header(start=START), events)
    return path, events


def test_only_the_last_change_of_each_object_is_read(tmp_path: Path) -> None:
    path, events = _churn(tmp_path)
    compacted = list(compacted_events(Recording(path)))
    changes = [e for e in compacted if isinstance(e, Applied | Removed)]
    assert len(changes) == 3  # pods p0 and p2 applied, p1 removed: 51 changes became 3
    assert sorted(e.object["metadata"]["name"] for e in changes) == sorted(
        {e.object["metadata"]["name"] for e in events[1:]}
    )
    _same(fold(compacted), fold(events))


def test_a_gzipped_recording_compacts_alike(tmp_path: Path) -> None:
    path, events = _churn(tmp_path)
    gz = tmp_path / "r.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    _same(fold(compacted_events(Recording(gz))), fold(events))


def test_lines_without_a_key_are_decoded_and_still_compacted(tmp_path: Path) -> None:
    path, events = _churn(tmp_path)
    lines = path.read_bytes().splitlines()
    unkeyed = [lines[0]]
    for line in lines[1:]:
        raw = orjson.loads(line)
        raw.pop("key", None)
        unkeyed.append(orjson.dumps(raw))
    path.write_bytes(b"\n".join(unkeyed) + b"\n")
    _same(fold(compacted_events(Recording(path))), fold(events))


def test_a_key_that_does_not_match_its_object_is_an_error_with_its_line(tmp_path: Path) -> None:
    path, _ = _churn(tmp_path)
    lines = path.read_bytes().splitlines()
    raw = orjson.loads(lines[-2])  # the last apply of a pod: it survives, so it is decoded
    raw["key"] = ["prod", "someone-else"]
    lines[-2] = orjson.dumps(raw)
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(RecordingError) as caught:
        list(compacted_events(Recording(path)))
    assert caught.value.line == len(lines) - 1
    assert "'key' does not match" in str(caught.value)


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (b'{"t": 70, "type": "applied", "kind": "Pod", "key": ["prod", "x"], "object": {"metadata": {"na', "truncated"),
        (b"this is not json\n", "not JSON"),
        (b'{"t": 70, "type": "exploded"}\n', "unknown event type"),
    ],
)
def test_a_bad_line_is_reported_with_its_number(tmp_path: Path, tail: bytes, reason: str) -> None:
    path, _ = _churn(tmp_path)
    with path.open("ab") as out:
        out.write(tail)
    count = len(path.read_bytes().splitlines())
    with pytest.raises(RecordingError) as caught:
        list(compacted_events(Recording(path)))
    assert caught.value.line == count
    assert reason in caught.value.reason


@pytest.mark.parametrize("block", [7, 100, 4096])
def test_lines_across_read_blocks_and_longer_than_one_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    import grove.events.compaction as compaction

    monkeypatch.setattr(compaction, "_BLOCK", block)
    path, events = _churn(tmp_path)
    big = _pod(7, 0, "prod", "Running")
    big["metadata"]["annotations"] = {"note": "x" * 200_000}  # longer than a pread chunk
    events.append(Applied(START + 70, "Pod", big))
    write_recording(path, Header(start=START), events)
    compacted = list(compacted_events(Recording(path)))
    assert any(isinstance(e, Applied) and e.object == big for e in compacted)
    _same(fold(compacted), fold(events))
