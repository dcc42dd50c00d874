"""SVG snapshots of every view and overlay on the bundled recordings, at 80×24 and 160×48.

Deterministic: each app starts paused at a fixed offset, and every age comes from the state's clock.
Update with ``pytest tests/views/tui --snapshot-update`` after checking the new screens by eye.
"""

from __future__ import annotations

from typing import Any

import pytest

from grove.commands.lifecycle.desk import ChangeDesk
from grove.events.model import Applied, SourceHealthChanged, SourceStatus
from grove.reducers.timeline import Timeline
from grove.views.tui.app import ArboristApp
from grove.views.tui.feed import ReplayFeed
from grove.views.tui.screens.change import ChangeScreen
from grove.views.tui.session import REPLAY, Providers, Session
from tests.support import fragmented
from tests.views.tui.conftest import FRAGMENTED, replay_app, wait_until

SMALL = (80, 24)
LARGE = (160, 48)
AT = 1_793_610_000.0


def _sources_app() -> ArboristApp:
    """The fragmented example with nodes forbidden, PodGangs not installed and one malformed object."""
    events = [
        *fragmented.events(AT),
        SourceHealthChanged(AT + 61, "Node", SourceStatus.FORBIDDEN, 'nodes is forbidden: User "dev" cannot list'),
        SourceHealthChanged(AT + 61, "PodGang", SourceStatus.NOT_INSTALLED, "podgangs.scheduler.grove.io"),
        SourceHealthChanged(AT + 61, "Pod", SourceStatus.LIVE),
        SourceHealthChanged(AT + 62, "Event", SourceStatus.STALE, "watch read timed out", since=AT + 30),
        Applied(AT + 62, "Pod", {"kind": "Pod", "metadata": {}}),
    ]
    timeline = Timeline(events, AT)
    feed = ReplayFeed(timeline, playing=False, at=timeline.duration)
    return ArboristApp(Session(REPLAY, None, context="gpu-demo", label="sources.jsonl"), feed)


def _loading_app() -> ArboristApp:
    """The fragmented example while its first lists come in: PodCliqueSets and bindings listed, pods half-way."""
    from grove.events.kinds import ALL_KINDS
    from grove.events.model import Listed

    listed = [e for e in fragmented.events(AT) if isinstance(e, Listed)]
    events = [
        *(SourceHealthChanged(AT, kind, SourceStatus.CONNECTING) for kind in ALL_KINDS),
        *(e for e in listed if e.kind in ("PodCliqueSet", "ClusterTopologyBinding")),
        SourceHealthChanged(AT + 1, "Pod", SourceStatus.CONNECTING, "4,500 / ~10,000"),
        SourceHealthChanged(AT + 1, "Node", SourceStatus.CONNECTING, "500 / ~1,000"),
    ]
    timeline = Timeline(events, AT)
    feed = ReplayFeed(timeline, playing=False, at=timeline.duration)
    return ArboristApp(Session(REPLAY, None, context="gpu-demo", label="loading.jsonl"), feed)


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.pause()


def _keys(*keys: str) -> Any:
    async def run(pilot: Any) -> None:
        await _settle(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await _settle(pilot)

    return run


def _desk_app(name: str, at: float | None = None) -> ArboristApp:
    """A recording with the change desk ``tui --replay`` gets (previews, no writes; a restart stamped at the
    recording's moment)."""
    return replay_app(name, at=at, providers=Providers(changes=ChangeDesk(None)))


def _dialog_keys(*keys: str) -> Any:
    """The keys, then wait until the dialog's preview is shown."""

    async def run(pilot: Any) -> None:
        await _keys(*keys)(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChangeScreen)
        await wait_until(pilot, lambda: not dialog.busy and dialog.plan is not None, timeout=20)
        await _settle(pilot)

    return run


INTO_DECODE = ("enter", "enter", "down", "down", "down", "down", "down", "down", "down")


CASES = [
    ("forest-root", SMALL, lambda: replay_app(), ()),
    ("forest-pods", SMALL, lambda: replay_app(), INTO_DECODE),
    ("topology", SMALL, lambda: replay_app(), ("t",)),
    ("yaml", SMALL, lambda: replay_app(), ("enter", "enter", "y")),
    ("help", SMALL, lambda: replay_app(), ("question_mark",)),
    ("logs-replay", SMALL, lambda: replay_app(), ("enter", "enter", "l")),
    ("problems", SMALL, _sources_app, ("exclamation_mark",)),
    ("filter", SMALL, lambda: replay_app(), ("enter", "enter", "slash", *"gpu-02")),
    ("goto", SMALL, lambda: replay_app(at=30), ("g", *"90s")),
    ("forest-multi-tenant", LARGE, lambda: replay_app("multi-tenant.jsonl"), ()),
    ("scaling-group", LARGE, lambda: replay_app("multi-tenant.jsonl"), ("down", "enter", "down", "enter")),
    ("health-breach", LARGE, lambda: replay_app("min-available-breach.jsonl", at=400), ("enter",)),
    ("rolling-update", LARGE, lambda: replay_app("rolling-update.jsonl", at=60), ("enter", "enter")),
    ("rolling-update-small", SMALL, lambda: replay_app("rolling-update.jsonl", at=60), ("enter", "enter")),
    ("gangs", LARGE, lambda: replay_app(), ("enter", "down", "down", "enter")),
    ("topology-hosts", LARGE, lambda: replay_app(), ("t", "enter")),
    ("topology-all-zones", LARGE, lambda: replay_app("multi-tenant.jsonl"), ("down", "t", "a")),
    ("yaml-search", LARGE, lambda: replay_app(), ("y", "slash", *"replicas", "enter", "n")),
    ("events-all", LARGE, lambda: replay_app(at=90), ("enter", "tab", "e")),
    ("problems-wide", LARGE, _sources_app, ("exclamation_mark",)),
    ("forest-loading", LARGE, _loading_app, ()),
    # every view and overlay at the other size too
    ("forest-root-wide", LARGE, lambda: replay_app(), ()),
    ("forest-pods-wide", LARGE, lambda: replay_app(), INTO_DECODE),
    ("help-wide", LARGE, lambda: replay_app(), ("question_mark",)),
    ("metrics", SMALL, lambda: replay_app("rolling-update-metrics.jsonl", at=90), ("m",)),
    ("metrics-wide", LARGE, lambda: replay_app("rolling-update-metrics.jsonl", at=90), ("m",)),
    ("logs-replay-wide", LARGE, lambda: replay_app(), ("enter", "enter", "l")),
    ("filter-wide", LARGE, lambda: replay_app(), ("enter", "enter", "slash", *"gpu-02")),
    ("goto-wide", LARGE, lambda: replay_app(at=30), ("g", *"90s")),
    ("scaling-group-small", SMALL, lambda: replay_app("multi-tenant.jsonl"), ("down", "enter", "down", "enter")),
    ("health-breach-small", SMALL, lambda: replay_app("min-available-breach.jsonl", at=400), ("enter",)),
    ("gangs-small", SMALL, lambda: replay_app(), ("enter", "down", "down", "enter")),
    ("topology-hosts-small", SMALL, lambda: replay_app(), ("t", "enter")),
    ("topology-all-zones-small", SMALL, lambda: replay_app("multi-tenant.jsonl"), ("down", "t", "a")),
    ("yaml-search-small", SMALL, lambda: replay_app(), ("y", "slash", *"replicas", "enter", "n")),
    ("events-all-small", SMALL, lambda: replay_app(at=90), ("enter", "tab", "e")),
]


@pytest.mark.parametrize(("size", "make", "keys"), [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_snapshot(snap_compare: Any, size: tuple[int, int], make: Any, keys: tuple[str, ...]) -> None:
    assert snap_compare(make(), terminal_size=size, run_before=_keys(*keys))


SCALE_TO_3 = ("s", "backspace", "3")
DIALOG_CASES = [
    ("scale-dialog", SMALL, lambda: _desk_app("rolling-update.jsonl", at=0), SCALE_TO_3),
    ("scale-dialog-wide", LARGE, lambda: _desk_app("rolling-update.jsonl", at=0), SCALE_TO_3),
    ("scale-dialog-no-fit-wide", LARGE, lambda: _desk_app(FRAGMENTED), ("s", "backspace", "2")),
    ("restart-dialog", SMALL, lambda: _desk_app("rolling-update.jsonl", at=0), ("R",)),
    ("restart-dialog-wide", LARGE, lambda: _desk_app("rolling-update.jsonl", at=0), ("R",)),
]


@pytest.mark.parametrize(("size", "make", "keys"), [pytest.param(*c[1:], id=c[0]) for c in DIALOG_CASES])
def test_dialog_snapshot(snap_compare: Any, size: tuple[int, int], make: Any, keys: tuple[str, ...]) -> None:
    assert snap_compare(make(), terminal_size=size, run_before=_dialog_keys(*keys))
