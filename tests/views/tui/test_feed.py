"""Arborist's feeds on the pipeline, in virtual time (``reactivex.testing.TestScheduler``, one unit = one second):
the live feed's hand-over and quiet ticks, the replay's speed, controls and a bad line. Nothing here sleeps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

from reactivex.testing import ReactiveTest, TestScheduler
from reactivex.testing.recorded import Recorded

from grove.events.model import Applied, Event
from grove.events.recordings.format import RecordingError
from grove.reducers import pipeline
from grove.reducers.state import State
from grove.reducers.timeline import Position, Timeline
from grove.views.tui.feed import CLOCK_REDRAW, LiveFeed, ReplayFeed, ReplayStatus

START = 1000.0


def on_next(time: float, event: Event) -> Recorded[Event]:
    return ReactiveTest.on_next(time, event)  # type: ignore[arg-type]


def _pod(name: str, phase: str = "Running") -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "prod", "uid": f"u-{name}"},
        "status": {"phase": phase},
    }


def _phases(state: State) -> dict[str, str]:
    return {key[1]: obj["status"]["phase"] for key, obj in state.of_kind("Pod").items()}


# -------------------------------------------------------------------------------------------------------- live


class _Consumer:
    """What the app does with each state: notes it (and the scheduler's time), optionally taking ``busy`` seconds."""

    def __init__(self, scheduler: TestScheduler, busy: float = 0.0) -> None:
        self.scheduler, self.busy = scheduler, busy
        self.states: list[tuple[float, State]] = []
        self.failures: list[BaseException] = []

    def deliver(self, state: State, status: ReplayStatus | None) -> None:
        assert status is None
        self.states.append((pipeline.seconds_now(self.scheduler), state))
        if self.busy:
            self.scheduler.sleep(self.busy)

    def failed(self, error: BaseException) -> None:
        self.failures.append(error)


def test_a_burst_of_live_events_costs_one_delivery_of_the_newest_state() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(1.0, Applied(1.0, "Pod", _pod("a", "Pending"))),
        on_next(1.0, Applied(1.0, "Pod", _pod("a"))),
        on_next(1.0, Applied(1.0, "Pod", _pod("b"))),
        on_next(2.0, Applied(2.0, "Pod", _pod("b", "Failed"))),
    )
    feed, consumer = LiveFeed(events, scheduler=scheduler), _Consumer(scheduler)
    feed.start(consumer.deliver, consumer.failed)
    scheduler.advance_to(5.0)
    assert [(t, s.revision) for t, s in consumer.states] == [(1.0, 3), (2.0, 4)]
    assert _phases(consumer.states[0][1]) == {"a": "Running", "b": "Running"}
    assert feed.state is consumer.states[-1][1]


def test_states_folded_while_the_app_draws_one_replace_each_other() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        *(on_next(1.0 + i / 10, Applied(1.0, "Pod", _pod(f"p{i}"))) for i in range(5)),
    )
    feed, consumer = LiveFeed(events, scheduler=scheduler), _Consumer(scheduler, busy=0.25)
    feed.start(consumer.deliver, consumer.failed)
    scheduler.advance_to(5.0)
    # p0 at once; p1 and p2 came while it was drawn (p2 shown at 1.25); p3 and p4 while p2 was (p4 at 1.5)
    assert [(t, s.revision) for t, s in consumer.states] == [(1.0, 1), (1.25, 3), (1.5, 5)]


def test_live_ticks_come_only_when_no_event_came_for_a_tick() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(0.5, Applied(0.5, "Pod", _pod("a"))), on_next(1.5, Applied(1.5, "Pod", _pod("b")))
    )
    wall = iter(range(1_760_000_000, 1_760_000_100))
    feed = LiveFeed(events, clock=lambda: float(next(wall)), tick=1.0, scheduler=scheduler)
    consumer = _Consumer(scheduler)
    feed.start(consumer.deliver, consumer.failed)
    scheduler.advance_to(4.5)
    assert [(t, s.now) for t, s in consumer.states] == [
        (0.5, 0.5),
        (1.5, 1.5),
        (3.0, 1_760_000_000.0),  # checked at 2.0 (1.5 was less than a tick before), quiet at 3.0
        (4.0, 1_760_000_001.0),
    ]


def test_events_pushed_into_the_feed_are_folded_with_the_stream_and_an_error_comes_after_the_last_state() -> None:
    scheduler = TestScheduler()
    events = scheduler.create_hot_observable(
        on_next(1.0, Applied(1.0, "Pod", _pod("a"))), ReactiveTest.on_error(3.0, RuntimeError("connection reset"))
    )
    feed, consumer = LiveFeed(events, scheduler=scheduler), _Consumer(scheduler)
    feed.start(consumer.deliver, consumer.failed)
    scheduler.schedule_absolute(2.0, lambda *_: feed.push(Applied(2.0, "Pod", _pod("b"))))
    scheduler.advance_to(5.0)
    assert [(t, sorted(_phases(s))) for t, s in consumer.states] == [(1.0, ["a"]), (2.0, ["a", "b"])]
    assert [str(e) for e in consumer.failures] == ["connection reset"]
    feed.stop()


# ------------------------------------------------------------------------------------------------------ replay


EVENTS = [Applied(START + i + 0.05, "Pod", _pod(f"p{i}")) for i in range(11)]  # one a second, 0.05 s past it


class _Player:
    """Each state a replay delivers, as (scheduler time, index, offset, playing)."""

    def __init__(self, scheduler: TestScheduler) -> None:
        self.scheduler = scheduler
        self.frames: list[tuple[float, int, float, bool]] = []
        self.failures: list[BaseException] = []

    def deliver(self, state: State, status: ReplayStatus | None) -> None:
        assert status is not None
        position = status.position
        assert len(state.of_kind("Pod")) == position.index  # the state folded to the position it says
        now = pipeline.seconds_now(self.scheduler)
        self.frames.append((round(now, 6), position.index, round(position.offset, 6), status.playing))

    def failed(self, error: BaseException) -> None:
        self.failures.append(error)


def _replay(events: Sequence[Event] = EVENTS, **kwargs: Any) -> tuple[ReplayFeed, _Player, TestScheduler]:
    scheduler = TestScheduler()
    times = [e.at for e in EVENTS]
    feed = ReplayFeed(Timeline(events, START, times=times), scheduler=scheduler, **kwargs)
    player = _Player(scheduler)
    feed.initial()
    feed.start(player.deliver, player.failed)
    return feed, player, scheduler


def test_a_replay_moves_by_the_time_passed_times_the_speed_and_delivers_when_an_event_is_reached() -> None:
    feed, player, scheduler = _replay(speed=2.0)
    scheduler.advance_to(1.5)
    # at 2x an event 0.05 s past each second is reached every half second, on the frame after (frames every 0.1 s)
    assert [(t, i) for t, i, _, _ in player.frames] == [(0.0, 0), (0.1, 1), (0.6, 2), (1.1, 3)]
    assert [o for _, _, o, _ in player.frames] == [0.0, 0.2, 1.2, 2.2]
    feed.faster()
    scheduler.advance_to(2.0)
    assert feed.status().speed == 4.0
    assert [(t, i) for t, i, _, _ in player.frames[4:]] == [(1.5, 3), (1.6, 4), (1.8, 5)]  # the control, then 4x


def test_a_paused_replay_runs_no_frames_and_resumes_where_it_paused() -> None:
    feed, player, scheduler = _replay(speed=1.0)
    scheduler.advance_to(1.2)
    feed.toggle()
    scheduler.advance_to(30.0)
    assert player.frames[3:] == [(1.2, 2, 1.2, False)]  # the pause shown at once, then nothing
    assert not scheduler._queue  # no frame scheduled
    feed.toggle()
    scheduler.advance_to(31.0)
    assert player.frames[4:] == [(30.0, 2, 1.2, True), (30.9, 3, 2.1, True)]  # no jump for the time it was paused


def test_step_seek_and_end_move_at_once_and_pause() -> None:
    feed, player, scheduler = _replay(speed=1.0)
    scheduler.advance_to(0.5)
    feed.step(1)
    scheduler.advance_to(0.5)
    scheduler.advance_by(0.0001)
    assert player.frames[-1] == (0.5, 2, round(EVENTS[1].at - START, 6), False)
    feed.seek(5.5)
    scheduler.advance_to(10.0)
    assert player.frames[-1] == (0.5001, 6, 5.5, False)
    feed.step(-2)
    feed.end()
    scheduler.advance_to(11.0)
    assert player.frames[-1][1:] == (11, round(EVENTS[-1].at - START, 6), False)
    assert feed.status().at_end


def test_a_replay_redraws_once_a_clock_redraw_while_only_its_clock_moves() -> None:
    sparse = [EVENTS[0], Applied(START + 100.0, "Pod", _pod("late"))]
    scheduler = TestScheduler()
    feed = ReplayFeed(Timeline(sparse, START), scheduler=scheduler, speed=1.0)
    player = _Player(scheduler)
    feed.initial()
    feed.start(player.deliver, player.failed)
    scheduler.advance_to(3.05)
    assert [t for t, *_ in player.frames] == [0.0, 0.1, 1.1, 2.1]  # the first event, then every CLOCK_REDRAW
    assert CLOCK_REDRAW == 1.0 and {i for _, i, _, _ in player.frames[1:]} == {1}


class _BrokenAt(Sequence[Event]):
    """A recording whose event ``broken`` cannot be read (as a bad line is found when the replay reaches it)."""

    def __init__(self, events: list[Event], broken: int) -> None:
        self._events, self._broken = events, broken

    def __len__(self) -> int:
        return len(self._events)

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        covered = range(*index.indices(len(self))) if isinstance(index, slice) else range(index, index + 1)
        if self._broken in covered:
            raise RecordingError("rec.jsonl", self._broken + 1, "not JSON")
        return self._events[index]


def test_a_bad_line_reached_while_playing_pauses_the_replay_and_the_controls_still_work() -> None:
    feed, player, scheduler = _replay(_BrokenAt(EVENTS, 4), speed=4.0)
    scheduler.advance_to(5.0)
    assert [i for _, i, _, _ in player.frames] == [0, 1, 2, 3, 4]
    (failure,) = player.failures
    assert isinstance(failure, RecordingError) and failure.line == 5
    assert not feed.status().playing and feed.status().position.index == 5
    assert not scheduler._queue  # paused: no frame scheduled
    feed.seek(2.5)
    scheduler.advance_to(6.0)
    assert player.frames[-1] == (5.0, 3, 2.5, False) and len(player.failures) == 1
    assert feed.status().position == Position(3, 2.5)
