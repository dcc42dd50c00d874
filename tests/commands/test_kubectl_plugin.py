"""The installed entry point through the real ``kubectl`` (plugin discovery), where kubectl is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.events.recordings.reader import Recording
from grove.reducers.batch import fold
from tests.support.kube_server import KubeServer, objects_from_recording, sample_objects

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KUBECTL = shutil.which("kubectl")
REPLAY = ROOT / "replays" / "disagg-fragmented.jsonl"

pytestmark = [
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed"),
    pytest.mark.skipif(not (BIN / "kubectl-grove").exists(), reason="kubectl-grove is not installed in this venv"),
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "HTTPS_PROXY", "https_proxy")}
    return {
        **clean,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        srv.seed_state(objects_from_recording(REPLAY) if REPLAY.exists() else sample_objects())
        yield srv


def kubectl(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run([KUBECTL, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)


def test_plugin_list_shows_kubectl_grove(env: dict[str, str]) -> None:
    result = kubectl("plugin", "list", env=env)
    assert result.returncode == 0, result.stderr
    assert str(BIN / "kubectl-grove") in result.stdout


def test_kubectl_grove_record_against_the_loopback_server(
    env: dict[str, str], server: KubeServer, tmp_path: Path
) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "loop", "cluster": {"server": server.url}}],
                "users": [{"name": "me", "user": {}}],
                "contexts": [{"name": "loopback", "context": {"cluster": "loop", "user": "me"}}],
                "current-context": "loopback",
            }
        )
    )
    out = tmp_path / "via-kubectl.jsonl"
    result = kubectl(
        "grove", "record", "-o", str(out), "-A", "--duration", "0.3s", env={**env, "KUBECONFIG": str(config)}
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("recorded ")
    state = fold(Recording(out).events())
    snapshot = server.snapshot()
    assert {k: set(state.of_kind(k)) for k in snapshot} == {k: set(v) for k, v in snapshot.items()}


@pytest.mark.skipif(not REPLAY.exists(), reason="replays/disagg-fragmented.jsonl is not there")
def test_kubectl_grove_status_replay(env: dict[str, str]) -> None:
    result = kubectl("grove", "status", "--replay", str(REPLAY), env=env)
    assert result.returncode == 0, result.stderr
    assert "my-inference" in result.stdout
