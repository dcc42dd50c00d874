"""Reading a recording for its state at one moment: only the last change of each object is decoded.

A one-shot command (``status --replay FILE --at T``) needs the state at one moment, not every step on the way. In a
long recording most lines are superseded: a pod changes a hundred times and only its last version matters, and
decoding every line (then freeing the object it built) is most of the cost of a replay. So the recording is skimmed
first (grove/events/skim.py: the newest line of each object, by offset, without decoding), and only the lines that
survive are decoded, when a run of changes ends (a ``listed`` line ends a run; clock and source lines do not touch
objects). The file is mapped into memory (a gzipped recording is inflated into a temporary file first), so a
surviving line is read again by its offset.

Folding ``compacted_events`` gives the same state as folding every event up to the same moment (objects, indexes,
problems, sources, clock); only the revision counter, which counts events, is lower. A property test checks that.
Lines without the change head (hand-written or older recordings) are decoded in full and compacted all the same. A
superseded line is checked for its shape (the head, a closing brace) but not parsed in full. Line numbers, needed
only to report a bad line, are counted when one is found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

import orjson

from grove.events import kinds
from grove.events.mapped import line_number, mapped
from grove.events.model import Applied, ClockAdvanced, Compacted, Event, KubeObject, Listed, Removed
from grove.events.recording import CUT_OFF, Recording, RecordingError, object_key
from grove.events.skim import CHANGE_HEAD, CLOCK_LINE, RawKey, Run, skim_in_parallel

_HEAD = re.compile(
    rb'\{"t":(-?[0-9][0-9.eE+-]*),"type":"(applied|removed)","kind":"([A-Za-z0-9]+)",'
    rb'"key":\["([^"\\\n]*)","([^"\\\n]+)"\],"object":\{'
)
_DECODE_COST = 8  # decoding a byte costs about as much as skimming this many
_MAX_LEADING = 64
_TIME = re.compile(rb'\{"t":(-?[0-9][0-9.eE+-]*)[,}]')
_CLUSTER_SCOPED = {kind.encode() for kind, info in kinds.KINDS.items() if not info.namespaced}

ChangeKey = tuple[bytes, bytes, bytes]
"""(kind, namespace or b"" for cluster-scoped kinds, name): one object, as the reducer keys it."""

_ByKind = dict[bytes, dict[tuple[str, str], KubeObject | None]]
"""A run's changes being gathered: kind -> key -> newest version (None: removed)."""

_Pending = dict["RawKey | tuple[str, str, str]", "int | tuple[int, Applied | Removed]"]
"""The run's newest change per object: the offset of its line (skimmed, not decoded yet), or the offset and the
event of a line that had to be decoded in full."""


class _Reader:
    """One pass over a recording; yields compacted events (see the module docstring)."""

    def __init__(self, recording: Recording, until: float | None) -> None:
        self.recording = recording
        self.start = recording.header.start
        self.limit = float("inf") if until is None else until - self.start
        self.pending: _Pending = {}
        self.latest_t = float("-inf")  # the latest offset seen: the clock once everything is folded
        self.buffer: Any = b""
        self.cut_off = False  # a gzip stream that ended early
        self.decoded_pending = False  # some pending changes are decoded events (not only offsets)
        self._early: dict[int, Event | RecordingError] = {}  # lines decoded ahead of their turn, by offset
        self._kinds = {kind.encode(): (kind, info.namespaced) for kind, info in kinds.KINDS.items()}

    def fail(self, offset: int, reason: str) -> RecordingError:
        return RecordingError(self.recording.display, line_number(self.buffer, offset), reason)

    def events(self) -> Iterator[Event]:
        if self.recording.header.version != 1:  # older versions need their upgrades: read every event
            yield from self._every_event()
            return
        try:
            with mapped(self.recording) as (buffer, cut):
                self.buffer, self.cut_off = buffer, cut
                yield from self._read()
        except OSError as exc:
            raise RecordingError(self.recording.display, 0, exc.strerror or str(exc)) from None
        finally:
            self.buffer = b""

    def _read(self) -> Iterator[Event]:
        lo = self.buffer.find(b"\n") + 1  # after the header
        first = self._first_time(lo) if lo > 0 else None
        if first is None:
            return
        yield ClockAdvanced(self.start + first)  # the state's first moment is the first event's, whichever survives
        self.latest_t = first
        body, leading = self._leading_lines(lo)
        try:
            skims = skim_in_parallel(
                self.buffer,
                body,
                len(self.buffer),
                self.limit,
                before=lambda: self._decode_early(leading),
                before_bytes=_DECODE_COST * (body - lo),
            )
            for pos in leading:
                yield from self._other(pos)
            for items, past in skims:
                for item in items:
                    if isinstance(item, tuple):
                        self._take_run(item)
                    else:
                        yield from self._other(item)
                if past:
                    raise _Past
        except _Past:
            pass
        else:
            if self.cut_off:  # the whole recording was read, and it ends before its end
                raise self.fail(len(self.buffer), CUT_OFF)
        yield from self._flush()
        yield ClockAdvanced(self.start + self.latest_t)

    def _first_time(self, lo: int) -> float | None:
        """The first event's time offset, or None when there is none up to the moment asked for."""
        pos = lo
        while pos < len(self.buffer):
            line, end = self._line_at(pos)
            if line.strip():
                head = _TIME.match(line)
                t = float(head.group(1)) if head is not None else self._decode(pos).at - self.start
                return t if t <= self.limit else None
            pos = end + 1
        return None

    def _leading_lines(self, lo: int) -> tuple[int, list[int]]:
        """Where the first change (or clock) line starts, and the other lines before it: a recording starts with
        the lists of every kind, most of its bytes that need decoding (they are decoded while a child skims)."""
        leading: list[int] = []
        pos = lo
        while pos < len(self.buffer) and len(leading) < _MAX_LEADING:
            line, end = self._line_at(pos)
            if CHANGE_HEAD.match(line) is not None or CLOCK_LINE.match(line) is not None or end == len(self.buffer):
                break
            if line.strip():
                leading.append(pos)
            pos = end + 1
        return pos, leading

    def _decode_early(self, positions: list[int]) -> None:
        """Decode these lines now (errors too: they are raised when the lines' turn comes, if it does)."""
        for pos in positions:
            try:
                self._early[pos] = self._decode(pos)
            except RecordingError as exc:
                self._early[pos] = exc
                return

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
        event = early if early is not None else self._decode(pos)
        t = event.at - self.start
        if t > self.limit:
            raise _Past
        if t > self.latest_t:
            self.latest_t = t
        if isinstance(event, Applied | Removed) and (key := _reducer_key(event.kind, event.object)) is not None:
            self.pending[(event.kind, *key)] = (pos, event)
            self.decoded_pending = True
        elif isinstance(event, Listed):  # a full set replaces what came before it: end the run first
            yield from self._flush()
            yield event
        elif not isinstance(event, ClockAdvanced):  # source health, objects with no key: order does not matter
            yield event

    def _flush(self) -> Iterator[Event]:
        """The run's newest change of every object, decoded now, as one ``Compacted`` event.

        Lines are taken in file order (which also reads the file front to back): where two pending entries name
        one object (a cluster-scoped object written with a namespace, or a line decoded in full), the later wins.
        """
        pending, self.pending = self.pending, {}
        if not pending:
            return
        wheres = pending.values()
        ordered = sorted(wheres, key=_position) if self.decoded_pending else sorted(wheres)
        self.decoded_pending = False
        by_kind: _ByKind = {kind: {} for kind in self._kinds}
        unkeyed: list[Event] = []  # changes the reducer cannot key: it records them as problems, in any order
        for where in ordered:
            if isinstance(where, int):
                self._take_line(where, by_kind, unkeyed)
            else:
                event = where[1]
                key = _reducer_key(event.kind, event.object)
                assert key is not None  # only keyed events are pending
                by_kind[event.kind.encode()][key] = event.object if isinstance(event, Applied) else None
        changes = {self._kinds[kind][0]: changed for kind, changed in by_kind.items() if changed}
        if changes:
            yield Compacted(self.start + self.latest_t, changes)
        yield from unkeyed

    def _take_line(self, pos: int, by_kind: _ByKind, unkeyed: list[Event]) -> None:
        """The skimmed change line at ``pos``, into ``by_kind`` (or ``unkeyed``)."""
        head = _HEAD.match(self.buffer, pos)
        assert head is not None  # the skim matched this line's head
        _, typ, kind, namespace_bytes, name_bytes = head.groups()
        known = self._kinds.get(kind)
        if known is None or (known[1] and not namespace_bytes):  # an unknown kind, a namespaced one without one
            unkeyed.append(self._checked(pos, head))
            return
        name = name_bytes.decode()
        namespace = namespace_bytes.decode()
        key = (namespace if known[1] else "", name)
        if typ == b"removed":  # a removal needs only its key: the reducer drops whatever it holds there
            by_kind[kind][key] = None
            return
        # The head is known already, so only the object is taken from the decoded line; anything odd about the
        # line goes through the full decoder, which reports it.
        try:
            obj = orjson.loads(self.buffer[pos : self.buffer.find(b"\n", pos)]).get("object")
            meta = obj.get("metadata")
            same = meta.get("name") == name and meta.get("namespace", "") == namespace
        except (orjson.JSONDecodeError, AttributeError):
            same = False
        if not same or type(obj) is not dict or type(meta) is not dict:
            obj = self._checked(pos, head).object
        by_kind[kind][key] = obj

    def _checked(self, pos: int, head: re.Match[bytes]) -> Applied | Removed:
        """The line decoded in full, and its head's key checked against its object."""
        event = self._decode(pos)
        kind, namespace, name = head.group(3, 4, 5)
        key = (kind, b"" if kind in _CLUSTER_SCOPED else namespace, name)
        if not isinstance(event, Applied | Removed) or _change_key(event) != key:
            raise self.fail(pos, "'key' does not match the object's kind and metadata")
        return event

    # ---------------------------------------------------------------------------------------------- lines

    def _line_at(self, pos: int) -> tuple[bytes, int]:
        """The line starting at ``pos`` (without its newline) and where it ends."""
        end = self.buffer.find(b"\n", pos)
        if end < 0:
            end = len(self.buffer)
        return self.buffer[pos:end], end

    def _decode(self, pos: int, line: bytes | None = None) -> Event:
        if line is None:
            line, _ = self._line_at(pos)
        complete = pos + len(line) < len(self.buffer)  # a newline ended it
        try:
            return self.recording.decode_line(0, line, complete)
        except RecordingError as exc:
            raise self.fail(pos, exc.reason) from None

    def _every_event(self) -> Iterator[Event]:
        for event in self.recording.events():
            if event.at - self.start > self.limit:
                return
            yield event


class _Past(Exception):
    """The reader reached a line after the moment asked for."""


def _position(where: int | tuple[int, Event]) -> int:
    return where if isinstance(where, int) else where[0]


def _reducer_key(kind: str, obj: KubeObject) -> tuple[str, str] | None:
    """The key the reducer files the object under, or None when it cannot (it then records a problem)."""
    info = kinds.KINDS.get(kind)
    key = object_key(obj)
    if info is None or key is None or (info.namespaced and not key[0]):
        return None
    return (key[0] if info.namespaced else "", key[1])


def _change_key(event: Applied | Removed) -> ChangeKey | None:
    key = object_key(event.object)
    if key is None:
        return None
    kind = event.kind.encode()
    namespace, name = key
    return (kind, b"" if kind in _CLUSTER_SCOPED else namespace.encode(), name.encode())


def compacted_events(recording: Recording, until: float | None = None) -> Iterator[Event]:
    """Events whose fold is the recording's state at ``until`` (epoch seconds; the end when None).

    Raises ``RecordingError`` for a bad line, as ``Recording.events`` does.
    """
    return _Reader(recording, until).events()
