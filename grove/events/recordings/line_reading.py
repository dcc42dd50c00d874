"""The lines of a mapped recording, read by offset: decoding one (a bad one is reported as ``FILE:LINE: reason``),
and taking a change line into a run being compacted, decoding no more of it than the state needs.

Shared by the compacting reader (grove/events/recordings/compaction.py) and the replay's event index (event_lines.py).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from grove.events import kinds
from grove.events.model import Applied, Compacted, Event, KubeObject, Removed
from grove.events.recordings.codec import object_key
from grove.events.recordings.format import RecordingError
from grove.events.recordings.line_heads import CHANGE
from grove.events.recordings.mapped_file import line_number
from grove.events.recordings.reader import Recording

_KINDS = {kind.encode(): (kind, info.namespaced) for kind, info in kinds.KINDS.items()}
_CLUSTER_SCOPED = {kind for kind, (_, namespaced) in _KINDS.items() if not namespaced}

ByKind = dict[bytes, dict[tuple[str, str], KubeObject | None]]
"""A run's changes being gathered: kind -> key (as the reducer keys objects) -> newest version (None: removed)."""

ChangeKey = tuple[bytes, bytes, bytes]
"""(kind, namespace or b"" for cluster-scoped kinds, name): one object, as the reducer keys it, in bytes."""


def new_run() -> ByKind:
    return {kind: {} for kind in _KINDS}


def compacted(at: float, by_kind: ByKind) -> Compacted | None:
    """The run gathered in ``by_kind`` as one event (None when it holds no change)."""
    changes = {_KINDS[kind][0]: changed for kind, changed in by_kind.items() if changed}
    return Compacted(at, changes) if changes else None


class Lines:
    """``buffer`` holds ``recording``'s bytes (see mapped.py)."""

    def __init__(self, recording: Recording, buffer: Any) -> None:
        self.recording = recording
        self.buffer = buffer

    def fail(self, pos: int, reason: str) -> RecordingError:
        return RecordingError(self.recording.display, line_number(self.buffer, pos), reason)

    def line_at(self, pos: int) -> tuple[bytes, int]:
        """The line starting at ``pos`` (without its newline) and where it ends."""
        end = self.buffer.find(b"\n", pos)
        if end < 0:
            end = len(self.buffer)
        return self.buffer[pos:end], end

    def decode(self, pos: int, line: bytes | None = None) -> Event:
        """The event on the line at ``pos``; a line with no newline after it may have been cut off."""
        if line is None:
            line, _ = self.line_at(pos)
        complete = pos + len(line) < len(self.buffer)
        try:
            return self.recording.decode_line(0, line, complete)
        except RecordingError as exc:  # numbered here: counting lines costs a pass, paid only for a bad one
            raise self.fail(pos, exc.reason) from None

    def take_change(self, pos: int, by_kind: ByKind, unkeyed: list[Event]) -> None:
        """The change line at ``pos`` (its head matched) into ``by_kind``; a change the reducer cannot key (an
        unknown kind, a namespaced one without a namespace) decoded whole into ``unkeyed``."""
        head = CHANGE.match(self.buffer, pos)
        assert head is not None  # only change lines are taken
        _, typ, kind, namespace_bytes, name_bytes = head.groups()
        known = _KINDS.get(kind)
        if known is None or (known[1] and not namespace_bytes):
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
        event = self.decode(pos)
        kind, namespace, name = head.group(3, 4, 5)
        key = (kind, b"" if kind in _CLUSTER_SCOPED else namespace, name)
        if not isinstance(event, Applied | Removed) or change_key(event) != key:
            raise self.fail(pos, "'key' does not match the object's kind and metadata")
        return event


def change_key(event: Applied | Removed) -> ChangeKey | None:
    key = object_key(event.object)
    if key is None:
        return None
    kind = event.kind.encode()
    namespace, name = key
    return (kind, b"" if kind in _CLUSTER_SCOPED else namespace.encode(), name.encode())


def reducer_key(kind: str, obj: KubeObject) -> tuple[str, str] | None:
    """The key the reducer files the object under, or None when it cannot (it then records a problem)."""
    info = kinds.KINDS.get(kind)
    key = object_key(obj)
    if info is None or key is None or (info.namespaced and not key[0]):
        return None
    return (key[0] if info.namespaced else "", key[1])
