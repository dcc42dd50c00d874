"""Writing a recording: one flushed line per event, so a recording that stops mid-way is a valid prefix."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import orjson

from grove.events.model import Event
from grove.events.recordings.codec import event_to_json
from grove.events.recordings.format import Header


class RecordingWriter:
    """Append-only writer: one ``write`` per event, one flushed line each."""

    def __init__(self, path: str | os.PathLike[str], header: Header) -> None:
        self.path = Path(path)
        self.header = header
        self._file: IO[bytes] = open(self.path, "wb", buffering=0)  # noqa: SIM115 - closed by close()
        self._write_line(header.to_json())
        self.count = 0

    def _write_line(self, data: Mapping[str, Any]) -> None:
        # A single unbuffered write per line: an interrupted process leaves whole lines behind.
        self._file.write(orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE))

    def write(self, event: Event) -> None:
        self._write_line(event_to_json(event, self.header.start))
        self.count += 1

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_recording(path: str | os.PathLike[str], header: Header, events: Iterable[Event]) -> int:
    """Write a whole recording; returns the number of events."""
    with RecordingWriter(path, header) as writer:
        for event in events:
            writer.write(event)
        return writer.count
