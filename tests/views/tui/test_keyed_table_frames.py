"""What the keyed table does so that a key's effect reaches the screen in one frame: rows given before the table was
laid out are filled once, for its real width; the pane that follows the cursor hears of a move before the frame;
a key does not repaint a hover cursor that is off; a style update that changed nothing keeps what was drawn."""

from __future__ import annotations

import math

from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.widgets import DataTable

from grove.views.tui import frames
from grove.views.tui.rows import Column, Row
from grove.views.tui.widgets.keyed_table import KeyedTable

COLUMNS = (Column("name", "NAME", 12, flex=1), Column("state", "STATE", 30, 1))


def _rows(count: int) -> list[Row]:
    return [Row(key=f"pod-{i:03d}", cells=(Text(f"pod-{i:03d}"), Text("Running", style="green"))) for i in range(count)]


class _Empty(App[None]):
    pass


class _Table(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield KeyedTable(id="table")

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        self.highlighted.append(message.row_key.value)


def _screen(table: KeyedTable) -> list[list[tuple[str, object]]]:
    return [
        [(s.text, s.style) for s in table.render_line(y) if isinstance(s, Segment)] for y in range(table.size.height)
    ]


async def test_rows_given_before_the_layout_are_filled_once_for_the_real_width() -> None:
    app = _Empty()
    async with app.run_test(size=(40, 20)) as pilot:
        table = KeyedTable(id="late")
        rebuilds: list[int] = []
        original = table._rebuild

        def counted(rows: list[Row]) -> None:
            rebuilds.append(len(rows))
            original(rows)

        table._rebuild = counted  # type: ignore[assignment,method-assign]
        # rows arrive while the table is being mounted (how Arborist fills a new screen): awaiting the mount
        # first would let a fast machine lay it out before the rows are given, so they are given before it
        mounting = app.mount(table)
        assert table.size.width == 0  # not laid out yet
        table.show(COLUMNS, _rows(50), select="pod-007")
        table.show(COLUMNS, _rows(60))  # a newer state before the layout: newest rows, the selection kept
        # until laid out, it reads as it will be
        assert table.current_key == "pod-007"
        assert table.current_row is not None and table.current_row.key == "pod-007"
        assert len(table.keys) == 60 and table.row_count == 0
        await mounting
        await pilot.pause()
        assert table.row_count == 60 and table.keys[-1] == "pod-059"
        assert table.current_key == "pod-007" and table.cursor_row == 7
        assert rebuilds == [60]  # filled once
        # fitted to the width it got: the STATE column (30 wide, droppable) does not fit in 40 columns
        assert [c.key for c in table._fitted] == ["name"]
        assert table._fitted_width == table._available_width()


async def test_a_key_that_moves_the_cursor_tells_the_owner_at_once_and_show_does_not() -> None:
    app = _Table()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(COLUMNS, _rows(10))
        await pilot.pause()
        heard: list[tuple[str | None, int]] = []
        table.focus()
        await pilot.pause()
        app.highlighted.clear()
        table.on_cursor_moved = lambda key: heard.append((key, len(app.highlighted)))
        await pilot.press("down")
        await pilot.pause()
        # told before the RowHighlighted message was handled (that one comes after the frame)
        assert heard == [("pod-001", 0)]
        assert app.highlighted == ["pod-001"]
        # the rows moving under the cursor (a new state) keep it on its key, and tell nobody
        table.show(COLUMNS, [Row(key="new", cells=(Text("new"), Text(""))), *_rows(10)])
        await pilot.pause()
        assert table.current_key == "pod-001" and table.cursor_row == 2
        assert heard == [("pod-001", 0)]


async def test_a_key_does_not_repaint_a_hover_cursor_that_is_off() -> None:
    app = _Table()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(COLUMNS, _rows(10))
        await pilot.pause()
        repainted: list[int] = []
        original = table.refresh_row

        def spy(row_index: int) -> None:
            repainted.append(row_index)
            original(row_index)

        table.refresh_row = spy  # type: ignore[method-assign]
        table._show_hover_cursor = False
        table._set_hover_cursor(False)
        assert repainted == []
        table.hover_coordinate = table.cursor_coordinate.down()
        table._set_hover_cursor(True)
        table._set_hover_cursor(False)  # the mouse had shown it: the key hides it, and that is repainted
        assert table._show_hover_cursor is False and repainted == [1, 1]


async def test_a_style_update_that_changes_nothing_keeps_what_was_drawn() -> None:
    app = _Table()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(COLUMNS, _rows(10))
        table.focus()
        await pilot.pause()
        focused = _screen(table)
        assert table._cell_render_cache.keys()
        table.notify_style_update()  # what a screen's return does: nothing in it changed
        assert table._cell_render_cache.keys()
        assert _screen(table) == focused
        table.blur()  # the cursor looks otherwise without the focus: drawn again
        await pilot.pause()
        blurred = _screen(table)
        assert blurred != focused
        table._clear_caches()
        assert _screen(table) == blurred


async def test_the_table_style_is_worked_out_once_per_paint_and_is_the_same() -> None:
    app = _Table()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show(COLUMNS, _rows(10))
        await pilot.pause()
        seen = []
        original = table.render_line

        def spy(y: int) -> object:
            seen.append(table.rich_style)
            return original(y)

        table.refresh()
        table.render_line = spy  # type: ignore[assignment,method-assign]
        table._styles_cache.clear()
        table.render_lines(table.region.reset_offset)
        assert seen and all(style is seen[0] for style in seen)
        property_of_node = DOMNode.rich_style.fget
        assert property_of_node is not None
        assert seen[0] == property_of_node(table)
        assert not table._painting  # outside a paint, it is worked out afresh


def test_a_frame_waits_only_for_what_is_left_of_the_period() -> None:
    period = 1 / 60
    assert frames.next_frame(-math.inf, 5.0, period) == 5.0  # the first one: at once
    assert frames.next_frame(5.0, 5.5, period) == 5.5  # long after the last one: at once
    assert frames.next_frame(5.0, 5.01, period) == 5.0 + period  # soon after: the rest of the period
    assert frames.next_frame(5.0, 5.0 + period, period) == 5.0 + period


async def test_screens_paint_on_the_frame_timer() -> None:
    from tests.views.tui.conftest import replay_app

    app = replay_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen._update_timer, frames.FrameTimer)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen._update_timer, frames.FrameTimer)
