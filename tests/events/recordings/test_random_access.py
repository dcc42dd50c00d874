"""EventLines: the events of a recording by index, decoded when asked for, equal to reading them all."""

from __future__ import annotations

import gzip
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
    Removed,
    SourceHealthChanged,
    SourceStatus,
)
from grove.events.recordings.format import Header, RecordingError
from grove.events.recordings.random_access import EventLines
from grove.events.recordings.reader import Recording
from grove.events.recordings.writer import write_recording
from grove.reducers.batch import fold
from tests.events.recordings import test_compaction as compaction
from tests.events.recordings.test_recording import _bundle

ROOT = Path(__file__).resolve().parents[3]
START = 1_793_610_000.0


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "replays").glob("*.jsonl")))
def test_every_bundled_recording_reads_the_same_lazily(name: str) -> None:
    recording = Recording(ROOT / "replays" / name)
    everything = recording.load()
    lines = EventLines(recording)
    assert len(lines) == len(everything)
    assert list(lines) == everything
    assert list(lines.times) == [e.at for e in everything]
    assert lines[-1] == everything[-1] and lines[3:6] == everything[3:6]
    with pytest.raises(IndexError):
        lines[len(everything)]


def _recording(tmp_path: Path) -> Path:
    pod = {"metadata": {"name": "p", "namespace": "prod"}, "spec": {}}
    events = [
        Listed(START, "Pod", (pod,), "prod"),
        Applied(START + 1, "Pod", pod),
        SourceHealthChanged(START + 2, "Node", SourceStatus.FORBIDDEN, "nodes is forbidden"),
        ClockAdvanced(START + 3),
        Applied(START + 4, "Pod", {**pod, "spec": {"x": 1}}),
    ]
    path = tmp_path / "r.jsonl"
    write_recording(path, Header(start=START), events)
    return path


def test_gzip_and_bundle_read_alike(tmp_path: Path) -> None:
    plain = _recording(tmp_path)
    gz = tmp_path / "r.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    bundle = _bundle(tmp_path / "diag.tgz", [("recording.jsonl", plain.read_bytes())])
    expected = Recording(plain).load()
    assert list(EventLines(Recording(gz))) == expected
    assert list(EventLines(Recording(bundle))) == expected


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (b'{"t":9,"type":"applied","kind":"Pod","key":["prod","x"],"object":{"metadata":{"na', "truncated"),
        (b"this is not json\n", "not JSON"),
        (b'{"t":9,"type":"exploded"}\n', "unknown event type"),
        (b'{"t":9,"type":"clock","extra":true\n', "not JSON"),
    ],
)
def test_a_line_that_is_not_an_event_is_reported_on_opening(tmp_path: Path, tail: bytes, reason: str) -> None:
    path = _recording(tmp_path)
    with path.open("ab") as out:
        out.write(tail)
    with pytest.raises(RecordingError) as caught:
        EventLines(Recording(path))
    assert caught.value.line == len(path.read_bytes().splitlines())
    assert reason in caught.value.reason


def test_a_broken_object_behind_a_good_head_is_reported_when_reached(tmp_path: Path) -> None:
    path = _recording(tmp_path)
    lines = path.read_bytes().splitlines()
    assert lines[2].startswith(b'{"t":1.0,"type":"applied"')
    lines[2] = lines[2].replace(b'"spec":{}', b'"spec":{]')  # the head and the closing brace are intact
    path.write_bytes(b"\n".join(lines) + b"\n")
    events = EventLines(Recording(path))  # opening reads heads only
    assert isinstance(events[0], Listed) and isinstance(events[4], Applied)
    with pytest.raises(RecordingError) as caught:
        events[1]
    assert (caught.value.line, caught.value.reason.split(" (")[0]) == (3, "not JSON")


def test_blank_lines_are_not_events_and_numbers_stay_true(tmp_path: Path) -> None:
    path = _recording(tmp_path)
    lines = path.read_bytes().splitlines()
    lines.insert(3, b"")
    lines.insert(4, b"   ")
    lines[-1] = orjson.dumps({"t": 4, "type": "applied", "kind": "Pod", "object": []})  # not an object: line 8
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(RecordingError) as caught:
        EventLines(Recording(path))
    assert caught.value.line == 8


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "replays").glob("*.jsonl")))
def test_read_on_two_cores_alike(name: str, forks: list[int]) -> None:
    recording = Recording(ROOT / "replays" / name)
    lines = EventLines(recording)
    assert forks, "the second half was indexed by a child"
    everything = recording.load()
    assert list(lines) == everything and list(lines.times) == [e.at for e in everything]
    assert _folds_alike(lines, everything, 0, len(everything))


def test_a_bad_line_in_the_second_half_is_reported_with_its_number(tmp_path: Path, forks: list[int]) -> None:
    path = ROOT / "replays" / "multi-tenant.jsonl"
    lines = path.read_bytes().splitlines()
    number = len(lines) - 5
    lines[number - 1] = b'{"t":1,"type":"exploded"}'
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(RecordingError) as caught:
        EventLines(Recording(bad))
    assert forks and caught.value.line == number and "unknown event type" in caught.value.reason


def _folds_alike(lines: EventLines, everything: list[Event], lo: int, hi: int) -> bool:
    """Folding ``lines.compacted(lo, hi)`` after the first ``lo`` events gives the state folding every event does."""
    before = fold(everything[:lo])
    compacted, full = fold(lines.compacted(lo, hi), before), fold(everything[lo:hi], before)
    return (
        dict(compacted.objects.items()) == dict(full.objects.items())
        and {k: dict(v.items()) for k, v in compacted.indexes.items()}
        == {k: dict(v.items()) for k, v in full.indexes.items()}
        and (compacted.now, compacted.first_at, compacted.listed) == (full.now, full.first_at, full.listed)
        and dict(compacted.sources.items()) == dict(full.sources.items())
        and set(compacted.problems.keys()) == set(full.problems.keys())
    )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_compacted_stretch_folds_like_every_event_in_it(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(p.name for p in (ROOT / "replays").glob("*.jsonl"))))
    recording = Recording(ROOT / "replays" / name)
    lines = EventLines(recording)
    everything = recording.load()
    lo = data.draw(st.integers(0, len(everything)))
    hi = data.draw(st.integers(lo, len(everything)))
    assert _folds_alike(lines, everything, lo, hi)
    stretch = lines.compacted(lo, hi)
    changes = sum(len(c) for e in stretch if isinstance(e, Compacted) for c in e.changes.values())
    assert changes + sum(isinstance(e, Applied | Removed) for e in stretch) <= hi - lo


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(compaction.steps, st.data())
def test_a_compacted_stretch_of_any_events_folds_like_them(
    tmp_path: Path, spec: list[Any], data: st.DataObject
) -> None:
    path = tmp_path / "r.jsonl"
    write_recording(path, Header(start=compaction.START), compaction._events(spec))
    recording = Recording(path)
    everything = recording.load()
    lo = data.draw(st.integers(0, len(everything)))
    hi = data.draw(st.integers(lo, len(everything)))
    assert _folds_alike(EventLines(recording), everything, lo, hi)
