"""Whether the lists a view depends on have come in: the condition a one-shot read stops at, ``-w`` waits for and a
live view shows "Loading" until.

Pure conditions on the state (which kinds are listed, what their sources said), kept apart from the commands that
wait on them and the views that show them; the one place that says what each source status means for a list.
"""

from __future__ import annotations

from collections.abc import Sequence

from grove.events.model import SourceStatus
from grove.reducers.state import State

_CANNOT_LIST = (SourceStatus.FORBIDDEN, SourceStatus.NOT_INSTALLED)
_BEFORE_LIST = (SourceStatus.CONNECTING, SourceStatus.RECONNECTING)


def cannot_list(state: State, kind: str) -> bool:
    """The kind's source said it cannot be listed (forbidden, not installed): nothing more will come for it."""
    source = state.sources.get(kind)
    return source is not None and source.status in _CANNOT_LIST


def connecting(state: State, kind: str) -> bool:
    """The kind's first list is still on its way (no source yet, or it is connecting; its progress in the message)."""
    source = state.sources.get(kind)
    return source is None or source.status is SourceStatus.CONNECTING


def still_loading(state: State) -> bool:
    """Some source's first list has not arrived yet: a live view shows what has come in and no verdict."""
    return any(connecting(state, kind) for kind in state.sources)


def settled(state: State, kinds: Sequence[str]) -> bool:
    """Every kind has listed, or its source said it cannot (forbidden, not installed)."""
    return all(kind in state.listed or cannot_list(state, kind) for kind in kinds)


def answered(state: State, kinds: Sequence[str]) -> bool:
    """Settled, and every listed kind's source has said so: a kind reports LIVE right after its list, so the state a
    one-shot read shows has it (and not the CONNECTING or RECONNECTING from before the list)."""
    if not settled(state, kinds):
        return False
    for kind in kinds:
        source = state.sources.get(kind)
        if kind in state.listed and source is not None and source.status in _BEFORE_LIST:
            return False
    return True
