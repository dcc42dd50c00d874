"""The keyed table draws one-line text cells and whole lines the short way: segment for segment (text, style, meta)
what ``DataTable._render_cell`` and ``_render_line_in_row`` draw, for every kind of cell, width, padding and cursor,
hover, header and fixed styles."""

from __future__ import annotations

import itertools
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from grove.views.tui.widgets.keyed_table import KeyedTable


def _assembled() -> Text:
    text = Text.assemble(("pod", "bold"), "-", ("0", Style(color="green", bgcolor="black")), " ok", style="italic")
    text.stylize("underline", 2, 5)
    return text


# (cell, whether the short way draws it)
CELLS: list[tuple[Text, bool]] = [
    (Text("plain"), True),
    (Text("a much longer text than any column here"), True),
    (Text(""), True),
    (Text("", style="red"), True),
    (Text(" padded  "), True),
    (Text("Running", style="green"), True),
    (Text("CrashLoopBackOff", style="bold red"), True),
    (Text("styled", style=Style(color="yellow", bgcolor="blue", bold=True)), True),
    (_assembled(), True),
    (Text.from_markup("[dim]2m[/dim] [b]ago[/b] and [reverse]more[/reverse]"), True),
    (Text("日本語のテキスト"), True),  # wide characters, split at odd widths
    (Text("a日b本c語", style="cyan"), True),
    (Text("🙂 smile 🙂"), True),
    (Text("cafe\u0301 na\u00efve"), True),  # a combining accent
    (Text("ellipsis here please", overflow="ellipsis", style="magenta"), True),
    (Text("日本語のテキスト", overflow="ellipsis"), True),
    (Text("crop me off somewhere", overflow="crop"), True),
    (Text("fold me", overflow="fold"), True),
    (Text("left", justify="left", style="on red"), True),
    (Text("left and long enough", justify="left", style="on red"), True),
    (Text("no wrap", no_wrap=True), True),
    (Text("no end", end=""), True),
    (Text("right", justify="right"), False),
    (Text("centre", justify="center", style="on blue"), False),
    (Text("full justify", justify="full"), False),
    (Text("ignore overflow here", overflow="ignore"), False),
    (Text("wrap me please", no_wrap=False), False),
    (Text("two\nlines"), False),
    (Text("a\ttab"), False),
    (Text("odd end", end="!"), False),
]


WIDTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 20, 23, 41)


class _Tables(App[None]):
    CSS = """
    KeyedTable > .datatable--fixed-cursor { color: red; background: green; }
    KeyedTable > .datatable--header-cursor { color: blue; text-style: italic; }
    KeyedTable > .datatable--header-hover { background: yellow; }
    KeyedTable > .datatable--hover { text-style: underline; }
    """

    def compose(self) -> ComposeResult:
        yield KeyedTable(id="cells")


def _segments(lines: list[list[Segment]]) -> list[list[tuple[object, ...]]]:
    return [
        [(s.text, s.style, s.style.meta if s.style is not None else None, s.control) for s in line] for line in lines
    ]


def _fill(table: KeyedTable) -> None:
    for i in range(3):
        table.add_column(Text(f"COL{i}", style="bold"), width=8, key=f"c{i}")
    rows = [CELLS[i : i + 3] for i in range(0, len(CELLS), 3)]
    for r, row in enumerate(rows):
        cells = [cell for cell, _ in row] + [Text("")] * (3 - len(row))
        table.add_row(*cells, key=f"r{r}")


def _compare(table: KeyedTable, row: int, column: int, base: Style, width: int, cursor: bool, hover: bool) -> bool:
    """Both ways agree; True when the short way drew the cell."""
    table._cell_render_cache.clear()
    fast = table._render_text_cell(row, column, base, width, cursor, hover)
    table._cell_render_cache.clear()
    slow = DataTable._render_cell(table, row, column, base, width, cursor=cursor, hover=hover)
    table._cell_render_cache.clear()
    if fast is not None:
        assert _segments(fast) == _segments(slow), (row, column, width, cursor, hover, table.cell_padding)
        # and through the override, from its cache
        assert _segments(table._render_cell(row, column, base, width, cursor, hover)) == _segments(slow)
        assert _segments(table._render_cell(row, column, base, width, cursor, hover)) == _segments(slow)
    return fast is not None


async def test_cells_draw_as_datatable_draws_them() -> None:
    app = _Tables()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(KeyedTable)
        _fill(table)
        await pilot.pause()
        fixed = table.get_component_styles("datatable--fixed").rich_style + Style.from_meta({"fixed": True})
        header = table.get_component_styles("datatable--header").rich_style
        bases = [
            table.rich_style,
            table._get_row_style(0, table.rich_style),
            table._get_row_style(1, table.rich_style),
            fixed,
            header,
            Style(),
        ]
        drawn: set[tuple[int, int]] = set()
        settings = itertools.product((1, 0, 2), (False, True), ("css", "renderable"))
        for padding, fixed_columns, priority in settings:
            table.cell_padding = padding
            table.fixed_columns = 1 if fixed_columns else 0
            table.fixed_rows = 1 if fixed_columns else 0
            table.cursor_foreground_priority = priority  # type: ignore[assignment]
            table.cursor_background_priority = priority  # type: ignore[assignment]
            table._show_hover_cursor = fixed_columns
            for row in range(-1, table.row_count):
                for column in range(3):
                    for base, width in zip(itertools.cycle(bases), WIDTHS, strict=False):
                        for cursor, hover in itertools.product((False, True), repeat=2):
                            if _compare(table, row, column, base, width, cursor, hover):
                                drawn.add((row, column))
        table.cell_padding = 1
        table.show_cursor = False
        for row, column in itertools.product(range(-1, table.row_count), range(3)):
            for width, cursor, hover in itertools.product((3, 10), (False, True), (False, True)):
                _compare(table, row, column, table.rich_style, width, cursor, hover)
    # the short way drew every cell it should (and the header), and none of the others
    for index, (_, short) in enumerate(CELLS):
        assert ((index // 3, index % 3) in drawn) == short, CELLS[index][0]
    assert {(-1, column) for column in range(3)} <= drawn


async def test_the_screen_is_what_datatable_draws() -> None:
    """Whole lines (fixed columns, zebra stripes, cursor and hover) with the short way and without it."""
    app = _Tables()
    async with app.run_test(size=(70, 16)) as pilot:
        table = app.query_one(KeyedTable)
        _fill(table)
        await pilot.pause()

        lines_drawn: list[bool] = []
        plain_line = table._render_plain_line

        def counted(*args: Any) -> Any:
            lines = plain_line(*args)
            lines_drawn.append(lines is not None)
            return lines

        def screen(short: bool) -> list[list[tuple[object, ...]]]:
            table._clear_caches()
            table._line_cache.clear()
            if short:
                table._render_plain_line = counted  # type: ignore[method-assign]
            else:  # neither cells nor lines the short way
                table._render_text_cell = lambda *args: None  # type: ignore[method-assign]
                table._render_plain_line = lambda *args: None  # type: ignore[method-assign]
            try:
                strips = [table.render_line(y) for y in range(table.size.height)]
            finally:
                if not short:
                    del table._render_text_cell
                del table._render_plain_line
            return [[(s.text, s.style, s.style.meta if s.style else None) for s in strip] for strip in strips]

        for fixed, zebra, row in itertools.product((0, 1), (False, True), (0, 2, 5)):
            table.fixed_columns = fixed
            table.zebra_stripes = zebra
            table.move_cursor(row=row)
            table.hover_coordinate = table.cursor_coordinate.down()
            table._show_hover_cursor = True
            await pilot.pause()
            lines_drawn.clear()
            assert screen(short=True) == screen(short=False), (fixed, zebra, row)
            # lines the short way without fixed columns (DataTable's own way with them)
            assert lines_drawn and all(lines_drawn) == (fixed == 0) and any(lines_drawn) == (fixed == 0)
