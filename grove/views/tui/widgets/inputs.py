"""The one-line inputs (filter, search, go-to): no blinking cursor, so a screen is the same on every frame."""

from __future__ import annotations

from textual.widgets import Input


def steady_input(placeholder: str, id: str) -> Input:
    field = Input(placeholder=placeholder, id=id)
    field.cursor_blink = False
    return field
