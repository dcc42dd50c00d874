"""Live mode with a fake stream: states folded off the UI thread, keyed diffs, a cursor that follows its object,
fresh YAML and pod logs through the injected providers, and source problems."""

from __future__ import annotations

import copy
import gc
import io
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Static

from grove.events.model import Applied, Listed, Removed, SourceHealthChanged, SourceStatus
from grove.views.tui import app as app_module
from grove.views.tui.messages import StateChanged
from grove.views.tui.screens.forest import ForestScreen
from grove.views.tui.screens.logs import LogsScreen
from grove.views.tui.screens.problems import ProblemsScreen
from grove.views.tui.screens.yaml import YamlScreen
from grove.views.tui.widgets.bars import HeaderBar
from grove.views.tui.widgets.keyed_table import KeyedTable
from tests.support import fragmented
from tests.support import handmade as h
from tests.views.tui.conftest import LiveRig, wait_until

AT = 1_793_610_000.0
SIZE = (120, 36)


def _objects() -> dict[str, list[dict[str, Any]]]:
    return fragmented.objects()


def _listed(objs: dict[str, list[dict[str, Any]]]) -> list[Any]:
    return [Listed(AT, kind, tuple(items)) for kind, items in objs.items()]


def _table(rig: LiveRig, name: str = "#resources") -> KeyedTable:
    return rig.app.screen.query_one(name, KeyedTable)


def _other_pcs(name: str) -> dict[str, Any]:
    return h.pcs(name, 1, [h.clique_template("worker", "worker", 1, 1)])


async def _start(rig: LiveRig, pilot: Any) -> None:
    rig.push(*_listed(_objects()))
    for kind in fragmented.objects():
        rig.push(SourceHealthChanged(AT, kind, SourceStatus.LIVE))
    await wait_until(pilot, lambda: bool(_table(rig).keys))


async def test_header_shows_cluster_and_live_state(live_rig: LiveRig) -> None:
    async with live_rig.app.run_test(size=(160, 40)) as pilot:
        await _start(live_rig, pilot)
        header = live_rig.app.screen.query_one(HeaderBar).text(160).plain
        for part in ("ctx kind-grove", "cluster kind", "user admin", "ns all", "k8s v1.33.1", "● live"):
            assert part in header, header


async def test_cursor_stays_on_its_object_when_rows_are_added_before_it(live_rig: LiveRig) -> None:
    rig = live_rig
    async with rig.app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        rig.push(Applied(AT + 1, "PodCliqueSet", _other_pcs("zz-later")))
        await wait_until(pilot, lambda: len(_table(rig).keys) == 2)
        await pilot.press("down")
        await pilot.pause()
        assert _table(rig).current_key == "pcs:prod/zz-later"
        clears = 0
        original = _table(rig).clear

        def counting_clear(*args: Any, **kwargs: Any) -> Any:
            nonlocal clears
            clears += 1
            return original(*args, **kwargs)

        _table(rig).clear = counting_clear  # type: ignore[method-assign]
        rig.push(
            Applied(AT + 2, "PodCliqueSet", _other_pcs("aa-first")), Applied(AT + 2, "PodCliqueSet", _other_pcs("ab"))
        )
        await wait_until(pilot, lambda: len(_table(rig).keys) == 4)
        table = _table(rig)
        assert table.keys == ("pcs:prod/aa-first", "pcs:prod/ab", "pcs:prod/my-inference", "pcs:prod/zz-later")
        assert table.current_key == "pcs:prod/zz-later"
        assert table.cursor_row == 3
        assert clears == 0, "an update is a keyed diff, not a rebuild"


async def test_cursor_follows_a_pod_when_pods_appear_before_it(live_rig: LiveRig) -> None:
    rig = live_rig
    objs = _objects()
    async with rig.app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        await pilot.press("enter", "enter")  # my-inference → replica 0 (auto) → decode
        await pilot.pause()
        for _ in range(5):
            await pilot.press("down")
        await pilot.pause()
        table = _table(rig)
        key = table.current_key
        assert key is not None and key.startswith("pod:") and table.cursor_row == 5
        decode = objs["PodClique"][1]
        newcomer = h.pod(decode, 0, "node-gpu-05", suffix="aaaaa")
        rig.push(Applied(AT + 5, "Pod", newcomer))
        await wait_until(pilot, lambda: len(_table(rig).keys) == 9)
        assert table.current_key == key
        assert table.cursor_row == 6
        # the selected pod goes away: the cursor stays where it was, on its neighbour
        gone = next(p for p in objs["Pod"] if f"pod:{p['metadata']['name']}" == key)
        rig.push(Removed(AT + 6, "Pod", gone))
        await wait_until(pilot, lambda: len(_table(rig).keys) == 8)
        assert table.cursor_row == 6


async def test_a_cell_changes_in_place(live_rig: LiveRig) -> None:
    rig = live_rig
    objs = _objects()
    async with rig.app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        await pilot.press("enter", "enter")
        await pilot.pause()
        pod = copy.deepcopy(objs["Pod"][4])  # the first decode pod
        pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}]
        key = f"pod:{pod['metadata']['name']}"
        table = _table(rig)
        before = table.get_cell(key, "status").plain
        rig.push(Applied(AT + 7, "Pod", pod))
        await wait_until(pilot, lambda: table.get_cell(key, "status").plain != before)
        assert table.get_cell(key, "status").plain == "✗ Running"


async def test_the_path_truncates_when_its_object_is_deleted(live_rig: LiveRig) -> None:
    rig = live_rig
    objs = _objects()
    async with rig.app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        await pilot.press("enter", "enter")
        await pilot.pause()
        screen = rig.app.screen
        assert isinstance(screen, ForestScreen) and len(screen.request.path) == 3
        decode = objs["PodClique"][1]
        rig.push(Removed(AT + 8, "PodClique", decode))
        for pod in objs["Pod"]:
            if pod["metadata"]["labels"].get("grove.io/podclique") == decode["metadata"]["name"]:
                rig.push(Removed(AT + 8, "Pod", pod))
        await wait_until(pilot, lambda: len(screen.request.path) == 2)
        crumbs = screen.query_one("#crumbs").crumbs  # type: ignore[attr-defined]
        assert [c[0] for c in crumbs] == ["PodCliqueSets", "prod/my-inference", "replica 0"]


async def test_bursts_collapse_to_the_newest_state(live_rig: LiveRig) -> None:
    rig = live_rig
    async with rig.app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        handled = 0
        original = rig.app.refresh_screens

        def counting() -> None:
            nonlocal handled
            handled += 1
            original()

        rig.app.refresh_screens = counting  # type: ignore[method-assign]
        names = [f"burst-{i:03d}" for i in range(150)]
        rig.push(*(Applied(AT + 10, "PodCliqueSet", _other_pcs(n)) for n in names))
        await wait_until(pilot, lambda: len(_table(rig).keys) == 151, timeout=10)
        assert handled < 150
        assert StateChanged(rig.app.state, None).can_replace(StateChanged(rig.app.state, None))


async def test_the_feed_goes_on_only_once_the_state_it_handed_over_is_drawn(live_rig: LiveRig) -> None:
    """The feed prepares the next state only after the UI drew the last one: the two would otherwise share the
    interpreter (one core) and each take about twice as long, the event on screen later for both."""
    rig = live_rig
    app = rig.app
    drawn: list[int] = []  # the app's state revision at each frame sent to the terminal
    came_back: list[tuple[int, list[int]]] = []  # each state handed over, and the frames drawn by then
    display, deliver = app._display, app._deliver

    def displaying(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            drawn.append(app.state.revision)

    def delivering(state: Any, status: Any) -> None:
        deliver(state, status)
        came_back.append((state.revision, list(drawn)))

    app._display = displaying  # type: ignore[method-assign]
    app._deliver = delivering  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        for i in range(5):
            rig.push(Applied(AT + 10 + i, "PodCliqueSet", _other_pcs(f"one-by-one-{i}")))
            await wait_until(pilot, lambda i=i: f"pcs:prod/one-by-one-{i}" in _table(rig).keys)  # type: ignore[misc]
        await wait_until(pilot, lambda: bool(came_back) and came_back[-1][0] == app.state.revision)
    assert len(came_back) >= 5
    for revision, frames in came_back:
        assert frames and max(frames) >= revision, (revision, frames[-3:])


async def test_the_feed_is_not_held_up_by_screens_coming_and_going(
    live_rig: LiveRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state handed over as an overlay opens or closes is drawn on whichever screen is up: the feed goes on (with
    the wait for a draw made endless, a state left waiting would stop every later one)."""
    monkeypatch.setattr(app_module, "HANDOVER_WAIT", 60.0)
    rig = live_rig
    async with rig.app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        for i in range(6):
            rig.push(Applied(AT + 10 + i, "PodCliqueSet", _other_pcs(f"while-switching-{i}")))
            await pilot.press("y" if i % 2 == 0 else "escape")
            key = ("prod", f"while-switching-{i}")
            await wait_until(pilot, lambda key=key: key in rig.app.state.of_kind("PodCliqueSet"))  # type: ignore[misc]


async def test_the_feed_gives_way_to_a_key_until_its_frame_and_between_workloads(live_rig: LiveRig) -> None:
    """While the UI handles a key (until the frame that shows it), the feed waits between the steps of preparing a
    state (at the forest root a step is one workload), and the cyclic garbage collector waits too."""
    rig = live_rig
    app = rig.app
    async with app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        assert app._no_input.is_set()
        handling: list[bool] = []
        original = ForestScreen._cursor_moved

        def moved(screen: ForestScreen, key: str | None) -> None:
            handling.append(not app._no_input.is_set() and not gc.isenabled())
            original(screen, key)

        screen = app.screen
        assert isinstance(screen, ForestScreen)
        screen.query_one("#resources", KeyedTable).on_cursor_moved = lambda key: moved(screen, key)
        rig.push(Applied(AT + 10, "PodCliqueSet", _other_pcs("second")))
        await wait_until(pilot, lambda: len(_table(rig).keys) == 2)
        await pilot.press("down")
        await wait_until(pilot, lambda: app._no_input.is_set())
        assert handling == [True]  # the key was being handled (the collector waiting); its frame is drawn now
        assert gc.isenabled()
        steps: list[str] = []
        screen.prepare(app.state, lambda: steps.append("gave way"))
        assert len(steps) == 2 + 2  # before, after each of the two workloads, before the events


async def test_yaml_is_fetched_fresh(live_rig: LiveRig) -> None:
    rig = live_rig
    async with rig.app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        await pilot.press("y")
        screen = rig.app.screen
        assert isinstance(screen, YamlScreen)
        await wait_until(pilot, lambda: "fetched fresh" in screen.yaml_text)
        assert rig.fetched == [("PodCliqueSet", "prod", "my-inference")]
        assert screen.origin == "fetched from the API server"


async def test_logs_follow_container_and_wrap(live_rig: LiveRig) -> None:
    rig = live_rig
    objs = _objects()
    sidecar = copy.deepcopy(objs["Pod"][4])
    sidecar["spec"]["initContainers"] = [{"name": "setup"}]
    async with rig.app.run_test(size=SIZE) as pilot:
        await _start(rig, pilot)
        rig.push(Applied(AT + 3, "Pod", sidecar))
        await pilot.pause()
        await pilot.press("enter", "enter")
        await pilot.pause()
        await pilot.press("l")
        screen = rig.app.screen
        assert isinstance(screen, LogsScreen)
        await wait_until(pilot, lambda: len(screen.log_lines) == 3)
        assert rig.logs[-1][2:] == ("main", True)
        await pilot.press("f")
        await wait_until(pilot, lambda: rig.logs[-1][3] is False and len(screen.log_lines) == 3)
        assert screen.log_status == "end of log"
        await pilot.press("c")
        await wait_until(pilot, lambda: rig.logs[-1][2] == "setup")
        await pilot.press("w")
        assert screen.wrap
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(rig.app.screen, ForestScreen)


async def test_source_problems_and_a_failed_stream(live_rig: LiveRig) -> None:
    rig = live_rig
    async with rig.app.run_test(size=(160, 40)) as pilot:
        await _start(rig, pilot)
        rig.push(SourceHealthChanged(AT + 4, "Node", SourceStatus.FORBIDDEN, 'nodes is forbidden: User "dev"'))
        await wait_until(pilot, lambda: "! 1 problem" in rig.app.screen.query_one(HeaderBar).text(160).plain)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(rig.app.screen, ProblemsScreen)
        rig.subject.on_error(RuntimeError("connection reset"))
        await wait_until(pilot, lambda: rig.app.feed_error == "the live stream ended: connection reset")
        content = rig.app.screen.query_one("#problems", Static).content
        console = Console(width=150, record=True, file=io.StringIO())
        console.print(content)
        text = console.export_text()
        assert "the live stream ended: connection reset" in text
        assert "nodes is forbidden: GPU capacity and topology labels unknown" in text
        assert "stream failed" in rig.app.screen_stack[-2].query_one(HeaderBar).text(160).plain
