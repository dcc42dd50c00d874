"""Derivations the next key is likely to ask for, computed ahead on a thread of their own.

A screen names what the user may open next (the level below the highlighted row, the topology of the workload in
view) and the ``Prefetcher`` computes it while the UI is idle. The work is pure and memoised on the state (or carried
over from state to state), so the key that asks for it finds it ready. Newest request wins: tasks still waiting when
a newer request comes are dropped; a task already running is never computed twice (``join`` waits for it).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence

Task = tuple[str, Callable[[], object]]  # (name, work)

JOIN_WAIT = 2.0  # seconds a key waits at most for the task it needs
REST = 0.2  # seconds without a newer request before work starts: scrolling through rows (or a burst of keys while
# events stream) computes nothing that the next move makes useless, and takes no time from the feed


class Prefetcher:
    def __init__(self, name: str = "arborist-prefetch", rest: float = REST) -> None:
        self._name = name
        self._rest = rest
        self._requested_at = 0.0
        self._cond = threading.Condition()
        self._pending: list[Task] = []
        self._running: str | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None

    def request(self, tasks: Sequence[Task]) -> None:
        """Compute ``tasks`` in order, after the one running (if any); they replace the tasks still waiting."""
        with self._cond:
            if self._stopped:
                return
            self._pending = [task for task in tasks if task[0] != self._running]
            self._requested_at = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def join(self, name: str, timeout: float = JOIN_WAIT) -> None:
        """Before computing ``name`` on the caller's thread: wait while it is being computed ahead, and drop it if
        it is still waiting (the caller is about to compute it)."""
        with self._cond:
            self._pending = [task for task in self._pending if task[0] != name]
            if self._running == name:
                self._cond.wait_for(lambda: self._running != name, timeout)

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._running is not None or bool(self._pending)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    self._cond.wait_for(lambda: self._stopped or bool(self._pending))
                    if self._stopped:
                        return
                    resting = self._requested_at + self._rest - time.monotonic()
                    if resting <= 0:
                        break
                    self._cond.wait(resting)  # a newer request moves the start on
                (name, work), *self._pending = self._pending
                self._running = name
            try:
                with contextlib.suppress(Exception):  # the UI computes it again, and reports what went wrong
                    work()
            finally:
                with self._cond:
                    self._running = None
                    self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._pending = []
            self._cond.notify_all()
