"""A tree of text labels that draws exactly what ``rich.tree.Tree`` draws, several times faster; and a stack of
renderables that draws exactly what ``rich.console.Group`` draws, its one-line texts directly.

``health -A`` and ``topology -A`` draw trees of tens of thousands of labels; Rich's ``Tree`` lays each label out
through the general renderer (``render_lines``: wrap, split, crop), which took most of their rendering time. Here a
label that fits on its line is drawn directly; one that does not (or holds a newline) goes through ``render_lines``
as ``Tree`` does, so the output is the same at any width (``tests/views/test_outline.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.styled import Styled
from rich.text import Text

from grove.views.plain import lines_of, text_fits

_SPACE, _CONTINUE, _FORK, _END = range(4)
_LINES = ("    ", "│   ", "├── ", "└── ")
_ASCII_LINES = ("    ", "|   ", "+-- ", "`-- ")
_HEAVY_LINES = ("    ", "┃   ", "┣━━ ", "┗━━ ")
_DOUBLE_LINES = ("    ", "║   ", "╠══ ", "╚══ ")
_PLAIN_GUIDE = Style(bold=False, underline2=False)  # what Tree takes off its guides after choosing their shape


class Outline:
    """A label and the outlines under it; ``add`` returns the new child, as ``Tree.add`` does."""

    __slots__ = ("children", "guide_style", "hide_root", "label")

    def __init__(self, label: Text, *, guide_style: str = "tree.line", hide_root: bool = False) -> None:
        self.label = label
        self.children: list[Outline] = []
        self.guide_style = guide_style
        self.hide_root = hide_root

    def add(self, label: Text) -> Outline:
        child = Outline(label, guide_style=self.guide_style)
        self.children.append(child)
        return child

    def _guides(self, console: Console, options: ConsoleOptions) -> tuple[tuple[str, ...], Style]:
        style = console.get_style(self.guide_style, default="") or Style.null()
        if options.ascii_only:
            shapes = _ASCII_LINES
        elif options.legacy_windows:
            shapes = _LINES
        else:
            shapes = _HEAVY_LINES if style.bold else _DOUBLE_LINES if style.underline2 else _LINES
        return shapes, style + _PLAIN_GUIDE

    def _roots(self) -> list[Outline]:
        # a hidden root's children are drawn as roots of their own (as Tree does)
        return self.children if self.hide_root else [self]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        shapes, guide_style = self._guides(console, options)
        guides = tuple(Segment(shape, guide_style) for shape in shapes)
        label_style = console.get_style("tree", default="") or Style.null()
        draw = _Drawing(console, options, guides, label_style)
        for root in self._roots():
            yield from draw.node(root, (), None, True)

    def plain_lines(self, console: Console, options: ConsoleOptions) -> list[str]:
        """The lines drawn, unstyled (``grove.views.plain``)."""
        shapes, _ = self._guides(console, options)
        label_style = console.get_style("tree", default="") or Style.null()
        out: list[str] = []
        for root in self._roots():
            _plain_node(console, options, shapes, label_style, root, "", "", out)
        return out


class _Drawing:
    """One drawing of an outline: the console, its options and the guide segments."""

    def __init__(self, console: Console, options: ConsoleOptions, guides: tuple[Segment, ...], style: Style) -> None:
        self.console = console
        self.options = options
        self.guides = guides
        self.style = style
        self.new_line = Segment.line()

    def node(self, node: Outline, above: tuple[int, ...], branch: int | None, last: bool) -> Iterator[Segment]:
        """``above``: the guides of the levels above (continue or space); ``branch``: this node's fork or end."""
        first = [self.guides[i] for i in above]
        rest = list(first)
        if branch is not None:
            first.append(self.guides[branch])
            rest.append(self.guides[_SPACE if last else _CONTINUE])
        for index, line in enumerate(self._label_lines(node.label, sum(s.cell_length for s in first))):
            yield from first if index == 0 else rest
            yield from line
            yield self.new_line
        if branch is not None:
            above = (*above, _SPACE if last else _CONTINUE)
        for index, child in enumerate(node.children):
            child_last = index == len(node.children) - 1
            yield from self.node(child, above, _END if child_last else _FORK, child_last)

    def _label_lines(self, label: Text, indent: int) -> list[list[Segment]]:
        width = self.options.max_width - indent
        if text_fits(label, width, self.options):
            return [list(_one_line(self.console, label, self.style or None))]
        return _laid_out(self.console, self.options, label, self.style, width)


def _laid_out(console: Console, options: ConsoleOptions, label: Text, style: Style, width: int) -> list[list[Segment]]:
    """A label that does not fit on its line, laid out by the console at ``width`` as ``Tree`` lays it out."""
    label_options = options.update(width=width, highlight=False, height=None)
    return console.render_lines(Styled(label, style), label_options, pad=options.justify is not None)


def _plain_node(
    console: Console,
    options: ConsoleOptions,
    shapes: tuple[str, ...],
    label_style: Style,
    node: Outline,
    first: str,
    rest: str,
    out: list[str],
) -> None:
    """``node``'s lines and its children's, unstyled, appended to ``out``; ``first``/``rest``: the guides before its
    label's first and following lines (what ``_Drawing.node`` yields, as text)."""
    width = options.max_width - cell_len(first)
    if text_fits(node.label, width, options):
        out.append(first + node.label.plain)
    else:
        for index, line in enumerate(_laid_out(console, options, node.label, label_style, width)):
            out.append((first if index == 0 else rest) + "".join(segment.text for segment in line))
    last_index = len(node.children) - 1
    for index, child in enumerate(node.children):
        last = index == last_index
        _plain_node(
            console,
            options,
            shapes,
            label_style,
            child,
            rest + shapes[_END if last else _FORK],
            rest + shapes[_SPACE if last else _CONTINUE],
            out,
        )


def _one_line(console: Console, label: Text, extra: Style | None = None) -> Iterable[Segment]:
    if console.color_system is None and not console.record:
        # output without styles (piped, or a dumb terminal): the console writes the text alone, so only that is made
        return (Segment(label.plain),)
    segments: Iterable[Segment] = label.render(console, end="")
    if label.style:  # Text.render leaves the label's own style to the caller
        segments = Segment.apply_style(segments, console.get_style(label.style, default=""))
    if extra:
        segments = Segment.apply_style(segments, extra)
    return segments


class Stack:
    """Renderables one under the other, as ``rich.console.Group`` draws them.

    ``health -A`` prints thousands of one-line titles, rules and event lines; Group lays each out through
    ``Text.wrap``, which took a third of the command's rendering. A text that fits on its line is drawn directly here;
    anything else is rendered by the console as Group does (``tests/views/test_outline.py`` compares them).
    """

    __slots__ = ("items",)

    def __init__(self, *items: RenderableType) -> None:
        self.items = items

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for item in self.items:
            if isinstance(item, Text) and item.end == "\n" and text_fits(item, options.max_width, options):
                yield from _one_line(console, item)
                yield new_line
            else:
                yield item

    def plain_lines(self, console: Console, options: ConsoleOptions) -> list[str]:
        """The lines drawn, unstyled (``grove.views.plain``)."""
        return [line for item in self.items for line in lines_of(console, options, item)]
