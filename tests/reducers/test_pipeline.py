"""The pipeline in virtual time (``reactivex.testing.TestScheduler``, one unit = one second): frames, ticks, replay
pacing, and the fold it runs. Nothing here sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from reactivex import Observable
from reactivex import operators as ops
from reactivex.notification import OnCompleted, OnError, OnNext
from reactivex.testing import ReactiveTest, TestScheduler
from reactivex.testing.recorded import Recorded

from grove.events.model import Applied, ClockAdvanced, Event, Listed, Removed, SourceHealthChanged, SourceStatus
from grove.events.recordings.format import RecordingError
from grove.reducers import pipeline
from grove.reducers.listing import settled
from grove.reducers.reduce import fold_one_by_one
from grove.reducers.state import State


def on_next(time: float, event: Event) -> Recorded[Event]:
    """``ReactiveTest.on_next`` at a time in seconds (its annotation asks for integer ticks; any number works)."""
    return ReactiveTest.on_next(time, event)  # type: ignore[arg-type]


def _pod(name: str, phase: str = "Running", ns: str = "prod") -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "uid": f"u-{name}"}, "status": {"phase": phase}}


def _pods(state: State) -> dict[str, str]:
    return {key[1]: obj["status"]["phase"] for key, obj in state.of_kind("Pod").items()}


def _values(messages: list[Any]) -> list[tuple[float, Any]]:
    return [(m.time, m.value.value) for m in messages if isinstance(m.value, OnNext)]


def _same(a: State, b: State) -> None:
    assert dict(a.objects.items()) == dict(b.objects.items())
    assert (a.revision, a.now, a.listed) == (b.revision, b.now, b.listed)


# ------------------------------------------------------------------------------------------------------ frames


def test_many_events_in_one_frame_reach_the_consumer_as_one_state_the_newest() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(200.3, Applied(1.0, "Pod", _pod("a", "Pending"))),
        on_next(200.35, Applied(2.0, "Pod", _pod("a"))),
        on_next(200.4, Applied(3.0, "Pod", _pod("b"))),
        on_next(201.1, Removed(4.0, "Pod", _pod("a"))),
    )
    result = scheduler.start(lambda: pipeline.states([events], scheduler, frame=0.25))
    frames = _values(result.messages)
    assert [t for t, _ in frames] == [200.3, 200.5, 201.25]  # the first at once, then one per busy frame
    assert _pods(frames[0][1]) == {"a": "Pending"}
    assert _pods(frames[1][1]) == {"a": "Running", "b": "Running"}  # two events, one state: the newest
    assert frames[1][1].revision == 3
    assert _pods(frames[2][1]) == {"b": "Running"}


def test_a_quiet_frame_sends_nothing() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(200.1, Applied(1.0, "Pod", _pod("a"))), on_next(200.2, Applied(2.0, "Pod", _pod("b")))
    )
    result = scheduler.start(lambda: pipeline.states([events], scheduler, frame=0.25), disposed=205.0)
    assert [t for t, _ in _values(result.messages)] == [200.1, 200.25]


def test_per_kind_sources_are_merged_into_one_fold() -> None:
    scheduler = TestScheduler()
    pods = scheduler.create_hot_observable(on_next(200.1, Listed(1.0, "Pod", (_pod("a"),))))
    nodes = scheduler.create_hot_observable(on_next(200.2, Listed(2.0, "Node", ({"metadata": {"name": "n1"}},))))
    result = scheduler.start(lambda: pipeline.states([pods, nodes], scheduler, frame=0.25))
    (_, last), *_ = reversed(_values(result.messages))
    assert set(last.listed) == {"Pod", "Node"}
    assert last.revision == 2


# ------------------------------------------------------------------------------------------------------- ticks


def test_clock_ticks_come_at_once_and_then_every_period_carrying_the_clock() -> None:
    scheduler = TestScheduler()
    result = scheduler.start(lambda: pipeline.clock_ticks(scheduler, 1.0), disposed=203.5)
    ticks = _values(result.messages)
    assert [t for t, _ in ticks] == [200.0, 201.0, 202.0, 203.0]
    assert all(isinstance(tick, ClockAdvanced) and tick.at == t for t, tick in ticks)  # the scheduler's own time


def test_an_injected_clock_says_what_time_a_tick_carries() -> None:
    scheduler = TestScheduler()
    result = scheduler.start(lambda: pipeline.clock_ticks(scheduler, 1.0, clock=lambda: 1_760_000_000.0))
    assert {tick.at for _, tick in _values(result.messages)} == {1_760_000_000.0}


def test_ticks_move_the_states_clock_once_a_second_though_frames_are_faster() -> None:
    scheduler = TestScheduler()
    result = scheduler.start(lambda: pipeline.states([], scheduler, frame=0.25, tick=1.0), disposed=203.3)
    frames = _values(result.messages)
    assert [t for t, _ in frames] == [200.0, 201.25, 202.25, 203.25]  # the first tick at once, then on frames
    assert [state.now for _, state in frames] == [200.0, 201.0, 202.0, 203.0]


def test_quiet_ticks_come_only_after_a_tick_period_without_events() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(200.5, Applied(1.0, "Pod", _pod("a"))),
        on_next(201.5, Applied(2.0, "Pod", _pod("a", "Failed"))),
        on_next(202.2, ClockAdvanced(3.0)),  # a tick from elsewhere does not count as an event
    )
    operator = pipeline.ticks_when_quiet(scheduler, 1.0, clock=lambda: 1_760_000_000.0)
    result = scheduler.start(lambda: events.pipe(operator), disposed=205.5)
    ticks = [(t, e) for t, e in _values(result.messages) if isinstance(e, ClockAdvanced) and e.at != 3.0]
    assert [t for t, _ in ticks] == [203.0, 204.0, 205.0]  # checked every second; quiet from 202.5 on
    assert {e.at for _, e in ticks} == {1_760_000_000.0}
    assert [t for t, e in _values(result.messages) if isinstance(e, Applied)] == [200.5, 201.5]


def test_a_quiet_stream_ticks_from_the_first_period_on() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(on_next(202.5, Applied(1.0, "Pod", _pod("a"))))
    result = scheduler.start(
        lambda: events.pipe(pipeline.ticks_when_quiet(scheduler, 1.0, lambda: 9.0)), disposed=205.5
    )
    assert [t for t, e in _values(result.messages) if isinstance(e, ClockAdvanced)] == [201.0, 202.0, 204.0, 205.0]


# ------------------------------------------------------------------------------------------ newest when free


def test_a_burst_reaches_a_free_consumer_as_one_delivery_of_the_newest() -> None:
    scheduler = TestScheduler()
    burst = scheduler.create_hot_observable(
        on_next(201.0, "a"),
        on_next(201.0, "b"),
        on_next(201.0, "c"),
        on_next(203.0, "d"),
        ReactiveTest.on_completed(204.0),
    )
    result = scheduler.start(lambda: burst.pipe(pipeline.newest_when_free(scheduler)))
    assert _values(result.messages) == [(201.0, "c"), (203.0, "d")]
    assert isinstance(result.messages[-1].value, OnCompleted) and result.messages[-1].time == 204.0


def test_values_that_come_while_the_consumer_works_replace_each_other_and_the_newest_comes_when_it_is_free() -> None:
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(
        on_next(201.0, 1), on_next(201.2, 2), on_next(201.4, 3), on_next(201.6, 4), on_next(203.0, 5)
    )
    got: list[tuple[float, int]] = []

    def work(value: int) -> None:  # each value takes the consumer half a second
        got.append((pipeline.seconds_now(scheduler), value))
        scheduler.sleep(0.5)

    source.pipe(pipeline.newest_when_free(scheduler)).subscribe(work)
    scheduler.advance_to(210.0)
    # 2 came and was replaced by 3 while 1 was worked on; 4 came while 3 was: each delivered once the consumer was free
    assert got == [(201.0, 1), (201.5, 3), (202.0, 4), (203.0, 5)]


def test_an_error_comes_after_the_pending_value() -> None:
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(
        on_next(201.0, "a"), on_next(201.0, "b"), ReactiveTest.on_error(201.0, RuntimeError("connection reset"))
    )
    result = scheduler.start(lambda: source.pipe(pipeline.newest_when_free(scheduler)))
    assert _values(result.messages) == [(201.0, "b")]
    last = result.messages[-1]
    assert isinstance(last.value, OnError) and str(last.value.exception) == "connection reset"


# ------------------------------------------------------------------------------------------------------ replay


RECORDED = [
    Applied(1000.0, "Pod", _pod("a", "Pending")),
    Applied(1001.0, "Pod", _pod("a")),
    Applied(1001.0, "Pod", _pod("b", "Pending")),
    Applied(1003.0, "Pod", _pod("b")),
]


def test_a_recording_plays_at_its_own_pace() -> None:
    scheduler = TestScheduler()
    result = scheduler.start(lambda: pipeline.paced(RECORDED, scheduler))
    assert [t for t, _ in _values(result.messages)] == [200.0, 201.0, 201.0, 203.0]
    assert [m.value for m in result.messages if isinstance(m.value, OnNext)] == [OnNext(e) for e in RECORDED]
    assert isinstance(result.messages[-1].value, OnCompleted) and result.messages[-1].time == 203.0


def test_each_event_is_due_at_its_offset_divided_by_the_speed() -> None:
    for speed, expected in ((2.0, [200.0, 200.5, 200.5, 201.5]), (0.5, [200.0, 202.0, 202.0, 206.0])):
        scheduler = TestScheduler()
        replay = pipeline.paced(RECORDED, scheduler, speed=speed)
        result = scheduler.start(lambda: replay)  # noqa: B023 (start calls it at once)
        assert [t for t, _ in _values(result.messages)] == expected


def test_offsets_that_are_no_whole_microsecond_are_due_on_time() -> None:
    """A scheduler keeps time to the microsecond: an event due a fraction of one later is due now, not again."""
    recorded = [ClockAdvanced(1000.0 + i * 0.37) for i in range(10)]
    scheduler = TestScheduler()
    result = scheduler.start(lambda: pipeline.paced(recorded, scheduler))
    times = [t for t, _ in _values(result.messages)]
    assert [round(t, 6) for t in times] == [round(200.0 + i * 0.37, 6) for i in range(10)]


def test_a_replay_reads_its_events_lazily_and_stops_when_disposed() -> None:
    read: list[Event] = []

    def lazily() -> Iterator[Event]:
        for event in RECORDED:
            read.append(event)
            yield event

    scheduler = TestScheduler()
    result = scheduler.start(lambda: pipeline.paced(lazily(), scheduler), disposed=202.0)
    assert [t for t, _ in _values(result.messages)] == [200.0, 201.0, 201.0]
    assert len(read) == 4  # the fourth is read (it is the next one due) but never sent
    assert not any(isinstance(m.value, OnCompleted) for m in result.messages)


def test_a_bad_line_ends_the_replay_with_an_error_after_the_last_state_before_it() -> None:
    def broken() -> Iterator[Event]:
        yield from RECORDED[:2]
        raise RecordingError("rec.jsonl", 4, "not JSON")

    scheduler = TestScheduler()
    result = scheduler.start(
        lambda: pipeline.states([pipeline.paced(broken(), scheduler)], scheduler, frame=0.25), disposed=210.0
    )
    frames = _values(result.messages)
    assert [t for t, _ in frames] == [200.0, 201.25]
    assert _pods(frames[-1][1]) == {"a": "Running"}
    last = result.messages[-1]
    assert isinstance(last.value, OnError) and "rec.jsonl:4" in str(last.value.exception)
    assert last.time == 201.25


def test_a_replay_through_the_pipeline_ends_with_every_event_folded() -> None:
    scheduler = TestScheduler()
    result = scheduler.start(lambda: pipeline.states([pipeline.paced(RECORDED, scheduler, 4.0)], scheduler))
    frames = _values(result.messages)
    _same(frames[-1][1], fold_one_by_one(RECORDED))
    assert isinstance(result.messages[-1].value, OnCompleted)


# ---------------------------------------------------------------------------------------------------- one-shot


def _node(name: str) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name}}


def _settled(state: State) -> bool:
    return settled(state, ("Pod", "Node"))


def test_a_one_shot_read_is_the_first_settled_state_and_then_it_unsubscribes() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(200.5, SourceHealthChanged(1.0, "Pod", SourceStatus.CONNECTING)),
        on_next(201.0, Listed(2.0, "Pod", (_pod("a"),))),
        on_next(203.0, SourceHealthChanged(3.0, "Node", SourceStatus.FORBIDDEN, "nodes is forbidden")),
        on_next(204.0, Applied(4.0, "Pod", _pod("b"))),
    )
    result = scheduler.start(lambda: events.pipe(pipeline.first_settled(_settled, scheduler, 30.0)))
    (at, state), *more = _values(result.messages)
    assert at == 203.0 and not more  # one state: the one where Node said it cannot be listed
    assert _pods(state) == {"a": "Running"} and state.revision == 3
    assert isinstance(result.messages[-1].value, OnCompleted) and result.messages[-1].time == 203.0
    assert [(s.subscribe, s.unsubscribe) for s in events.subscriptions] == [(200.0, 203.0)]


def test_a_one_shot_read_whose_events_end_first_has_the_last_state() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(201.0, Listed(2.0, "Pod", (_pod("a"),))), ReactiveTest.on_completed(202)
    )
    result = scheduler.start(lambda: events.pipe(pipeline.first_settled(_settled, scheduler, 30.0)))
    [(at, state)] = _values(result.messages)
    assert at == 202.0 and set(state.listed) == {"Pod"}


def test_a_one_shot_read_that_never_settles_times_out_on_the_scheduler() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(201.0, Listed(2.0, "Pod", (_pod("a"),))),
        on_next(205.0, SourceHealthChanged(5.0, "Node", SourceStatus.RECONNECTING, "connection refused")),
        on_next(240.0, Listed(40.0, "Node", (_node("n1"),))),  # too late
    )
    result = scheduler.start(lambda: events.pipe(pipeline.first_settled(_settled, scheduler, 30.0)))
    [message] = result.messages
    assert isinstance(message.value, OnError) and isinstance(message.value.exception, pipeline.NotSettled)
    assert message.time == 230.0
    assert [(s.subscribe, s.unsubscribe) for s in events.subscriptions] == [(200.0, 230.0)]


# -------------------------------------------------------------------------------------------------------- fold


pods = st.builds(_pod, st.sampled_from("abcd"), st.sampled_from(["Pending", "Running"]), st.sampled_from(["p", "q"]))
steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["apply", "remove"]), pods),
        st.tuples(st.just("list"), st.lists(pods, max_size=3)),
        st.tuples(st.just("tick"), st.none()),
    ),
    max_size=30,
)


def _events(spec: list[Any]) -> list[Event]:
    out: list[Event] = []
    for t, (what, item) in enumerate(spec):
        at = 1000.0 + t / 3
        if what == "list":
            out.append(Listed(at, "Pod", tuple(item)))
        elif what == "tick":
            out.append(ClockAdvanced(at))
        else:
            out.append(Applied(at, "Pod", item) if what == "apply" else Removed(at, "Pod", item))
    return out


@settings(max_examples=100, deadline=None)
@given(steps)
def test_the_fold_as_scan_equals_reducing_one_event_at_a_time(spec: list[Any]) -> None:
    events = _events(spec)
    scheduler = TestScheduler()
    source: Observable[Event] = pipeline.paced(events, scheduler, speed=3.0)
    result = scheduler.start(lambda: source.pipe(pipeline.folded(), ops.to_list()))
    states = next(m.value.value for m in result.messages if isinstance(m.value, OnNext))
    assert len(states) == len(events)
    for i, state in enumerate(states):
        _same(state, fold_one_by_one(events[: i + 1]))
    coalesced = TestScheduler()
    frames = coalesced.start(
        lambda: pipeline.states([pipeline.paced(events, coalesced, speed=3.0)], coalesced, frame=0.25)
    )
    if events:
        _same(_values(frames.messages)[-1][1], fold_one_by_one(events))
    assert isinstance(frames.messages[-1].value, OnCompleted)
