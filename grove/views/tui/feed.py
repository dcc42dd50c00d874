"""Where the app's states come from: the live stream, or a recording played back, both on the pipeline
(``grove.reducers.pipeline``, docs/design.md "The pipeline"). Both fold off the UI thread and hand over only the
newest state, so a burst of events costs one redraw.

``deliver(state, status)`` is called on the feed's scheduler (its own thread); the app prepares its view models there
(they are memoised on the state) and posts a ``StateChanged`` message that replaces any older unprocessed one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import attrs
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import SerialDisposable
from reactivex.scheduler import EventLoopScheduler
from reactivex.subject import Subject

from grove.events.gc_pause import cyclic_gc_paused
from grove.events.model import Event
from grove.events.recordings.format import RecordingError
from grove.reducers import pipeline
from grove.reducers.state import State, empty_state
from grove.reducers.timeline import Position, Timeline

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
DEFAULT_SPEED = 8.0
FRAME = 0.1  # seconds between playback steps
CLOCK_REDRAW = 1.0  # wall seconds between redraws when only the clock moved


@attrs.frozen
class ReplayStatus:
    position: Position
    events: int  # in the recording
    duration: float
    speed: float
    playing: bool
    folding: bool = False  # the replay is still folding its way to ``position`` (a long seek)

    @property
    def at_end(self) -> bool:
        return self.position.index >= self.events and self.position.offset >= self.duration


def carry_over(previous: State | None, state: State) -> None:
    """When only the clock moved (same object maps), reuse the previous state's clock-free derivations (each declares
    whether it reads the clock: ``grove.reducers.derivation``).

    A tick changes the revision, which would make every derivation run again on unchanged objects; ages and
    countdowns are cheap to recompute, the hierarchy and placement of 10,000 pods are not.
    """
    if previous is None or previous is state:
        return
    if previous.objects is not state.objects or previous.indexes is not state.indexes:
        return
    for key, (depends_on, value) in list(previous.memo.items()):
        if depends_on == previous.revision and not key[0].reads_clock and key not in state.memo:
            state.memo[key] = (state.revision, value)


Deliver = Callable[[State, ReplayStatus | None], None]
Failed = Callable[[BaseException], None]


def _nowhere(*_: object) -> None:
    """Where a feed delivers before it is started."""


def _feed_thread(name: str) -> EventLoopScheduler:
    """A scheduler of the feed's own: one daemon thread named ``name``, where states are handed to the app."""
    return EventLoopScheduler(thread_factory=lambda target: threading.Thread(target=target, name=name, daemon=True))


class LiveFeed:
    """The live ``Observable[Event]`` on the pipeline (``grove.reducers.pipeline``): folded as it comes (on the
    stream's thread), with a clock tick after each quiet ``tick`` so ages and countdowns move, handed to the app
    newest-when-free on the feed's scheduler.

    ``clock`` (seconds since the epoch) is injected by the command: the app itself never reads the wall clock.
    ``scheduler`` (default: a thread of the feed's own, made on ``start``) times the ticks and runs ``deliver``.
    """

    def __init__(
        self,
        events: Observable[Event],
        clock: Callable[[], float] | None = None,
        tick: float = 1.0,
        scheduler: abc.SchedulerBase | None = None,
    ) -> None:
        self._events = events
        self._clock = clock
        self._tick = tick
        self._scheduler = scheduler
        self._owned: EventLoopScheduler | None = None
        self._pushed: Subject[Event] = Subject()  # events from elsewhere in the process (metrics scrapes)
        self._state = empty_state()
        self._subscription: abc.DisposableBase | None = None

    @property
    def state(self) -> State:
        """The newest folded state (the UI may not show it yet)."""
        return self._state

    def initial(self) -> tuple[State, ReplayStatus | None]:
        return self._state, None

    def start(self, deliver: Deliver, failed: Failed) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            scheduler = self._owned = _feed_thread("arborist-live")
        events = pipeline.merged(self._events, self._pushed)
        if self._clock is not None and self._tick > 0:
            events = events.pipe(pipeline.ticks_when_quiet(scheduler, self._tick, self._clock))
        states = events.pipe(
            pipeline.folded(self._state),
            ops.do_action(self._folded),
            pipeline.newest_when_free(scheduler),
        )
        previous: list[State] = []

        def work(state: State) -> None:
            carry_over(previous[0] if previous else None, state)
            deliver(state, None)
            previous[:] = [state]

        self._subscription = states.subscribe(on_next=work, on_error=failed)

    def _folded(self, state: State) -> None:
        self._state = state

    def push(self, event: Event) -> None:
        """Fold ``event`` into the stream (from any thread; the merge serialises it with the live events)."""
        self._pushed.on_next(event)

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.dispose()
        if self._owned is not None:
            self._owned.dispose()


class ReplayFeed:
    """Plays a ``Timeline``: pause/resume, speed 0.5× … 64×, step one event, seek to an offset, jump to the end.

    Controls are called on the UI thread and only move the wanted position (and ask for a frame at once); frames
    run on ``scheduler`` (default: a thread of the feed's own, made on ``start``), one every ``frame`` seconds of
    its time while playing: each moves the position by the time passed times the speed, folds to it (from the
    nearest snapshot) and delivers. Paused, nothing runs until a control asks.
    """

    def __init__(
        self,
        timeline: Timeline,
        *,
        speed: float = DEFAULT_SPEED,
        playing: bool = True,
        at: float | None = None,
        scheduler: abc.SchedulerBase | None = None,
        frame: float = FRAME,
    ) -> None:
        self.timeline = timeline
        self._scheduler = scheduler
        self._owned: EventLoopScheduler | None = None
        self._frame = frame
        self._lock = threading.Lock()
        self._speed = min(SPEEDS, key=lambda s: abs(s - speed))
        self._playing = playing and len(timeline) > 0
        self._position = timeline.position_at(at) if at is not None else Position(0, 0.0)
        self._wanted = True  # a redraw is due whatever moved
        self._stopped = False
        self._next = SerialDisposable()  # the next frame, scheduled
        self._playback: abc.SchedulerBase | None = None  # where frames run, once started
        self._deliver: Deliver = _nowhere
        self._failed: Failed = _nowhere
        self._last = self._drawn_at = 0.0  # the scheduler's time at the last frame, and at the last delivery
        self._drawn: Position | None = None
        self._drawn_state: State | None = None

    # ------------------------------------------------------------------------------------- status and controls

    def status(self) -> ReplayStatus:
        with self._lock:
            return self._status()

    def _status(self) -> ReplayStatus:
        return ReplayStatus(self._position, len(self.timeline), self.timeline.duration, self._speed, self._playing)

    def initial(self) -> tuple[State, ReplayStatus | None]:
        """The state at the starting position, folded on the caller's thread (the first frame)."""
        with self._lock:
            position, status = self._position, self._status()
            self._wanted = False
        return self._fold(position), status

    def _fold(self, position: Position) -> State:
        with cyclic_gc_paused():  # a long seek folds most of a recording
            return self.timeline.state_at_position(position)

    def _move(self, position: Position | None = None, playing: bool | None = None) -> None:
        with self._lock:
            if position is not None:
                self._position = position
            if playing is not None:
                self._playing = playing
            self._wanted = True
            if self._playback is not None and not self._stopped:  # a frame at once
                self._next.disposable = self._playback.schedule(self._frame_due)

    def toggle(self) -> None:
        with self._lock:
            playing = not self._playing
            restart = playing and self._status().at_end
        self._move(Position(0, 0.0) if restart else None, playing)

    def faster(self) -> None:
        with self._lock:
            self._speed = next((s for s in SPEEDS if s > self._speed), SPEEDS[-1])
        self._move()

    def slower(self) -> None:
        with self._lock:
            self._speed = next((s for s in reversed(SPEEDS) if s < self._speed), SPEEDS[0])
        self._move()

    def step(self, delta: int) -> None:
        with self._lock:
            position = self.timeline.step(self._position, delta)
        self._move(position, playing=False)

    def seek(self, offset: float) -> None:
        self._move(self.timeline.position_at(offset))

    def end(self) -> None:
        self._move(self.timeline.end, playing=False)

    # ------------------------------------------------------------------------------------------- playback

    def start(self, deliver: Deliver, failed: Failed) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            scheduler = self._owned = _feed_thread("arborist-replay")
        self._deliver, self._failed = deliver, failed
        self._last = self._drawn_at = pipeline.seconds_now(scheduler)
        with self._lock:
            self._playback = scheduler
            if self._playing or self._wanted:  # paused on the initial state: nothing to do until a control
                self._next.disposable = scheduler.schedule(self._frame_due)

    def _frame_due(self, scheduler: abc.SchedulerBase, _: Any = None) -> None:
        """One frame, on the scheduler: move (by the time passed since the last, times the speed, unless a control
        set the position), fold and deliver if the position moved, a control asked or ``CLOCK_REDRAW`` passed;
        then the next frame a ``frame`` later while playing (a control that came meanwhile has asked for one)."""
        now = pipeline.seconds_now(scheduler)
        with self._lock:
            if self._stopped:
                return
            if self._playing and not self._wanted:
                offset = min(self._position.offset + (now - self._last) * self._speed, self.timeline.duration)
                self._position = Position(self.timeline.index_at(offset), offset)
                if offset >= self.timeline.duration:
                    self._playing = False
            position, status, wanted = self._position, self._status(), self._wanted
            self._wanted = False
        self._last = now
        moved = self._drawn is None or position.index != self._drawn.index
        if wanted or moved or now - self._drawn_at >= CLOCK_REDRAW:
            try:
                state = self._fold(position)
            except RecordingError as exc:  # a line decoded only now: pause where it is, the keys still work
                with self._lock:
                    self._playing = False
                self._failed(exc)
                return
            carry_over(self._drawn_state, state)
            self._deliver(state, status)
            self._drawn, self._drawn_at, self._drawn_state = position, now, state
        with self._lock:
            if self._playing and not self._wanted and not self._stopped:
                self._next.disposable = scheduler.schedule_relative(self._frame, self._frame_due)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._next.dispose()
        if self._owned is not None:
            self._owned.dispose()


Feed = LiveFeed | ReplayFeed
