"""grove.reducers.timeline: seeking and stepping agree with a plain fold, from whichever snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.events.model import ClockAdvanced, Event
from grove.reducers.batch import fold
from grove.reducers.timeline import MAX_SNAPSHOTS, RECENT_SNAPSHOTS, Position, Timeline
from tests.support import fragmented
from tests.views.tui.conftest import FRAGMENTED, load_timeline


def _same(a: object, b: object) -> bool:
    from grove.reducers.state import State

    assert isinstance(a, State) and isinstance(b, State)
    return a.objects == b.objects and a.indexes == b.indexes and a.now == b.now and a.sources == b.sources


def test_state_at_matches_a_plain_fold_for_every_index() -> None:
    timeline = load_timeline(FRAGMENTED)
    small = Timeline(timeline.events, timeline.start, every=16)
    for index in range(0, len(small) + 1, 7):
        assert _same(small.state_at(index), fold(small.events[:index]))
    assert small.snapshot_count > 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=12))
def test_random_seeks_in_any_order(indices: list[int]) -> None:
    events = fragmented.events()
    events = events + [ClockAdvanced(events[-1].at + i) for i in range(1, 150)]
    timeline = Timeline(events, events[0].at, every=8)
    for index in indices:
        clamped = min(index, len(events))
        assert _same(timeline.state_at(index), fold(events[:clamped]))


def test_positions_offsets_and_steps() -> None:
    timeline = load_timeline(FRAGMENTED)
    assert timeline.duration == pytest.approx(178.0, abs=1.0)
    start = timeline.position_at(0)
    assert start.offset == 0
    end = timeline.end
    assert end.index == len(timeline)
    assert timeline.position_at(10_000) == Position(len(timeline), timeline.duration)
    back = timeline.step(end, -1)
    assert back.index == len(timeline) - 1
    assert back.offset == timeline.offset_of(back.index)
    assert timeline.step(Position(0, 0.0), -5).index == 0
    mid = timeline.position_at(60)
    assert all(e.at <= timeline.start + 60 for e in timeline.events[: mid.index])


def test_state_at_position_moves_the_clock_on() -> None:
    timeline = load_timeline(FRAGMENTED)
    position = timeline.position_at(30.5)
    state = timeline.state_at_position(position)
    assert state.now == pytest.approx(timeline.start + 30.5)


def test_snapshots_are_not_handed_out_with_their_memo() -> None:
    loaded = load_timeline(FRAGMENTED)
    timeline = Timeline(loaded.events, loaded.start, every=16)
    state = timeline.state_at(32)
    state.memo["x"] = (1, 2)
    assert timeline.state_at(32) is state, "asking again for the same position costs nothing"
    timeline.state_at(40)
    assert "x" not in timeline.state_at(32).memo


def test_rejects_a_zero_interval() -> None:
    with pytest.raises(ValueError):
        Timeline([], 0.0, every=0)


class _Counting(Sequence[Event]):
    """Events that count how many of them are read (an EventLines decodes each one it is asked for)."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.read = 0

    def __len__(self) -> int:
        return len(self.events)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        got = self.events[index]
        self.read += len(got) if isinstance(got, list) else 1
        return got


def _long() -> list[Event]:
    events = fragmented.events()
    return events + [ClockAdvanced(events[-1].at + i) for i in range(1, 5000)]


def test_a_long_recording_keeps_a_bounded_number_of_snapshots() -> None:
    events = _long()
    timeline = Timeline(events, events[0].at, every=8)
    assert timeline.coarse > timeline.every and timeline.coarse % timeline.every == 0
    for index in range(0, len(events) + 1, 5):  # playing through the whole recording
        timeline.state_at(index)
    assert timeline.snapshot_count <= MAX_SNAPSHOTS + 1 + RECENT_SNAPSHOTS
    assert _same(timeline.state_at(len(events)), fold(events))
    assert _same(timeline.state_at(1234), fold(events[:1234]))


def test_stepping_back_reads_only_from_a_recent_snapshot() -> None:
    events = _long()
    counting = _Counting(events)
    timeline = Timeline(counting, events[0].at, every=8, times=[e.at for e in events])
    assert counting.read == 0, "times are given: nothing is decoded up front"
    timeline.state_at(3000)
    for back in range(1, 20):
        counting.read = 0
        state = timeline.state_at(3000 - back)
        assert counting.read < timeline.every
        assert _same(state, fold(events[: 3000 - back]))
