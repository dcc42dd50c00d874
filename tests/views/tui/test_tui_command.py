"""``kubectl grove tui`` / ``replay``: flags, and errors the user can cause, reported before the screen switches."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from grove.commands.main import main
from grove.events.recordings.format import RecordingError
from grove.events.recordings.random_access import EventLines
from grove.events.recordings.reader import Recording
from grove.reducers.timeline import Timeline
from grove.views.tui.app import ArboristApp
from grove.views.tui.feed import ReplayFeed
from tests.views.tui.conftest import FRAGMENTED, REPLAYS


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[ArboristApp]:
    """Apps the command would run (not run: the test only looks at how they were set up)."""
    apps: list[ArboristApp] = []

    def fake_run(self: ArboristApp, *args: Any, **kwargs: Any) -> None:
        apps.append(self)

    monkeypatch.setattr(ArboristApp, "run", fake_run)
    return apps


def _feed(app: ArboristApp) -> ReplayFeed:
    assert isinstance(app.feed, ReplayFeed)
    return app.feed


def test_replay_starts_playing_from_the_beginning_at_8x(started: list[ArboristApp]) -> None:
    assert main(["replay", str(REPLAYS / FRAGMENTED)]) == 0
    status = _feed(started[0]).status()
    assert status.playing and status.speed == 8 and status.position.index == 0
    session = started[0].session
    assert session.mode == "replay" and session.context == "gpu-demo" and session.namespace is None


def test_tui_replay_at_starts_paused_there(started: list[ArboristApp]) -> None:
    assert main(["tui", "--replay", str(REPLAYS / FRAGMENTED), "--at", "1m30s", "-n", "prod", "--speed", "2"]) == 0
    status = _feed(started[0]).status()
    assert not status.playing and status.position.offset == 90 and status.speed == 2
    assert started[0].session.namespace == "prod"


def test_paused_starts_paused_at_the_beginning(started: list[ArboristApp]) -> None:
    assert main(["replay", str(REPLAYS / FRAGMENTED), "--paused"]) == 0
    status = _feed(started[0]).status()
    assert not status.playing and status.position.index == 0


def test_a_bad_recording_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (REPLAYS / FRAGMENTED).read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*lines[:5], "{not json", *lines[5:]]) + "\n")
    assert main(["replay", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {bad}:6: not JSON")


def test_missing_file_and_not_a_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tui", "--replay", str(tmp_path / "nope.jsonl")]) == 1
    assert "nope.jsonl" in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n')
    assert main(["replay", str(other)]) == 1
    assert "not a kubectl-grove recording" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tui", "--at", "10"], "--at and --paused need a recording"),
        (["replay", str(REPLAYS / FRAGMENTED), "--at", "1h"], "past the end"),
        (["replay", str(REPLAYS / FRAGMENTED), "--at", "soon"], "is not an offset"),
        (["replay", str(REPLAYS / FRAGMENTED), "--speed", "100"], "out of range"),
        (["replay", str(REPLAYS / FRAGMENTED), "-n", "a", "-A"], "cannot be used together"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def _broken_inside(tmp_path: Path) -> tuple[Path, int]:
    """The fragmented recording with one applied object broken behind an intact head (found only when decoded)."""
    lines = (REPLAYS / FRAGMENTED).read_bytes().splitlines()
    number = next(i for i, line in enumerate(lines) if i > len(lines) // 2 and b'"type":"applied"' in line) + 1
    lines[number - 1] = lines[number - 1].replace(b'"metadata":{', b'"metadata":[', 1)
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, number


def test_a_broken_line_before_the_starting_point_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started: list[ArboristApp]
) -> None:
    path, number = _broken_inside(tmp_path)
    broken_at = orjson.loads((REPLAYS / FRAGMENTED).read_bytes().splitlines()[number - 1])["t"]
    assert main(["replay", str(path), "--at", f"{math.ceil(broken_at)}s"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"broken.jsonl:{number}: not JSON" in err
    assert not started


def test_a_broken_line_reached_while_playing_pauses_and_reports_it(tmp_path: Path) -> None:
    path, number = _broken_inside(tmp_path)
    recording = Recording(path)
    events = EventLines(recording)
    feed = ReplayFeed(Timeline(events, recording.header.start, times=events.times), speed=64, playing=True)
    failures: list[BaseException] = []
    delivered: list[int] = []
    done = threading.Event()

    def failed(error: BaseException) -> None:
        failures.append(error)
        done.set()

    feed.start(lambda state, status: delivered.append(status.position.index if status else -1), failed)
    try:
        assert done.wait(20), "the replay reached the broken line"
        assert isinstance(failures[0], RecordingError) and failures[0].line == number
        assert not feed.status().playing
        delivered.clear()
        feed.seek(0)  # the keys still work: back to the start, before the broken line
        deadline = time.monotonic() + 10
        while not delivered and time.monotonic() < deadline:
            time.sleep(0.01)
        assert delivered == [feed.timeline.position_at(0).index] and len(failures) == 1
    finally:
        feed.stop()
