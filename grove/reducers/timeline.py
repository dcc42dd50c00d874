"""A seekable replay: a recording's events plus periodic snapshots of the folded state.

``state_at(i)`` is the state after the first ``i`` events. Every ``every`` events the fold is kept as a snapshot, so a
seek or a step back costs at most ``every`` reduces from the nearest snapshot instead of a fold from the start.
Snapshots are taken lazily, the first time the fold passes them, so opening a long recording costs nothing up front.

Times: ``offset`` is seconds from the recording's ``start`` (its header), the unit the user types (``--at 90s``).
Event times are not guaranteed to be sorted in a file written by several threads, so positions are looked up on the
running maximum of the event times. Not thread-safe: one owner (the replay thread) drives it.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

import attrs

from grove.events.model import ClockAdvanced, Event
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state

DEFAULT_SNAPSHOT_EVERY = 256


@attrs.frozen
class Position:
    """Where a replay stands: ``index`` events applied, the clock at ``start + offset``."""

    index: int
    offset: float


class Timeline:
    """Events of one recording, foldable to any position."""

    def __init__(self, events: Sequence[Event], start: float, every: int = DEFAULT_SNAPSHOT_EVERY) -> None:
        if every < 1:
            raise ValueError("snapshot interval must be at least 1")
        self.events: tuple[Event, ...] = tuple(events)
        self.start = start
        self.every = every
        self._times = list(itertools.accumulate((e.at for e in self.events), max))
        self._snapshots: dict[int, State] = {0: empty_state()}
        self._last: tuple[int, State] | None = None  # the latest answer: a paused replay asks for it again

    def __len__(self) -> int:
        return len(self.events)

    @property
    def duration(self) -> float:
        """Offset of the last event (0 for an empty recording)."""
        return max(0.0, self._times[-1] - self.start) if self._times else 0.0

    @property
    def snapshot_count(self) -> int:
        return len(self._snapshots)

    def offset_of(self, index: int) -> float:
        """The clock offset right after the first ``index`` events."""
        index = self._clamp(index)
        return max(0.0, self._times[index - 1] - self.start) if index else 0.0

    def index_at(self, offset: float) -> int:
        """How many events have happened by ``offset`` (events at exactly ``offset`` included)."""
        return bisect.bisect_right(self._times, self.start + offset)

    def state_at(self, index: int) -> State:
        """The state after the first ``index`` events (clamped to the recording)."""
        index = self._clamp(index)
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        base = (index // self.every) * self.every
        while base not in self._snapshots:
            base -= self.every
        state = self._snapshots[base]
        for i in range(base, index):
            state = reduce(state, self.events[i])
            if (i + 1) % self.every == 0 and (i + 1) not in self._snapshots:
                self._snapshots[i + 1] = state
        if index in self._snapshots:
            # A fresh root over the same maps: derivations memoised by the caller stay off the shared snapshot.
            state = state._replace(memo={})
        self._last = (index, state)
        return state

    def state_at_position(self, position: Position) -> State:
        """The state after ``position.index`` events, its clock moved on to ``position.offset`` when that is later."""
        state = self.state_at(position.index)
        at = self.start + position.offset
        return reduce(state, ClockAdvanced(at)) if at > state.now else state

    def position_at(self, offset: float) -> Position:
        """Seek: every event up to ``offset`` applied, the clock at ``offset`` (clamped to the recording)."""
        offset = min(max(0.0, offset), self.duration)
        return Position(self.index_at(offset), offset)

    def step(self, position: Position, delta: int) -> Position:
        """``delta`` events forward (or back); the clock lands on the last applied event."""
        index = self._clamp(position.index + delta)
        return Position(index, self.offset_of(index))

    @property
    def end(self) -> Position:
        return Position(len(self.events), self.duration)

    def _clamp(self, index: int) -> int:
        return min(max(0, index), len(self.events))
