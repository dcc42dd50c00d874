"""The compacting reader: folding its events gives the state that folding every event gives."""

from __future__ import annotations

import gzip
import pickle
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grove.events.model import (
    Applied,
    ClockAdvanced,
    Compacted,
    Event,
    Listed,
    MetricsSampled,
    Removed,
    SourceHealthChanged,
    SourceStatus,
)
from grove.events.recordings.compaction import compacted_events
from grove.events.recordings.format import Header, RecordingError
from grove.events.recordings.reader import Recording
from grove.events.recordings.writer import write_recording
from grove.reducers.batch import fold
from grove.reducers.reduce import fold_one_by_one
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
            st.tuples(st.just("sample"), pods, st.booleans()),  # a scrape of that pod (or, True, namespace-wide)
        ),
    ),
    max_size=30,
)


def _events(spec: list[Any]) -> list[Event]:
    """The steps as events; a pod removed and applied again under its name is another pod, with a new uid."""
    out: list[Event] = []
    t = START
    generation: dict[tuple[str, str], int] = {}

    def uid(obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        pod = (meta["namespace"], meta["name"])
        return {**obj, "metadata": {**meta, "uid": f"uid-{pod[1]}-{generation.get(pod, 0)}"}}

    for gap, step in spec:
        t += gap * 0.5
        match step:
            case ("apply", "Pod", obj):
                out.append(Applied(t, "Pod", uid(obj)))
            case ("remove", "Pod", obj):
                out.append(Removed(t, "Pod", uid(obj)))
                pod = (obj["metadata"]["namespace"], obj["metadata"]["name"])
                generation[pod] = generation.get(pod, 0) + 1
            case ("apply", kind, obj):
                out.append(Applied(t, kind, obj))
            case ("remove", kind, obj):
                out.append(Removed(t, kind, obj))
            case ("odd", (kind, obj)):
                out.append(Applied(t, kind, obj))
            case ("list", objs, namespace):
                out.append(Listed(t, "Pod", tuple(uid(o) for o in objs), namespace))
            case ("sample", obj, wide):
                meta = obj["metadata"]
                series = {"running": float(len(out))}
                out.append(MetricsSampled(t, meta["namespace"], "" if wide else meta["name"], "vllm", series))
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
    assert _samples(a) == _samples(b)


def _samples(state: State) -> dict[tuple[str, str], dict[str, Any]]:
    return {pod: dict(sources.items()) for pod, sources in state.metrics.items()}


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
    _same(fold_one_by_one(compacted), fold(everything))  # the reference reducer takes a compacted run alike


def _churn(tmp_path: Path, name: str = "r.jsonl") -> tuple[Path, list[Event]]:
    events: list[Event] = [Listed(START, "Node", (_node(0, 8),))]
    for i in range(50):
        events.append(Applied(START + i, "Pod", _pod(i % 3, i % 2, "prod", "Running" if i % 5 else "Pending")))
    events.append(Removed(START + 60, "Pod", _pod(1, 1, "prod", "Running")))
    path = tmp_path / name
    write_recording(path, Header(start=START), events)
    return path, events


def _changes(events: list[Event]) -> dict[tuple[str, str, str], Any]:
    """Every change the compacted events carry: (kind, namespace, name) -> newest version (None: removed)."""
    out: dict[tuple[str, str, str], Any] = {}
    for event in events:
        if isinstance(event, Compacted):
            for kind, changes in event.changes.items():
                out.update({(kind, *key): obj for key, obj in changes.items()})
        elif isinstance(event, Applied | Removed):
            meta = event.object["metadata"]
            out[(event.kind, meta.get("namespace", ""), meta["name"])] = (
                event.object if isinstance(event, Applied) else None
            )
    return out


def test_only_the_last_change_of_each_object_is_read(tmp_path: Path) -> None:
    path, events = _churn(tmp_path)
    compacted = list(compacted_events(Recording(path)))
    last: dict[tuple[str, str, str], Any] = {}
    for event in events[1:]:  # after the node list: 50 applies and a removal of three pods
        assert isinstance(event, Applied | Removed)
        key = ("Pod", "prod", event.object["metadata"]["name"])
        last[key] = event.object if isinstance(event, Applied) else None
    assert _changes(compacted) == last  # 51 changes became 3: two pods applied, one removed
    assert len(last) == 3 and list(last.values()).count(None) == 1
    _same(fold(compacted), fold(events))
    _same(fold_one_by_one(compacted), fold(events))


@pytest.mark.parametrize("order", ["namespaced first", "plain first"])
def test_two_lines_naming_one_cluster_scoped_object_keep_the_later(tmp_path: Path, order: str) -> None:
    plain = _node(1, 8)
    namespaced = {**_node(1, 4), "metadata": {"name": "n1", "namespace": "stray"}}  # the reducer ignores it
    first, second = (namespaced, plain) if order == "namespaced first" else (plain, namespaced)
    events: list[Event] = [Applied(START, "Node", first), Applied(START + 1, "Node", second)]
    path = tmp_path / "r.jsonl"
    write_recording(path, Header(start=START), events)
    state = fold(compacted_events(Recording(path)))
    assert dict(state.objects["Node"].items()) == {("", "n1"): second}
    _same(state, fold(events))


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


def test_a_line_longer_than_any_read_is_read_whole(tmp_path: Path) -> None:
    path, events = _churn(tmp_path)
    big = _pod(7, 0, "prod", "Running")
    big["metadata"]["annotations"] = {"note": "x" * 200_000}
    events.append(Applied(START + 70, "Pod", big))
    write_recording(path, Header(start=START), events)
    compacted = list(compacted_events(Recording(path)))
    assert _changes(compacted)[("Pod", "prod", big["metadata"]["name"])] == big
    _same(fold(compacted), fold(events))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps, st.one_of(st.none(), st.integers(0, 30)))
def test_two_cores_give_the_full_fold(tmp_path: Path, forks: list[int], spec: list[Any], cut: int | None) -> None:
    events = _events(spec)
    path = tmp_path / "r.jsonl"
    write_recording(path, Header(start=START), events)
    until = None if cut is None else START + cut * 0.5
    everything = [e for e in Recording(path).events() if until is None or e.at <= until]
    _same(fold(compacted_events(Recording(path), until)), fold(everything))


def test_a_bad_line_in_the_second_half_keeps_its_number(tmp_path: Path, forks: list[int]) -> None:
    path, _ = _churn(tmp_path)
    lines = path.read_bytes().splitlines()
    lines[-3] = b"this is not json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(RecordingError) as caught:
        list(compacted_events(Recording(path)))
    assert forks  # the second half was skimmed by a child
    assert (caught.value.line, caught.value.reason.split(" (")[0]) == (len(lines) - 2, "not JSON")


def test_a_failed_child_is_replaced_by_skimming_here(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, events = _churn(tmp_path)

    def broken_pipe(*args: Any, **kwargs: Any) -> None:
        raise OSError("the pipe broke")

    monkeypatch.setattr(pickle, "dump", broken_pipe)  # only the child sends
    _same(fold(compacted_events(Recording(path))), fold(events))
    assert forks


@pytest.mark.parametrize("reader", ["compacted", "every event"])
@pytest.mark.parametrize("keep", [0.5, 0.75, 1.0])
def test_a_cut_off_gzip_stream_is_reported_where_it_ends(tmp_path: Path, reader: str, keep: float) -> None:
    path, _ = _churn(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    packed = gzip.compress(b"".join(lines))
    gz = tmp_path / "cut.jsonl.gz"
    cut = packed[: int(len(packed) * keep) - 9]  # the last 8 bytes are the trailer
    gz.write_bytes(cut)
    inflated = zlib.decompressobj(wbits=31).decompress(cut)
    recording = Recording(gz)
    with pytest.raises(RecordingError) as caught:
        list(compacted_events(recording) if reader == "compacted" else recording.events())
    # the line after the last whole one: cut mid-way (truncated), or the first line the cut removed
    assert caught.value.line == inflated.count(b"\n") + 1
    ends_whole = inflated.endswith(b"\n")
    assert caught.value.reason.startswith("the gzip stream ends early" if ends_whole else "truncated line")


def test_a_gzip_stream_cut_off_after_the_moment_asked_for_is_no_error(tmp_path: Path) -> None:
    path, events = _churn(tmp_path)
    packed = gzip.compress(path.read_bytes())
    gz = tmp_path / "cut.jsonl.gz"
    gz.write_bytes(packed[: len(packed) - 20])
    until = START + 10
    _same(fold(compacted_events(Recording(gz), until)), fold([e for e in events if e.at <= until]))


def test_concatenated_gzip_members_read_as_one_recording(tmp_path: Path) -> None:
    path, events = _churn(tmp_path)
    data = path.read_bytes()
    half = data.index(b"\n", len(data) // 2) + 1
    gz = tmp_path / "two.jsonl.gz"
    gz.write_bytes(gzip.compress(data[:half]) + gzip.compress(data[half:]))
    _same(fold(compacted_events(Recording(gz))), fold(events))
    assert list(Recording(gz).events()) == list(Recording(path).events())


def _with_bad_survivor(tmp_path: Path) -> tuple[Path, list[bytes]]:
    path, _ = _churn(tmp_path)
    lines = path.read_bytes().splitlines()
    raw = orjson.loads(lines[-2])  # the last apply of a pod: it survives, in the last part
    raw["key"] = ["prod", "someone-else"]
    lines[-2] = orjson.dumps(raw)
    return path, lines


def test_a_bad_survivor_in_the_last_part_is_reported_with_its_number(tmp_path: Path, forks: list[int]) -> None:
    path, lines = _with_bad_survivor(tmp_path)
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(RecordingError) as caught:
        list(compacted_events(Recording(path)))
    assert forks and caught.value.line == len(lines) - 1 and "'key' does not match" in caught.value.reason


def test_the_first_bad_line_is_the_one_reported(tmp_path: Path, forks: list[int]) -> None:
    path, lines = _with_bad_survivor(tmp_path)
    lines[3] = b"this is not json"  # in the first part, skimmed by the child
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(RecordingError) as caught:
        list(compacted_events(Recording(path)))
    assert forks and caught.value.line == 4 and "not JSON" in caught.value.reason


def test_a_bad_survivor_after_the_moment_asked_for_is_no_error(tmp_path: Path, forks: list[int]) -> None:
    path, lines = _with_bad_survivor(tmp_path)
    path.write_bytes(b"\n".join(lines) + b"\n")
    until = START + 30
    everything = [e for e in Recording(_churn(tmp_path, "clean.jsonl")[0]).events() if e.at <= until]
    _same(fold(compacted_events(Recording(path), until)), fold(everything))


@pytest.mark.parametrize("offset", [30.6, 33.1, 59.6, 118.6, 0.3])
def test_a_moment_asked_for_exactly_includes_what_happened_at_it(tmp_path: Path, offset: float) -> None:
    """``--at OFFSET`` arrives as ``start + OFFSET`` in epoch seconds, which is not exact (start + 30.6 - start is
    30.5999999): the events written at that offset belong to the state there, those a millisecond later do not."""
    start = 1_793_610_005.0
    at = _pod(0, 0, "prod", "Running")
    later = _pod(1, 0, "prod", "Running")
    events: list[Event] = [
        Listed(start, "Pod", ()),
        Applied(round(start + offset, 3), "Pod", at),
        Applied(round(start + offset + 0.001, 3), "Pod", later),
    ]
    path = tmp_path / "r.jsonl"
    write_recording(path, Header(start=start), events)
    state = fold(compacted_events(Recording(str(path)), start + offset))
    assert [name for _, name in state.of_kind("Pod")] == [at["metadata"]["name"]]


def test_metrics_samples_keep_their_order_with_their_pods_changes(tmp_path: Path) -> None:
    """A compacted replay keeps the samples a full one keeps: of pods that exist, since they were (re-)created."""
    p0, p1 = _pod(0, 0, "prod", "Running"), _pod(1, 0, "prod", "Running")
    p1_again = {**p1, "metadata": {**p1["metadata"], "uid": "uid-p1-again"}}

    def sample(t: float, pod: str) -> MetricsSampled:
        return MetricsSampled(START + t, "prod", pod, "vllm", {"running": t})

    events: list[Event] = [
        Listed(START, "Pod", (p0,)),
        Applied(START + 1, "Pod", p1),  # created in the run: its samples come after it
        sample(2, p1["metadata"]["name"]),
        sample(2, p0["metadata"]["name"]),
        Removed(START + 3, "Pod", p0),  # deleted after its sample: the sample goes
        sample(4, p0["metadata"]["name"]),  # a scrape that raced the deletion: not kept
        Removed(START + 5, "Pod", p1),
        Applied(START + 6, "Pod", p1_again),  # another pod under the name: only its own samples
        sample(7, p1["metadata"]["name"]),
        MetricsSampled(START + 7, "prod", "", "dcgm", {}, "no DCGM exporter found"),  # namespace-wide: kept
    ]
    path = tmp_path / "r.jsonl"
    write_recording(path, Header(start=START), events)
    full = fold(Recording(path).events())
    held = {pod: {s: [e.at - START for e in v] for s, v in sources.items()} for pod, sources in full.metrics.items()}
    assert held == {
        ("prod", p1["metadata"]["name"]): {"vllm": [7.0]},
        ("prod", ""): {"dcgm": [7.0]},
    }
    _same(fold(list(compacted_events(Recording(path)))), full)
    _same(fold_one_by_one(list(compacted_events(Recording(path)))), full)
    for cut in (2.0, 3.0, 4.0, 6.0):
        until = START + cut
        upto = [e for e in Recording(path).events() if e.at <= until]
        _same(fold(compacted_events(Recording(path), until)), fold(upto))
