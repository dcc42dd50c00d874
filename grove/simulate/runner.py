"""The clock of a scripted simulation: processes (generators yielding their next time) interleaved by time, the
controllers catching up after every step."""

from __future__ import annotations

import heapq
from collections.abc import Generator, Iterable

from grove.simulate.cluster import Cluster

Process = Generator[float, None, None]
"""A scripted actor: yields the time (offset from START) of its next step and acts when resumed."""


class ProcessRunner:
    """Interleaves processes by time; the controllers catch up (``sync``) after every step.

    Steps later than ``run``'s ``until`` wait for the next ``run`` (history first, then the recording)."""

    def __init__(self, c: Cluster) -> None:
        self.c = c
        self._heap: list[tuple[float, int, Process]] = []
        self._seq = 0

    def add(self, *processes: Process) -> None:
        for proc in processes:
            first = next(proc, None)
            if first is not None:
                self._seq += 1
                heapq.heappush(self._heap, (first, self._seq, proc))

    def run(self, until: float) -> None:
        while self._heap and self._heap[0][0] <= until:
            t, n, proc = heapq.heappop(self._heap)
            self.c.at(t)
            following = next(proc, None)
            self.c.sync()
            if following is not None:
                heapq.heappush(self._heap, (following, n, proc))
        self.c.at(until)


def run(c: Cluster, processes: Iterable[Process], until: float) -> None:
    s = ProcessRunner(c)
    s.add(*processes)
    s.run(until)
