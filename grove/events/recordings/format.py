"""The recording format: JSON Lines, a header line then one event per line (docs/design.md, Recordings).

Line 1 is the header: ``{"format": "kubectl-grove-recording", "version": 1, "start": <epoch s>, ...}``. Every other
line is one event with ``t``, its offset in seconds from ``start`` (grove/events/recordings/codec.py). A reader checks
the version here and upgrades an older version's event shapes line by line (``UPGRADES``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import orjson

from grove import __version__

FORMAT = "kubectl-grove-recording"
VERSION = 1
BUNDLE_MEMBER = "recording.jsonl"


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


# Upgrades from older recording versions: version -> function turning one old event dict into the current shape.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def parse_header(path: str, line: bytes) -> Header:
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise RecordingError(path, 1, f"header is not JSON ({exc.msg})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise RecordingError(path, 1, f"not a kubectl-grove recording (no '{FORMAT}' header)")
    version = raw.get("version")
    if not isinstance(version, int) or (version != VERSION and version not in UPGRADES):
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
