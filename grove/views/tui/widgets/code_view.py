"""A read-only, syntax-highlighted document with line numbers that draws only the lines on screen.

Put in a ``Static``, a highlighted document is rendered whole to be measured, then again to be drawn: for the YAML of
a pod, most of the time ``y`` takes. Here the document is highlighted once (``Syntax.highlight``) and split into
lines; a frame draws the lines in view, and search matches and the marked line are styled as they are drawn.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

POINTER = "❱ "
POINTER_STYLE = Style.parse("bold red")
NUMBER_STYLE = Style(dim=True)
MARKED_NUMBER_STYLE = Style(bold=True)
CURRENT_MATCH_STYLE = Style.parse("bold black on yellow")
MATCH_STYLE = Style.parse("black on dark_khaki")

Match = tuple[int, int, int]  # (line number from 1, start column, end column)


class CodeView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    CodeView { overflow-x: auto; overflow-y: auto; }
    """

    def __init__(self, *, lexer: str, theme: str, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lexer, self.theme = lexer, theme
        self.code = ""
        self.lines: list[Text] = []
        self._matches: dict[int, list[tuple[int, int, Style]]] = {}  # line number -> (start, end, style)
        self._marked: int | None = None  # line number with the pointer
        self._gutter = 0

    def show(self, code: str, matches: Iterable[Match] = (), current: int | None = None) -> None:
        """Show ``code`` (highlighted again only when it changed), with ``matches`` styled and the line of match
        number ``current`` marked."""
        if code != self.code or not self.lines:
            self.code = code
            highlighted = Syntax(code, self.lexer, theme=self.theme).highlight(code)
            self.lines = list(highlighted.split("\n", allow_blank=True))
            if self.lines and not self.lines[-1].plain and code.endswith("\n"):
                self.lines.pop()  # the newline that ends the document, not an empty line after it
        self._matches = {}
        self._marked = None
        for index, (line, start, end) in enumerate(matches):
            style = CURRENT_MATCH_STYLE if index == current else MATCH_STYLE
            self._matches.setdefault(line, []).append((start, end, style))
            if index == current:
                self._marked = line
        self._gutter = len(str(len(self.lines))) + 3  # pointer, number, space
        width = self._gutter + max((line.cell_len for line in self.lines), default=0)
        self.virtual_size = Size(width, len(self.lines))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        number = scroll_y + y + 1
        width = self.scrollable_content_region.width
        style = self.rich_style
        if not 1 <= number <= len(self.lines):
            return Strip.blank(width, style)
        text = self.lines[number - 1]
        for start, end, match_style in self._matches.get(number, ()):
            if text is self.lines[number - 1]:
                text = text.copy()
            text.stylize(match_style, start, end)
        digits = str(number).rjust(self._gutter - 3)
        if number == self._marked:
            gutter = [Segment(POINTER, POINTER_STYLE), Segment(digits + " ", MARKED_NUMBER_STYLE)]
        else:
            gutter = [Segment("  "), Segment(digits + " ", NUMBER_STYLE)]
        segments = gutter + list(text.render(self.app.console))
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width).apply_style(style)
