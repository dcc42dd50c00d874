"""Reading a recording in order: its header, then its events decoded line by line; a bad line is reported as
``FILE:LINE: reason``. Readers that jump by offset are compaction.py (the state at one moment) and random_access.py
(the player's timeline)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from grove.events.model import Event
from grove.events.recordings.codec import decode_event
from grove.events.recordings.files import CUT_OFF, cut_off, open_lines
from grove.events.recordings.format import UPGRADES, RecordingError, parse_header


class Recording:
    """An opened recording: its header, and its events read lazily (each call to ``events`` reads again)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.display = str(path)
        try:
            with open_lines(self.path) as stream:
                first = stream.readline()
        except OSError as exc:
            raise RecordingError(self.display, 0, exc.strerror or str(exc)) from None
        if not first.strip():
            raise RecordingError(self.display, 1, "empty file: not a kubectl-grove recording")
        self.header = parse_header(self.display, first)

    def events(self) -> Iterator[Event]:
        """The events in file order; raises RecordingError at the first bad line."""
        with open_lines(self.path) as stream:
            stream.readline()
            number = 1
            for line in stream:
                number += 1
                if line.strip():
                    yield self.decode_line(number, line, complete=line.endswith(b"\n"))
            if cut_off(stream):
                raise RecordingError(self.display, number + 1, CUT_OFF)

    def decode_line(self, number: int, line: bytes, complete: bool = True) -> Event:
        """One event line (``number`` in the file; ``complete``: a newline ended it), or ``RecordingError``."""
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            reason = "truncated line (the recording was cut off mid-event)" if not complete else f"not JSON ({exc.msg})"
            raise RecordingError(self.display, number, reason) from None
        try:
            upgrade = UPGRADES.get(self.header.version)
            return decode_event(upgrade(raw) if upgrade is not None else raw, self.header.start)
        except (ValueError, TypeError) as exc:
            raise RecordingError(self.display, number, str(exc)) from None

    def load(self) -> list[Event]:
        return list(self.events())


def events_observable(recording: Recording) -> Any:
    """The recording's events as an ``Observable[Event]`` (errors arrive as ``on_error(RecordingError)``)."""
    import reactivex

    return reactivex.from_iterable(recording.events())
