"""A recording's events, decoded one at a time when asked for: what the TUI's timeline plays.

Loading a whole recording costs about 11 KB of memory and 16 µs per event, so a recording of a million events would
need 11 GB and a quarter of a minute before the first frame. Opening an ``EventLines`` instead reads each line's
head (its time and its shape) from the mapped file and keeps two numbers per event, its offset and its time;
``lines[i]`` decodes event ``i`` when the timeline folds past it. A line whose head is neither a change nor a clock
line (a list, a source's health, a hand-written line) is decoded while opening and kept, so a line that is not an
event at all is still reported before the replay starts, as ``FILE:LINE: reason``.
"""

from __future__ import annotations

import array
import math
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any, overload

from grove.events.model import ClockAdvanced, Event
from grove.events.recordings import line_heads
from grove.events.recordings.files import CUT_OFF
from grove.events.recordings.format import RecordingError
from grove.events.recordings.line_reading import Lines, compacted, new_run
from grove.events.recordings.mapped_file import line_number, map_recording
from grove.events.recordings.reader import Recording
from grove.events.recordings.two_cores import in_two_parts

CLOCK = -2
OTHER = -1

_Span = tuple["array.array[int]", "array.array[float]", "array.array[int]", list[bytes], list[int]]
"""Lines of one span: offsets, times (other lines': NaN until decoded), objects (numbered by the span's own key
list), that key list, and the indexes of other lines (to decode)."""


def _index(buffer: Any, lo: int, hi: int, start: float) -> _Span:
    """The lines that start in ``[lo, hi)``, read by their heads only."""
    offsets, times, objects = array.array("q"), array.array("d"), array.array("l")
    add_offset, add_time, add_object = offsets.append, times.append, objects.append
    keys: dict[bytes, int] = {}
    others: list[int] = []
    find = buffer.find
    change = line_heads.CHANGE_RAW_KEY.match
    clock = line_heads.CLOCK.match
    pos = lo
    while pos < hi:
        end = find(b"\n", pos)
        if end < 0:  # the last line has no newline: decoded (and reported if it was cut off) with the others
            end = len(buffer)
        head = change(buffer, pos, end)
        if head is not None and buffer[end - 1] == 0x7D and end < len(buffer):  # the head; the line closes its object
            t_text, key = head.group(1, 2)
            add_offset(pos)
            add_time(start + float(t_text))
            add_object(keys.setdefault(key, len(keys)))
        elif (tick := clock(buffer, pos, end)) is not None and tick.end() == end and end < len(buffer):
            add_offset(pos)
            add_time(start + float(tick.group(1)))
            add_object(CLOCK)
        elif end > pos and not buffer[pos:end].isspace():
            others.append(len(offsets))
            add_offset(pos)
            add_time(math.nan)
            add_object(OTHER)
        pos = end + 1
    return offsets, times, objects, list(keys), others


class EventLines(Sequence[Event]):
    """The events of a recording, by index. Opening raises ``RecordingError`` for a line that is not an event."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.offsets = array.array("q")  # where each event's line starts
        self.times = array.array("d")  # each event's time (epoch seconds)
        self.objects = array.array("l")  # which object each change line changes (CLOCK, OTHER: not a change line)
        self._decoded: dict[int, Event] = {}  # events decoded while opening: lists, sources, lines with other heads
        buffer, cut = map_recording(recording)  # no file stays open: the mapping goes when this object goes
        self._lines = Lines(recording, buffer)
        size = len(buffer)
        lo = buffer.find(b"\n") + 1 if size else 0  # after the header
        object_ids: dict[bytes, int] = {}  # a change line's raw key -> its object's number
        if lo:
            for span in in_two_parts(buffer, lo, size, partial(_index, start=recording.header.start)):
                self._append(span, object_ids)
        if cut:
            raise RecordingError(recording.display, line_number(buffer, size), CUT_OFF)

    def _append(self, span: _Span, object_ids: dict[bytes, int]) -> None:
        """A span's lines after those already here; its other lines are decoded now, in file order."""
        offsets, times, objects, keys, others = span
        base = len(self.offsets)
        numbers = [object_ids.setdefault(key, len(object_ids)) for key in keys]  # the span's numbers -> these
        self.offsets.extend(offsets)
        self.times.extend(times)
        self.objects.extend(numbers[n] if n >= 0 else n for n in objects)
        for index in others:
            event = self._lines.decode(offsets[index])
            self._decoded[base + index] = event
            self.times[base + index] = event.at

    def __len__(self) -> int:
        return len(self.offsets)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("event index out of range")
        kept = self._decoded.get(index)
        if kept is not None:
            return kept
        return self._lines.decode(self.offsets[index])

    def compacted(self, lo: int, hi: int) -> list[Event]:
        """Events whose fold is the fold of events ``lo`` to ``hi`` (any state before): each run of change lines
        becomes one ``Compacted`` event, for which only the newest line of each object is decoded (as the compacting
        reader does for a whole recording); lines of any other kind end a run and are kept in place. Only the
        revision counter, which counts events, moves less."""
        lo, hi = max(0, lo), min(hi, len(self))
        if lo >= hi:
            return []
        objects = self.objects
        out: list[Event] = [ClockAdvanced(self.times[lo])]  # the first moment, in case this is the first stretch
        newest: dict[int, int] = {}  # object -> the index of its newest change line in the run
        start = lo
        for index in range(lo, hi):
            changes = objects[index]
            if changes >= 0:
                newest[changes] = index
            elif changes == OTHER:
                out.extend(self._run(start, index, newest))
                newest.clear()
                out.append(self[index])
                start = index + 1
        out.extend(self._run(start, hi, newest))
        out.append(ClockAdvanced(max(self.times[lo:hi])))  # superseded lines still moved the clock
        return out

    def _run(self, lo: int, hi: int, newest: dict[int, int]) -> list[Event]:
        if not newest:
            return []
        by_kind = new_run()
        unkeyed: list[Event] = []
        # In file order: two raw keys can name one object (a cluster-scoped object written with a namespace).
        for index in sorted(newest.values()):
            self._lines.take_change(self.offsets[index], by_kind, unkeyed)
        run = compacted(max(self.times[lo:hi]), by_kind)
        return [run, *unkeyed] if run is not None else unkeyed

    def __iter__(self) -> Iterator[Event]:
        for index in range(len(self)):
            yield self[index]
