"""The CLI as a user runs it: exit codes, one-line errors, stdout for output only, lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grove.events.recordings.format import Header
from grove.events.recordings.writer import write_recording
from tests.support import fragmented

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "grove.commands.main", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=60,
    )


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> str:
    events = fragmented.events()
    path = tmp_path_factory.mktemp("rec") / "frag.jsonl"
    write_recording(path, Header(start=events[0].at, context="test"), events)
    return str(path)


def test_help_imports_neither_the_kubernetes_client_nor_textual() -> None:
    code = (
        "import sys\n"
        "from grove.commands.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('kubernetes', 'textual', 'rich', 'reactivex') if m in sys.modules]\n"
        "print('IMPORTED=' + ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "status" in out.stdout  # the help text itself
    assert out.stdout.strip().splitlines()[-1] == "IMPORTED="


def test_topology_json_carries_the_same_facts(recording: str) -> None:
    result = run("topology", "my-inference", "-n", "prod", "--replay", recording, "-o", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["kind"] == "TopologyReport"
    assert [lv["domain"] for lv in doc["topology"]["levels"]] == ["rack", "host"]
    racks = {d["value"]: d for d in doc["domains"]}
    assert set(racks) == {"rack-1", "rack-2"}
    assert [n["node"] for n in racks["rack-2"]["nodes"]] == ["node-gpu-04"]
    node4 = next(n for n in doc["nodes"] if n["node"] == "node-gpu-04")
    assert (node4["grove"], node4["other"], node4["allocatable"]) == (2, 0, 8)
    (finding,) = [f for f in doc["findings"] if f["code"] == "preferred-pack-missed"]
    assert finding["pods"] == ["my-inference-0-decode-00007"]
    roles = {p["role"] for pods in doc["podsByNode"].values() for p in pods if p["grove"]}
    assert roles == {"prefill", "decode"}


def test_topology_text_shows_racks_bars_badges_and_the_warning(recording: str) -> None:
    result = run("topology", "my-inference", "-n", "prod", "--replay", recording)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "rack: rack-1" in out and "rack: rack-2" in out
    assert "[P] my-inference-0-prefill-00000" in out and "[D] my-inference-0-decode-00007" in out
    assert "[████░░░░░░░░░░░░] 2/8 GPUs" in out
    assert "fragmented across 2 racks: 1 decode pod in rack-2" in out
    assert "\x1b[" not in out  # NO_COLOR
    assert result.stderr == ""


def test_yaml_output_parses(recording: str) -> None:
    import yaml

    result = run("status", "my-inference", "--replay", recording, "-o", "yaml")
    doc = yaml.safe_load(result.stdout)
    assert doc["kind"] == "StatusReport"
    (item,) = doc["items"]
    cliques = {c["clique"]: c for r in item["pcs"]["replicaNodes"] for c in r["cliques"]}
    assert (cliques["decode"]["ready"], cliques["decode"]["replicas"]) == (8, 8)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("status", "my-infrence"), 1, "PodCliqueSet 'my-infrence' not found in any namespace; did you mean"),
        (("status", "-n", "prod", "-A"), 2, "cannot be used together"),
        (("topology", "my-inference", "--level", "zone"), 1, "--level 'zone' is not a level"),
        (("status", "--at", "soon"), 2, "--at 'soon' is not an offset"),
        (("status", "--output", "xml"), 2, "invalid choice"),
    ],
)
def test_user_errors_are_one_line(recording: str, args: tuple[str, ...], code: int, message: str) -> None:
    result = run(*args, "--replay", recording)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_a_corrupt_recording_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "kubectl-grove-recording", "version": 1, "start": 0}\n{"t": 1, "type": "cl')
    result = run("status", "--replay", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {bad}:2: truncated line (the recording was cut off mid-event)"


def test_missing_recording_file(tmp_path: Path) -> None:
    result = run("health", "--replay", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 1
    assert "No such file or directory" in result.stderr and "Traceback" not in result.stderr


def test_at_offset_shows_the_earlier_state(recording: str) -> None:
    early = run("status", "--replay", recording, "--at", "0", "-o", "json")
    doc = json.loads(early.stdout)
    assert doc["now"] == fragmented.events()[0].at
