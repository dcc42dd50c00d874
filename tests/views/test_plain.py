"""Piped output written as text lines (``grove.views.plain``) is what ``Console.print`` writes, character for character:
random outlines, stacks and groups at many widths, and every read command on every bundled recording."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from grove.commands.main import main
from grove.views import plain
from grove.views.fit import fitted_table
from grove.views.outline import Outline, Stack
from tests.support.label_words import STYLES, WORDS

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = sorted((ROOT / "replays").glob("*.jsonl"))


def _text(rng: random.Random) -> Text:
    text = Text(style=rng.choice(STYLES))
    for _ in range(rng.randrange(0, 12)):
        text.append(rng.choice(WORDS) + rng.choice(("", " ", "  ")), style=rng.choice(STYLES))
    if rng.random() < 0.05:
        text.append("\nsecond line")
    if rng.random() < 0.05:
        text.append("\tafter a tab")
    if rng.random() < 0.03:
        text.justify = "right"
    return text


def _outline(rng: random.Random, depth: int = 0) -> Outline:
    outline = Outline(_text(rng), guide_style=rng.choice(("dim", "tree.line", "bold")), hide_root=rng.random() < 0.2)
    stack = [(outline, depth)]
    while stack:
        node, level = stack.pop()
        for _ in range(rng.choice((0, 1, 1, 2, 3)) if level < 4 else 0):
            stack.append((node.add(_text(rng)), level + 1))
    return outline


def _renderable(rng: random.Random, depth: int = 0) -> RenderableType:
    choice = rng.randrange(6) if depth < 2 else rng.randrange(3)
    if choice == 0:
        return _text(rng)
    if choice == 1:
        return _outline(rng)
    if choice == 2:
        rows = [[Text(rng.choice(WORDS) * rng.randrange(1, 3)) for _ in range(3)] for _ in range(rng.randrange(4))]
        return fitted_table(["NAME", "READY", "NODE"], rows, rng.choice((None, 30, 200)), drop_order=("NODE",))
    if choice == 3:
        return Panel(_text(rng), title="bindings", expand=False)
    items = [_renderable(rng, depth + 1) for _ in range(rng.randrange(5))]
    return Stack(*items) if choice == 4 else Group(*items)


def _printed(renderable: RenderableType, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False, highlight=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def _written(renderable: RenderableType, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False, highlight=False)
    assert plain.writes_plain(console)
    plain.print_renderable(console, renderable)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("seed", range(60))
def test_random_renderables_are_written_as_rich_prints_them(seed: int) -> None:
    rng = random.Random(seed)
    renderable = _renderable(rng)
    for width in (12, 40, 80, 157):
        assert _written(renderable, width) == _printed(renderable, width), (seed, width)


def test_a_wrapped_outline_label_keeps_its_guides() -> None:
    root = Outline(Text("PCS svc"))
    root.add(Text("clique " + "decode " * 12)).add(Text("pod svc-0-decode-abcde"))
    written = _written(root, 30)
    assert written == _printed(root, 30)
    assert written.splitlines()[2].startswith("    ")  # the wrapped label's second line under its own guide
    assert "└── pod svc-0-decode-abcde" in written


def test_a_styled_console_still_prints_through_rich() -> None:
    console = Console(file=io.StringIO(), width=40, color_system="standard", force_terminal=True)
    assert not plain.writes_plain(console)
    plain.print_renderable(console, Text("ready", style="green"))
    assert "\x1b[" in console.file.getvalue()  # type: ignore[attr-defined]


COMMANDS = (
    ("status",),
    ("status", "-A"),
    ("status", "-A", "-a"),
    ("status", "-A", "-o", "wide"),
    ("topology", "-A"),
    ("topology",),
    ("health", "-A"),
)


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: p.stem)
def test_every_read_command_writes_what_rich_prints(
    recording: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(command: tuple[str, ...], width: int) -> str:
        capsys.readouterr()
        code = main([*command, "--replay", str(recording), "--width", str(width), "--color", "never"])
        out, err = capsys.readouterr()
        assert code == 0, err
        return out

    for command in COMMANDS:
        for width in (60, 120, 200):
            written = run(command, width)
            with monkeypatch.context() as patched:
                patched.setattr(plain, "writes_plain", lambda console: False)
                printed = run(command, width)
            assert written == printed, (command, width)
            assert written.strip()


def test_a_justified_text_is_written_as_print_writes_it() -> None:
    # print joins the texts it is given into one of its own (its justification, not theirs); inside a group, a text
    # keeps its own
    text = Text("decode prefill ラック-a1 GPU 8/8 svc-00017-0", justify="right")
    for renderable in (text, Group(text), Stack(Text("title"), text)):
        assert _written(renderable, 14) == _printed(renderable, 14)
    assert _written(text, 14).splitlines()[0] == "decode prefill"
    assert _written(Group(text), 14).splitlines()[0] == "decode prefill".rjust(14)
