"""``-w --replay``: the recording goes through the one pipeline (grove.reducers.pipeline), paced at ``--speed``, in
virtual time here (a ``TestScheduler``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reactivex.notification import OnCompleted, OnError, OnNext
from reactivex.testing import TestScheduler

from grove.commands.watch import FRAME_INTERVAL, _states
from grove.events.recordings.reader import Recording
from grove.reducers.reduce import fold_one_by_one

ROLLING = Path(__file__).resolve().parents[2] / "replays" / "rolling-update.jsonl"


def _args(replay: Path, speed: float) -> argparse.Namespace:
    return argparse.Namespace(replay=str(replay), speed=speed, namespace="prod", all_namespaces=False)


def _run(replay: Path, speed: float) -> list[Any]:
    scheduler = TestScheduler()
    states, scope, close = _states(_args(replay, speed), (), (), scheduler)
    assert scope.origin == "replay" and scope.namespace == "prod"
    result = scheduler.start(lambda: states, disposed=100_000.0)
    close()
    return result.messages


def test_a_replay_plays_at_its_speed_and_ends_on_the_recordings_last_state() -> None:
    recording = Recording(str(ROLLING))
    events = recording.load()
    duration = events[-1].at - events[0].at
    messages = _run(ROLLING, 10.0)
    frames = [(m.time, m.value.value) for m in messages if isinstance(m.value, OnNext)]
    assert frames[0] == (200.0, frames[0][1]) and frames[0][1].revision == 1  # the first event at once
    last_time, last = frames[-1]
    expected = fold_one_by_one(events)
    assert dict(last.objects.items()) == dict(expected.objects.items())
    assert (last.revision, last.now) == (expected.revision, expected.now)
    assert 200.0 + duration / 10.0 <= last_time <= 200.0 + duration / 10.0 + FRAME_INTERVAL
    assert len({t for t, _ in frames}) == len(frames)  # one state a frame at most
    assert isinstance(messages[-1].value, OnCompleted)


def test_a_bad_line_shows_the_state_before_it_then_the_error(tmp_path: Path) -> None:
    lines = ROLLING.read_bytes().splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(lines[:60]) + b'{"t":50.0,"type":"bogus"\n' + b"".join(lines[-5:]))
    messages = _run(bad, 1000.0)
    shown = [m.value.value for m in messages if isinstance(m.value, OnNext)]
    before = fold_one_by_one(Recording(str(ROLLING)).load()[:59])  # the header and 59 events precede line 61
    assert dict(shown[-1].objects.items()) == dict(before.objects.items())
    assert shown[-1].revision == before.revision
    failure = messages[-1].value
    assert isinstance(failure, OnError) and "bad.jsonl:61" in str(failure.exception)
