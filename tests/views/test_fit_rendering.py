"""``fitted_table``: columns dropped to fit, never cut; piped, its fast lines are exactly what Rich's table prints."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.text import Text

from grove.views.fit import fitted_table

WORDS = ("svc-00017", "✓ healthy", "decode", "2/2", "ラック-a1", "-", "", "0.91", "▮▮▮▯▯", "6h54m", "🚀")
STYLES = ("", "bold", "dim", "red", "bold cyan")


def _cell(rng: random.Random) -> Text:
    text = Text(style=rng.choice(STYLES))
    for _ in range(rng.randrange(0, 3)):
        text.append(rng.choice(WORDS) + rng.choice(("", " ")), style=rng.choice(STYLES))
    return text


def printed(renderable: RenderableType, width: int, colours: bool = False) -> str:
    console = Console(
        file=io.StringIO(), width=width, color_system="truecolor" if colours else None, force_terminal=colours
    )
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("seed", range(30))
def test_piped_lines_are_what_the_rich_table_prints(seed: int) -> None:
    rng = random.Random(seed)
    headers = ["NAMESPACE", "NAME", "READY", "HEALTH", "SCORE", "AGE"][: rng.randrange(1, 7)]
    rows = [[_cell(rng) for _ in headers] for _ in range(rng.randrange(0, 8))]
    if rows and rng.random() < 0.2:
        rows[0][0] = Text("two\nlines")
    if rows and rng.random() < 0.2:
        rows[-1][-1].justify = "right"
    for width in (20, 50, 160):
        fitted = fitted_table(headers, rows, width, drop_order=("SCORE", "HEALTH"))
        assert printed(fitted, width) == printed(fitted.table, width), width
        padded = Padding(fitted, (0, 0, 0, 4), expand=False)
        assert printed(padded, width) == printed(Padding(fitted.table, (0, 0, 0, 4), expand=False), width)
        assert printed(fitted, width, colours=True) == printed(fitted.table, width, colours=True)


def test_columns_are_dropped_in_order_never_cut() -> None:
    headers = ["NAME", "READY", "SCORE", "AGE"]
    rows = [[Text("svc-00017"), Text("2/2"), Text("0.91"), Text("6h")]]
    out = printed(fitted_table(headers, rows, 22, drop_order=("SCORE", "READY")), 22)
    assert out.splitlines()[0].split() == ["NAME", "READY", "AGE"] and "svc-00017" in out
