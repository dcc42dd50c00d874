"""What the app is looking at (cluster or recording) and the I/O it may ask for, injected by ``grove.commands.tui``.

The app never talks to the API server itself: fetching an object's YAML fresh and streaming pod logs are callables
handed in by the command. In a replay they are absent, and the app says so instead of pretending.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

import attrs

from grove.events.model import SourceStatus
from grove.reducers.state import State

if TYPE_CHECKING:
    from grove.views.tui.changes import ChangeDesk

LIVE = "live"
REPLAY = "replay"


class LogStream(Protocol):
    """Lines of a container's log; ``close()`` ends a followed stream from another thread."""

    def __iter__(self) -> Iterator[str]: ...

    def close(self) -> None: ...


FetchYaml = Callable[[str, str, str], str]
"""(kind, namespace, name) → the object as YAML, read fresh from the API server."""

StreamLogs = Callable[[str, str, str | None, bool], LogStream]
"""(namespace, pod, container or None, follow) → the log lines."""


@attrs.frozen
class Session:
    mode: str  # LIVE | REPLAY
    namespace: str | None  # None: all namespaces
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    server_version: str | None = None
    label: str = ""  # the recording's path (replay) or the server (live)


@attrs.frozen
class Providers:
    fetch_yaml: FetchYaml | None = None
    stream_logs: StreamLogs | None = None
    changes: ChangeDesk | None = None  # builds, previews and writes the changes of ``s`` and ``R``


def source_state(state: State, mode: str) -> str:
    """One word for the header: live / reconnecting / stale / connecting / replay (wording as ``-w``)."""
    statuses = {s.status for k, s in state.sources.items()}
    if mode == REPLAY:
        return REPLAY
    for status in (SourceStatus.STALE, SourceStatus.RECONNECTING, SourceStatus.CONNECTING):
        if status in statuses:
            return str(status.value)
    return LIVE if state.listed or SourceStatus.LIVE in statuses else "connecting"


def stale_since(state: State) -> float | None:
    return min(
        (
            s.since
            for s in state.sources.values()
            if s.since is not None and s.status in (SourceStatus.STALE, SourceStatus.RECONNECTING)
        ),
        default=None,
    )


def problem_count(state: State) -> int:
    """Source problems (not live, not replaying) plus problems set aside by the reducers."""
    bad = sum(
        1
        for kind, s in state.sources.items()
        if kind != "*" and s.status not in (SourceStatus.LIVE, SourceStatus.REPLAY, SourceStatus.CONNECTING)
    )
    return bad + len(state.problems)
