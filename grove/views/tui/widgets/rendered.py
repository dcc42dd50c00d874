"""A Rich renderable that renders another one once per set of console options, and replays those segments.

Textual renders a widget's content several times while a screen is laid out and first painted (to measure its width,
to count its lines, to draw it), each time from scratch. For a large, expensive renderable, such as a syntax
highlighted YAML document, that is most of the time an overlay takes to open; with the segments kept, only the first
render of each width pays.

Only for a renderable whose segments do not depend on the height in the options (Textual asks for the same lines
with and without a height; ``Syntax`` and ``Text`` render every line either way, cropping is the caller's): the
height is left out of what tells renders apart.
"""

from __future__ import annotations

from typing import TypeVar

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment

KEEP = 4  # sets of options kept (a few widths while laying out; a resize brings a new one)

OptionsKey = tuple[object, ...]
V = TypeVar("V")


def _key(console: Console, options: ConsoleOptions) -> OptionsKey:
    return (
        id(console),
        options.size,
        options.legacy_windows,
        options.min_width,
        options.max_width,
        options.is_terminal,
        options.encoding,
        options.justify,
        options.overflow,
        options.no_wrap,
        options.highlight,
        options.markup,
    )


class Rendered:
    """``renderable``, rendered at most once per console and options (but for the height)."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._segments: dict[OptionsKey, list[Segment]] = {}
        self._measurements: dict[OptionsKey, Measurement] = {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = _key(console, options)
        segments = self._segments.get(key)
        if segments is None:
            segments = list(console.render(self.renderable, options))
            _remember(self._segments, key, segments)
        return iter(segments)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        key = _key(console, options)
        measurement = self._measurements.get(key)
        if measurement is None:
            measurement = Measurement.get(console, options, self.renderable)
            _remember(self._measurements, key, measurement)
        return measurement


def _remember(kept: dict[OptionsKey, V], key: OptionsKey, value: V) -> None:
    if len(kept) >= KEEP:
        del kept[next(iter(kept))]
    kept[key] = value
