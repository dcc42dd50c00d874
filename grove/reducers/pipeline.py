"""The one pipeline from events to the states a consumer draws, built from RxPY operators on an injected scheduler.

```
per-kind sources ─┐
clock ticks ──────┼─► merge ─► observe_on(scheduler) ─► scan(reduce) ─► newest per frame ─► consumer
paced recording ──┘
```

No I/O and no wall clock of its own: time is the scheduler's (a ``TestScheduler`` in tests, virtual time), the
clock a tick carries is injected. Everything after the merge runs on the one scheduler, so the fold never sees two
events at once and a frame never races the fold. A one-shot read is the fold up to the first state that has
settled (``first_settled``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import CompositeDisposable, MultipleAssignmentDisposable

from grove.events.model import ClockAdvanced, Event
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state

_T = TypeVar("_T")

FRAME = 0.25  # seconds: at most one state per frame reaches the consumer
TICK = 1.0  # seconds between clock ticks (ages, countdowns and staleness move)
RESOLUTION = 1e-6  # seconds: schedulers keep time as datetimes, to the microsecond; a due time closer counts as now


def seconds_now(scheduler: abc.SchedulerBase) -> float:
    """The scheduler's time as seconds since the epoch (virtual seconds for a test scheduler)."""
    return float(scheduler.to_seconds(scheduler.now))


def merged(*sources: Observable[Event]) -> Observable[Event]:
    """Several sources (one per kind, ticks, ...) as one stream; ``merge`` serialises their ``on_next`` calls."""
    return reactivex.merge(*sources)


def clock_ticks(
    scheduler: abc.SchedulerBase, period: float = TICK, clock: Callable[[], float] | None = None
) -> Observable[Event]:
    """A ``ClockAdvanced`` at once and then every ``period`` seconds of the scheduler's time; ``clock`` (default:
    the scheduler's own time) says what time each tick carries."""
    read = clock if clock is not None else lambda: seconds_now(scheduler)
    ticks: Observable[int] = reactivex.timer(0.0, period, scheduler=scheduler)
    return ticks.pipe(ops.map(lambda _: ClockAdvanced(read())))


def ticks_when_quiet(
    scheduler: abc.SchedulerBase, period: float, clock: Callable[[], float]
) -> Callable[[Observable[Event]], Observable[Event]]:
    """The events with a ``ClockAdvanced`` (carrying ``clock()``) added at each ``period`` of the scheduler's time
    in which no other event came: ages and countdowns move while the stream is quiet, and a busy stream (whose
    events move the state anyway) is not folded and redrawn once more a second."""

    def operator(source: Observable[Event]) -> Observable[Event]:
        def subscribe(observer: abc.ObserverBase[Event], _: abc.SchedulerBase | None = None) -> abc.DisposableBase:
            last = [seconds_now(scheduler)]  # when the last event other than a tick came

            def note(event: Event) -> None:
                if not isinstance(event, ClockAdvanced):
                    last[0] = seconds_now(scheduler)

            def quiet(_: int) -> bool:
                return seconds_now(scheduler) - last[0] >= period - RESOLUTION

            checks: Observable[int] = reactivex.interval(period, scheduler=scheduler)
            ticks = checks.pipe(ops.filter(quiet), ops.map(lambda _: ClockAdvanced(clock())))
            return merged(source.pipe(ops.do_action(note)), ticks).subscribe(observer)

        return Observable(subscribe)

    return operator


def folded(initial: State | None = None) -> Callable[[Observable[Event]], Observable[State]]:
    """The fold as an operator: each event gives the state after it (``reduce``, the pure reducer)."""
    seed = initial if initial is not None else empty_state()
    return ops.scan(reduce, seed)


class NotSettled(TimeoutError):
    """The events did not settle in the time given (``first_settled``)."""


def first_settled(
    done: Callable[[State], bool],
    scheduler: abc.SchedulerBase,
    timeout: float,
    initial: State | None = None,
) -> Callable[[Observable[Event]], Observable[State]]:
    """A one-shot read as an operator: the events folded until ``done`` holds for the state, which is sent, and the
    stream completes (unsubscribing from the events). Should the events end first, the last state is sent; after
    ``timeout`` seconds of the scheduler's time without it, ``NotSettled``. The fold runs on the thread that sends
    each event: no hop per event."""
    seed = initial if initial is not None else empty_state()

    def unsettled(state: State) -> bool:
        return not done(state)

    def settle(events: Observable[Event]) -> Observable[State]:
        return events.pipe(
            folded(seed),
            ops.take_while(unsettled, inclusive=True),
            ops.last_or_default(seed),
            ops.timeout(timeout, reactivex.throw(NotSettled(f"not settled within {timeout:g}s")), scheduler),
        )

    return settle


def newest_per_frame(scheduler: abc.SchedulerBase, period: float = FRAME) -> Callable[[Observable[_T]], Observable[_T]]:
    """Coalescing to frames: the first value at once (the first frame is not a period late), then at most one per
    ``period``, the newest (``sample`` on the scheduler); a frame passes when nothing new came. When the source ends
    the pending value still comes out, and an error comes only after it, so the consumer shows the last state
    before saying what went wrong."""

    def coalesce(source: Observable[_T]) -> Observable[_T]:
        failure: list[Exception] = []

        def hold(error: Exception, _: Observable[_T]) -> Observable[_T]:
            failure.append(error)
            return reactivex.empty()

        def after() -> Observable[_T]:
            return reactivex.throw(failure[0]) if failure else reactivex.empty()

        def leading_then_sampled(shared: Observable[_T]) -> Observable[_T]:
            rest = shared.pipe(ops.skip(1), ops.sample(period, scheduler=scheduler))
            return reactivex.merge(shared.pipe(ops.take(1)), rest)

        sampled = source.pipe(ops.catch(hold), ops.publish(leading_then_sampled))
        return reactivex.concat(sampled, reactivex.defer(lambda _: after()))

    return coalesce


def newest_when_free(scheduler: abc.SchedulerBase) -> Callable[[Observable[_T]], Observable[_T]]:
    """The hand-over to a consumer that takes its time (prepares and draws each value): every value goes out on the
    scheduler, but while the consumer works on one (its ``on_next`` has not returned) later values replace each
    other, and the newest goes out as soon as it is free. A burst costs one delivery, and the consumer never works
    on a value already replaced. The source's end or error is passed on after the pending value."""

    def operator(source: Observable[_T]) -> Observable[_T]:
        def subscribe(observer: abc.ObserverBase[_T], _: abc.SchedulerBase | None = None) -> abc.DisposableBase:
            lock = threading.Lock()
            pending: list[_T] = []  # the newest value not yet delivered (at most one)
            ended: list[Callable[[], None]] = []  # how the source ended, passed on once nothing is pending
            busy = [False]  # a delivery is scheduled or running
            delivery = MultipleAssignmentDisposable()

            def deliver(_scheduler: abc.SchedulerBase, _state: Any = None) -> None:
                with lock:
                    values = pending[:]
                    pending.clear()
                    if not values and not ended:
                        busy[0] = False
                        return
                if not values:
                    ended[0]()
                    return
                observer.on_next(values[0])
                with lock:
                    if pending or ended:
                        delivery.disposable = scheduler.schedule(deliver)
                    else:
                        busy[0] = False

            def wake() -> None:  # under the lock
                if not busy[0]:
                    busy[0] = True
                    delivery.disposable = scheduler.schedule(deliver)

            def on_next(value: _T) -> None:
                with lock:
                    pending[:] = [value]
                    wake()

            def on_error(error: Exception) -> None:
                with lock:
                    ended.append(lambda: observer.on_error(error))
                    wake()

            def on_completed() -> None:
                with lock:
                    ended.append(observer.on_completed)
                    wake()

            subscription = source.subscribe(on_next, on_error, on_completed)
            return CompositeDisposable(subscription, delivery)

        return Observable(subscribe)

    return operator


def paced(events: Iterable[Event], scheduler: abc.SchedulerBase, speed: float = 1.0) -> Observable[Event]:
    """A recording's events, each due ``(event.at - first.at) / speed`` seconds after subscription on the scheduler.

    The events are read lazily (one recording may hold a million); every event already due goes out in one
    scheduled action, so a fast replay does not schedule once per event. An error reading them (a bad line) ends
    the stream with ``on_error``.
    """
    if speed <= 0:
        raise ValueError(f"speed must be positive, not {speed:g}")

    def subscribe(observer: abc.ObserverBase[Event], _: abc.SchedulerBase | None = None) -> abc.DisposableBase:
        iterator: Iterator[Event] = iter(events)
        start = seconds_now(scheduler)
        first: float | None = None
        pending: Event | None = None
        disposable = MultipleAssignmentDisposable()

        def due(event: Event) -> float:
            assert first is not None
            return start + (event.at - first) / speed

        def emit(_scheduler: abc.SchedulerBase, _state: Any = None) -> None:
            nonlocal first, pending
            now = seconds_now(scheduler)
            while not disposable.is_disposed:
                if pending is not None:
                    event, pending = pending, None
                else:
                    try:
                        event = next(iterator)
                    except StopIteration:
                        observer.on_completed()
                        return
                    except Exception as exc:  # a line that does not decode
                        observer.on_error(exc)
                        return
                if first is None:
                    first = event.at
                if due(event) - now > RESOLUTION:
                    pending = event
                    disposable.disposable = scheduler.schedule_absolute(due(event), emit)
                    return
                observer.on_next(event)

        disposable.disposable = scheduler.schedule(emit)
        return disposable

    return Observable(subscribe)


def states(
    sources: Iterable[Observable[Event]],
    scheduler: abc.SchedulerBase,
    *,
    frame: float = FRAME,
    tick: float | None = None,
    clock: Callable[[], float] | None = None,
    initial: State | None = None,
) -> Observable[State]:
    """The whole pipeline: ``sources`` (and, with ``tick``, clock ticks) merged, folded, coalesced to frames.

    ``initial`` (default the empty state) is what the first event is folded into. Subscribing happens on the
    scheduler too, so every value reaches the consumer on the scheduler's thread.
    """
    seed = initial if initial is not None else empty_state()
    inputs = list(sources)
    if tick is not None:
        inputs.append(clock_ticks(scheduler, tick, clock))
    frames = merged(*inputs).pipe(
        ops.observe_on(scheduler),
        folded(seed),
        newest_per_frame(scheduler, frame),
    )
    return frames.pipe(ops.subscribe_on(scheduler))
