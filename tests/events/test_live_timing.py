"""The live source's timing in virtual time: reconnect back-off (its cap, its reset after a list) and the stale
watchdog (stale while a request hangs, then recovery), on a ``reactivex.testing.TestScheduler`` (one unit = one
second). The lists and watches are real requests to the loopback server, on threads the test keeps hold of, so
each step advances the scheduler and then waits for those threads; nothing sleeps for the time under test."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from reactivex.testing import TestScheduler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.events.access import ClusterAccess
from grove.events.kube import LiveSource
from grove.events.model import SourceHealthChanged, SourceStatus
from tests.support.kube_server import KubeServer, sample_objects
from tests.support.pod_proxy import status_body

PODS = "/api/v1/pods"


class _NoJitter(random.Random):
    """Every jittered delay at its low end, so the sequence is exact."""

    def uniform(self, a: float, b: float) -> float:
        return a


class _Threads:
    """The thread factory the source gets: it keeps every thread so a step can wait for the runs to end."""

    def __init__(self) -> None:
        self.made: list[threading.Thread] = []

    def __call__(self, target: Callable[[], None], name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self.made.append(thread)
        return thread

    def join(self) -> None:
        for thread in list(self.made):
            thread.join(5.0)
            assert not thread.is_alive(), "a run did not end at a pause"


class _Fault:
    """A handler before the server's own: answers 500 to the first ``lists`` lists and ``watches`` watches of pods
    and notes the virtual time of every list and watch."""

    def __init__(self, scheduler: TestScheduler, lists: int, watches: int) -> None:
        self.scheduler = scheduler
        self.lists = lists
        self.watches = watches
        self.seen: list[tuple[float, str]] = []

    def __call__(self, server: KubeServer, h: Any, path: str, query: dict[str, str], user: str) -> bool:
        if path != PODS:
            return False
        what = "watch" if query.get("watch") == "true" else "list"
        self.seen.append((float(self.scheduler.clock), what))
        left = sum(1 for _, w in self.seen if w == what) <= (self.watches if what == "watch" else self.lists)
        if not left:
            return False
        body = orjson.dumps(status_body(500, "InternalError", "etcd is unhappy"))
        h.send_response(500)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        return True


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        srv.seed_state(sample_objects())
        yield srv


def _source(srv: KubeServer, scheduler: TestScheduler, threads: _Threads, **options: Any) -> LiveSource:
    return LiveSource(
        ClusterAccess(server=srv.url),
        ["Pod"],
        namespace=None,
        scheduler=scheduler,
        thread_factory=threads,
        rng=_NoJitter(),
        watch_timeout=30.0,
        read_grace=5.0,
        join_timeout=1.0,
        **options,
    )


def _health(source: LiveSource, scheduler: TestScheduler) -> list[tuple[float, SourceStatus]]:
    """(virtual time, status) of every health change the source reports."""
    seen: list[tuple[float, SourceStatus]] = []

    def note(event: Any) -> None:
        if isinstance(event, SourceHealthChanged):
            seen.append((float(scheduler.clock), event.status))

    source.events.subscribe(on_next=note)
    return seen


def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Wait (real time) for something a worker thread does; the virtual clock stands still meanwhile."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_backoff_doubles_up_to_the_cap_and_starts_over_after_a_list(server: KubeServer) -> None:
    scheduler = TestScheduler()
    threads = _Threads()
    fault = _Fault(scheduler, lists=3, watches=1_000)
    server.handlers.append(fault)
    source = _source(server, scheduler, threads, backoff_initial=1.0, backoff_max=8.0, stale_after=100.0)
    health = _health(source, scheduler)
    try:
        for second in range(41):
            scheduler.advance_to(float(second))
            threads.join()
    finally:
        source.stop()
    # lists fail at 0, 1, 3 (pauses 1, 2, 4); the list at 7 works, so the failing watch starts over at 1: 7, 8,
    # 10, 14, then the cap: 22, 30, 38
    assert fault.seen == [
        (0.0, "list"),
        (1.0, "list"),
        (3.0, "list"),
        (7.0, "list"),
        (7.0, "watch"),
        (8.0, "watch"),
        (10.0, "watch"),
        (14.0, "watch"),
        (22.0, "watch"),
        (30.0, "watch"),
        (38.0, "watch"),
    ]
    assert health == [
        (0.0, SourceStatus.CONNECTING),
        (0.0, SourceStatus.RECONNECTING),
        (7.0, SourceStatus.LIVE),
        (7.0, SourceStatus.RECONNECTING),
    ]


def test_a_failure_that_lasts_turns_stale_on_time(server: KubeServer) -> None:
    scheduler = TestScheduler()
    threads = _Threads()
    server.handlers.append(_Fault(scheduler, lists=0, watches=1_000))
    source = _source(server, scheduler, threads, backoff_initial=10.0, backoff_max=10.0, stale_after=4.0)
    health = _health(source, scheduler)
    try:
        for second in range(13):
            scheduler.advance_to(float(second))
            threads.join()
    finally:
        source.stop()
    # the watch fails at 0 (RECONNECTING); the watchdog, every second, says STALE at 4, before the retry at 10
    assert health == [
        (0.0, SourceStatus.CONNECTING),
        (0.0, SourceStatus.LIVE),
        (0.0, SourceStatus.RECONNECTING),
        (4.0, SourceStatus.STALE),
    ]


def test_stale_while_a_request_hangs_then_live_when_it_answers(server: KubeServer) -> None:
    scheduler = TestScheduler()
    threads = _Threads()
    fault = _Fault(scheduler, lists=0, watches=1)
    server.handlers.append(fault)
    source = _source(server, scheduler, threads, backoff_initial=1.0, backoff_max=1.0, stale_after=5.0)
    health = _health(source, scheduler)
    try:
        source.start()
        threads.join()  # list at 0, the watch fails at 0: the retry is due at 1
        server.stall()
        scheduler.advance_to(1.0)
        assert _until(lambda: len([r for r in server.requests if r.query.get("watch")]) == 2)  # and hangs
        for second in range(2, 8):
            scheduler.advance_to(float(second))
        stale = list(health)
        server.stall(False)
        assert _until(lambda: health[-1][1] is SourceStatus.LIVE)
    finally:
        source.stop()
    assert stale == [
        (0.0, SourceStatus.CONNECTING),
        (0.0, SourceStatus.LIVE),
        (0.0, SourceStatus.RECONNECTING),
        (5.0, SourceStatus.STALE),  # five seconds after the failure, while the retry hangs
    ]
    assert health[len(stale) :] == [(7.0, SourceStatus.LIVE)]
