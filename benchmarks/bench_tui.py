"""Arborist on a 10,000-pod synthetic cluster: event-to-screen latency while events stream in, and keypress-to-frame
time. Prints figures; never fails on time (goals: an event on screen within 250 ms at 200 events/s, a key within 50 ms).

The app runs headless (``App.run_test``) with the real live feed: events are pushed on a producer thread at ``--rate``,
folded there (as the live source's thread does), prepared on the feed's thread and applied by the UI. "On screen" is
the first repaint of the resources table after the UI applied the state that contains the event. Keypress-to-frame is
the time from sending a key to the first repaint after the key was handled (the cursor moved, the screen changed).

    .venv/bin/python benchmarks/bench_tui.py [--pods 10000] [--nodes 1000] [--pcs 10] [--rate 200] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from reactivex.subject import Subject
from textual import events
from textual.widget import Widget
from textual.widgets import DataTable

from grove.events.model import Event, Listed
from grove.events.synthetic import synthetic_events
from grove.views.tui.app import ArboristApp
from grove.views.tui.feed import LiveFeed
from grove.views.tui.session import LIVE, Session
from grove.views.tui.widgets.keyed_table import KeyedTable


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def _summary(label: str, values: list[float], first: float | None = None) -> None:
    if not values:
        print(f"{label}: no samples")
        return
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    line = f"{label}: n={len(values):>5}  p50 {_ms(statistics.median(ordered))}  p95 {_ms(p95)}  max {_ms(ordered[-1])}"
    print(line + (f"  first {_ms(first)}" if first is not None else ""))


async def _wait(pilot: Any, predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.01)


class _Stream:
    """Pushes events at a fixed rate on its own thread and notes when each revision was pushed."""

    def __init__(self, subject: Subject[Event], feed: LiveFeed, events: list[Event], rate: float) -> None:
        self.subject, self.feed, self.events, self.rate = subject, feed, events, rate
        self.pushed: list[tuple[int, float]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.perf_counter()
        for i, event in enumerate(self.events):
            due = start + i / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self.subject.on_next(event)
            self.pushed.append((self.feed.state.revision, time.perf_counter()))


def _latencies(pushed: list[tuple[int, float]], shown: list[tuple[int, float]], painted: list[float]) -> list[float]:
    """For each pushed revision: the first paint after the first applied state that contains it."""
    out = []
    j = k = 0
    for revision, at in pushed:
        while j < len(shown) and shown[j][0] < revision:
            j += 1
        if j == len(shown):
            break
        while k < len(painted) and painted[k] < shown[j][1]:
            k += 1
        if k == len(painted):
            break
        out.append(painted[k] - at)
    return out


class _Paints:
    """When widgets repainted: ``render_lines`` of every widget (Widget and DataTable), patched for the benchmark."""

    def __init__(self) -> None:
        self.times: list[float] = []  # paints of the resources table (for event-to-screen)
        self.log: list[tuple[float, Widget, object]] = []  # (time, widget, its cursor (row, key) when it has one)
        for cls in (Widget, DataTable):
            self._patch(cls)

    def _patch(self, cls: type[Widget]) -> None:
        original = cls.render_lines
        paints = self

        def render_lines(widget: Widget, crop: Any) -> Any:
            lines = original(widget, crop)
            now = time.perf_counter()
            cursor = (widget.cursor_row, widget.current_key) if isinstance(widget, KeyedTable) else None
            paints.log.append((now, widget, cursor))
            if widget.id == "resources":
                paints.times.append(now)
            return lines

        cls.render_lines = render_lines  # type: ignore[method-assign]


async def _press(pilot: Any, app: ArboristApp, paints: _Paints, key: str, timeout: float = 30.0) -> float:
    """Seconds from sending ``key`` to the first repaint that shows its effect."""
    screen, cursor = app.screen, _cursor(app)
    start = time.perf_counter()
    mark = len(paints.log)
    _send_key(app, key)
    deadline = start + timeout
    while True:
        new_screen, new_cursor = app.screen, _cursor(app)
        for at, widget, row in paints.log[mark:]:
            if new_screen is not screen:
                if widget.screen is new_screen:
                    return at - start
            elif new_cursor != cursor and new_cursor is not None:
                if widget is app.focused and row == new_cursor:
                    return at - start
            else:
                return at - start
        if time.perf_counter() > deadline:
            return float("nan")
        await asyncio.sleep(0.001)


def _send_key(app: ArboristApp, key: str) -> None:
    """The key as the terminal driver delivers it (``pilot.press`` would also wait for the app to be idle, which it
    never is while a stream runs)."""
    character = {"escape": "\x1b", "enter": "\r", "down": None, "up": None}.get(key, key if len(key) == 1 else None)
    event = events.Key(key, character)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


def _cursor(app: ArboristApp) -> tuple[int, str | None] | None:
    focused = app.focused
    return (focused.cursor_row, focused.current_key) if isinstance(focused, KeyedTable) else None


async def _run(args: argparse.Namespace, listed: list[Event], churn: list[Event]) -> None:
    subject: Subject[Event] = Subject()
    feed = LiveFeed(subject, clock=None)
    session = Session(LIVE, None, context="synthetic", cluster="bench", user="bench", server_version="v1.33.0")
    app = ArboristApp(session, feed)
    shown: list[tuple[int, float]] = []
    original = app.refresh_screens

    def timed() -> None:
        original()
        shown.append((app.state.revision, time.perf_counter()))

    app.refresh_screens = timed  # type: ignore[method-assign]
    paints = _Paints()
    width, height = (int(x) for x in args.size.split("x"))
    async with app.run_test(size=(width, height)) as pilot:
        table = app.screen.query_one("#resources", KeyedTable)
        t0 = time.perf_counter()
        for event in listed:
            subject.on_next(event)
        await _wait(pilot, lambda: len(table.keys) >= args.pcs)
        print(f"initial lists on screen: {_ms(time.perf_counter() - t0)}  ({len(table.keys)} PodCliqueSets)")

        keys = {
            "down / up (cursor, events follow)": ["down", "up"] * 5,
            "enter (drill into a PCS)": ["enter"],
            "enter (into a clique: pods)": ["enter"],
            "down in the pods": ["down"] * 10,
            "escape (back)": ["escape"],
            "t (topology)": ["t"],
            "enter (into a domain)": ["enter"],
            "escape + t (back to the forest)": ["escape", "t"],
            "y (YAML overlay)": ["y"],
            "escape (close overlay)": ["escape"],
            "e (events mode)": ["e", "e"],
        }
        per_key: dict[str, list[float]] = {}
        first: dict[str, float] = {}
        for _ in range(args.rounds):
            for label, presses in keys.items():
                for key in presses:
                    await asyncio.sleep(args.think)  # a person reads the screen before the next key
                    took = await _press(pilot, app, paints, key)
                    per_key.setdefault(label, []).append(took)
                    first.setdefault(label, took)
                    await pilot.pause()
            for _ in range(4):  # back to the forest root for the next round
                _send_key(app, "escape")
                await pilot.pause(0.05)
        print(f"keypress to frame (idle stream; {args.rounds} rounds, {args.think:g} s before each key):")
        for label, values in per_key.items():
            _summary(f"  {label:<34}", values, first=first[label])

        for view, setup in (("forest root", ["escape", "escape", "escape"]), ("pods of a clique", ["enter", "enter"])):
            for key in setup:
                await pilot.press(key)
                await pilot.pause()
            batch = churn[: int(args.rate * args.seconds)]
            churn = churn[len(batch) :]
            stream = _Stream(subject, feed, batch, args.rate)
            shown.clear()
            stream.thread.start()
            during: list[float] = []
            while stream.thread.is_alive():
                during.append(await _press(pilot, app, paints, "down" if len(during) % 2 == 0 else "up"))
                await asyncio.sleep(0.05)
            last = feed.state.revision
            await _wait(pilot, lambda: bool(shown) and shown[-1][0] >= last)  # noqa: B023
            await pilot.pause()
            latencies = _latencies(stream.pushed, shown, paints.times)
            print(f"streaming {len(batch)} events at {args.rate:g}/s, viewing {view}: {len(shown)} states applied")
            _summary("  event to screen", latencies)
            _summary("  keypress to frame while streaming", during)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--pcs", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200.0, help="events per second while streaming")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of streaming per view")
    parser.add_argument("--size", default="160x48", help="terminal size, e.g. 160x48 or 80x24")
    parser.add_argument("--rounds", type=int, default=3, help="times the idle key sequence is pressed")
    parser.add_argument("--think", type=float, default=0.3, help="seconds between idle keys (a person reading)")
    args = parser.parse_args()
    gc.set_threshold(50_000, 50, 100)  # as the CLI does
    churn_needed = int(args.rate * args.seconds * 2) + 100
    t0 = time.perf_counter()
    events = list(synthetic_events(args.nodes, args.pcs, args.pods, churn_needed, seed=7))
    listed = [e for e in events if isinstance(e, Listed)]
    churn = [e for e in events if not isinstance(e, Listed)]
    print(
        f"synthetic cluster: {args.pods:,} pods, {args.nodes:,} nodes, {args.pcs} PodCliqueSets, "
        f"{len(churn):,} churn events (made in {time.perf_counter() - t0:.1f} s); terminal {args.size}"
    )
    asyncio.run(_run(args, listed, churn))


if __name__ == "__main__":
    main()
