"""Skimming a recording: where the newest line of each object is, without decoding any line.

The writer puts each change's head first (``{"t":…,"type":"applied","kind":"Pod","key":["ns","name"],"object":{…}}``),
so one anchored regex match per line tells which object a line changes, and when. A skim walks the lines of a span
of the recording's bytes and keeps, per object, the offset of its newest line (later lines simply overwrite earlier
ones in a dict: most lines of a long recording are superseded and are never looked at again). Clock lines only move
the clock. Any other line (a list, a source's health, a line without that head, a broken line) ends the current run
and is left, by its offset, for the reader to decode in order (grove/events/recordings/compaction.py).

Large recordings are skimmed on two cores (two_cores.py); the rest of the reading (decoding the few
surviving lines) stays in this process.
"""

from __future__ import annotations

import array
from collections.abc import Callable
from typing import Any

from grove.events.recordings.line_heads import CHANGE_RAW_KEY, CLOCK
from grove.events.recordings.two_cores import in_two_parts

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
    change = CHANGE_RAW_KEY.match
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
        elif (clock := CLOCK.match(buffer, pos, end)) is not None and clock.end() == end:
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


def skim_in_parallel(
    buffer: Any,
    lo: int,
    hi: int,
    limit: float,
    before: Callable[[], None] = lambda: None,
    after: Callable[[Skim], None] = lambda result: None,
    before_bytes: int = 0,
) -> list[Skim]:
    """The skims of ``[lo, hi)`` in file order: two parts on two cores when the span is large, else one. ``before``
    and ``after`` (given the skim of the last part) run here while the child skims the first part (see
    ``two_cores.in_two_parts``)."""
    return in_two_parts(
        buffer,
        lo,
        hi,
        lambda b, start, stop: skim(b, start, stop, limit),
        _packed,
        _unpacked,
        before,
        after,
        share=0.4,  # this process also decodes the last part's survivors meanwhile (``after``)
        before_bytes=before_bytes,
    )


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
