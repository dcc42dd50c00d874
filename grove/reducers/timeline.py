"""A seekable replay: a recording's events plus snapshots of the folded state.

``state_at(i)`` is the state after the first ``i`` events. Snapshots are taken lazily, the first time the fold passes
them, so opening a long recording costs nothing up front:

- every ``coarse`` events a snapshot is kept for good. ``coarse`` is ``every`` on a short recording and grows on a
  long one so that at most ``MAX_SNAPSHOTS`` are kept: each snapshot holds on to the objects that changed since,
  and a million-event recording snapshotted every 256 events would hold most of its decoded events in memory;
- every ``every`` events a recent snapshot is kept, the latest ``RECENT_SNAPSHOTS`` of them, so stepping back near
  where the replay has been folds at most ``every`` events.

The fold between snapshots is ``batch.fold`` (the same state as ``reduce`` one event at a time, built once per
stretch). ``events`` may be any sequence, such as ``EventLines``, which decodes an event when it is asked for.

Times: ``offset`` is seconds from the recording's ``start`` (its header), the unit the user types (``--at 90s``).
Event times are not guaranteed to be sorted in a file written by several threads, so positions are looked up on the
running maximum of the event times. Not thread-safe: one owner (the replay thread) drives it.
"""

from __future__ import annotations

import bisect
import itertools
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import attrs

from grove.events.model import ClockAdvanced, Event
from grove.reducers.batch import fold
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state

DEFAULT_SNAPSHOT_EVERY = 256
MAX_SNAPSHOTS = 16
RECENT_SNAPSHOTS = 32


@attrs.frozen
class Position:
    """Where a replay stands: ``index`` events applied, the clock at ``start + offset``."""

    index: int
    offset: float


class Timeline:
    """Events of one recording, foldable to any position."""

    def __init__(
        self,
        events: Sequence[Event],
        start: float,
        every: int = DEFAULT_SNAPSHOT_EVERY,
        times: Iterable[float] | None = None,
    ) -> None:
        """``times``: each event's time, when reading them off ``events`` would decode every event."""
        if every < 1:
            raise ValueError("snapshot interval must be at least 1")
        self.events: Sequence[Event] = tuple(events) if isinstance(events, list) else events
        self.start = start
        self.every = every
        self.coarse = every * max(1, -(-len(self.events) // (every * MAX_SNAPSHOTS)))  # a multiple of ``every``
        self._times = list(itertools.accumulate(times if times is not None else (e.at for e in self.events), max))
        self._snapshots: dict[int, State] = {0: empty_state()}  # at multiples of ``coarse``, kept
        self._recent: OrderedDict[int, State] = OrderedDict()  # at multiples of ``every``, the latest few
        self._last: tuple[int, State] | None = None  # the latest answer: a paused replay asks for it again

    def __len__(self) -> int:
        return len(self.events)

    @property
    def duration(self) -> float:
        """Offset of the last event (0 for an empty recording)."""
        return max(0.0, self._times[-1] - self.start) if self._times else 0.0

    @property
    def snapshot_count(self) -> int:
        """Snapshots held now, kept and recent."""
        return len(self._snapshots) + len(self._recent)

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
        base = (index // self.coarse) * self.coarse
        while base not in self._snapshots:
            base -= self.coarse
        state = self._snapshots[base]
        nearer = max((i for i in self._recent if base < i <= index), default=None)
        if nearer is not None:
            base, state = nearer, self._recent[nearer]
            self._recent.move_to_end(nearer)
        # The last stretch before ``index`` is folded in small steps and kept as recent snapshots. Before it, one
        # step goes to the last place of a kept snapshot (kept there: the next seek nearby starts from it), and one
        # more to the stretch: a compacted step decodes each object once, however many events it spans.
        recent_start = max(0, index - RECENT_SNAPSHOTS * self.every) // self.every * self.every
        while base < index:
            if base < recent_start:  # one step to the last kept snapshot's place before the stretch, then to it
                boundary = recent_start // self.coarse * self.coarse
                stop = boundary if boundary > base else recent_start
            else:
                stop = min(index, (base // self.every + 1) * self.every)
            state = fold(self._stretch(base, stop), state)
            base = stop
            if base % self.every == 0:
                self._remember(base, state)
        if index in self._snapshots or index in self._recent:
            # A fresh root over the same maps: derivations memoised by the caller stay off the shared snapshot.
            state = state._replace(memo={})
        self._last = (index, state)
        return state

    def _stretch(self, lo: int, hi: int) -> Sequence[Event]:
        """Events ``lo`` to ``hi``, compacted when the sequence can (``EventLines`` skips superseded changes)."""
        compacted = getattr(self.events, "compacted", None)
        return compacted(lo, hi) if compacted is not None and hi - lo > 1 else self.events[lo:hi]

    def _remember(self, index: int, state: State) -> None:
        if index % self.coarse == 0:
            self._snapshots.setdefault(index, state)
            return
        self._recent[index] = state
        self._recent.move_to_end(index)
        if len(self._recent) > RECENT_SNAPSHOTS:
            self._recent.popitem(last=False)

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
