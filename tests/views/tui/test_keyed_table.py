"""The keyed table applies a refresh as a diff that repaints only the rows that changed: what it shows afterwards is
what a table given the new rows from the start shows."""

from __future__ import annotations

import random

from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult

from grove.views.tui.rows import Column, Row
from grove.views.tui.widgets.keyed_table import KeyedTable

COLUMNS = (Column("name", "NAME", 12), Column("state", "STATE", 12), Column("n", "N", 4))
STATES = ("Running", "Pending", "CrashLoop", "Done")
STYLES = ("", "green", "yellow", "bold red")


class _Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(id="diffed")
        yield KeyedTable(id="fresh")


def _rows(rng: random.Random, names: list[str]) -> list[Row]:
    return [
        Row(
            key=name,
            cells=(
                Text(name),
                Text(rng.choice(STATES), style=rng.choice(STYLES)),
                Text(str(rng.randrange(3))),
            ),
        )
        for name in names
    ]


def _screen(table: KeyedTable) -> list[list[tuple[str, object]]]:
    lines = []
    for y in range(table.size.height):
        strip = table.render_line(y)
        lines.append([(s.text, s.style) for s in strip if isinstance(s, Segment)])
    return lines


async def test_a_diff_shows_what_a_fresh_table_shows() -> None:
    rng = random.Random(7)
    names = [f"pod-{i:02d}" for i in range(30)]
    app = _Tables()
    async with app.run_test(size=(60, 40)) as pilot:
        diffed = app.query_one("#diffed", KeyedTable)
        fresh = app.query_one("#fresh", KeyedTable)
        diffed.show(COLUMNS, _rows(rng, names))
        await pilot.pause()
        _screen(diffed)  # rendered once: the caches hold every visible row
        for step in range(12):
            rows = _rows(rng, names)
            if step % 4 == 3:
                rows = rows[:-1]  # a row removed now and then
                names = names[:-1]
            diffed.show(COLUMNS, rows)
            cursor = step // 3  # kept for a few refreshes: rendered lines with the cursor in place get reused
            diffed.move_cursor(row=cursor, animate=False)
            await fresh.remove()
            fresh = KeyedTable(id="fresh")
            await app.mount(fresh)
            await pilot.pause()
            fresh.show(COLUMNS, rows)
            fresh.move_cursor(row=cursor, animate=False)
            app.set_focus(None)  # the same (unfocused) look for both
            await pilot.pause()
            assert _screen(diffed) == _screen(fresh)


async def test_batched_additions_and_removals_show_what_a_fresh_table_shows() -> None:
    """Rows are added and removed in batches (hundreds at a time): the table ends with every row in order, the cursor
    on its key and the same rendering as a table filled at once."""
    rng = random.Random(11)
    names = [f"pod-{i:04d}" for i in range(900)]
    app = _Tables()
    async with app.run_test(size=(60, 40)) as pilot:
        diffed = app.query_one("#diffed", KeyedTable)
        fresh = app.query_one("#fresh", KeyedTable)
        diffed.show(COLUMNS, _rows(rng, names[:700]))
        await pilot.pause()
        diffed.move_cursor(row=451, animate=False)
        await pilot.pause()
        assert diffed.current_key == "pod-0451"
        kept = [n for i, n in enumerate(names) if i % 3 or i >= 700]  # 234 removed, 200 added
        rows = _rows(rng, kept)
        diffed.show(COLUMNS, rows)
        fresh.show(COLUMNS, rows)
        await pilot.pause()
        assert diffed.keys == fresh.keys == tuple(kept)
        assert diffed.row_count == len(kept)
        assert diffed.current_key == "pod-0451"
        fresh.move_cursor(row=diffed.cursor_row, animate=False)
        fresh.scroll_to(y=diffed.scroll_y, animate=False)
        app.set_focus(None)
        await pilot.pause()
        assert _screen(diffed) == _screen(fresh)


def _width(table: KeyedTable, key: str) -> int:
    return next(column.width for column in table.ordered_columns if column.key.value == key)


def _line_texts(table: KeyedTable) -> list[str]:
    return ["".join(text for text, _ in line) for line in _screen(table)]


async def test_a_growing_column_shows_its_widest_cell_whole_and_no_more() -> None:
    columns = (Column("name", "NAME", 10, flex=1), Column("gpus", "GPUS", 8, most=20), Column("age", "AGE", 4))
    app = _Tables()
    async with app.run_test(size=(60, 40)) as pilot:
        table = app.query_one("#diffed", KeyedTable)
        table.show(columns, [Row("a", (Text("a"), Text("8 H100"), Text("3m")))])
        await pilot.pause()
        assert _width(table, "gpus") == 8  # its own width fits "8 H100"
        wide = "96 B200 404 H200"
        table.show(
            columns, [Row("a", (Text("a"), Text("8 H100"), Text("3m"))), Row("b", (Text("b"), Text(wide), Text("1h")))]
        )
        await pilot.pause()
        assert _width(table, "gpus") == len(wide)
        assert any(wide in line for line in _line_texts(table))
        table.show(columns, [Row("c", (Text("c"), Text("1 H100 2 B200 3 H200 4 GB200 5 L40S"), Text("1h")))])
        await pilot.pause()
        assert _width(table, "gpus") == 20  # never wider than it may grow


async def test_a_grown_column_keeps_its_width_for_the_same_columns_and_starts_afresh_for_fresh_rows() -> None:
    """A count losing a digit does not narrow its column: nothing to its right moves, and the table is not drawn
    anew (a rebuild bumps every cache); other rows (``fresh``) fit their own cells again."""
    columns = (Column("name", "NAME", 10), Column("gpus", "GPUS", 6, most=20), Column("age", "AGE", 4))
    app = _Tables()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one("#diffed", KeyedTable)
        table.show(columns, [Row("a", (Text("a"), Text("1024 H100"), Text("3m")))])
        await pilot.pause()
        assert _width(table, "gpus") == 9
        rebuilt = table._update_count
        table.show(columns, [Row("a", (Text("a"), Text("96 H100"), Text("4m")))])
        await pilot.pause()
        assert _width(table, "gpus") == 9 and table._update_count == rebuilt
        assert any("96 H100" in line for line in _line_texts(table))
        table.show(columns, [Row("a", (Text("a"), Text("12345 H100"), Text("5m")))])
        await pilot.pause()
        assert _width(table, "gpus") == 10  # wider cells still widen it
        table.show(columns, [Row("b", (Text("b"), Text("8 H100"), Text("1m")))], fresh=True)
        await pilot.pause()
        assert _width(table, "gpus") == len("8 H100")


async def test_a_diff_that_changes_rows_off_screen_repaints_only_those_on_screen() -> None:
    """Changed rows far off screen are not repainted (drawn anew when scrolled to): the same result."""
    rng = random.Random(5)
    names = [f"pod-{i:04d}" for i in range(600)]
    app = _Tables()
    async with app.run_test(size=(60, 40)) as pilot:
        diffed = app.query_one("#diffed", KeyedTable)
        fresh = app.query_one("#fresh", KeyedTable)
        diffed.show(COLUMNS, _rows(rng, names))
        await pilot.pause()
        _screen(diffed)  # drawn once: the caches hold every visible row
        repainted: list[int] = []
        original = diffed.refresh_row

        def spy(row_index: int) -> KeyedTable:
            repainted.append(row_index)
            return original(row_index)

        diffed.refresh_row = spy  # type: ignore[assignment,method-assign]
        rows = _rows(rng, names)  # nearly every row changes
        diffed.show(COLUMNS, rows)
        fresh.show(COLUMNS, rows)
        app.set_focus(None)
        await pilot.pause()
        assert repainted and max(repainted) < 3 * diffed.size.height  # not the 600 rows
        assert _screen(diffed) == _screen(fresh)
        diffed.scroll_to(y=400, animate=False)  # rows changed while off screen, drawn when scrolled to
        fresh.scroll_to(y=400, animate=False)
        await pilot.pause()
        assert diffed.scroll_y == 400
        assert _screen(diffed) == _screen(fresh)
        repainted.clear()
        changed = Row(key=names[3], cells=(Text(names[3]), Text("Gone", style="bold red"), Text("9")))
        diffed.show(COLUMNS, [*rows[:3], changed, *rows[4:]])  # one row changes, far above the screen
        assert repainted == []
        diffed.scroll_to(y=0, animate=False)
        await pilot.pause()
        assert any("Gone" in text for line in _screen(diffed) for text, _ in line)


async def test_fresh_rows_are_filled_anew_from_the_top_and_show_what_a_fresh_table_shows() -> None:
    rng = random.Random(3)
    app = _Tables()
    async with app.run_test(size=(60, 40)) as pilot:
        diffed = app.query_one("#diffed", KeyedTable)
        fresh = app.query_one("#fresh", KeyedTable)
        names = [f"pod-{i:04d}" for i in range(300)]
        diffed.show(COLUMNS, _rows(rng, names))
        await pilot.pause()
        diffed.move_cursor(row=200, animate=False)
        await pilot.pause()
        others = _rows(rng, names[150:])  # another domain's pods: the cursor's pod among them
        diffed.show(COLUMNS, others, reset=True, fresh=True)
        fresh.show(COLUMNS, others)
        app.set_focus(None)
        await pilot.pause()
        assert diffed.keys == fresh.keys == tuple(names[150:])
        assert diffed.cursor_row == 0 and diffed.current_key == "pod-0150" and diffed.scroll_y == 0
        assert _screen(diffed) == _screen(fresh)
