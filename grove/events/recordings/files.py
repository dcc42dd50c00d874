"""Opening a recording's bytes: a plain file, a ``.gz`` (read as far as it goes when cut off) or a diagnostics
bundle (a ``.tgz`` holding a ``recording.jsonl``)."""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from pathlib import Path
from typing import IO, Any

from grove.events.recordings.format import BUNDLE_MEMBER, RecordingError

CUT_OFF = "the gzip stream ends early: the recording was cut off here"


def open_lines(path: Path) -> IO[bytes]:
    with open(path, "rb") as probe:
        magic = probe.read(262)
    if magic[:2] == b"\x1f\x8b":
        if _is_bundle(path):
            return open_bundle(path)
        return io.BufferedReader(Inflater(open(path, "rb")), 1 << 20)
    return open(path, "rb")


def cut_off(stream: IO[bytes]) -> bool:
    """Whether ``stream`` (from ``open_lines``) was a gzip stream that ended before its end marker."""
    return isinstance(stream, io.BufferedReader) and isinstance(stream.raw, Inflater) and stream.raw.cut_off


class Inflater(io.RawIOBase):
    """A gzip file's bytes, as far as they go: a copy cut off mid-way ends early (``cut_off``) instead of raising, so
    the lines before the cut stay readable and the reader can say where the recording ends."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj(wbits=31)
        self._ready = b""
        self.cut_off = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._ready:
            if self._inflate.eof:  # the end of one gzip member: another may follow (concatenated files)
                rest = self._inflate.unused_data
                if not rest and not (rest := self._raw.read(1 << 16)):
                    return 0
                self._inflate = zlib.decompressobj(wbits=31)
            else:
                rest = self._raw.read(1 << 16)
                if not rest:
                    self.cut_off = True
                    return 0
            try:
                self._ready = self._inflate.decompress(rest)
            except zlib.error:  # a damaged stream: what came before the damage is kept
                self.cut_off = True
                return 0
        size = min(len(buffer), len(self._ready))
        buffer[:size] = self._ready[:size]
        self._ready = self._ready[size:]
        return size

    def close(self) -> None:
        self._raw.close()
        super().close()


def _is_bundle(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except (EOFError, zlib.error, gzip.BadGzipFile):  # a cut-off gzip file: not readable as a tar archive
        return False


def open_bundle(path: Path) -> IO[bytes]:
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:  # one member at a time: a bundle cut off after its recording still gives it
                if member.isfile() and member.name.rsplit("/", 1)[-1] == BUNDLE_MEMBER:
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        return io.BytesIO(extracted.read())
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        reason = f"the bundle is damaged or cut off before its {BUNDLE_MEMBER} ({exc}); make the bundle again"
        raise RecordingError(str(path), 0, reason) from None
    raise RecordingError(str(path), 0, f"bundle holds no {BUNDLE_MEMBER}")
