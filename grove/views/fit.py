"""Tables that fit the terminal by dropping their least important columns, never by cutting names or numbers."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

GAP = 2


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Text]],
    width: int | None,
    drop_order: Sequence[str] = (),
) -> Table:
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
    for row in rows:
        table.add_row(*(row[i] if i < len(row) else Text("") for i in keep))
    return table
