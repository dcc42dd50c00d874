"""Pilot tests: every key of the app, on a bundled recording paused at a fixed offset."""

from __future__ import annotations

import threading
from typing import Any

from textual.widgets import Input

from grove.views.tui.app import FOLDING_HINT_AFTER, ArboristApp
from grove.views.tui.eventlist import ALL, WARNINGS_FIRST
from grove.views.tui.feed import ReplayFeed
from grove.views.tui.screens.forest import ForestScreen
from grove.views.tui.screens.goto import GotoScreen
from grove.views.tui.screens.help import HelpScreen
from grove.views.tui.screens.logs import LogsScreen
from grove.views.tui.screens.problems import ProblemsScreen
from grove.views.tui.screens.topology import TopologyScreen
from grove.views.tui.screens.yaml import YamlScreen
from grove.views.tui.widgets.bars import TimelineBar
from grove.views.tui.widgets.keyed_table import KeyedTable
from tests.views.tui.conftest import replay_app, wait_until

SIZE = (120, 36)
DECODE = "clique:my-inference-0-decode"


def _forest(app: ArboristApp) -> ForestScreen:
    screen = app.screen
    assert isinstance(screen, ForestScreen), screen
    return screen


def _table(app: ArboristApp, name: str = "#resources") -> KeyedTable:
    return app.screen.query_one(name, KeyedTable)


async def _press(pilot: Any, *keys: str) -> None:
    """Press ``keys`` and let the app handle them."""
    await pilot.press(*keys)
    await pilot.pause()


async def _into_decode(pilot: Any) -> None:
    await _press(pilot, "enter")  # my-inference (its only replica is entered too)
    await _press(pilot, "enter")  # decode (the first clique)


async def test_enter_drills_and_escape_backspace_go_back() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert _table(app).keys == ("pcs:prod/my-inference",)
        await _press(pilot, "enter")
        screen = _forest(app)
        assert [s.key for s in screen.request.path] == ["pcs:prod/my-inference", "replica:0"]
        assert _table(app).current_key == DECODE
        await _press(pilot, "enter")
        assert len(_table(app).keys) == 8 and all(k.startswith("pod:") for k in _table(app).keys)
        await _press(pilot, "escape")
        assert _table(app).current_key == DECODE, "the cursor comes back to the row that was entered"
        await _press(pilot, "backspace")
        assert screen.request.path == ()
        assert _table(app).current_key == "pcs:prod/my-inference"


async def test_enter_on_a_pod_opens_its_yaml() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await _into_decode(pilot)
        await _press(pilot, "enter")
        assert isinstance(app.screen, YamlScreen)
        assert app.screen.ref.kind == "Pod"


async def test_tab_switches_panes_and_events_follow_the_selection() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await _into_decode(pilot)
        events = _table(app, "#events")
        assert app.focused is _table(app)
        await _press(pilot, "tab")
        assert app.focused is events
        await _press(pilot, "shift+tab")
        assert app.focused is _table(app)
        # the last decode pod was FailedScheduling for a while: its events show it
        await pilot.press("end")
        for _ in range(7):
            await pilot.press("down")
        await pilot.pause()
        assert _table(app).cursor_row == 7
        reasons = [events.row_model(k).cells[2].plain for k in events.keys]  # type: ignore[union-attr]
        assert reasons[0] == "FailedScheduling"
        assert "Events · my-inference-0-decode-" in str(events.border_title)


async def test_e_toggles_warnings_first_and_all() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = _forest(app)
        first = _table(app, "#events").keys
        assert screen.event_mode == WARNINGS_FIRST
        await _press(pilot, "e")
        assert screen.event_mode == ALL
        every = _table(app, "#events").keys
        assert len(every) > len(first)
        assert "all by time" in str(_table(app, "#events").border_title)
        await pilot.press("e")
        assert screen.event_mode == WARNINGS_FIRST


async def test_slash_filters_as_you_type_and_escape_clears() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await _into_decode(pilot)
        await _press(pilot, "slash")
        assert isinstance(app.focused, Input)
        await _press(pilot, *"gpu-02")
        assert len(_table(app).keys) == 4
        await _press(pilot, "enter")
        assert app.focused is _table(app)
        assert "filter: gpu-02" in app.screen.query_one("#crumbs").note  # type: ignore[attr-defined]
        await _press(pilot, "escape")
        assert len(_table(app).keys) == 8
        assert _forest(app).request.filter == ""


async def test_t_opens_the_topology_of_the_selected_pcs() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _press(pilot, "t")
        screen = app.screen
        assert isinstance(screen, TopologyScreen)
        assert screen.request.focus == ("prod", "my-inference")
        domains = _table(app, "#domains")
        assert domains.keys == ("dom:rack-1", "dom:rack-2")
        await _press(pilot, "down")
        pods = _table(app, "#pods")
        assert pods.keys and "rack-2" in str(pods.border_title)
        await _press(pilot, "enter")
        assert screen.request.path == ("rack-2",)
        assert all(k.startswith("node:") for k in domains.keys)
        await _press(pilot, "escape")
        assert screen.request.path == ()
        assert domains.current_key == "dom:rack-2"
        await _press(pilot, "t")
        assert isinstance(app.screen, ForestScreen)


async def test_topology_a_escape_y_and_slash() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _press(pilot, "t")
        screen = app.screen
        assert isinstance(screen, TopologyScreen)
        await _press(pilot, "a")
        assert screen.request.show_all
        await _press(pilot, "slash", *"rack-2", "enter")
        assert _table(app, "#domains").keys == ("dom:rack-2",)
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert len(_table(app, "#domains").keys) == 2
        await pilot.press("enter")  # into rack-1: hosts
        await pilot.pause()
        await _press(pilot, "y")
        assert isinstance(app.screen, YamlScreen) and app.screen.ref.kind == "Node"
        await _press(pilot, "escape")
        await pilot.press("tab")
        await _press(pilot, "l")
        assert isinstance(app.screen, LogsScreen)
        await pilot.press("escape")
        await pilot.press("escape")  # up to the racks
        await pilot.press("escape")  # and back to the forest
        await pilot.pause()
        assert isinstance(app.screen, ForestScreen)


async def test_y_shows_recorded_yaml_with_search() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _press(pilot, "y")
        screen = app.screen
        assert isinstance(screen, YamlScreen)
        assert screen.ref.kind == "PodCliqueSet"
        assert "kind: PodCliqueSet" in screen.yaml_text
        assert "as recorded at 2:58" in screen.origin
        await _press(pilot, "slash", *"replicas")
        assert len(screen.matches) >= 2
        await pilot.press("enter")
        await pilot.press("n")
        assert screen.current == 1
        await pilot.press("N")
        assert screen.current == 0
        await _press(pilot, "escape")
        assert isinstance(app.screen, ForestScreen)


async def test_l_in_a_replay_says_logs_are_live_only() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")  # not a pod: a warning, no overlay
        await pilot.pause()
        assert isinstance(app.screen, ForestScreen)
        await _into_decode(pilot)
        await _press(pilot, "l")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        assert not screen.can_stream
        assert screen.log_status == "not available"
        await _press(pilot, "escape")
        assert isinstance(app.screen, ForestScreen)


async def test_question_mark_and_exclamation_mark_overlays() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await _press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await _press(pilot, "exclamation_mark")
        assert isinstance(app.screen, ProblemsScreen)
        await pilot.press("q")  # q closes an overlay
        await pilot.pause()
        assert isinstance(app.screen, ForestScreen)


async def test_q_and_ctrl_q_quit() -> None:
    for keys in (("q",), ("ctrl+q",), ("y", "ctrl+q")):  # Ctrl+Q also from an overlay
        app = replay_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            for key in keys:
                await _press(pilot, key)
            assert app._exit, keys


# ----------------------------------------------------------------------------------------------- replay keys


def _feed(app: ArboristApp) -> ReplayFeed:
    assert isinstance(app.feed, ReplayFeed)
    return app.feed


async def test_space_plus_minus() -> None:
    app = replay_app(at=30)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        feed = _feed(app)
        assert not feed.status().playing
        await pilot.press("plus")
        assert feed.status().speed == 16
        for _ in range(5):
            await pilot.press("plus")
        assert feed.status().speed == 64
        for _ in range(9):
            await pilot.press("minus")
        assert feed.status().speed == 0.5
        await pilot.press("space")
        assert feed.status().playing
        await pilot.press("space")
        assert not feed.status().playing
        assert app.replay is not None and app.replay.speed == 0.5


async def test_arrows_step_one_event_and_pause() -> None:
    app = replay_app(at=30)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        feed = _feed(app)
        start = feed.status().position.index
        await pilot.press("right")
        await wait_until(pilot, lambda: app.replay is not None and app.replay.position.index == start + 1)
        await pilot.press("left", "left")
        await wait_until(pilot, lambda: app.replay is not None and app.replay.position.index == start - 1)
        assert app.state.revision == feed.timeline.state_at(start - 1).revision
        await pilot.press("space")  # playing: an arrow pauses and steps
        await pilot.press("right")
        assert not feed.status().playing


async def test_g_goes_to_an_offset_and_G_to_the_end() -> None:
    app = replay_app(at=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _press(pilot, "g")
        assert isinstance(app.screen, GotoScreen)
        await _press(pilot, *"1:30", "enter")
        await wait_until(pilot, lambda: app.replay is not None and app.replay.position.offset == 90)
        assert app.state.now == _feed(app).timeline.start + 90
        await _press(pilot, "g", *"later", "enter")
        assert isinstance(app.screen, GotoScreen), "a bad offset keeps the prompt open"
        await pilot.press("escape")
        await pilot.press("G")
        await wait_until(pilot, lambda: app.replay is not None and app.replay.at_end)


async def test_playback_reaches_the_end_and_keeps_the_cursor() -> None:
    app = replay_app(at=0, playing=True, speed=64)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await wait_until(pilot, lambda: bool(_table(app).keys))
        await _press(pilot, "enter")
        key = _table(app).current_key
        await wait_until(pilot, lambda: app.replay is not None and app.replay.at_end, timeout=8)
        assert _table(app).current_key == key
        assert not _feed(app).status().playing


async def test_replay_keys_are_off_in_live_mode(live_rig: Any) -> None:
    app = live_rig.app
    async with app.run_test(size=SIZE) as pilot:
        await _press(pilot, "space", "plus", "g", "G")
        assert isinstance(app.screen, ForestScreen)


async def test_t_opens_the_kept_topology_screen_afresh() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _press(pilot, "t")
        screen = app.screen
        assert isinstance(screen, TopologyScreen)
        await pilot.press("down", "enter")  # into rack-2
        await pilot.pause()
        assert screen.request.path == ("rack-2",)
        await _press(pilot, "slash", *"zz")
        assert screen.request.filter == "zz"
        await pilot.press("enter", "t")  # keep the filter, back to the forest
        await pilot.pause()
        assert isinstance(app.screen, ForestScreen)
        await _press(pilot, "t")
        assert app.screen is screen  # the same screen, not built again
        assert screen.request.path == () and screen.request.filter == ""
        assert not screen.query_one("#tfilter", Input).display
        assert _table(app, "#domains").keys == ("dom:rack-1", "dom:rack-2")
        assert _table(app, "#domains").current_key == "dom:rack-1"
        assert "rack-1" in str(_table(app, "#pods").border_title)


async def test_y_opens_the_kept_overlay_on_each_object() -> None:
    from grove.views.tui.messages import YamlLoaded

    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _press(pilot, "y")
        overlay = app.screen
        assert isinstance(overlay, YamlScreen) and overlay.ref.kind == "PodCliqueSet"
        await _press(pilot, "slash", *"replicas", "enter")
        assert overlay.matches
        await _press(pilot, "escape")
        await _into_decode(pilot)
        await pilot.press("escape")  # back to the cliques: the decode clique under the cursor
        await pilot.pause()
        await _press(pilot, "y")
        assert app.screen is overlay
        assert overlay.ref.kind == "PodClique" and overlay.ref.name == DECODE.partition(":")[2]
        assert "kind: PodClique\n" in overlay.yaml_text and not overlay.matches
        assert not overlay.query_one("#search", Input).display
        # a late answer about the object shown before is dropped
        text = overlay.yaml_text
        overlay.post_message(YamlLoaded("kind: Stale\n", "fetched from the API server", ref=object()))
        await pilot.pause()
        assert overlay.yaml_text == text


async def test_a_long_seek_says_it_is_folding_until_the_state_comes() -> None:
    app = replay_app(at=0)
    timeline = _feed(app).timeline
    release = threading.Event()
    real_state_at = timeline.state_at

    def slow_state_at(index: int) -> Any:  # a fold that takes as long as the test says
        if index == len(timeline):
            release.wait(10)
        return real_state_at(index)

    timeline.state_at = slow_state_at  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("G")
        await wait_until(pilot, lambda: app.replay is not None and app.replay.folding)
        bar = app.screen.query_one(TimelineBar)
        assert "folding the recording to here" in bar.text(SIZE[0]).plain
        assert app.replay is not None and app.replay.position.index == len(timeline)
        release.set()
        await wait_until(pilot, lambda: app.replay is not None and not app.replay.folding and app.replay.at_end)
        await pilot.pause()
        assert "folding" not in bar.text(SIZE[0]).plain
        await pilot.press("left")  # a quick step never says it
        await pilot.pause(FOLDING_HINT_AFTER + 0.1)
        assert app.replay is not None and not app.replay.folding


async def test_the_pods_of_another_domain_show_from_their_top() -> None:
    app = replay_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _press(pilot, "t")
        pods = _table(app, "#pods")
        rack = pods.keys
        await pilot.press("tab", *["down"] * (len(rack) - 1))  # the last pod of rack-1
        await pilot.pause()
        assert pods.current_key == rack[-1] and pods.cursor_row == len(rack) - 1 > 0
        await pilot.press("tab", "enter")  # into rack-1: its first host's pods
        await pilot.pause()
        assert _table(app, "#domains").current_key is not None
        assert _table(app, "#domains").current_key.startswith("node:")
        host = pods.keys
        assert host and set(host) < set(rack)
        assert pods.cursor_row == 0 and pods.current_key == host[0] and pods.scroll_y == 0
