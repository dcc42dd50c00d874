"""Golden previews: for each bundled recording, one lifecycle command's preview (``--replay … --dry-run``) as text and
as ``-o json``, compared with the files in ``tests/simulate/golden/``.

A preview is deterministic: the state comes from the recording, the fork's seed from the state, the pod start from the
workload's history, a restart's stamp from the recording's moment. When a change to the simulator or the preview views
is intended, regenerate the files and review their diff:

    GROVE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/simulate/test_golden_previews.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grove.commands.lifecycle import flow
from grove.commands.main import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GROVE_UPDATE_GOLDEN") == "1"

COMMANDS: dict[str, tuple[str, ...]] = {
    # a second replica that finds no room in rack-1 (the pods stay pending: a finding and two cliques below minimum)
    "disagg-fragmented": ("scale", "my-inference", "-n", "prod", "--replicas", "2"),
    # a restart while two workers crash-loop: those go at once, the Ready pods one at a time
    "min-available-breach": ("restart", "vllm-chat", "-n", "prod"),
    # a fourth decode replica of llama-70b's scaling group: a scaled PodGang, gated until the base gang is scheduled
    "multi-tenant": ("scale", "llama-70b", "-n", "inference", "--group", "decode=4"),
    # the update the recording shows, from before it starts
    "rolling-update": ("update", "llm-serve", "-n", "prod", "--image", "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.2"),
    # one more decode pod in each replica's decode PodClique, before the update starts
    "rolling-update-metrics": ("scale", "llm-serve", "-n", "prod", "--role", "decode=5"),
}


def test_every_bundled_recording_has_a_golden_preview() -> None:
    assert sorted(COMMANDS) == sorted(p.stem for p in (ROOT / "replays").glob("*.jsonl"))


def _preview(capsys: pytest.CaptureFixture[str], recording: str, *output: str) -> str:
    argv = [*COMMANDS[recording], "--replay", f"replays/{recording}.jsonl", "--dry-run", "--color", "never"]
    if recording.startswith("rolling-update"):
        argv += ["--at", "5s"]  # before the recorded update starts
    capsys.readouterr()
    code = main([*argv, "--width", "160", *output])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parametrize("output", ["txt", "json"])
@pytest.mark.parametrize("recording", sorted(COMMANDS))
def test_preview_matches_its_golden_file(
    recording: str, output: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the output names the recording by the path given
    monkeypatch.setattr(flow, "stdin_is_terminal", lambda: False)
    out = _preview(capsys, recording, *(("-o", "json") if output == "json" else ()))
    assert _preview(capsys, recording, *(("-o", "json") if output == "json" else ())) == out  # deterministic
    golden = GOLDEN / f"{recording}.{output}"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: GROVE_UPDATE_GOLDEN=1 writes it"
    assert out == golden.read_text(encoding="utf-8")
