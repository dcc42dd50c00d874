"""Output without styles (piped, redirected, ``--no-color``) written as text lines directly, the same characters
``Console.print`` writes.

Printing a renderable makes segments for every piece of every line, then splits and crops them into lines again:
for ``health -A`` at 10,000 pods (13,000 lines) that was most of its rendering. Without a colour system the segments
carry nothing but their text, so the lines can be made as strings: a group or stack is its items' lines, an outline is
its guides and labels (``Outline.plain_lines``), a table that fits is its cells padded (``FittedTable``), and a text
that fits on its line is itself. Anything else (a panel, a text that wraps) is laid out by the console as ``print``
would, and its lines joined. ``tests/views/test_plain.py`` compares the two on every read command's output.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.text import DEFAULT_JUSTIFY, DEFAULT_OVERFLOW, Text

PlainLines = Callable[[Console, ConsoleOptions], "list[str] | None"]
"""A renderable's ``plain_lines`` method: its unstyled lines at these options (None: it cannot give them)."""


def writes_plain(console: Console) -> bool:
    """The console writes text alone: no colour system, no recording, no terminal controls."""
    return console.color_system is None and not console.record and not console.is_terminal


def text_fits(text: Text, width: int, options: ConsoleOptions) -> bool:
    """A text Rich lays out as itself on one line: no wrap, no justification, no tabs."""
    plain = text.plain
    return (
        0 < text.cell_len <= width
        and "\n" not in plain
        and "\t" not in plain
        and text.justify is None
        and options.justify is None
    )


def lines_of(console: Console, options: ConsoleOptions, renderable: RenderableType) -> list[str]:
    """The unstyled lines ``console.print(renderable)`` writes at ``options``."""
    own: PlainLines | None = getattr(renderable, "plain_lines", None)  # Outline, Stack, FittedTable
    if own is not None:
        lines = own(console, options)
        if lines is not None:
            return lines
    elif isinstance(renderable, Group):
        return [line for item in renderable.renderables for line in lines_of(console, options, item)]
    elif (
        isinstance(renderable, Text)
        and renderable.end == "\n"
        and "\t" not in renderable.plain
        and renderable.justify is None
        and options.justify is None
    ):
        return (
            [renderable.plain]
            if text_fits(renderable, options.max_width, options)
            else wrapped(console, options, renderable)
        )
    return ["".join(segment.text for segment in line) for line in console.render_lines(renderable, options, pad=False)]


def wrapped(console: Console, options: ConsoleOptions, text: Text) -> list[str]:
    """A text's lines as ``Text.__rich_console__`` wraps them (for a text without tabs or justification: ``print``
    lays a justified text out otherwise), each cropped to the width as ``print`` crops it."""
    width = options.max_width
    lines = text.wrap(
        console,
        width,
        justify=DEFAULT_JUSTIFY,
        overflow=text.overflow or options.overflow or DEFAULT_OVERFLOW,
        no_wrap=text.no_wrap if text.no_wrap is not None else bool(options.no_wrap),
    )
    out = []
    for line in lines:
        plain = line.plain
        out.append(plain if cell_len(plain) <= width else set_cell_size(plain, width))
    return out


def print_renderable(console: Console, renderable: RenderableType) -> None:
    """``console.print(renderable)``, written as text lines when the console writes text alone."""
    if not writes_plain(console):
        console.print(renderable)
        return
    if isinstance(renderable, Text):
        # print joins the texts it is given into one of its own: their justification, overflow and end are print's
        renderable = Text("", end="\n").join([renderable])
    lines = lines_of(console, console.options, renderable)
    console.file.write("".join(line + "\n" for line in lines))
    console.file.flush()
