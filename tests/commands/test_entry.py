"""The ``kubectl-grove`` program itself (the console script's entry)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def test_the_program_prints_everything_before_it_leaves() -> None:
    """``kubectl-grove`` leaves with os._exit (no teardown of the state): the output must be complete all the same."""
    replay = str(ROOT / "replays" / "multi-tenant.jsonl")
    program = "import sys; from grove.commands.main import entry; sys.argv[0] = 'kubectl-grove'; entry()"
    args = ["status", "-A", "--replay", replay, "-o", "json"]
    out = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, check=False, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    report = orjson.loads(out.stdout)
    assert report["kind"] == "StatusReport" and len(report["items"]) >= 2
    inline = subprocess.run(
        [sys.executable, "-c", "import sys; from grove.commands.main import main; sys.exit(main())", *args],
        capture_output=True,
        check=False,
        cwd=ROOT,
    )
    assert out.stdout == inline.stdout
    bad = subprocess.run([sys.executable, "-c", program, "status", "--replay", "/nonexistent"], capture_output=True)
    assert bad.returncode == 1 and bad.stderr.decode().startswith("error: ")
