"""Keyed row models: what a table shows, as values the widgets diff by key.

A ``Row`` is one line of a table, keyed by the object it shows (never by its position), so a refreshed list can be
applied as a diff (update the cells that changed, add and remove rows by key) and the cursor can follow its object.
Columns have a preferred width and a priority; ``fit_columns`` keeps the ones that fit the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from rich.text import Text

CELL_PADDING = 1  # DataTable's default padding on each side of a cell


@attrs.frozen
class Ref:
    """A Kubernetes object a row stands for (the subject of ``y``, ``l`` and the events pane)."""

    kind: str
    namespace: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@attrs.frozen
class Column:
    key: str
    label: str
    width: int  # width in cells (the minimum, for a flexible column)
    priority: int = 0  # 0 is never dropped; higher numbers are dropped first when the table is too narrow
    flex: int = 0  # share of the width the columns leave (0: fixed width)
    most: int = 0  # grows up to this width to show its widest cell whole (0: stays at ``width``)


@attrs.frozen(eq=False)
class Row:
    key: str
    cells: tuple[Text, ...]  # one per column of the level, in the level's column order
    ref: Ref | None = None
    drill: bool = False  # Enter opens a level below
    search: str = ""  # lower-cased text the filter matches

    def cell(self, columns: Sequence[Column], key: str) -> Text:
        for column, cell in zip(columns, self.cells, strict=False):
            if column.key == key:
                return cell
        return Text("")


def cell_signature(cell: Text) -> tuple[object, ...]:
    """What makes two cells look different (``Text.__eq__`` ignores the base style)."""
    return (cell.plain, str(cell.style), tuple(cell.spans))


def fit_content(columns: Sequence[Column], rows: Sequence[Row]) -> tuple[Column, ...]:
    """``columns`` with each growing one (``most``) as wide as its widest cell needs, within its bounds: a number
    cut short reads as another number ("96 B200 40" for "96 B200 404 H200")."""
    out = []
    for i, column in enumerate(columns):
        if column.most > column.width:
            needed = max((row.cells[i].cell_len for row in rows if i < len(row.cells)), default=0)
            width = min(column.most, max(column.width, needed))
            if width != column.width:
                column = attrs.evolve(column, width=width)
        out.append(column)
    return tuple(out)


def fit_columns(columns: Sequence[Column], available: int) -> tuple[Column, ...]:
    """The columns that fit in ``available`` cells, flexible ones widened to fill the rest."""
    kept = list(columns)

    def need(cols: list[Column]) -> int:
        return sum(c.width + 2 * CELL_PADDING for c in cols)

    while need(kept) > available:
        droppable = [c for c in kept if c.priority > 0]
        if not droppable:
            break
        worst = max(droppable, key=lambda c: (c.priority, kept.index(c)))
        kept.remove(worst)
    weights = sum(c.flex for c in kept)
    spare = max(0, available - need(kept))
    out = []
    given = 0
    flexible = [c for c in kept if c.flex]
    for column in kept:
        if column.flex:
            share = spare - given if column is flexible[-1] else spare * column.flex // weights
            given += share
            out.append(attrs.evolve(column, width=column.width + share))
        else:
            out.append(column)
    return tuple(out)


def matches(row: Row, text: str) -> bool:
    """Every word of the filter occurs in the row (case-insensitive)."""
    words = text.lower().split()
    return all(word in row.search for word in words)


def filtered(rows: Sequence[Row], text: str) -> tuple[Row, ...]:
    if not text.strip():
        return tuple(rows)
    return tuple(r for r in rows if matches(r, text))


def dim(value: str) -> Text:
    return Text(value, style="dim")


def plain(value: object) -> Text:
    return Text(str(value))
