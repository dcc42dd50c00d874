"""Every private Textual member Arborist uses or overrides, declared in one place and checked against the Textual
that is installed.

Three fast paths lean on Textual internals: the keyed table draws and updates cells without ``DataTable``'s generic
machinery (``widgets/keyed_table.py``), screens paint on a frame timer without Textual's extra wait (``frames.py``),
and the app draws screens ahead without displaying them (``App._display``). Each is worth tens of milliseconds a key
at 10,000 pods, and each would go wrong silently if a Textual release renamed a member or changed its signature: an
``AttributeError`` caught at draw time does not notice a parameter that changed meaning.

So every such member is listed below with what it must be (a method with these parameters, a property, an instance
attribute of this type), ``missing`` checks them all on import, and a fast path is on only when every member of its
group is as declared; otherwise the widget takes Textual's own way, which is slower and always right. The test suite
checks the list against the installed Textual, that no override of a private member in ``grove.views.tui`` is left
out of it, and that the table's fast path draws what Textual's own path draws.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from functools import cache
from typing import Final, Literal

import attrs
from textual.app import App
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable

Group = Literal["table", "frames", "build_ahead"]
Kind = Literal["method", "property", "attribute"]

TESTED_WITH: Final = "8.2.8"  # the Textual these declarations were last read against


@attrs.frozen
class Member:
    """A private member of a Textual class that a fast path reads, calls or overrides."""

    group: Group
    owner: type
    name: str
    kind: Kind
    parameters: tuple[str, ...] = ()  # a method's parameters after ``self``, in order
    type_name: str = ""  # an instance attribute's type (by name: the types live in private modules too)

    @property
    def label(self) -> str:
        return f"{self.owner.__name__}.{self.name}"


def _method(group: Group, owner: type, name: str, *parameters: str) -> Member:
    return Member(group, owner, name, "method", parameters)


def _attribute(name: str, type_name: str) -> Member:
    return Member("table", DataTable, name, "attribute", type_name=type_name)


MEMBERS: Final[tuple[Member, ...]] = (
    # the keyed table: overridden
    _method(
        "table",
        DataTable,
        "_render_line_in_row",
        "row_key",
        "line_no",
        "base_style",
        "cursor_location",
        "hover_location",
    ),
    _method("table", DataTable, "_render_cell", "row_index", "column_index", "base_style", "width", "cursor", "hover"),
    _method("table", DataTable, "_update_dimensions", "new_rows"),
    _method("table", DataTable, "_set_hover_cursor", "active"),
    # the keyed table: called
    _method(
        "table",
        DataTable,
        "_get_styles_to_render_cell",
        "is_header_cell",
        "is_row_label_cell",
        "is_fixed_style_cell",
        "hover",
        "cursor",
        "show_cursor",
        "show_hover_cursor",
        "has_css_foreground_priority",
        "has_css_background_priority",
    ),
    _method("table", DataTable, "_get_row_style", "row_index", "base_style"),
    _method("table", DataTable, "_get_row_renderables", "row_index"),
    _method("table", DataTable, "_should_highlight", "cursor", "target_cell", "type_of_cursor"),
    _method("table", DataTable, "_highlight_cursor"),
    _method("table", DataTable, "_get_offsets", "y"),
    Member("table", DataTable, "_row_label_column_width", "property"),
    # the keyed table: read and written (caches are cleared by key: their keys start as DataTable's do)
    _attribute("_row_locations", "TwoWayDict"),
    _attribute("_column_locations", "TwoWayDict"),
    _attribute("_data", "dict"),
    _attribute("_updated_cells", "set"),
    _attribute("_styles_cache", "StylesCache"),
    _attribute("_row_render_cache", "LRUCache"),
    _attribute("_cell_render_cache", "LRUCache"),
    _attribute("_row_renderable_cache", "LRUCache"),
    _attribute("_line_cache", "LRUCache"),
    _attribute("_update_count", "int"),
    _attribute("_require_update_dimensions", "bool"),
    _attribute("_show_hover_cursor", "bool"),
    _attribute("_labelled_row_exists", "bool"),
    _attribute("_header_row_key", "RowKey"),
    _attribute("_pseudo_class_state", "PseudoClasses"),
    # the frame timer: a Timer subclass whose loop is replaced, installed as the screen's update timer
    _method("frames", Timer, "_run"),
    _method("frames", Timer, "_tick", "next_timer", "count"),
    _method("frames", Timer, "_start"),
    Member("frames", Screen, "_update_timer", "property"),
    _method("frames", Screen, "_on_timer_update"),
    # drawing screens ahead: the app's display is overridden to keep a hidden screen's frames off the terminal
    _method("build_ahead", App, "_display", "screen", "renderable"),
)


_GONE = object()


@cache
def _sample_table() -> DataTable[object]:
    return DataTable()


def _problem(member: Member) -> str | None:
    """What is wrong with ``member`` in the installed Textual, or None."""
    found = inspect.getattr_static(member.owner, member.name, _GONE)
    if member.kind == "attribute":
        value = getattr(_sample_table(), member.name, None)
        if value is None:
            return f"{member.label} is gone"
        if type(value).__name__ != member.type_name:
            return f"{member.label} is a {type(value).__name__}, not a {member.type_name}"
        return None
    if found is _GONE:
        return f"{member.label} is gone"
    if member.kind == "property":
        return None if isinstance(found, property) else f"{member.label} is no longer a property"
    if not callable(found):
        return f"{member.label} is no longer a method"
    names = tuple(inspect.signature(found).parameters)[1:]
    if names != member.parameters:
        return f"{member.label} takes ({', '.join(names)}), not ({', '.join(member.parameters)})"
    return None


def missing(members: Iterable[Member] = MEMBERS) -> tuple[str, ...]:
    """One line per declared member that the installed Textual does not have as declared."""
    return tuple(problem for member in members if (problem := _problem(member)) is not None)


@cache
def available(group: Group) -> bool:
    """Whether every member the ``group``'s fast path needs is as declared (checked once a process)."""
    return not missing(member for member in MEMBERS if member.group == group)
