"""A recording's bytes in memory, for readers that jump between lines by offset (compaction, the TUI's timeline).

A plain file is mapped (the page cache holds it, nothing is copied); a gzipped file is inflated into an anonymous
temporary file first and mapped from there; a diagnostics bundle's member is read into memory.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
from collections.abc import Iterator
from typing import Any

from grove.events.recordings.files import cut_off, open_lines
from grove.events.recordings.reader import Recording


@contextlib.contextmanager
def mapped(recording: Recording) -> Iterator[tuple[Any, bool]]:
    """The recording's bytes, and whether a gzip stream ended early. Leaving the block releases the mapping; no file
    stays open meanwhile (a mapping keeps its own handle), so a reader that never leaves it leaks nothing."""
    buffer, cut = map_recording(recording)
    try:
        yield buffer, cut
    finally:
        if isinstance(buffer, mmap.mmap):
            buffer.close()


def map_recording(recording: Recording) -> tuple[Any, bool]:
    with open_lines(recording.path) as stream:
        if isinstance(stream, io.BytesIO):
            return stream.getvalue(), False
        if isinstance(stream, io.BufferedReader) and isinstance(stream.raw, io.FileIO):
            return _map(stream.fileno()), False
        import shutil  # only here: both take a few milliseconds to import, and a plain file needs neither
        import tempfile

        with tempfile.TemporaryFile() as inflated:  # unlinked already: its bytes live as long as the mapping
            shutil.copyfileobj(stream, inflated, 1 << 20)
            inflated.flush()
            return _map(inflated.fileno()), cut_off(stream)


def _map(fd: int) -> Any:
    if os.fstat(fd).st_size == 0:
        return b""
    return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)


def line_number(buffer: Any, pos: int) -> int:
    """The 1-based number of the line starting at ``pos`` (counted only when a line is reported)."""
    count, step = 1, 1 << 24
    for lo in range(0, pos, step):
        count += buffer[lo : min(pos, lo + step)].count(b"\n")
    return count
