"""Where the app's states come from: the live stream, or a recording played back. Both fold off the UI thread and
hand over only the newest state, so a burst of events costs one redraw.

``deliver(state, status)`` is called on the feed's own thread; the app prepares its view models there (they are
memoised on the state) and posts a ``StateChanged`` message that replaces any older unprocessed one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import attrs

from grove.events.gc_pause import cyclic_gc_paused
from grove.events.model import ClockAdvanced, Event
from grove.events.recordings.format import RecordingError
from grove.reducers.reduce import reduce
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


class _Newest:
    """A thread that runs ``work`` on the newest offered value only (older ones are dropped)."""

    def __init__(self, work: Callable[[State], None], name: str) -> None:
        self._work = work
        self._cond = threading.Condition()
        self._value: State | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def offer(self, value: State) -> None:
        with self._cond:
            self._value = value
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._value is None and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                value, self._value = self._value, None
            assert value is not None
            self._work(value)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()


class LiveFeed:
    """Folds a live ``Observable[Event]`` on the stream's thread; a clock tick keeps ages and countdowns moving.

    ``clock`` (seconds since the epoch) is injected by the command: the app itself never reads the wall clock.
    """

    def __init__(self, events: Any, clock: Callable[[], float] | None = None, tick: float = 1.0) -> None:
        self._events = events
        self._clock = clock
        self._tick = tick
        self._lock = threading.Lock()
        self._state = empty_state()
        self._last_event = 0.0
        self._subscription: Any = None
        self._newest: _Newest | None = None
        self._stop = threading.Event()
        self._failed: Failed | None = None

    @property
    def state(self) -> State:
        """The newest folded state (the UI may not show it yet)."""
        return self._state

    def initial(self) -> tuple[State, ReplayStatus | None]:
        return self._state, None

    def start(self, deliver: Deliver, failed: Failed) -> None:
        self._failed = failed
        previous: list[State] = []

        def work(state: State) -> None:
            carry_over(previous[0] if previous else None, state)
            deliver(state, None)
            previous[:] = [state]

        self._newest = _Newest(work, "arborist-live")
        self._subscription = self._events.subscribe(on_next=self.push, on_error=self._on_error)
        if self._clock is not None and self._tick > 0:
            threading.Thread(target=self._ticker, name="arborist-clock", daemon=True).start()

    def push(self, event: Event) -> None:
        with self._lock:
            self._state = reduce(self._state, event)
            state = self._state
            if not isinstance(event, ClockAdvanced):
                self._last_event = time.monotonic()
        if self._newest is not None:
            self._newest.offer(state)

    def _ticker(self) -> None:
        assert self._clock is not None
        while not self._stop.wait(self._tick):
            if time.monotonic() - self._last_event >= self._tick:
                self.push(ClockAdvanced(self._clock()))

    def _on_error(self, error: BaseException) -> None:
        if self._failed is not None:
            self._failed(error)

    def stop(self) -> None:
        self._stop.set()
        if self._subscription is not None:
            self._subscription.dispose()
        if self._newest is not None:
            self._newest.stop()


class ReplayFeed:
    """Plays a ``Timeline``: pause/resume, speed 0.5× … 64×, step one event, seek to an offset, jump to the end.

    Controls are called on the UI thread and only move the wanted position; the playback thread folds to it (from
    the nearest snapshot) and delivers. ``monotonic`` paces playback and is injectable for tests.
    """

    def __init__(
        self,
        timeline: Timeline,
        *,
        speed: float = DEFAULT_SPEED,
        playing: bool = True,
        at: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        frame: float = FRAME,
    ) -> None:
        self.timeline = timeline
        self._monotonic = monotonic
        self._frame = frame
        self._cond = threading.Condition()
        self._speed = min(SPEEDS, key=lambda s: abs(s - speed))
        self._playing = playing and len(timeline) > 0
        self._position = timeline.position_at(at) if at is not None else Position(0, 0.0)
        self._wanted = True  # a redraw is due whatever moved
        self._stopped = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------- status and controls

    def status(self) -> ReplayStatus:
        with self._cond:
            return self._status()

    def _status(self) -> ReplayStatus:
        return ReplayStatus(self._position, len(self.timeline), self.timeline.duration, self._speed, self._playing)

    def initial(self) -> tuple[State, ReplayStatus | None]:
        """The state at the starting position, folded on the caller's thread (the first frame)."""
        with self._cond:
            position, status = self._position, self._status()
            self._wanted = False
        return self._fold(position), status

    def _fold(self, position: Position) -> State:
        with cyclic_gc_paused():  # a long seek folds most of a recording
            return self.timeline.state_at_position(position)

    def _move(self, position: Position | None = None, playing: bool | None = None) -> None:
        with self._cond:
            if position is not None:
                self._position = position
            if playing is not None:
                self._playing = playing
            self._wanted = True
            self._cond.notify()

    def toggle(self) -> None:
        with self._cond:
            playing = not self._playing
            restart = playing and self._status().at_end
        self._move(Position(0, 0.0) if restart else None, playing)

    def faster(self) -> None:
        with self._cond:
            self._speed = next((s for s in SPEEDS if s > self._speed), SPEEDS[-1])
        self._move()

    def slower(self) -> None:
        with self._cond:
            self._speed = next((s for s in reversed(SPEEDS) if s < self._speed), SPEEDS[0])
        self._move()

    def step(self, delta: int) -> None:
        with self._cond:
            position = self.timeline.step(self._position, delta)
        self._move(position, playing=False)

    def seek(self, offset: float) -> None:
        self._move(self.timeline.position_at(offset))

    def end(self) -> None:
        self._move(self.timeline.end, playing=False)

    # ------------------------------------------------------------------------------------------- playback

    def start(self, deliver: Deliver, failed: Failed) -> None:
        self._thread = threading.Thread(target=self._run, args=(deliver, failed), name="arborist-replay", daemon=True)
        self._thread.start()

    def _run(self, deliver: Deliver, failed: Failed) -> None:
        last_wall = self._monotonic()
        last_drawn: Position | None = None
        last_draw_wall = last_wall
        last_state: State | None = None
        while True:
            with self._cond:
                while not self._playing and not self._wanted and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                now = self._monotonic()
                if self._playing and not self._wanted:
                    offset = min(self._position.offset + (now - last_wall) * self._speed, self.timeline.duration)
                    self._position = Position(self.timeline.index_at(offset), offset)
                    if offset >= self.timeline.duration:
                        self._playing = False
                last_wall = now
                position, status, wanted = self._position, self._status(), self._wanted
                self._wanted = False
            moved = last_drawn is None or position.index != last_drawn.index
            if wanted or moved or now - last_draw_wall >= CLOCK_REDRAW:
                try:
                    state = self._fold(position)
                except RecordingError as exc:  # a line decoded only now: pause where it is, the keys still work
                    with self._cond:
                        self._playing = False
                    failed(exc)
                    continue
                carry_over(last_state, state)
                deliver(state, status)
                last_drawn, last_draw_wall, last_state = position, now, state
            if status.playing:
                with self._cond:
                    if not self._wanted and not self._stopped:
                        self._cond.wait(self._frame)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()


Feed = LiveFeed | ReplayFeed
