"""``-w``: the same loop left running. Re-render from the stream (Rich Live, at most ~4 frames a second) with a
footer that says where the data comes from and how fresh it is. No polling: the stream pushes, the screen follows.

Live mode injects a ``ClockAdvanced`` once a second so ages, countdowns and staleness move; the reducers themselves
never read the clock. With ``--replay`` the recording is played back at its own pace (``--speed``).
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from grove.commands.errors import UserError
from grove.commands.output import make_console
from grove.commands.source import Scope, live_stream, open_recording, replay_scope, settled
from grove.events.model import ClockAdvanced, Event, SourceStatus
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state

FRAME_INTERVAL = 0.25


class _Holder:
    """The newest state, shared between the stream's thread and the render loop."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state = empty_state()
        self.dirty = True
        self.error: BaseException | None = None
        self.finished = False

    def push(self, event: Event) -> None:
        with self.lock:
            self.state = reduce(self.state, event)
            self.dirty = True

    def take(self) -> tuple[State, bool]:
        with self.lock:
            dirty, self.dirty = self.dirty, False
            return self.state, dirty


def footer(state: State, scope: Scope, paused_note: str = "") -> Any:
    from rich.text import Text

    from grove.views.common import age

    text = Text()
    overall = _overall(state)
    style = {"live": "green", "replay": "cyan", "reconnecting": "yellow", "stale": "yellow"}.get(overall, "yellow")
    text.append(f"● {overall}", style=f"bold {style}")
    stale_since = min(
        (
            s.since
            for s in state.sources.values()
            if s.since is not None and s.status.value in ("stale", "reconnecting")
        ),
        default=None,
    )
    if stale_since is not None:
        text.append(f" for {age(state.now, stale_since)}", style=style)
    if scope.origin == "live":
        text.append(f"   context {scope.label or '-'}", style="dim")
    else:
        text.append(f"   {scope.label}", style="dim")
    text.append(f"   namespace {scope.namespace or 'all'}", style="dim")
    if state.now:
        text.append("   at " + time.strftime("%H:%M:%S", time.gmtime(state.now)) + " UTC", style="dim")
    if paused_note:
        text.append(f"   {paused_note}", style="dim")
    text.append("   Ctrl+C to quit", style="dim")
    return text


def _overall(state: State) -> str:
    statuses = {s.status for s in state.sources.values()}
    for status in (SourceStatus.STALE, SourceStatus.RECONNECTING, SourceStatus.CONNECTING):
        if status in statuses:
            return str(status.value)
    if SourceStatus.LIVE in statuses:
        return "live"
    return "replay" if not statuses or SourceStatus.REPLAY in statuses else "live"


def _frame(
    state: State,
    scope: Scope,
    build: Callable[[State, Scope], Any],
    render: Callable[[Any, int], Any],
    width: int,
    kinds: Sequence[str] = (),
) -> Any:
    """The report, or (live, until every list in ``kinds`` has arrived) what is still loading."""
    from rich.console import Group
    from rich.text import Text

    if scope.origin == "live" and not settled(state, kinds):
        from grove.views.loading import render_loading

        return Group(render_loading(state, kinds), Text(""), footer(state, scope))
    try:
        body = render(build(state, scope), width)
    except UserError as exc:
        body = Text(str(exc), style="yellow")
    return Group(body, Text(""), footer(state, scope))


def _feed_replay(args: argparse.Namespace, holder: _Holder, stop: threading.Event) -> Scope:
    recording = open_recording(args.replay)
    speed = float(getattr(args, "speed", None) or 1.0)

    def play() -> None:
        started = time.monotonic()
        first: float | None = None
        try:
            for event in recording.events():
                if first is None:
                    first = event.at
                due = started + (event.at - first) / speed
                while not stop.is_set() and time.monotonic() < due:
                    stop.wait(min(0.1, due - time.monotonic()))
                if stop.is_set():
                    return
                holder.push(event)
        except Exception as exc:  # a bad line: shown by the render loop, then the command ends
            holder.error = exc
        holder.finished = True

    threading.Thread(target=play, name="replay", daemon=True).start()
    return replay_scope(args, recording)


def run_watch(
    args: argparse.Namespace,
    kinds: Sequence[str],
    build: Callable[[State, Scope], Any],
    render: Callable[[Any, int], Any],
    cluster_wide: Sequence[str] = (),
) -> int:
    from rich.live import Live

    holder = _Holder()
    stop = threading.Event()
    close: Callable[[], None] = lambda: None  # noqa: E731
    if getattr(args, "replay", None):
        scope = _feed_replay(args, holder, stop)
    else:
        events, scope, close = live_stream(args, kinds, cluster_wide, slim=True)
        subscription = events.subscribe(on_next=holder.push, on_error=lambda e: setattr(holder, "error", e))
        previous_close = close

        def close() -> None:
            subscription.dispose()
            previous_close()

    console = make_console(args)
    last_tick = 0.0
    try:
        with Live(console=console, auto_refresh=False, transient=False, redirect_stdout=False) as live:
            while True:
                now = time.time()
                if scope.origin == "live" and now - last_tick >= 1.0:
                    holder.push(ClockAdvanced(now))
                    last_tick = now
                state, dirty = holder.take()
                if dirty:
                    live.update(_frame(state, scope, build, render, console.width, kinds), refresh=True)
                if holder.error is not None:
                    raise UserError(str(holder.error))
                time.sleep(FRAME_INTERVAL)
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()
        close()
