"""``Outline`` draws what Rich's ``Tree`` draws: the same characters and styles, at any width, wrapped or not."""

from __future__ import annotations

import random

import pytest
from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.text import Text
from rich.tree import Tree

from grove.views.outline import Outline

WORDS = ("Gang", "svc-00017-0", "✓ healthy", "⏱ 4m12s", "decode", "prefill", "GPU 8/8", "ラック-a1", "🚀", "(base)", "")
STYLES = ("", "bold", "dim", "red", "bold cyan", "yellow on blue", "green italic")


def _label(rng: random.Random) -> Text:
    text = Text(style=rng.choice(STYLES))
    for _ in range(rng.randrange(1, 9)):
        text.append(rng.choice(WORDS) + rng.choice(("", " ", "  ")), style=rng.choice(STYLES))
    if rng.random() < 0.05:
        text.append("\nsecond line")
    return text


def _grow(rng: random.Random, tree: Tree, outline: Outline, depth: int) -> None:
    for _ in range(rng.choice((0, 1, 1, 2, 3, 5)) if depth < 4 else 0):
        label = _label(rng)
        _grow(rng, tree.add(label), outline.add(label), depth + 1)


def _drawn(renderable: RenderableType, width: int, ascii_only: bool) -> list[Segment]:
    console = Console(width=width, force_terminal=True, color_system="truecolor", legacy_windows=False)
    options = console.options.update(width=width)
    if ascii_only:
        options = options.copy()
        options.encoding = "ascii"
    return list(Segment.simplify(console.render(renderable, options)))


@pytest.mark.parametrize("seed", range(40))
def test_an_outline_draws_what_a_tree_draws(seed: int) -> None:
    rng = random.Random(seed)
    label = _label(rng)
    guide = rng.choice(("dim", "tree.line", "bold", "dim underline2"))
    hide_root = rng.random() < 0.3
    tree = Tree(label, guide_style=guide, hide_root=hide_root)
    outline = Outline(label, guide_style=guide, hide_root=hide_root)
    _grow(rng, tree, outline, 0)
    for width in (12, 30, 60, 120, 200):
        for ascii_only in (False, True):
            assert _drawn(outline, width, ascii_only) == _drawn(tree, width, ascii_only), (width, ascii_only)


def test_the_drawing_of_a_small_outline() -> None:
    root = Outline(Text("Replica 0"), guide_style="dim")
    gang = root.add(Text("Gang a"))
    gang.add(Text("pod 1"))
    root.add(Text("Clique b")).add(Text("✓ all pods healthy"))
    console = Console(width=40, force_terminal=False)
    with console.capture() as captured:
        console.print(root)
    assert captured.get().splitlines() == [
        "Replica 0",
        "├── Gang a",
        "│   └── pod 1",
        "└── Clique b",
        "    └── ✓ all pods healthy",
    ]
