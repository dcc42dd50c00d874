"""Skimming a recording: where the newest line of each object is, without decoding any line.

The writer puts each change's head first (``{"t":…,"type":"applied","kind":"Pod","key":["ns","name"],"object":{…}}``),
so one anchored regex match per line tells which object a line changes, and when. A skim walks the lines of a span
of the recording's bytes and keeps, per object, the offset of its newest line (later lines simply overwrite earlier
ones in a dict: most lines of a long recording are superseded and are never looked at again). Clock lines only move
the clock. Any other line (a list, a source's health, a line without that head, a broken line) ends the current run
and is left, by its offset, for the reader to decode in order (grove/events/compaction.py).

Large recordings are skimmed on two cores: a forked child skims the second half while this process skims the first,
and sends its result back through a pipe. Skimming is the only step that looks at every line, so this halves the
wall time of the scan of a long recording; the rest of the reading (decoding the few surviving lines) stays here.
"""

from __future__ import annotations

import array
import contextlib
import os
import pickle
import re
import signal
import threading
from typing import Any

_CHANGE = re.compile(
    rb'\{"t":(-?[0-9][0-9.eE+-]*),"type":"(?:applied|removed)",'
    rb'("kind":"[A-Za-z0-9]+","key":\["[^"\\\n]*","[^"\\\n]+"\]),"object":\{'
)
_CLOCK = re.compile(rb'\{"t":(-?[0-9][0-9.eE+-]*),"type":"clock"\}')

PARALLEL_MIN_BYTES = 64 << 20
"""Spans smaller than this are skimmed here: forking costs more than it saves."""

RawKey = bytes
"""A change line's ``"kind":"…","key":["…","…"]`` bytes: one object, as the writer names it."""

Run = tuple[dict[RawKey, int], float]
"""Consecutive change lines: each object's newest line (by offset), and the latest time offset among them."""

Skim = tuple[list["Run | int"], bool]
"""A span skimmed: runs and, between them, the offsets of lines left to decode, in file order; and whether the skim
stopped at a line later than the moment asked for (nothing after that line belongs to the state)."""


def skim(buffer: Any, lo: int, hi: int, limit: float) -> Skim:
    """Skim the lines that start in ``[lo, hi)`` of ``buffer`` (bytes or an mmap), up to time offset ``limit``."""
    items: list[Run | int] = []
    run: dict[RawKey, int] = {}
    latest = float("-inf")
    find = buffer.find
    change = _CHANGE.match
    pos = lo
    while pos < hi:
        end = find(b"\n", pos)
        if end < 0:  # the last line has no newline: it may be cut off, so it is decoded (and reported) in full
            items.append((run, latest))
            items.append(pos)
            return items, False
        head = change(buffer, pos, end)
        if head is not None and buffer[end - 1] == 0x7D:  # the head, and the line closes its object
            t_text, key = head.group(1, 2)
            t = float(t_text)
            if t > limit:
                items.append((run, latest))
                return items, True
            if t > latest:
                latest = t
            run[key] = pos
        elif (clock := _CLOCK.match(buffer, pos, end)) is not None and clock.end() == end:
            t = float(clock.group(1))
            if t > limit:
                items.append((run, latest))
                return items, True
            if t > latest:
                latest = t
        elif end > pos and not buffer[pos:end].isspace():
            items.append((run, latest))
            items.append(pos)
            run, latest = {}, float("-inf")
        pos = end + 1
    items.append((run, latest))
    return items, False


def skim_in_parallel(buffer: Any, lo: int, hi: int, limit: float) -> list[Skim]:
    """The skims of ``[lo, hi)`` in file order: two halves on two cores when the span is large, else one."""
    mid = buffer.find(b"\n", lo + (hi - lo) // 2) + 1
    if hi - lo < PARALLEL_MIN_BYTES or not _can_fork() or not lo < mid < hi:
        return [skim(buffer, lo, hi, limit)]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: skim the second half, send it, and leave without running any of the parent's exits
        code = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(_packed(skim(buffer, mid, hi, limit)), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        first = skim(buffer, lo, mid, limit)
        if first[1]:  # the moment asked for lies in the first half: the second half is not needed
            return [first]
        with os.fdopen(read_end, "rb") as received:
            read_end = -1
            try:
                second = _unpacked(pickle.load(received))
            except (EOFError, pickle.UnpicklingError, ValueError):  # the child failed: skim its half here
                second = skim(buffer, mid, hi, limit)
        return [first, second]
    finally:
        if read_end >= 0:
            os.close(read_end)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _packed(result: Skim) -> tuple[list[tuple[bytes, bytes, float] | int], bool]:
    """A skim as a few large bytes objects: a dict of many small keys pickles (and unpickles) slowly."""
    items, past = result
    packed: list[tuple[bytes, bytes, float] | int] = []
    for item in items:
        if isinstance(item, tuple):
            changes, latest = item
            packed.append((b"\n".join(changes), array.array("q", changes.values()).tobytes(), latest))
        else:
            packed.append(item)
    return packed, past


def _unpacked(packed: tuple[list[tuple[bytes, bytes, float] | int], bool]) -> Skim:
    items: list[Run | int] = []
    for item in packed[0]:
        if isinstance(item, tuple):
            keys, offsets, latest = item
            positions = array.array("q")
            positions.frombytes(offsets)
            items.append((dict(zip(keys.split(b"\n"), positions, strict=True)) if keys else {}, latest))
        else:
            items.append(item)
    return items, packed[1]


def _can_fork() -> bool:
    # Forking a process that runs other threads can copy a lock in a held state; the one-shot commands run none.
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1 and threading.active_count() == 1
