"""Reading a recording for its state at one moment: only the last change of each object is decoded.

A one-shot command (``status --replay FILE --at T``) needs the state at one moment, not every step on the way. In a
long recording most lines are superseded: a pod changes a hundred times and only its last version matters, and
decoding every line (then freeing the object it built) is most of the cost of a replay. So the recording is skimmed
first (skim.py: the newest line of each object, by offset, without decoding), and only the lines that
survive are decoded, when a run of changes ends (a ``listed`` line ends a run; clock and source lines do not touch
objects). The file is mapped into memory (a gzipped recording is inflated into a temporary file first), so a
surviving line is read again by its offset.

Folding ``compacted_events`` gives the same state as folding every event up to the same moment (objects, indexes,
problems, sources, clock); only the revision counter, which counts events, is lower. A property test checks that.
Lines without the change head (hand-written or older recordings) are decoded in full and compacted all the same. A
superseded line is checked for its shape (the head, a closing brace) but not parsed in full. Line numbers, needed
only to report a bad line, are counted when one is found.

Metrics samples are folded after the run they fall in (a sample keeps to the pods the state holds: the run must be
folded first), and a run is cut where a pod with a sample waiting changes again: each pod's samples keep their order
with its own changes, so a compacted replay keeps and drops the samples a full one does (reducers/metrics.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import orjson

from grove.events import kinds
from grove.events.model import Applied, ClockAdvanced, Event, Listed, MetricsSampled, Removed
from grove.events.recordings.files import CUT_OFF
from grove.events.recordings.format import RecordingError
from grove.events.recordings.line_heads import ANY_TIME, CHANGE, CLOCK
from grove.events.recordings.line_reading import ByKind, Lines, compacted, new_run, reducer_key
from grove.events.recordings.mapped_file import mapped
from grove.events.recordings.reader import Recording
from grove.events.recordings.skim import RawKey, Run, Skim, skim_in_parallel

_DECODE_COST = 8  # decoding a byte costs about as much as skimming this many
_MAX_LEADING = 64

_Pending = dict["RawKey | tuple[str, str, str]", "int | tuple[int, Applied | Removed]"]
"""The run's newest change per object: the offset of its line (skimmed, not decoded yet), or the offset and the
event of a line that had to be decoded in full."""


AT_TOLERANCE = 0.0005
"""Offsets are written rounded to the millisecond (recording.py), and ``until`` arrives as epoch seconds, where
``start + 30.6 - start`` is 30.5999999: half a millisecond of slack keeps a moment asked for exactly (a preview's step
offset) from missing the events written at it."""


class _Reader:
    """One pass over a recording; yields compacted events (see the module docstring)."""

    def __init__(self, recording: Recording, until: float | None) -> None:
        self.recording = recording
        self.start = recording.header.start
        self.limit = float("inf") if until is None else until - self.start + AT_TOLERANCE
        self.pending: _Pending = {}
        self.latest_t = float("-inf")  # the latest offset seen: the clock once everything is folded
        self.lines = Lines(recording, b"")
        self.cut_off = False  # a gzip stream that ended early
        self.decoded_pending = False  # some pending changes are decoded events (not only offsets)
        self._early: dict[int, Event | RecordingError] = {}  # lines decoded ahead of their turn, by offset
        self._last_run: tuple[set[int], ByKind, list[Event]] | None = None  # see _decode_last_run
        self.held: list[MetricsSampled] = []  # the run's samples, folded after it (see the module docstring)
        self.held_pods: set[tuple[str, str]] = set()  # the pods they sample
        self.held_keys: set[bytes] = set()  # and those pods' raw keys, as a skimmed run names them

    def events(self) -> Iterator[Event]:
        if self.recording.header.version != 1:  # older versions need their upgrades: read every event
            yield from self._every_event()
            return
        try:
            with mapped(self.recording) as (buffer, cut):
                self.cut_off = cut
                self.lines = Lines(self.recording, buffer)
                yield from self._read()
        except OSError as exc:
            raise RecordingError(self.recording.display, 0, exc.strerror or str(exc)) from None
        finally:
            self.lines = Lines(self.recording, b"")  # the mapping is gone

    def _read(self) -> Iterator[Event]:
        lo = self.lines.buffer.find(b"\n") + 1  # after the header
        first = self._first_time(lo) if lo > 0 else None
        if first is None:
            return
        yield ClockAdvanced(self.start + first)  # the state's first moment is the first event's, whichever survives
        self.latest_t = first
        body, leading = self._leading_lines(lo)
        try:
            skims = skim_in_parallel(
                self.lines.buffer,
                body,
                len(self.lines.buffer),
                self.limit,
                before=lambda: self._decode_early(leading),
                after=self._decode_last_run,
                before_bytes=_DECODE_COST * (body - lo),
            )
            for pos in leading:
                yield from self._other(pos)
            for items, past in skims:
                for item in items:
                    if isinstance(item, tuple):
                        if self.held_keys and not self.held_keys.isdisjoint(item[0]):
                            yield from self._flush()  # a pod sampled in this run changes again
                        self._take_run(item)
                    else:
                        yield from self._other(item)
                if past:
                    raise _Past
        except _Past:
            self._last_run = None  # it lies after the moment asked for
        else:
            if self.cut_off:  # the whole recording was read, and it ends before its end
                raise self.lines.fail(len(self.lines.buffer), CUT_OFF)
        yield from self._flush(last=True)
        yield ClockAdvanced(self.start + self.latest_t)

    def _first_time(self, lo: int) -> float | None:
        """The first event's time offset, or None when there is none up to the moment asked for."""
        pos = lo
        while pos < len(self.lines.buffer):
            line, end = self.lines.line_at(pos)
            if line.strip():
                head = ANY_TIME.match(line)
                t = float(head.group(1)) if head is not None else self.lines.decode(pos).at - self.start
                return t if t <= self.limit else None
            pos = end + 1
        return None

    def _leading_lines(self, lo: int) -> tuple[int, list[int]]:
        """Where the first change (or clock) line starts, and the other lines before it: a recording starts with
        the lists of every kind, most of its bytes that need decoding (they are decoded while a child skims)."""
        leading: list[int] = []
        pos = lo
        while pos < len(self.lines.buffer) and len(leading) < _MAX_LEADING:
            line, end = self.lines.line_at(pos)
            if CHANGE.match(line) is not None or CLOCK.match(line) is not None or end == len(self.lines.buffer):
                break
            if line.strip():
                leading.append(pos)
            pos = end + 1
        return pos, leading

    def _decode_early(self, positions: list[int]) -> None:
        """Decode these lines now (errors too: they are raised when the lines' turn comes, if it does)."""
        for pos in positions:
            try:
                self._early[pos] = self.lines.decode(pos)
            except RecordingError as exc:
                self._early[pos] = exc
                return

    def _decode_last_run(self, last_part: Skim) -> None:
        """Decode the survivors of the recording's last run (nothing follows them, so they are final) while the child
        skims the first part. A bad line among them is left for ``_flush`` to report in its turn."""
        items, past = last_part
        if past or not items or not isinstance(items[-1], tuple):
            return
        by_kind = new_run()
        unkeyed: list[Event] = []
        positions = sorted(items[-1][0].values())
        try:
            for pos in positions:
                self.lines.take_change(pos, by_kind, unkeyed)
        except RecordingError:
            return
        self._last_run = (set(positions), by_kind, unkeyed)

    def _take_run(self, run: Run) -> None:
        changes, latest = run
        self.pending.update(cast(_Pending, changes))  # a dict is invariant; these keys are raw keys
        if latest > self.latest_t:
            self.latest_t = latest

    def _other(self, pos: int) -> Iterator[Event]:
        """A line without a change head: decoded in full, then compacted, passed on, or ending the run."""
        early = self._early.pop(pos, None)
        if isinstance(early, RecordingError):
            raise early
        event = early if early is not None else self.lines.decode(pos)
        t = event.at - self.start
        if t > self.limit:
            raise _Past
        if t > self.latest_t:
            self.latest_t = t
        if isinstance(event, MetricsSampled):
            self.held.append(event)
            if event.pod and (event.namespace, event.pod) not in self.held_pods:
                self.held_pods.add((event.namespace, event.pod))
                self.held_keys.add(b'"kind":"Pod","key":' + orjson.dumps([event.namespace, event.pod]))
        elif isinstance(event, Applied | Removed) and (key := reducer_key(event.kind, event.object)) is not None:
            if event.kind == kinds.POD and key in self.held_pods:
                yield from self._flush()
            self.pending[(event.kind, *key)] = (pos, event)
            self.decoded_pending = True
        elif isinstance(event, Listed):  # a full set replaces what came before it: end the run first
            yield from self._flush()
            yield event
        elif not isinstance(event, ClockAdvanced):  # source health, objects with no key: order does not matter
            yield event

    def _flush(self, last: bool = False) -> Iterator[Event]:
        """The run's newest change of every object, decoded now, as one ``Compacted`` event.

        Lines are taken in file order (which also reads the file front to back): where two pending entries name
        one object (a cluster-scoped object written with a namespace, or a line decoded in full), the later wins.
        The recording's ``last`` run may have been decoded already, in part (``_decode_last_run``): those lines come
        after every other line of the run, so they are taken last.
        """
        pending, self.pending = self.pending, {}
        held, self.held = self.held, []
        self.held_pods, self.held_keys = set(), set()
        if not pending:
            yield from held
            return
        done, early_by_kind, early_unkeyed = (
            self._last_run if last and self._last_run is not None else (set[int](), new_run(), list[Event]())
        )
        wheres = pending.values()
        ordered = sorted(wheres, key=_position) if self.decoded_pending else sorted(wheres)
        self.decoded_pending = False
        by_kind = new_run()
        unkeyed: list[Event] = []  # changes the reducer cannot key: it records them as problems, in any order
        for where in ordered:
            if isinstance(where, int):
                if where not in done:
                    self.lines.take_change(where, by_kind, unkeyed)
            else:
                event = where[1]
                key = reducer_key(event.kind, event.object)
                assert key is not None  # only keyed events are pending
                by_kind[event.kind.encode()][key] = event.object if isinstance(event, Applied) else None
        for kind, changes in early_by_kind.items():
            by_kind[kind].update(changes)
        unkeyed.extend(early_unkeyed)
        run = compacted(self.start + self.latest_t, by_kind)
        if run is not None:
            yield run
        yield from unkeyed
        yield from held

    def _every_event(self) -> Iterator[Event]:
        for event in self.recording.events():
            if event.at - self.start > self.limit:
                return
            yield event


class _Past(Exception):
    """The reader reached a line after the moment asked for."""


def _position(where: int | tuple[int, Event]) -> int:
    return where if isinstance(where, int) else where[0]


def compacted_events(recording: Recording, until: float | None = None) -> Iterator[Event]:
    """Events whose fold is the recording's state at ``until`` (epoch seconds; the end when None).

    Raises ``RecordingError`` for a bad line, as ``Recording.events`` does.
    """
    return _Reader(recording, until).events()
