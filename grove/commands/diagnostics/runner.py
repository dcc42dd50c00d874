"""Run collection items concurrently, each with its own deadline; a failing or hanging item never stops the others.

Each item runs in a daemon thread (at most ``workers`` at once). An item that outlives its deadline is recorded as
timed out and abandoned: its thread ends on its own when its request times out, and nothing it returns late is used.
Daemon threads (not a ``ThreadPoolExecutor``, whose threads are joined at exit) keep Ctrl+C and a hung API server
from holding the process.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from grove.events.kube import ApiError, Forbidden, NotFound, TransportError, Unauthorized


class ItemTimeout(Exception):
    """The item's deadline passed (raised by ``Deadline.check`` between requests)."""


class Skipped(Exception):
    """The item has nothing to do (``str()`` says why); recorded as skipped, not failed."""


@attrs.define
class Deadline:
    """When an item must be done; requests inside it use ``request_timeout()``."""

    at: float  # time.monotonic()
    request_timeout: float | None  # the --request-timeout of one request (None: no limit)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def check(self) -> None:
        if time.monotonic() >= self.at:
            raise ItemTimeout("deadline passed")

    def timeout(self) -> float:
        """Seconds one request may take: the request timeout, but never past the item's deadline."""
        left = max(0.05, self.remaining())
        return left if self.request_timeout is None else min(self.request_timeout, left)


@attrs.frozen
class Job:
    """One item to collect. ``work`` returns (value, count, bytes) or raises."""

    name: str
    work: Callable[[Deadline], tuple[Any, int | None, int | None]]


@attrs.frozen
class ItemResult:
    name: str
    status: str  # ok | failed | skipped
    reason: str = ""  # forbidden | not found | timeout | unauthorized | unreachable | error
    message: str = ""
    seconds: float = 0.0
    count: int | None = None  # objects, or log lines
    bytes: int | None = None  # bytes received

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        if self.message:
            out["message"] = self.message
        out["seconds"] = round(self.seconds, 3)
        if self.count is not None:
            out["count"] = self.count
        if self.bytes is not None:
            out["bytes"] = self.bytes
        return out


@attrs.frozen
class Done:
    job: Job
    result: ItemResult
    value: Any = None
    error: BaseException | None = None  # why it failed (for one-line explanations)


def classify(exc: BaseException, timeout: float) -> tuple[str, str]:
    """(reason, message) for a failed item, in the words of the manifest."""
    if isinstance(exc, ItemTimeout):
        return "timeout", f"not finished within {timeout:g}s"
    if isinstance(exc, Forbidden):
        return "forbidden", exc.message
    if isinstance(exc, NotFound):
        return "not found", exc.message
    if isinstance(exc, Unauthorized):
        return "unauthorized", f"401 Unauthorized: {exc.message}"
    if isinstance(exc, ApiError):
        return "error", f"{exc.status} {exc.reason}: {exc.message}".replace(" : ", ": ")
    if isinstance(exc, TransportError):
        return ("timeout" if exc.category == "timeout" else "unreachable"), exc.message
    return "error", f"{type(exc).__name__}: {exc}"


class Runner:
    """Runs jobs, ``workers`` at a time; ``on_start``/``on_done`` are called from the calling thread only."""

    def __init__(
        self,
        *,
        workers: int,
        item_timeout: float,
        request_timeout: float | None,
        on_start: Callable[[Job], None] = lambda job: None,
        on_done: Callable[[Done], None] = lambda done: None,
    ) -> None:
        self.workers = max(1, workers)
        self.item_timeout = item_timeout
        self.request_timeout = request_timeout
        self.on_start = on_start
        self.on_done = on_done
        self.grace = 1.0  # past the deadline, how long to wait for an item to notice before abandoning it

    def run(self, jobs: Sequence[Job]) -> list[Done]:
        """Every job's outcome, in the order given. KeyboardInterrupt propagates (running items are abandoned)."""
        outcomes: dict[int, Done] = {}
        finished: queue.Queue[tuple[int, Any, BaseException | None, float]] = queue.Queue()
        running: dict[int, tuple[float, Deadline]] = {}  # index -> (started, deadline)
        waiting = list(range(len(jobs)))
        waiting.reverse()

        def start(index: int) -> None:
            job = jobs[index]
            deadline = Deadline(time.monotonic() + self.item_timeout, self.request_timeout)
            running[index] = (time.monotonic(), deadline)
            self.on_start(job)

            def target() -> None:
                began = time.monotonic()
                try:
                    value = job.work(deadline)
                except BaseException as exc:  # reported, never raised in a worker thread
                    finished.put((index, None, exc, time.monotonic() - began))
                else:
                    finished.put((index, value, None, time.monotonic() - began))

            threading.Thread(target=target, name=f"grove-diagnostics-{index}", daemon=True).start()

        def record(index: int, done: Done) -> None:
            outcomes[index] = done
            running.pop(index, None)
            self.on_done(done)

        while waiting or running:
            while waiting and len(running) < self.workers:
                start(waiting.pop())
            soonest = min(deadline.at for _, deadline in running.values()) + self.grace
            try:
                index, value, error, seconds = finished.get(timeout=max(0.01, min(0.25, soonest - time.monotonic())))
            except queue.Empty:
                now = time.monotonic()
                for index, (began, deadline) in list(running.items()):
                    if now >= deadline.at + self.grace:
                        late = ItemTimeout()
                        reason, message = classify(late, self.item_timeout)
                        result = ItemResult(jobs[index].name, "failed", reason, message, now - began)
                        record(index, Done(jobs[index], result, error=late))
                continue
            if index in outcomes:
                continue  # finished after it was given up on
            job = jobs[index]
            if error is None:
                data, count, size = value
                record(index, Done(job, ItemResult(job.name, "ok", seconds=seconds, count=count, bytes=size), data))
            elif isinstance(error, Skipped):
                record(index, Done(job, ItemResult(job.name, "skipped", "", str(error), seconds)))
            elif isinstance(error, KeyboardInterrupt | SystemExit):
                raise error
            else:
                reason, message = classify(error, self.item_timeout)
                record(index, Done(job, ItemResult(job.name, "failed", reason, message, seconds), error=error))
        return [outcomes[i] for i in range(len(jobs))]
