"""Pick the source a command reads (a recording or the live cluster) and fold it into state.

A one-shot command is the loop stopped at the first moment every source has listed; ``-w`` is the same loop left
running. A replay is the same loop fed from a file.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from grove.commands.errors import UsageError, UserError
from grove.events.gc_pause import cyclic_gc_paused
from grove.events.recordings.compaction import compacted_events
from grove.events.recordings.format import RecordingError
from grove.events.recordings.reader import Recording
from grove.reducers.batch import fold
from grove.reducers.listing import answered
from grove.reducers.reduce import reduce
from grove.reducers.state import State


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


def _load_live(
    args: argparse.Namespace, kinds: Sequence[str], cluster_wide: Sequence[str], slim: bool
) -> tuple[State, Scope]:
    """The first state the pipeline says is answered (every kind listed, or its source said it cannot)."""
    from reactivex.scheduler import TimeoutScheduler

    from grove.commands.cluster import connect
    from grove.reducers import pipeline
    from grove.reducers.derive import warming

    # a one-shot read: the pods' facts are read while the lists download, not after the last one
    connection = connect(args, kinds, cluster_wide=cluster_wide, slim=slim, warm=warming.warm if slim else None)
    first = pipeline.first_settled(lambda state: answered(state, kinds), TimeoutScheduler(), connection.settle_timeout)
    try:
        state: State = connection.events.pipe(first).run()
    except pipeline.NotSettled:
        raise UserError(
            f"the API server at {connection.server} did not answer the initial lists within "
            f"{connection.settle_timeout:.0f}s; check the connection or raise --request-timeout"
        ) from None
    except UserError:
        raise
    except Exception as exc:
        raise UserError(str(exc)) from None
    finally:
        connection.close()
    return state, connection.scope


def live_stream(
    args: argparse.Namespace, kinds: Sequence[str], cluster_wide: Sequence[str] = (), *, slim: bool = False
) -> tuple[Any, Scope, Callable[[], None]]:
    """For ``-w``: (Observable[Event], scope, close); ``slim`` as for ``load_state``."""
    from grove.commands.cluster import connect

    connection = connect(args, kinds, cluster_wide=cluster_wide, slim=slim)
    return connection.events, connection.scope, connection.close
