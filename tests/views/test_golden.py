"""Golden renderings of every read command on every bundled recording, at a fixed width, colour off and on.

Regenerate after an intended change with ``GROVE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/views/test_golden.py``
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grove.commands.main import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden")
WIDTH = "120"

RECORDINGS = {
    "disagg-fragmented": "my-inference",
    "multi-tenant": "llama-70b",
    "min-available-breach": "vllm-chat",
    "rolling-update": "llm-serve",
}
COMMANDS = {
    "status": ["status", "-A"],
    "status-all": ["status", "-a", "-A"],
    "status-wide": ["status", "-a", "-A", "-o", "wide"],
    "topology": ["topology", "-A"],
    "topology-pcs": ["topology", "{pcs}", "-A"],
    "health": ["health", "-A"],
}
CASES = [
    (rec, cmd, color)
    for rec in RECORDINGS
    for cmd in COMMANDS
    for color in ("plain", "color")
    if not (cmd == "status-wide" and color == "color")
]


def render(recording: str, command: str, color: str, capsys: pytest.CaptureFixture[str]) -> str:
    args = [a.format(pcs=RECORDINGS[recording]) for a in COMMANDS[command]]
    args += ["--replay", str(ROOT / "replays" / f"{recording}.jsonl"), "--width", WIDTH]
    args += ["--color", "always" if color == "color" else "never"]
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == ""
    return out


@pytest.mark.parametrize(("recording", "command", "color"), CASES)
def test_golden(recording: str, command: str, color: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = render(recording, command, color, capsys)
    path = GOLDEN / f"{recording}.{command}.{color}.txt"
    if os.environ.get("GROVE_UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with GROVE_UPDATE_GOLDEN=1"
    assert out == path.read_text(encoding="utf-8")
    assert ("\x1b[" in out) == (color == "color")


def test_rendering_twice_is_byte_identical(capsys: pytest.CaptureFixture[str]) -> None:
    first = render("multi-tenant", "topology", "color", capsys)
    second = render("multi-tenant", "topology", "color", capsys)
    assert first == second


@pytest.mark.parametrize("seed", ["1", "4242"])
def test_output_does_not_depend_on_the_hash_seed(seed: str) -> None:
    """Index maps iterate in hash order; every view must sort what it shows."""
    import subprocess
    import sys

    for recording in ("multi-tenant", "min-available-breach"):
        for command in ("topology", "health", "status-all"):
            args = [a.format(pcs=RECORDINGS[recording]) for a in COMMANDS[command]]
            args += ["--replay", str(ROOT / "replays" / f"{recording}.jsonl"), "--width", WIDTH, "--color", "never"]
            result = subprocess.run(
                [sys.executable, "-m", "grove.commands.main", *args],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONHASHSEED": seed},
                timeout=60,
            )
            assert result.stdout == (GOLDEN / f"{recording}.{command}.plain.txt").read_text(encoding="utf-8")
