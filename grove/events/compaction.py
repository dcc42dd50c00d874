"""Reading a recording for its state at one moment: only the last change of each object is decoded.

A one-shot command (``status --replay FILE --at T``) needs the state at one moment, not every step on the way. In a
long recording most lines are superseded: a pod changes a hundred times and only its last version matters, and
decoding every line (then freeing the object it built) is most of the cost of a replay. The writer puts each
change's head first (``{"t":…,"type":"applied","kind":"Pod","key":["ns","name"],"object":{…}}``), so this reader
matches the head of each line, remembers where the newest line of each object is, and decodes only those when a run
of changes ends (a ``listed`` line ends a run; clock and source lines do not touch objects).

Folding ``compacted_events`` gives the same state as folding every event up to the same moment (objects, indexes,
problems, sources, clock); only the revision counter, which counts events, is lower. A property test checks that.
Lines without that head (hand-written or older recordings) are decoded in full and compacted all the same. A
superseded line is checked for its shape (the head, a closing brace) but not parsed in full.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from typing import IO

from grove.events import kinds
from grove.events.model import Applied, ClockAdvanced, Event, Listed, Removed
from grove.events.recording import Recording, RecordingError, object_key, open_lines

_HEAD = re.compile(
    rb'\{"t":(-?[0-9][0-9.eE+-]*),"type":"(applied|removed)","kind":"([A-Za-z0-9]+)",'
    rb'"key":\["([^"\\\n]*)","([^"\\\n]+)"\],"object":\{'
)
_BLOCK = 1 << 22
_CLUSTER_SCOPED = {kind.encode() for kind, info in kinds.KINDS.items() if not info.namespaced}

ChangeKey = tuple[bytes, bytes, bytes]
"""(kind, namespace or b"" for cluster-scoped kinds, name): one object, as the reducer keys it."""


_REMOVED = None
_Change = tuple[int, "int | bytes | Applied | Removed | None", float]
"""(line number, where the newest change is, its offset in seconds): ``where`` is the line's offset in the file, the
line itself (when the file cannot be read again there), an event already decoded, or ``_REMOVED`` (a removal needs
only its key: the reducer drops whatever it holds there)."""


class _Reader:
    """One pass over a recording; yields compacted events (see the module docstring)."""

    def __init__(self, recording: Recording, until: float | None) -> None:
        self.recording = recording
        self.start = recording.header.start
        self.limit = float("inf") if until is None else until - self.start
        self.pending: dict[ChangeKey, _Change] = {}
        self.latest_t = float("-inf")  # the latest offset seen: the clock once the run is folded
        self.first = True
        self.fd = -1  # the plain file being read: superseding lines are found again by offset

    def fail(self, number: int, reason: str) -> RecordingError:
        return RecordingError(self.recording.display, number, reason)

    # ------------------------------------------------------------------------------------------------ the pass

    def events(self) -> Iterator[Event]:
        if self.recording.header.version != 1:  # older versions need their upgrades: read every event
            yield from self._every_event()
            return
        try:
            with open_lines(self.recording.path) as stream:
                yield from self._scan(stream)
        except OSError as exc:
            raise self.fail(0, exc.strerror or str(exc)) from None
        if not self.first:
            yield ClockAdvanced(self.start + self.latest_t)

    def _scan(self, stream: IO[bytes]) -> Iterator[Event]:
        self.fd = stream.fileno() if isinstance(stream, io.BufferedReader) else -1
        with contextlib.suppress(_Past):
            yield from self._lines(stream)
        yield from self._flush()

    def _lines(self, stream: IO[bytes]) -> Iterator[Event]:
        seekable = self.fd >= 0
        header = stream.readline()
        base = len(header)  # file offset of the block's first byte
        number = 1
        rest = b""
        pending = self.pending
        match = _HEAD.match
        limit = self.limit
        cluster_scoped = _CLUSTER_SCOPED
        latest = self.latest_t
        while True:
            block = stream.read(_BLOCK)
            data = rest + block if rest else block
            if not block:  # the last line had no newline: decoded in full, so a cut-off event is reported
                if data.strip():
                    yield from self._other(number + 1, data, complete=False)
                break
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            pos = 0
            find = data.find
            while pos < cut:
                end = find(b"\n", pos)
                number += 1
                head = match(data, pos, end)
                if head is not None and data[end - 1] == 0x7D:  # ends with "}"
                    t_text, typ, kind, namespace, name = head.groups()
                    t = float(t_text)
                    if t > limit:
                        raise _Past
                    if self.first:  # the state's first moment is the first event's, whichever survives
                        self.first = False
                        yield ClockAdvanced(self.start + t)
                    if t > latest:
                        latest = self.latest_t = t
                    key = (kind, b"" if kind in cluster_scoped else namespace, name)
                    if typ == b"removed":
                        pending[key] = (number, _REMOVED, t)
                    else:
                        pending[key] = (number, base + pos if seekable else data[pos:end], t)
                elif end > pos and not data[pos:end].isspace():
                    yield from self._other(number, data[pos:end])
                    latest = self.latest_t
                pos = end + 1
            base += cut

    def _other(self, number: int, line: bytes, complete: bool = True) -> Iterator[Event]:
        """A line without a change head: decoded in full, then compacted, passed on, or ending the run."""
        event = self.recording.decode_line(number, line, complete)
        t = event.at - self.start
        if t > self.limit:
            raise _Past
        if self.first:
            self.first = False
            yield ClockAdvanced(event.at)
        if t > self.latest_t:
            self.latest_t = t
        if isinstance(event, Applied | Removed) and (key := _change_key(event)) is not None:
            self.pending[key] = (number, event, t)
        elif isinstance(event, Listed):  # a full set replaces what came before it: end the run first
            yield from self._flush()
            yield event
        elif not isinstance(event, ClockAdvanced):  # source health, objects with no key: order does not matter
            yield event

    def _flush(self) -> Iterator[Event]:
        """The newest change of every object in the run, decoded now."""
        pending = self.pending.copy()
        self.pending.clear()  # in place: the scan holds on to this dict
        for key, (number, where, t) in pending.items():
            if where is _REMOVED:
                yield _removal(self.start + t, key)
                continue
            if isinstance(where, Applied | Removed):
                yield where
                continue
            event = self.recording.decode_line(
                number, where if isinstance(where, bytes) else _read_line(self.fd, where)
            )
            if not isinstance(event, Applied | Removed) or _change_key(event) != key:
                raise self.fail(number, "'key' does not match the object's kind and metadata")
            yield event

    def _every_event(self) -> Iterator[Event]:
        for event in self.recording.events():
            if event.at - self.start > self.limit:
                return
            yield event


class _Past(Exception):
    """The scan reached a line after the moment asked for."""


def _read_line(fd: int, offset: int) -> bytes:
    """The line starting at ``offset`` (without its newline)."""
    size = 1 << 13
    chunk = os.pread(fd, size, offset)
    end = chunk.find(b"\n")
    while end < 0 and len(chunk) == size:  # a long line: read on, in growing steps
        size *= 4
        chunk = os.pread(fd, size, offset)
        end = chunk.find(b"\n")
    return chunk if end < 0 else chunk[:end]


def _removal(at: float, key: ChangeKey) -> Removed:
    kind, namespace, name = (part.decode() for part in key)
    metadata = {"name": name, "namespace": namespace} if namespace else {"name": name}
    return Removed(at, kind, {"metadata": metadata})


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
