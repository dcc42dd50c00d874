"""Whether the lists a view depends on have come in: the condition a one-shot read stops at and ``-w`` waits for.

Pure conditions on the state (which kinds are listed, what their sources said), kept apart from the commands that
wait on them.
"""

from __future__ import annotations

from collections.abc import Sequence

from grove.events.model import SourceStatus
from grove.reducers.state import State


def settled(state: State, kinds: Sequence[str]) -> bool:
    """Every kind has listed, or its source said it cannot (forbidden, not installed)."""
    for kind in kinds:
        if kind in state.listed:
            continue
        source = state.sources.get(kind)
        if source is None or source.status not in (SourceStatus.FORBIDDEN, SourceStatus.NOT_INSTALLED):
            return False
    return True


_BEFORE_LIST = (SourceStatus.CONNECTING, SourceStatus.RECONNECTING)


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
