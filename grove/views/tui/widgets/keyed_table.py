"""A DataTable fed with keyed rows: a refresh is applied as a diff, and the cursor follows its object.

``show(columns, rows)`` updates the cells that changed (``update_cell``), adds and removes rows by key, and reorders
only when the order changed. The cursor stays on the same key, and the view scrolls by as many rows as were inserted
or removed above it, so the selected line does not jump on screen. Columns are fitted to the width; a change of the
column set (another level, a resize across a threshold) is the one case that rebuilds the table.

Rows are added and removed in batches, and every column has a fixed width, so a new level of a few thousand rows
costs its first frame only the rows on screen: ``DataTable`` would otherwise measure every new cell (for column
widths that fixed columns never use) and update its cursor and caches once per row added or removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import attrs
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.events import Resize
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, DuplicateKey, RowKey
from textual.widgets.data_table import Row as TableRow

from grove.views.tui import textual_compat
from grove.views.tui.rows import Column, Row, cell_signature, fit_columns, fit_content

REBUILD_FRACTION = 0.5  # removing more than this share of a large table row by row costs more than a rebuild
REBUILD_MIN = 500
DRAWN_TEXT_KEPT = 20_000  # cells whose drawing is kept (a few screenfuls of every level and screen)
PRE_STYLES_KEPT = 20_000

_NEWLINE = Text("\n")  # what ``Text.__rich_console__`` joins wrapped lines with (never changed: ``join`` copies it)
_JUSTIFY = ("default", "left")  # justifications the fast path draws (``Text`` defaults to "default")
_OVERFLOW = ("fold", "crop", "ellipsis")  # overflows it draws (``Text`` defaults to "fold"; no-wrap folds = crops)


_pre_styles: dict[tuple[Style, int, int, Style], Style] = {}


def _pre_style(row_style: Style, row_index: int, column_index: int, component_style: Style) -> Style:
    """The style a cell's segments get before their own (``DataTable``'s: the row's, the cell's place as meta for
    the mouse, the cursor's), kept: every table draws the same places with the same few styles again and again."""
    key = (row_style, row_index, column_index, component_style)
    style = _pre_styles.get(key)
    if style is None:
        if len(_pre_styles) >= PRE_STYLES_KEPT:
            _pre_styles.clear()
        style = _pre_styles[key] = (
            row_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        )
    return style


def _grown_only(spec: tuple[Column, ...], shown: tuple[Column, ...]) -> tuple[Column, ...]:
    """Columns that grow to fit their cells keep the widest they were shown at while the table shows the same
    columns: a count that loses a digit does not narrow its column (the columns to its right would jump, and the
    whole table would be drawn again)."""
    if len(spec) != len(shown):
        return spec
    return tuple(
        attrs.evolve(column, width=old.width)
        if column.key == old.key and column.most > 0 and old.width > column.width
        else column
        for column, old in zip(spec, shown, strict=True)
    )


@attrs.frozen
class _Pending:
    columns: tuple[Column, ...]
    rows: dict[str, Row]  # in order
    select: str | None

    @property
    def key(self) -> str | None:
        """Where the cursor will be."""
        if self.select is not None and self.select in self.rows:
            return self.select
        return next(iter(self.rows), None)


class KeyedTable(DataTable[Text]):
    DEFAULT_CSS = """
    KeyedTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None, fast: bool | None = None) -> None:
        """``fast``: draw and update cells the short way (default: when the installed Textual has every internal
        ``textual_compat`` declares for it; False takes ``DataTable``'s own way, as the tests compare)."""
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self._fast = textual_compat.available("table") if fast is None else fast
        self._given: tuple[Column, ...] = ()  # the columns last given to ``show``
        self._spec: tuple[Column, ...] = ()  # those grown to fit their cells
        self._fitted: tuple[Column, ...] = ()
        self._rows: dict[str, Row] = {}
        self._order: list[str] = []
        self._signatures: dict[str, tuple[tuple[object, ...], ...]] = {}  # of the cells shown, once compared
        self._positions: tuple[int, ...] = ()  # per fitted column: its index in the level's cells
        self._fitted_width = -1
        self._pending: _Pending | None = None  # rows given before the table was laid out
        self._showing = False
        self._painting = False
        self._paint_style: Style | None = None
        self._drawn_with: tuple[Style, ...] | None = None  # component styles the caches were drawn with
        self._drawn_text: dict[tuple[int, int, int], tuple[object, list[Segment]]] = {}  # see ``_text_segments``
        # Called with the key under the cursor when a key or a click moves it to another row, before the frame that
        # shows the move: what follows the cursor (another pane) is painted in the same frame. ``RowHighlighted``
        # comes after that frame; ``show`` moving the cursor calls nothing (the caller knows).
        self.on_cursor_moved: Callable[[str | None], None] | None = None

    # ----------------------------------------------------------------------------------------------- reading

    @property
    def current_key(self) -> str | None:
        if self._pending is not None:
            return self._pending.key
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]

    @property
    def current_row(self) -> Row | None:
        key = self.current_key
        return self.row_model(key) if key is not None else None

    @property
    def filled(self) -> bool:
        """The rows given are in the table (not waiting for its first layout)."""
        return self._pending is None

    @property
    def keys(self) -> tuple[str, ...]:
        if self._pending is not None:
            return tuple(self._pending.rows)
        return tuple(self._order)

    def row_model(self, key: str) -> Row | None:
        if self._pending is not None:
            return self._pending.rows.get(key)
        return self._rows.get(key)

    # ----------------------------------------------------------------------------------------------- writing

    def show(
        self,
        columns: Sequence[Column],
        rows: Sequence[Row],
        select: str | None = None,
        reset: bool = False,
        fresh: bool = False,
    ) -> None:
        """Apply ``rows`` (in order); put the cursor on ``select`` if given (else on the first row when ``reset``),
        otherwise keep it on its key. ``fresh``: the rows are mostly others (another domain's pods), filled anew
        rather than compared row by row."""
        if not self._spec and not self.size.width:
            # Not laid out yet (a screen being put up): filled once it knows its width (``on_resize``), rather than
            # filled and drawn for a guessed width, then again. Until then it reads as it will be.
            if select is None and self._pending is not None:
                select = self._pending.select
            self._pending = _Pending(tuple(columns), {row.key: row for row in rows}, select)
            return
        given = tuple(columns)
        spec = fit_content(given, rows)
        if not fresh and given == self._given:
            spec = _grown_only(spec, self._spec)
        self._given = given
        width = self._available_width()
        fitted = fit_columns(spec, width)
        keep = select if select is not None else (None if reset else self.current_key)
        old_index = 0 if reset else self.cursor_row
        self._showing = True
        try:
            if fresh or spec != self._spec or fitted != self._fitted:
                self._spec, self._fitted, self._fitted_width = spec, fitted, width
                indices = {column.key: i for i, column in enumerate(spec)}
                self._positions = tuple(indices[c.key] for c in fitted)
                self._rebuild(rows)
            else:
                self._diff(rows)
            self._place_cursor(keep, old_index, scroll_follow=select is None and not reset)
        finally:
            self._showing = False

    def watch_cursor_coordinate(self, old_coordinate: Coordinate, new_coordinate: Coordinate) -> None:
        super().watch_cursor_coordinate(old_coordinate, new_coordinate)
        if old_coordinate.row != new_coordinate.row and not self._showing and self.on_cursor_moved is not None:
            self.on_cursor_moved(self.current_key)

    def _set_hover_cursor(self, active: bool) -> None:
        """Every key switches the hover cursor off, and ``DataTable`` repaints its row even when it was off: a frame
        of its own before the key's effect, which then waits for the next frame. Off already, nothing changes."""
        if not active and getattr(self, "_show_hover_cursor", None) is False:
            return
        super()._set_hover_cursor(active)

    def _available_width(self) -> int:
        width = self.content_region.width or self.size.width
        if width <= 0:
            width = self.app.size.width - 4
        return max(20, width - 2)  # the vertical scrollbar

    def _cells(self, row: Row) -> list[Text]:
        cells = row.cells
        return [cells[i] if i < len(cells) else Text("") for i in self._positions]

    def _rebuild(self, rows: Sequence[Row]) -> None:
        self.clear(columns=True)
        for column in self._fitted:
            self.add_column(Text(column.label, style="bold"), width=column.width, key=column.key)
        self._rows, self._order, self._signatures = {}, [], {}
        self._append(rows)

    def _append(self, rows: Iterable[Row]) -> None:
        """Add rows at the bottom, in one batch."""
        added: list[tuple[str, list[Text]]] = []
        for row in rows:
            cells = self._cells(row)
            added.append((row.key, cells))
            self._rows[row.key] = row
            self._order.append(row.key)
        if not added:
            return
        if self._fast:
            self._append_in_batch(added)
            return
        for key, cells in added:  # a Textual other than the one declared: one row at a time
            self.add_row(*cells, key=key)

    def _append_in_batch(self, added: list[tuple[str, list[Text]]]) -> None:
        """What ``add_row`` does for each row, with the cursor and the caches updated once for all of them."""
        locations, data, metadata = self._row_locations, self._data, self.rows
        column_keys = [column.key for column in self.ordered_columns]
        was_empty = self.row_count == 0
        for key, cells in added:
            row_key = RowKey(key)
            if row_key in locations:
                raise DuplicateKey(f"The row key {row_key!r} already exists.")
            locations[row_key] = len(metadata)
            data[row_key] = dict(zip(column_keys, cells, strict=False))
            metadata[row_key] = TableRow(row_key, 1)
        self._require_update_dimensions = True  # the virtual size (new rows are not measured, see below)
        self.cursor_coordinate = self.cursor_coordinate
        if was_empty and self.columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self._update_count += 1
        self.check_idle()

    def _remove(self, removed: list[str]) -> None:
        """Remove rows, in one batch."""
        for key in removed:
            del self._rows[key]
            self._signatures.pop(key, None)
        gone = set(removed)
        self._order = [key for key in self._order if key not in gone]
        if self._fast:
            self._remove_in_batch(removed)
            return
        for key in removed:  # a Textual other than the one declared: one row at a time
            if RowKey(key) in self.rows:
                self.remove_row(key)

    def _remove_in_batch(self, removed: list[str]) -> None:
        """What ``remove_row`` does for each row, with the row locations rebuilt once for all of them."""
        locations, data, metadata, updated = self._row_locations, self._data, self.rows, self._updated_cells
        for key in removed:
            row_key = RowKey(key)
            for column_key in data.get(row_key, {}):
                updated.discard(CellKey(row_key, column_key))
            del metadata[row_key]
            del data[row_key]
        # ``_order`` is the order on screen, the removed keys already left out
        self._row_locations = type(locations)({RowKey(key): i for i, key in enumerate(self._order)})
        self._require_update_dimensions = True
        self.check_idle()
        self.cursor_coordinate = self.cursor_coordinate
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        self.refresh(layout=True)

    def notify_style_update(self) -> None:
        """Keep what was drawn when a style update changed none of the table's styles.

        ``DataTable`` forgets every rendered cell and line at each style update, and a screen's styles are updated
        whenever it comes back (closing an overlay, leaving the topology): the whole table was drawn again although
        nothing changed. Its own style is part of every cache key already; its component styles (cursor, header,
        hover, rows) are compared here, and when one changed the caches go as ``DataTable`` lets them go.
        """
        if not self._fast:
            super().notify_style_update()
            return
        try:
            super(DataTable, self).notify_style_update()
            components = tuple(self.get_component_rich_style(name) for name in sorted(self.COMPONENT_CLASSES))
            if components == self._drawn_with:
                self._styles_cache.clear()
                self.refresh()
                return
            self._drawn_with = components
            self._drawn_text.clear()
        except KeyError:  # not mounted yet: no component styles
            self._drawn_with = None
        super().notify_style_update()

    # ----------------------------------------------------------------------------------------------- drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        """One paint: the table's own style is worked out once for it, not once per line (``DataTable`` asks for
        it at every line, and each time it is combined anew from every ancestor's styles)."""
        self._paint_style = None
        self._painting = True
        try:
            return super().render_lines(crop)
        finally:
            self._painting = False

    @property
    def rich_style(self) -> Style:
        if not self._painting:
            return super().rich_style
        if self._paint_style is None:
            self._paint_style = super().rich_style
        return self._paint_style

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        """What ``DataTable._render_line_in_row`` returns, for a table without row labels or fixed columns (these
        take ``DataTable``'s own way), without working out the header and fixed-column styles only those use."""
        lines = (
            self._render_plain_line(row_key, line_no, base_style, cursor_location, hover_location)
            if self._fast
            else None
        )
        if lines is None:
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        return lines

    def _render_plain_line(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]] | None:
        cursor_type = self.cursor_type
        if self.fixed_columns or (self._labelled_row_exists and self.show_row_labels) or cursor_type != "row":
            return None  # what these draw (row labels, fixed columns, a faded row background): DataTable's own way
        cache_key = (  # DataTable's own key: its cache holds either way's rendering of a line
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            cursor_type,
            self.show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cache = self._row_render_cache
        cached = cache.get(cache_key)
        if cached is not None:
            return cached
        should_highlight = self._should_highlight
        row_index = self._row_locations.get(row_key)
        if row_index is None:
            row_index = -1
        row_style = self._get_row_style(row_index, base_style)
        columns = self.ordered_columns
        table_width = self._row_label_column_width + sum(column.get_render_width(self) for column in columns)
        scrollable_row = self._render_row_cells(row_index, row_style, cursor_location, hover_location)
        if scrollable_row is None:  # the header, a fixed row or a row of another height: cell by cell
            scrollable_row = [
                self._render_cell(
                    row_index,
                    column_index,
                    row_style,
                    column.get_render_width(self),
                    cursor=should_highlight(cursor_location, Coordinate(row_index, column_index), cursor_type),
                    hover=should_highlight(hover_location, Coordinate(row_index, column_index), cursor_type),
                )[line_no]
                for column_index, column in enumerate(columns)
            ]
        # the rest of the line, as DataTable extends it
        remaining_space = max(0, self.size.width - table_width)
        extend_style, _ = self._get_styles_to_render_cell(
            row_index == -1,
            False,
            False,
            should_highlight(hover_location, Coordinate(row_index or 0, 0), cursor_type),
            row_index == cursor_location.row,
            self.show_cursor,
            self._show_hover_cursor,
            False,
            False,
        )
        extend_style = row_style + extend_style
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        scrollable_row.append([Segment(" " * remaining_space, extend_style)])
        lines: tuple[list[list[Segment]], list[list[Segment]]] = ([], scrollable_row)
        cache[cache_key] = lines
        return lines

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """Draw a cell: a one-line ``Text`` in a row of height 1 the short way, anything else as ``DataTable`` does.

        ``DataTable`` renders each cell as ``Styled(Padding(cell, (0, padding)), pre_style, post_style)`` through
        ``console.render_lines`` (about 0.2 ms a cell, most of a new screenful's cost). ``_render_text_cell`` makes
        the same segments from the same pieces (``Text.wrap``'s truncation, ``Text.join`` and ``Text.render``,
        ``Segment.adjust_line_length`` for the padding, the same style sums) without the generic machinery, and
        caches them under the same key in the same cache.
        """
        lines = (
            self._render_text_cell(row_index, column_index, base_style, width, cursor, hover) if self._fast else None
        )
        if lines is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor=cursor, hover=hover)
        return lines

    def _render_text_cell(
        self, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool, hover: bool
    ) -> list[list[Segment]] | None:
        """What ``DataTable._render_cell`` returns for a one-line ``Text`` cell of a height-1 row (or header), or
        None when the cell is not one of those."""
        if column_index < 0:  # the row labels
            return None
        is_header = row_index == -1
        row_key: RowKey | None
        if is_header:
            if self.header_height != 1:
                return None
            row_key = self._header_row_key
        else:
            row_key = self._row_locations.get_key(row_index)
            row = self.rows.get(row_key) if row_key is not None else None
            if row is None or row.height != 1:
                return None
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return None
        cache_key = (  # DataTable's own key: its cache holds either path's rendering of a cell
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cache = self._cell_render_cache
        cached = cache.get(cache_key)
        if cached is not None:
            return cached
        cells = self._get_row_renderables(row_index).cells
        if column_index >= len(cells):
            return None
        segments = self._text_segments(cells[column_index], width)
        if segments is None:
            return None
        is_fixed = not is_header and (row_index < self.fixed_rows or column_index < self.fixed_columns)
        component_style, post_style = self._cell_styles(is_header, is_fixed, hover, cursor)
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        # Styled: the cell's styles between the pre and the post style; render_lines: cropped to the cell's width
        # (``_text_segments`` made them exactly that wide)
        lines = [list(Segment.apply_style(segments, pre_style, post_style))]
        cache[cache_key] = lines
        return lines

    def _cell_styles(self, is_header: bool, is_fixed: bool, hover: bool, cursor: bool) -> tuple[Style, Style]:
        """The component and post styles ``DataTable`` gives a cell (not a row label) with the table's settings."""
        return self._get_styles_to_render_cell(
            is_header,
            False,
            is_fixed,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )

    def _render_row_cells(
        self, row_index: int, row_style: Style, cursor_location: Coordinate, hover_location: Coordinate
    ) -> list[list[Segment]] | None:
        """Every cell of a body row of height 1 (not a fixed row), as ``_render_text_cell`` draws each, with what is
        the same for the whole row (cursor, hover, component styles, the cells) worked out once for it. Cells that
        are not one-line ``Text`` go ``DataTable``'s way. None for rows this does not draw."""
        if row_index < 0 or row_index < self.fixed_rows:
            return None
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key) if row_key is not None else None
        if row is None or row.height != 1:
            return None
        cells = self._get_row_renderables(row_index).cells
        cursor = cursor_location.row == row_index
        hover = hover_location.row == row_index
        component_style, post_style = self._cell_styles(False, False, hover, cursor)
        apply_style = Segment.apply_style
        drawn: list[list[Segment]] = []
        for column_index, column in enumerate(self.ordered_columns):
            width = column.get_render_width(self)
            segments = self._text_segments(cells[column_index], width) if column_index < len(cells) else None
            if segments is None:
                drawn.append(self._render_cell(row_index, column_index, row_style, width, cursor, hover)[0])
                continue
            pre_style = _pre_style(row_style, row_index, column_index, component_style)
            drawn.append(list(apply_style(segments, pre_style, post_style)))
        return drawn

    def _text_segments(self, cell: object, width: int) -> list[Segment] | None:
        """A one-line ``Text`` cell drawn ``width`` wide with its padding, before the row's and the cursor's styles
        go on; None when the cell is not one of those. Kept per cell object and width: a table drawn again (another
        cursor row, a level opened again) draws its cells from here."""
        padding = self.cell_padding
        kept = self._drawn_text.get((id(cell), width, padding))
        if kept is not None and kept[0] is cell:
            return kept[1]
        if type(cell) is not Text:
            return None
        plain = cell.plain
        justify = cell.justify or "default"
        overflow = cell.overflow or "fold"
        content = width - 2 * padding
        if (
            not plain.isprintable()  # no new lines, tabs or control characters
            or cell.end not in ("\n", "")
            or cell.no_wrap is False  # a row of height 1 does not wrap unless the text says so
            or justify not in _JUSTIFY
            or overflow not in _OVERFLOW
            or content < 1
        ):
            return None
        # Text.__rich_console__ -> Text.wrap (no wrap): a copy, justified and truncated to the content width
        console = self.app.console
        line = cell
        length = cell_len(plain)
        if length > content or (justify == "left" and length < content):
            line = cell.copy()
            if justify == "left":
                line.truncate(content, overflow=overflow, pad=True)
            line.truncate(content, overflow=overflow)
        segments: list[Segment]
        if line.spans:
            segments = list(_NEWLINE.join([line]).render(console))
        else:  # what join and render make of a text without spans: one segment, in its style joined to ""
            text = line.plain
            if not line.style:
                segments = [Segment(text)]
            elif text:
                null = Style.null()
                joined = Style.combine(
                    (console.get_style("", default=null), console.get_style(line.style, default=null))
                )
                segments = [Segment(text, joined)]
            else:
                segments = []
        # Padding: its style on the text, the line padded to the content width, and the padding on both sides
        pad_style = console.get_style("none")
        if pad_style:
            segments = list(Segment.apply_style(segments, pad_style))
        segments = Segment.adjust_line_length(segments, content, style=pad_style, pad=True)
        if padding:
            side = Segment(" " * padding, pad_style)
            segments = [side, *segments, side]
        if len(self._drawn_text) >= DRAWN_TEXT_KEPT:
            self._drawn_text.clear()
        self._drawn_text[(id(cell), width, padding)] = (cell, segments)
        return segments

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Every column has a fixed width and every row one line without a label, so new rows change only the
        virtual size: skip measuring their cells (``DataTable`` measures each one, for auto-width columns)."""
        if self._fast and self.columns and not any(column.auto_width for column in self.columns.values()):
            new_rows = ()
        super()._update_dimensions(new_rows)

    def _diff(self, rows: Sequence[Row]) -> None:
        wanted = {row.key: row for row in rows}
        removed = [key for key in self._order if key not in wanted]
        if len(removed) > REBUILD_MIN and len(removed) > REBUILD_FRACTION * len(self._order):
            self._rebuild(rows)
            return
        if removed:
            self._remove(removed)
        changed: list[tuple[str, str, Text]] = []
        new: list[Row] = []
        for row in rows:
            shown = self._rows.get(row.key)
            if shown is None:
                new.append(row)
                continue
            if shown is row:  # the model reused the row: nothing in it changed
                continue
            cells = self._cells(row)
            signatures = tuple(cell_signature(c) for c in cells)
            old = self._signatures.get(row.key)
            if old is None:  # worked out when first needed: most rows of a long table never change
                old = tuple(cell_signature(c) for c in self._cells(shown))
            if signatures != old:
                for column, cell, new_sig, old_sig in zip(self._fitted, cells, signatures, old, strict=True):
                    if new_sig != old_sig:
                        changed.append((row.key, column.key, cell))
                self._signatures[row.key] = signatures
            self._rows[row.key] = row
        self._append(new)
        self._set_cells(changed)
        desired = [row.key for row in rows]
        if desired != self._order:
            rank = {key: i for i, key in enumerate(desired)}
            first = self._fitted[0].key
            by_cell = {id(self.get_cell(key, first)): rank[key] for key in desired}
            self.sort(first, key=lambda cell: by_cell[id(cell)])
            self._order = desired

    def _set_cells(self, changed: list[tuple[str, str, Text]]) -> None:
        """Put new values in cells, and forget only what was rendered of their rows.

        ``DataTable.update_cell`` bumps a counter that is part of every render cache key, so one changed cell makes
        every visible cell render again (tens of milliseconds for a screenful, on the UI thread, at every state).
        Here the changed rows' entries are dropped from those caches instead; the rest stays rendered. This reads
        DataTable internals, so on a Textual other than the one declared in ``textual_compat`` it uses ``update_cell``.
        """
        if not changed:
            return
        if self._fast:
            self._set_cells_in_place(changed)
            return
        for row_key, column_key, cell in changed:
            self.update_cell(row_key, column_key, cell)

    def _set_cells_in_place(self, changed: list[tuple[str, str, Text]]) -> None:
        data = self._data
        targets = {(RowKey(row_key), ColumnKey(column_key)) for row_key, column_key, _ in changed}
        for row_key, column_key, cell in changed:
            data[RowKey(row_key)][ColumnKey(column_key)] = cell
        rows = {row_key for row_key, _ in targets}
        cells = self._cell_render_cache  # keys start with (row key, column key): only the changed cells go
        for cell_key in [k for k in cells.keys() if (k[0], k[1]) in targets]:  # noqa: SIM118 (an LRUCache)
            cells.discard(cell_key)
        rendered = self._row_render_cache  # keys start with the row key
        for rendered_key in [k for k in rendered.keys() if k[0] in rows]:  # noqa: SIM118
            rendered.discard(rendered_key)
        indices = {index for row in rows if (index := self._row_locations.get(row)) is not None}
        renderables = self._row_renderable_cache  # key: (update count, row index)
        for renderable_key in [k for k in renderables.keys() if k[1] in indices]:  # noqa: SIM118
            renderables.discard(renderable_key)
        lines = self._line_cache  # keys start with the line's y
        for line_key in list(lines.keys()):
            try:
                line_row, _ = self._get_offsets(line_key[0])
            except LookupError:
                continue
            if line_row in rows:
                lines.discard(line_key)
        # Only rows on screen (with a screenful of margin) are repainted now, the others when scrolled to (their
        # lines are forgotten above): ``refresh_row`` sums the heights of the rows above each one it is given.
        height = max(1, self.size.height)
        top = int(self.scroll_y)
        for index in indices:
            if top - height <= index < top + 2 * height:
                self.refresh_row(index)

    def _place_cursor(self, key: str | None, old_index: int, scroll_follow: bool) -> None:
        if not self._order:
            return
        if key is not None and key in self._rows:
            index = self.get_row_index(RowKey(key))
        else:
            index = min(max(0, old_index), len(self._order) - 1)
        if index != self.cursor_row:
            delta = index - old_index
            if scroll_follow and delta and key is not None:
                # Keep the selected line where it was on screen: scroll by the rows that moved in above it.
                target = max(0.0, self.scroll_y + delta)
                self.call_after_refresh(self.scroll_to, y=target, animate=False)
            self.move_cursor(row=index, animate=False, scroll=True)

    def on_resize(self, event: Resize) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and self.size.width:
            self.show(pending.columns, list(pending.rows.values()), select=pending.select)
            return
        self._pending = pending
        if self._spec and self._available_width() != self._fitted_width:
            rows = [self._rows[key] for key in self._order]
            self.show(self._given, rows)
