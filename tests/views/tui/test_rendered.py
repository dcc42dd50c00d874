"""``Rendered``: the same segments as the renderable it wraps, rendered once per width (not per height)."""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.syntax import Syntax

from grove.views.tui.widgets.rendered import Rendered

YAML = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-0\n  labels: {app: web}\nspec:\n  nodeName: node-1\n"


class Counting(Syntax):
    renders = 0

    def __rich_console__(self, console, options):  # type: ignore[no-untyped-def]
        Counting.renders += 1
        return super().__rich_console__(console, options)


def _syntax(cls: type[Syntax] = Syntax) -> Syntax:
    return cls(YAML, "yaml", theme="ansi_dark", line_numbers=True, highlight_lines={2}, word_wrap=False)


def test_renders_the_same_lines_as_the_renderable() -> None:
    console = Console(width=60, color_system="truecolor", force_terminal=True)
    for width in (60, 40, 12):
        options = console.options.update_width(width)
        assert console.render_lines(Rendered(_syntax()), options) == console.render_lines(_syntax(), options)
        assert Measurement.get(console, options, Rendered(_syntax())) == Measurement.get(console, options, _syntax())


def test_renders_once_per_width_whatever_the_height() -> None:
    console = Console(width=60, color_system="truecolor", force_terminal=True)
    Counting.renders = 0
    rendered = Rendered(_syntax(Counting))
    wide, narrow = console.options.update_width(50), console.options.update_width(49)
    first = console.render_lines(rendered, wide)
    assert console.render_lines(rendered, wide.update_height(30))[: len(first)] == first  # padded to the height
    assert console.render_lines(rendered, wide) == first
    assert Counting.renders == 1
    console.render_lines(rendered, narrow)
    console.render_lines(rendered, narrow.update_height(5))
    assert Counting.renders == 2
