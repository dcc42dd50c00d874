"""Working through a large buffer on two cores: a forked child takes the first part and sends its result back.

Reading a long recording's heads (skimming for the newest line of each object, or indexing every event) looks at
every line, and nothing else in the read comes close in cost; both halves of the file can be read at once. The
child shares the mapped file with this process (fork copies nothing until written), works on the lines that start
in the first part, and sends its result through a pipe, ``pack``ed into a few large objects: a dict or list of
many small ones pickles slowly. If the child fails, its part is worked through here.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

PARALLEL_MIN_BYTES = 64 << 20
"""Spans smaller than this are worked through here: forking costs more than it saves."""

T = TypeVar("T")


def in_two_parts(
    buffer: Any,
    lo: int,
    hi: int,
    work: Callable[[Any, int, int], T],
    pack: Callable[[T], Any] = lambda result: result,
    unpack: Callable[[Any], T] = lambda packed: packed,
    before: Callable[[], None] = lambda: None,
    after: Callable[[T], None] = lambda result: None,
    share: float = 0.5,
    before_bytes: int = 0,
) -> list[T]:
    """``work`` on the lines starting in ``[lo, hi)``: one result, or two in file order when the span is large.

    A forked child works through the first part; this process runs ``before``, works through the last part and runs
    ``after`` on that result, all while the child works: what ``after`` does may rely on nothing following its lines
    in the span. ``share`` is the part of the span this process takes, less ``before_bytes`` (what ``before`` costs,
    in bytes of ``work``), so that both finish together."""
    size = hi - lo
    mid = buffer.find(b"\n", hi - max(size // 10, int(size * share) - before_bytes)) + 1
    if size < PARALLEL_MIN_BYTES or not _can_fork() or not lo < mid < hi:
        before()
        whole = work(buffer, lo, hi)
        after(whole)
        return [whole]
    import pickle  # only here: a small recording (most commands' start-up time) needs neither
    import signal

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, send, and leave without running any of the parent's exit handlers
        code = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(pack(work(buffer, lo, mid)), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        before()
        last = work(buffer, mid, hi)
        after(last)
        with os.fdopen(read_end, "rb") as received:
            read_end = -1
            try:
                first = unpack(pickle.load(received))
            except (EOFError, pickle.UnpicklingError, ValueError):  # the child failed: its part is done here
                first = work(buffer, lo, mid)
        return [first, last]
    finally:
        if read_end >= 0:
            os.close(read_end)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _can_fork() -> bool:
    # Forking a process that runs other threads can copy a lock in a held state; the one-shot commands run none,
    # and the TUI opens its recording before it starts any.
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1 and threading.active_count() == 1
