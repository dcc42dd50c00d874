"""Recordings: JSON Lines files of events (docs/design.md, Recordings).

Line 1 is a header: ``{"format": "kubectl-grove-recording", "version": 1, "start": <epoch s>, ...}``.
Every other line is one event with ``t``, its offset in seconds from ``start``. Objects are stored as the API server
sent them minus ``metadata.managedFields``. The writer appends and flushes one whole line per event, so a recording that
stops mid-way is a valid prefix. The reader accepts plain, ``.gz`` and diagnostics bundles (``.tgz`` holding a
``recording.jsonl``), checks the version, upgrades older event shapes and reports a bad line as ``FILE:LINE: reason``.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import attrs
import orjson

from grove import __version__
from grove.events.model import (
    Applied,
    ClockAdvanced,
    Compacted,
    Event,
    KubeObject,
    Listed,
    MetricsSampled,
    Removed,
    SourceHealthChanged,
    SourceStatus,
)

FORMAT = "kubectl-grove-recording"
VERSION = 1
BUNDLE_MEMBER = "recording.jsonl"
CUT_OFF = "the gzip stream ends early: the recording was cut off here"


class RecordingError(Exception):
    """A recording could not be read; ``str()`` is one line: ``FILE:LINE: reason``."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@attrs.frozen
class Header:
    start: float
    version: int = VERSION
    tool: str = f"kubectl-grove {__version__}"
    context: str | None = None
    namespaces: tuple[str, ...] = ()  # empty: all namespaces
    kinds: tuple[str, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "tool": self.tool,
            "start": self.start,
            "context": self.context,
            "namespaces": list(self.namespaces),
            "kinds": list(self.kinds),
            "note": self.note,
        }


def strip_object(obj: KubeObject) -> dict[str, Any]:
    """The object without ``metadata.managedFields`` (a shallow copy; the input is not changed)."""
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def _offset(at: float, start: float) -> float:
    return round(at - start, 3)


def object_key(obj: Any) -> tuple[str, str] | None:
    """(namespace or "", name) from the object's metadata, or None when it has no usable name."""
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    name = meta.get("name") if isinstance(meta, Mapping) else None
    namespace = meta.get("namespace", "") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name or not isinstance(namespace, str):
        return None
    return namespace, name


def _change(t: float, typ: str, event: Applied | Removed) -> dict[str, Any]:
    # The head (t, type, kind, key) comes before the object so that a reader can skim it (events/heads.py).
    line: dict[str, Any] = {"t": t, "type": typ, "kind": event.kind}
    key = object_key(event.object)
    if key is not None:
        line["key"] = list(key)
    line["object"] = strip_object(event.object)
    return line


def event_to_json(event: Event, start: float) -> dict[str, Any]:
    """One event as the dict written on its line."""
    t = _offset(event.at, start)
    if isinstance(event, Applied):
        return _change(t, "applied", event)
    if isinstance(event, Removed):
        return _change(t, "removed", event)
    if isinstance(event, Listed):
        line: dict[str, Any] = {
            "t": t,
            "type": "listed",
            "kind": event.kind,
            "objects": [strip_object(o) for o in event.objects],
        }
        if event.namespace is not None:
            line["namespace"] = event.namespace
        return line
    if isinstance(event, SourceHealthChanged):
        line = {"t": t, "type": "source", "kind": event.kind, "status": event.status.value}
        if event.message:
            line["message"] = event.message
        if event.since is not None:
            line["since"] = _offset(event.since, start)
        return line
    if isinstance(event, MetricsSampled):
        return _metrics_line(t, event)
    if isinstance(event, Compacted):  # a reader's product, not something that happened
        raise TypeError("a compacted run is not recorded: record the events it was made from")
    return {"t": t, "type": "clock"}


def _metrics_line(t: float, event: MetricsSampled) -> dict[str, Any]:
    """A metrics sample; a histogram is a list of [le, cumulative count] pairs, ``+Inf`` written as the string."""
    series: dict[str, Any] = {}
    for name, value in event.series.items():
        if isinstance(value, tuple):
            series[name] = [["+Inf" if bound == math.inf else bound, count] for bound, count in value]
        else:
            series[name] = value
    line: dict[str, Any] = {
        "t": t,
        "type": "metrics",
        "namespace": event.namespace,
        "pod": event.pod,
        "source": event.source,
        "series": series,
    }
    if event.endpoint:
        line["endpoint"] = event.endpoint
    if event.problem:
        line["problem"] = event.problem
    return line


def _decode_metrics(raw: Mapping[str, Any], at: float) -> MetricsSampled:
    series_raw = raw.get("series", {})
    _require(isinstance(series_raw, dict), "'series' must be a JSON object")
    series: dict[str, float | tuple[tuple[float, float], ...]] = {}
    for name, value in series_raw.items():
        if isinstance(value, list):
            pairs = []
            for pair in value:
                _require(isinstance(pair, list) and len(pair) == 2, f"histogram {name!r}: pairs of [le, count]")
                bound = math.inf if pair[0] == "+Inf" else float(pair[0])
                pairs.append((bound, float(pair[1])))
            series[name] = tuple(pairs)
        else:
            _require(isinstance(value, int | float) and not isinstance(value, bool), f"series {name!r}: a number")
            series[name] = float(value)
    texts = {key: raw.get(key, "") for key in ("namespace", "pod", "source", "problem", "endpoint")}
    _require(all(isinstance(v, str) for v in texts.values()), "metrics: namespace, pod, source must be strings")
    return MetricsSampled(
        at, texts["namespace"], texts["pod"], texts["source"], series, texts["problem"], texts["endpoint"]
    )


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


# ---------------------------------------------------------------------------------------------------- reading


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


def _require(cond: bool, reason: str) -> None:
    if not cond:
        raise ValueError(reason)


def _object(raw: Any) -> KubeObject:
    _require(isinstance(raw, dict), "'object' must be a JSON object")
    return raw  # type: ignore[no-any-return]


def _kind(raw: Mapping[str, Any]) -> str:
    kind = raw.get("kind")
    _require(isinstance(kind, str) and bool(kind), "missing 'kind'")
    return kind  # type: ignore[return-value]


def decode_event(raw: Any, start: float) -> Event:
    _require(isinstance(raw, dict), "an event line must be a JSON object")
    t = raw.get("t")
    _require(isinstance(t, int | float) and not isinstance(t, bool), "missing or non-numeric 't'")
    at = start + float(t)
    kind_of_event = raw.get("type")
    if kind_of_event == "applied":
        return Applied(at, _kind(raw), _object(raw.get("object")))
    if kind_of_event == "removed":
        return Removed(at, _kind(raw), _object(raw.get("object")))
    if kind_of_event == "listed":
        objects = raw.get("objects")
        _require(isinstance(objects, list), "'objects' must be a list")
        return Listed(at, _kind(raw), tuple(_object(o) for o in objects), raw.get("namespace"))
    if kind_of_event == "clock":
        return ClockAdvanced(at)
    if kind_of_event == "metrics":
        return _decode_metrics(raw, at)
    if kind_of_event == "source":
        try:
            status = SourceStatus(raw.get("status"))
        except ValueError:
            raise ValueError(f"unknown source status {raw.get('status')!r}") from None
        since = raw.get("since")
        return SourceHealthChanged(
            at,
            _kind(raw),
            status,
            str(raw.get("message", "")),
            start + float(since) if isinstance(since, int | float) else None,
        )
    raise ValueError(f"unknown event type {kind_of_event!r}")


# Upgrades from older recording versions: version -> function turning one old event dict into the current shape.
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _parse_header(path: str, line: bytes) -> Header:
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise RecordingError(path, 1, f"header is not JSON ({exc.msg})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise RecordingError(path, 1, f"not a kubectl-grove recording (no '{FORMAT}' header)")
    version = raw.get("version")
    if not isinstance(version, int) or (version != VERSION and version not in _UPGRADES):
        raise RecordingError(
            path, 1, f"unsupported recording version {version!r} (this kubectl-grove reads version {VERSION})"
        )
    start = raw.get("start")
    if not isinstance(start, int | float):
        raise RecordingError(path, 1, "header has no numeric 'start'")
    return Header(
        start=float(start),
        version=version,
        tool=str(raw.get("tool", "")),
        context=raw.get("context"),
        namespaces=tuple(raw.get("namespaces") or ()),
        kinds=tuple(raw.get("kinds") or ()),
        note=str(raw.get("note", "")),
    )


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
        self.header = _parse_header(self.display, first)

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
            upgrade = _UPGRADES.get(self.header.version)
            return decode_event(upgrade(raw) if upgrade is not None else raw, self.header.start)
        except (ValueError, TypeError) as exc:
            raise RecordingError(self.display, number, str(exc)) from None

    def load(self) -> list[Event]:
        return list(self.events())


def events_observable(recording: Recording) -> Any:
    """The recording's events as an ``Observable[Event]`` (errors arrive as ``on_error(RecordingError)``)."""
    import reactivex

    return reactivex.from_iterable(recording.events())
