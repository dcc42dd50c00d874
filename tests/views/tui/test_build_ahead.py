"""The topology screen and the YAML overlay are built once the app is idle after start (composed, styled, laid out,
drawn, never displayed): the first ``t`` and ``y`` reopen them on the object under the cursor, showing what a first
build shows, with the state that came while they were hidden."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input

from grove.events.model import SourceHealthChanged, SourceStatus
from grove.views.tui.app import ArboristApp
from grove.views.tui.feed import ReplayFeed
from grove.views.tui.screens.forest import ForestScreen
from grove.views.tui.screens.topology import TopologyScreen
from grove.views.tui.screens.yaml import YamlScreen
from grove.views.tui.widgets.keyed_table import KeyedTable
from tests.views.tui.conftest import LiveRig, replay_app, wait_until
from tests.views.tui.test_tui_live import AT, _start

SIZE = (120, 36)


def _built(app: ArboristApp) -> bool:
    return app._topology is not None and app._yaml is not None and app._hidden is None


def _tables(app: ArboristApp) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for table in app.screen.query(KeyedTable):
        out[str(table.id)] = (table.keys, table.current_key, table.cursor_row, str(table.border_title))
    out["inputs shown"] = tuple(bool(i.display) for i in app.screen.query(Input))
    return out


async def _open(
    app: ArboristApp, keys: list[str], ahead: bool, at_end: bool = False
) -> tuple[str, object, Screen[Any]]:
    """Run ``app``, wait for the screens built ahead (or not), optionally go to the end, press ``keys``: what the
    screen shows then (a screenshot, and the tables' rows, cursors and titles) and the screen."""
    app.build_ahead = ahead
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if ahead:
            await wait_until(pilot, lambda: _built(app), timeout=10)
            assert isinstance(app.screen, ForestScreen) and app.focused is not None
            assert app.focused.id == "resources"  # the forest kept its focus
        if at_end:
            feed = app.feed
            assert isinstance(feed, ReplayFeed)
            feed.end()
            await wait_until(pilot, lambda: app.replay is not None and app.replay.at_end, timeout=10)
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.pause()
        return app.export_screenshot(), _tables(app), app.screen


async def test_screens_built_ahead_are_never_displayed(monkeypatch: pytest.MonkeyPatch) -> None:
    displayed: list[type[Screen[Any]]] = []
    original = App._display

    def spy(self: App[Any], screen: Screen[Any], renderable: Any) -> None:
        displayed.append(type(screen))
        original(self, screen, renderable)

    monkeypatch.setattr(App, "_display", spy)
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: _built(app), timeout=10)
        assert app._topology is not None and app._topology.is_mounted
        assert app._topology.query_one("#domains", KeyedTable).keys  # filled and drawn while hidden
        assert displayed and set(displayed) == {ForestScreen}
        await pilot.press("t")
        await pilot.pause()
        assert app.screen is app._topology and displayed[-1] is TopologyScreen


async def test_the_first_t_reopens_the_topology_built_ahead_as_a_first_build_shows_it() -> None:
    keys = ["enter", "escape", "down", "up", "t"]  # the workload under the cursor may differ from when it was built
    shot, tables, screen = await _open(replay_app(), keys, ahead=True)
    fresh_shot, fresh_tables, fresh = await _open(replay_app(), keys, ahead=False)
    assert isinstance(screen, TopologyScreen) and isinstance(fresh, TopologyScreen)
    assert screen.request == fresh.request and screen.request.focus is not None
    assert screen.request.path == () and screen.request.filter == ""
    assert tables == fresh_tables and tables["domains"][0] and tables["inputs shown"] == (False,)
    assert shot == fresh_shot


async def test_the_topology_built_ahead_shows_the_state_that_came_while_it_was_hidden() -> None:
    shot, tables, _ = await _open(replay_app(at=30), ["t"], ahead=True, at_end=True)
    fresh_shot, fresh_tables, _ = await _open(replay_app(at=30), ["t"], ahead=False, at_end=True)
    _, early_tables, _ = await _open(replay_app(at=30), ["t"], ahead=False)
    assert early_tables != fresh_tables  # the state at the end shows otherwise
    assert tables == fresh_tables
    assert shot == fresh_shot


async def test_the_first_y_reopens_the_overlay_built_ahead_on_the_object_under_the_cursor() -> None:
    keys = ["enter", "enter", "down", "y"]  # a clique's second pod
    shot, _, screen = await _open(replay_app(), keys, ahead=True)
    fresh_shot, _, fresh = await _open(replay_app(), keys, ahead=False)
    assert isinstance(screen, YamlScreen) and isinstance(fresh, YamlScreen)
    assert screen.ref == fresh.ref and screen.ref.kind == "Pod"
    assert screen.yaml_text == fresh.yaml_text and f"name: {screen.ref.name}\n" in screen.yaml_text
    assert shot == fresh_shot


async def test_live_the_overlay_built_ahead_fetches_nothing_until_y(live_rig: LiveRig) -> None:
    app = live_rig.app
    async with app.run_test(size=SIZE) as pilot:
        await _start(live_rig, pilot)
        await wait_until(pilot, lambda: _built(app), timeout=10)
        assert live_rig.fetched == []
        await pilot.press("y")
        await wait_until(pilot, lambda: "# fetched fresh" in getattr(app.screen, "yaml_text", ""))
        assert app.screen is app._yaml and live_rig.fetched == [("PodCliqueSet", "prod", "my-inference")]


async def test_screens_are_built_ahead_after_a_start_whose_first_states_were_not_the_newest(
    live_rig: LiveRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live, the lists come one kind at a time: the forest shows its first rows before the last list is folded, when
    the topology is not worked out ahead (a newer state is coming, and the topology is not carried over). Once a
    newest state is shown, it is, and the screens are built ahead, with no key pressed."""
    app = live_rig.app
    newest = {"yet": False}  # the states shown until then count as not the newest
    settled = ArboristApp.settled
    monkeypatch.setattr(ArboristApp, "settled", lambda self, state: newest["yet"] and settled(self, state))
    async with app.run_test(size=SIZE) as pilot:
        await _start(live_rig, pilot)
        await pilot.pause(0.3)
        assert app._topology is None
        newest["yet"] = True
        live_rig.push(SourceHealthChanged(AT + 1, "Pod", SourceStatus.LIVE))  # one more state, shown as the newest
        await wait_until(pilot, lambda: _built(app), timeout=10)
        assert isinstance(app.screen, ForestScreen)
