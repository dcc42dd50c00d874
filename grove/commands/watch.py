"""``-w``: the same loop left running. Re-render from the stream (Rich Live, at most ~4 frames a second) with a
footer that says where the data comes from and how fresh it is. No polling: the stream pushes, the screen follows.

The states come from the one pipeline (``grove.reducers.pipeline``) on a scheduler of its own: live, the stream
merged with a ``ClockAdvanced`` once a second so ages, countdowns and staleness move (the reducers themselves never
read the clock); with ``--replay``, the recording paced at its own speed (``--speed``). At most one frame is drawn
every ``FRAME_INTERVAL``, the newest state.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from grove.commands.errors import UserError
from grove.commands.output import make_console
from grove.commands.source import Scope, live_stream, open_recording, replay_scope
from grove.events.model import SourceStatus
from grove.reducers.listing import settled
from grove.reducers.state import State

FRAME_INTERVAL = 0.25  # seconds: at most one frame drawn per interval
TICK_INTERVAL = 1.0  # seconds between clock ticks, live


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


def _states(
    args: argparse.Namespace, kinds: Sequence[str], cluster_wide: Sequence[str], scheduler: Any
) -> tuple[Any, Scope, Callable[[], None]]:
    """(Observable[State], scope, close): a recording paced at ``--speed``, or the live stream with clock ticks."""
    from grove.reducers import pipeline

    if getattr(args, "replay", None):
        recording = open_recording(args.replay)
        speed = float(getattr(args, "speed", None) or 1.0)
        replay = pipeline.paced(recording.events(), scheduler, speed)
        return pipeline.states([replay], scheduler, frame=FRAME_INTERVAL), replay_scope(args, recording), lambda: None
    events, scope, close = live_stream(args, kinds, cluster_wide, slim=True)
    states = pipeline.states([events], scheduler, frame=FRAME_INTERVAL, tick=TICK_INTERVAL, clock=time.time)
    return states, scope, close


def run_watch(
    args: argparse.Namespace,
    kinds: Sequence[str],
    build: Callable[[State, Scope], Any],
    render: Callable[[Any, int], Any],
    cluster_wide: Sequence[str] = (),
) -> int:
    """Draw each frame the pipeline sends (on its scheduler's thread) until Ctrl+C; the source's error ends it."""
    from reactivex.scheduler import EventLoopScheduler
    from rich.live import Live

    scheduler = EventLoopScheduler()
    states, scope, close = _states(args, kinds, cluster_wide, scheduler)
    console = make_console(args)
    ended = threading.Event()
    failures: list[tuple[BaseException, bool]] = []  # (error, came from the source)

    def fail(error: BaseException, from_source: bool) -> None:
        failures.append((error, from_source))
        ended.set()

    try:
        with Live(console=console, auto_refresh=False, transient=False, redirect_stdout=False) as live:

            def show(state: State) -> None:
                try:
                    live.update(_frame(state, scope, build, render, console.width, kinds), refresh=True)
                except Exception as exc:  # a bug in a view: ends the command on the main thread
                    fail(exc, False)

            subscription = states.subscribe(on_next=show, on_error=lambda error: fail(error, True))
            try:
                ended.wait()  # a replay that has ended stays on screen until Ctrl+C
            finally:
                subscription.dispose()
        error, from_source = failures[0]
        raise UserError(str(error)) if from_source else error
    except KeyboardInterrupt:
        return 0
    finally:
        close()
        scheduler.dispose()
