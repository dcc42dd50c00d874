"""Helpers for the Arborist tests: apps over the bundled recordings (paused at a fixed offset) or a fake live stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reactivex.subject import Subject
from textual.pilot import Pilot

from grove.events.model import Event
from grove.events.recordings.random_access import EventLines
from grove.events.recordings.reader import Recording
from grove.reducers.timeline import Timeline
from grove.views.tui.app import ArboristApp
from grove.views.tui.feed import LiveFeed, ReplayFeed
from grove.views.tui.session import LIVE, REPLAY, Providers, Session

ROOT = Path(__file__).resolve().parents[3]
REPLAYS = ROOT / "replays"
FRAGMENTED = "disagg-fragmented.jsonl"


def load_timeline(name: str) -> Timeline:
    """A bundled recording's timeline, read as ``kubectl grove tui --replay`` reads it (events decoded on demand)."""
    recording = Recording(REPLAYS / name)
    events = EventLines(recording)
    return Timeline(events, recording.header.start, times=events.times)


def replay_app(
    name: str = FRAGMENTED,
    at: float | None = None,
    *,
    playing: bool = False,
    namespace: str | None = None,
    speed: float = 8.0,
    providers: Providers | None = None,
) -> ArboristApp:
    """An app over a bundled recording, paused at ``at`` (default: its end) unless ``playing``."""
    recording = Recording(REPLAYS / name)
    timeline = load_timeline(name)
    feed = ReplayFeed(
        timeline,
        playing=playing,
        speed=speed,
        at=timeline.duration if at is None and not playing else at,
    )
    session = Session(REPLAY, namespace, context=recording.header.context, label=f"replays/{name}")
    return ArboristApp(session, feed, providers)


class FakeLog:
    """A log stream that yields a few lines then ends (or waits until closed, when following)."""

    def __init__(self, lines: list[str], follow: bool) -> None:
        self.lines = lines
        self.follow = follow
        self.closed = False

    def __iter__(self) -> Iterator[str]:
        yield from self.lines
        while self.follow and not self.closed:
            time.sleep(0.02)

    def close(self) -> None:
        self.closed = True


class LiveRig:
    """A live app fed by hand: ``push(event)`` goes through the real LiveFeed (folded off the UI thread)."""

    def __init__(self, namespace: str | None = None) -> None:
        self.subject: Subject[Event] = Subject()
        self.fetched: list[tuple[str, str, str]] = []
        self.logs: list[tuple[str, str, str | None, bool]] = []
        self.feed = LiveFeed(self.subject, clock=None)
        providers = Providers(fetch_yaml=self._fetch, stream_logs=self._logs)
        session = Session(
            LIVE,
            namespace,
            context="kind-grove",
            cluster="kind",
            user="admin",
            server_version="v1.33.1",
            label="https://127.0.0.1:6443",
        )
        self.app = ArboristApp(session, self.feed, providers)

    def _fetch(self, kind: str, namespace: str, name: str) -> str:
        self.fetched.append((kind, namespace, name))
        return f"kind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\n# fetched fresh\n"

    def _logs(self, namespace: str, pod: str, container: str | None, follow: bool) -> FakeLog:
        self.logs.append((namespace, pod, container, follow))
        return FakeLog([f"{pod} {container} line {i}" for i in range(3)], follow)

    def push(self, *events: Event) -> None:
        for event in events:
            self.subject.on_next(event)


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    """Let the app run until ``predicate()`` holds (the feed delivers from its own thread)."""
    deadline = time.monotonic() + timeout
    app = pilot.app
    # Not while a screen is built ahead: ``app.screen`` is then that screen, which is not displayed.
    while (isinstance(app, ArboristApp) and app.building_ahead) or not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)
    await pilot.pause()


@pytest.fixture(autouse=True)
def _wait_for_screens_built_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the app builds a screen ahead (``ArboristApp.building_ahead``), ``app.screen`` is that screen, which is
    not displayed: a test that reads ``app.screen`` then would look at the wrong one. A busy machine makes that
    window long (the build is 0.1-0.2 s on a quiet one), so ``press`` and ``pause`` return only once it is over."""
    press, pause = Pilot.press, Pilot.pause

    async def built(pilot: Pilot[Any]) -> None:
        while isinstance(pilot.app, ArboristApp) and pilot.app.building_ahead:
            await asyncio.sleep(0.01)

    async def pressed(pilot: Pilot[Any], *keys: str) -> None:
        await press(pilot, *keys)
        await built(pilot)

    async def paused(pilot: Pilot[Any], delay: float | None = None) -> None:
        await pause(pilot, delay)
        await built(pilot)

    monkeypatch.setattr(Pilot, "press", pressed)
    monkeypatch.setattr(Pilot, "pause", paused)


@pytest.fixture
def live_rig() -> LiveRig:
    return LiveRig()
