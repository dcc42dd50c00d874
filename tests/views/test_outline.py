"""``Outline`` draws what Rich's ``Tree`` draws: the same characters and styles, at any width, wrapped or not."""

from __future__ import annotations

import random

import pytest
from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.text import Text
from rich.tree import Tree

from grove.views.outline import Outline
from tests.support.label_words import STYLES, WORDS


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


@pytest.mark.parametrize("seed", range(30))
def test_a_stack_draws_what_a_group_draws(seed: int) -> None:
    from rich.console import Group
    from rich.rule import Rule

    from grove.views.outline import Stack

    rng = random.Random(seed)
    items: list[RenderableType] = []
    for _ in range(rng.randrange(1, 12)):
        pick = rng.random()
        if pick < 0.6:
            text = _label(rng)
            if rng.random() < 0.1:
                text.justify = rng.choice(("center", "right"))
            if rng.random() < 0.05:
                text.end = ""
            items.append(text)
        elif pick < 0.8:
            outline = Outline(_label(rng), guide_style="dim")
            _grow(rng, Tree(""), outline, 2)
            items.append(outline)
        elif pick < 0.9:
            items.append(Text(""))
        else:
            items.append(Rule(style="dim"))
    for width in (12, 30, 60, 120, 200):
        assert _drawn(Stack(*items), width, False) == _drawn(Group(*items), width, False), width
        assert _drawn(Stack(Stack(*items[:2]), *items[2:]), width, False) == _drawn(Group(*items), width, False)


@pytest.mark.parametrize("seed", range(20))
def test_without_colours_outline_and_stack_print_what_tree_and_group_print(seed: int) -> None:
    """Piped output (no colour system): only the text is made, and it is the same text."""
    import io

    from rich.console import Group

    from grove.views.outline import Stack

    rng = random.Random(seed)
    label = _label(rng)
    tree, outline = Tree(label, guide_style="dim"), Outline(label, guide_style="dim")
    _grow(rng, tree, outline, 0)
    lines = [_label(rng) for _ in range(5)]

    def printed(renderable: RenderableType, width: int) -> str:
        console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
        console.print(renderable)
        return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]

    for width in (12, 40, 160):
        assert printed(outline, width) == printed(tree, width)
        assert printed(Stack(outline, *lines), width) == printed(Group(tree, *lines), width)
