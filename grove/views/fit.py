"""Tables that fit the terminal by dropping their least important columns, never by cutting names or numbers."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

GAP = 2


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Text]],
    width: int | None,
    drop_order: Sequence[str] = (),
) -> FittedTable:
    """A borderless table of the columns that fit in ``width``; columns named in ``drop_order`` go first, in order.

    Every cell is shown whole: a narrow terminal loses columns, not characters of the ones it keeps.
    """
    keep = list(range(len(headers)))

    def natural(i: int) -> int:
        return max([len(headers[i])] + [row[i].cell_len for row in rows if i < len(row)])

    if width is not None:
        for name in drop_order:
            total = sum(natural(i) for i in keep) + GAP * (len(keep) - 1)
            if total <= width:
                break
            if name in headers and headers.index(name) in keep:
                keep.remove(headers.index(name))
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for i in keep:
        table.add_column(headers[i], no_wrap=True, min_width=natural(i))
    kept_rows = [[row[i] if i < len(row) else Text("") for i in keep] for row in rows]
    for cells in kept_rows:
        table.add_row(*cells)
    return FittedTable(table, [headers[i] for i in keep], kept_rows, [natural(i) for i in keep])


class FittedTable:
    """The table ``fitted_table`` makes, drawn as Rich draws it; piped (no colour system, so no styles), when every
    cell is one left-aligned line and the columns fit, its lines are written as text directly: Rich lays each cell
    out through its general renderer, most of ``status -A``'s rendering."""

    def __init__(self, table: Table, headers: list[str], rows: list[list[Text]], widths: list[int]) -> None:
        self.table = table
        self.headers = headers
        self.rows = rows
        self.widths = widths

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.table.__rich_measure__(console, options)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self._plain_lines(options.max_width) if console.color_system is None and not console.record else None
        if lines is None:
            yield self.table
            return
        new_line = Segment.line()
        for line in lines:
            yield Segment(line)
            yield new_line

    def plain_lines(self, console: Console, options: ConsoleOptions) -> list[str] | None:
        """The lines drawn, unstyled (``grove.views.plain``); None when Rich lays the table out otherwise."""
        return self._plain_lines(options.max_width)

    def _plain_lines(self, max_width: int) -> list[str] | None:
        """The table's lines, or None when Rich would lay it out otherwise (too wide, a wrapped or aligned cell)."""
        widths = self.widths
        if sum(widths) + GAP * (len(widths) - 1) > max_width:
            return None
        gap = " " * GAP
        lines = [gap.join(h + " " * (w - cell_len(h)) for h, w in zip(self.headers, widths, strict=True))]
        for row in self.rows:
            parts = []
            for cell, width in zip(row, widths, strict=True):
                plain = cell.plain
                if cell.justify is not None or "\n" in plain or "\t" in plain:
                    return None
                parts.append(plain + " " * (width - cell.cell_len))
            lines.append(gap.join(parts))
        return lines
