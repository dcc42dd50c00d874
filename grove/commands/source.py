"""Pick the source a command reads (a recording or the live cluster) and fold it into state.

A one-shot command is the loop stopped at the first moment every source has listed; ``-w`` is the same loop left
running. A replay is the same loop fed from a file.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from grove.commands.errors import UsageError, UserError
from grove.events.gc_pause import cyclic_gc_paused
from grove.events.model import Event, SourceStatus
from grove.events.recordings.compaction import compacted_events
from grove.events.recordings.format import RecordingError
from grove.events.recordings.reader import Recording
from grove.reducers.batch import fold
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state


@attrs.frozen
class Scope:
    """What the user asked to see."""

    namespace: str | None  # None: all namespaces
    context: str | None = None
    origin: str = "replay"  # "replay" or "live"
    label: str = ""  # e.g. the recording's path, or the context name


def parse_offset(text: str) -> float:
    """``90``, ``90s``, ``2m30s``, ``1h`` → seconds."""
    from grove.reducers.fields import parse_duration

    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    seconds = parse_duration(text, -1.0)
    if seconds < 0:
        raise UsageError(f"--at {text!r} is not an offset (use seconds or a duration such as 90s or 2m30s)")
    return seconds


def open_recording(path: str) -> Recording:
    try:
        return Recording(path)
    except RecordingError as exc:
        raise UserError(str(exc)) from None


def fold_recording(recording: Recording, at: float | None) -> State:
    """The recording's state ``at`` seconds from its start (the end when None), reading only what survives."""
    try:
        with cyclic_gc_paused():
            return fold(compacted_events(recording, None if at is None else recording.header.start + at))
    except RecordingError as exc:
        raise UserError(str(exc)) from None


def replay_scope(args: argparse.Namespace, recording: Recording) -> Scope:
    namespace = None if getattr(args, "all_namespaces", False) else getattr(args, "namespace", None)
    return Scope(namespace=namespace, context=recording.header.context, origin="replay", label=str(args.replay))


def load_state(
    args: argparse.Namespace, kinds: Sequence[str], cluster_wide: Sequence[str] = (), *, slim: bool = False
) -> tuple[State, Scope]:
    """The state a one-shot command renders; ``slim``: live objects keep only what the reports read
    (grove.events.slim), for read commands that show reports and nothing else."""
    if getattr(args, "replay", None):
        recording = open_recording(args.replay)
        at = parse_offset(args.at) if getattr(args, "at", None) else None
        state = fold_recording(recording, at)
        if at is not None:
            state = _advance_to(state, recording.header.start + at)
        return state, replay_scope(args, recording)
    if getattr(args, "at", None):
        raise UsageError("--at needs --replay FILE")
    return _load_live(args, kinds, cluster_wide, slim)


def _advance_to(state: State, at: float) -> State:
    from grove.events.model import ClockAdvanced

    return reduce(state, ClockAdvanced(at)) if at > state.now else state


def settled(state: State, kinds: Sequence[str]) -> bool:
    """Every kind has listed, or its source said it cannot (forbidden, not installed)."""
    for kind in kinds:
        if kind in state.listed:
            continue
        source = state.sources.get(kind)
        if source is None or source.status not in (SourceStatus.FORBIDDEN, SourceStatus.NOT_INSTALLED):
            return False
    return True


def _load_live(
    args: argparse.Namespace, kinds: Sequence[str], cluster_wide: Sequence[str], slim: bool
) -> tuple[State, Scope]:
    from grove.commands.cluster import connect

    connection = connect(args, kinds, cluster_wide=cluster_wide, slim=slim)
    done = threading.Event()
    holder: dict[str, Any] = {"state": empty_state(), "error": None}

    def on_next(event: Event) -> None:
        holder["state"] = reduce(holder["state"], event)
        if settled(holder["state"], kinds):
            done.set()

    def on_error(exc: Exception) -> None:
        holder["error"] = exc
        done.set()

    subscription = connection.events.subscribe(on_next=on_next, on_error=on_error, on_completed=done.set)
    try:
        if not done.wait(timeout=connection.settle_timeout):
            raise UserError(
                f"the API server at {connection.server} did not answer the initial lists within "
                f"{connection.settle_timeout:.0f}s; check the connection or raise --request-timeout"
            )
    finally:
        subscription.dispose()
        connection.close()
    if holder["error"] is not None:
        error = holder["error"]
        raise error if isinstance(error, UserError) else UserError(str(error))
    return holder["state"], connection.scope


def live_stream(
    args: argparse.Namespace, kinds: Sequence[str], cluster_wide: Sequence[str] = (), *, slim: bool = False
) -> tuple[Any, Scope, Callable[[], None]]:
    """For ``-w``: (Observable[Event], scope, close); ``slim`` as for ``load_state``."""
    from grove.commands.cluster import connect

    connection = connect(args, kinds, cluster_wide=cluster_wide, slim=slim)
    return connection.events, connection.scope, connection.close
