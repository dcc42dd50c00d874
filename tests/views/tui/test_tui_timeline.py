"""grove.reducers.timeline: seeking and stepping agree with a plain fold, from whichever snapshot."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.events.model import ClockAdvanced
from grove.reducers.reduce import fold
from grove.reducers.timeline import Position, Timeline
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
