"""The private Textual members Arborist relies on are declared in one place and hold in the installed Textual; a
declaration that no longer holds turns its fast path off; no override of a private member is left undeclared; and
the keyed table's fast path draws, after the same updates, exactly what Textual's own path draws."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult

import grove.views.tui
from grove.views.tui import textual_compat
from grove.views.tui.rows import Column, Row
from grove.views.tui.textual_compat import MEMBERS, Member
from grove.views.tui.widgets.keyed_table import KeyedTable


def test_every_declared_member_holds_in_the_installed_textual() -> None:
    assert textual_compat.missing() == ()
    assert all(textual_compat.available(group) for group in ("table", "frames", "build_ahead"))


class _Changed:
    """A Textual class as a later release might have it."""

    def _render_cell(self, row_index: int, column: int) -> None: ...

    _update_timer = None  # no longer a property

    def __init__(self) -> None:
        self.cache = 1


def test_a_declaration_that_no_longer_holds_is_reported_in_one_line_each() -> None:
    declared = (
        Member("table", _Changed, "_render_cell", "method", ("row_index", "column_index")),
        Member("frames", _Changed, "_update_timer", "property"),
        Member("table", _Changed, "_gone", "method"),
        Member("table", _Changed, "_render_cell", "method", ("row_index", "column")),  # holds
    )
    assert textual_compat.missing(declared) == (
        "_Changed._render_cell takes (row_index, column), not (row_index, column_index)",
        "_Changed._update_timer is no longer a property",
        "_Changed._gone is gone",
    )


def _our_classes() -> list[type]:
    found: list[type] = []
    for info in pkgutil.walk_packages(grove.views.tui.__path__, "grove.views.tui."):
        module = importlib.import_module(info.name)
        found.extend(
            value for value in vars(module).values() if inspect.isclass(value) and value.__module__ == info.name
        )
    return found


def test_every_override_of_a_private_textual_member_is_declared() -> None:
    declared = {(member.owner, member.name) for member in MEMBERS}
    undeclared: list[str] = []
    overrides = 0
    for cls in _our_classes():
        textual_bases = [base for base in cls.__mro__ if base.__module__.startswith("textual.")]
        for name, value in vars(cls).items():
            if not name.startswith("_") or name.startswith("__"):
                continue
            if not (inspect.isfunction(value) or isinstance(value, property)):
                continue  # a class attribute Textual sets on every subclass (handlers, CSS names)
            owners = [base for base in textual_bases if name in vars(base)]
            if not owners:
                continue  # our own member
            overrides += 1
            if not any((owner, name) in declared for owner in owners):
                undeclared.append(f"{cls.__name__}.{name} overrides {owners[0].__name__}.{name}")
    assert undeclared == []
    assert overrides >= 6  # the table's four, the screens' timers and the app's display are found


COLUMNS = (Column("name", "NAME", 14), Column("state", "STATE", 12), Column("where", "WHERE", 10, flex=1))


def _rows(changed: bool) -> list[Row]:
    rows = []
    for i in range(30):
        state = Text("CrashLoopBackOff", style="bold red") if changed and i % 4 == 0 else Text("Running", "green")
        name = Text.assemble(("pod", "bold"), f"-{i:02d}", style="italic") if i % 3 else Text(f"日本語-{i}")
        rows.append(Row(key=f"pod-{i:02d}", cells=(name, state, Text(f"rack-{i % 5} 🙂", overflow="ellipsis"))))
    if changed:
        rows = [row for row in rows if row.key != "pod-05"] + [Row(key="new", cells=(Text("new"), Text(""), Text("")))]
    return rows


class _One(App[None]):
    CSS = """
    KeyedTable > .datatable--hover { text-style: underline; }
    KeyedTable > .datatable--cursor { background: $accent; }
    """

    def __init__(self, fast: bool) -> None:
        super().__init__()
        self.fast = fast

    def compose(self) -> ComposeResult:
        yield KeyedTable(id="table", fast=self.fast)


def _screen(table: KeyedTable) -> list[list[tuple[str, Style | None, object]]]:
    lines = []
    for y in range(table.size.height):
        line = table.render_line(y)
        lines.append([(s.text, s.style, s.style.meta if s.style else None) for s in line if isinstance(s, Segment)])
    return lines


async def _drawn(fast: bool) -> tuple[list[list[list[tuple[str, Style | None, object]]]], tuple[str, ...]]:
    """What the table draws with one path: first rows, then the same updates (cells changed in place, a row
    removed, one added, the cursor moved, the mouse over a row)."""
    app = _One(fast)
    async with app.run_test(size=(70, 24)) as pilot:
        table = app.query_one(KeyedTable)
        assert table._fast is fast
        table.show(COLUMNS, _rows(False), select="pod-03")
        await pilot.pause()
        first = _screen(table)
        table.show(COLUMNS, _rows(True))
        table.move_cursor(row=6)
        await pilot.hover(KeyedTable, offset=(3, 4))
        await pilot.pause()
        return [first, _screen(table)], table.keys


async def test_the_fast_path_draws_what_textuals_own_path_draws_after_the_same_updates() -> None:
    fast, fast_keys = await _drawn(True)
    own, own_keys = await _drawn(False)
    assert fast == own
    assert any("日本語" in text for line in fast[0] for text, _, _ in line)
    assert any(text.startswith("CrashLoop") for line in fast[1] for text, _, _ in line)
    assert not any(text.startswith("CrashLoop") for line in fast[0] for text, _, _ in line)
    assert fast_keys == own_keys and "pod-05" not in fast_keys and fast_keys[-1] == "new"
