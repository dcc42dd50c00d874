"""``kubectl grove record`` against the loopback API server: the file reads back and folds to the server's state."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.commands import cluster
from grove.commands.errors import UsageError
from grove.commands.main import main
from grove.commands.record import parse_kinds
from grove.events.kinds import ALL_KINDS
from grove.events.model import SourceHealthChanged, SourceStatus
from grove.events.recordings.reader import Recording
from grove.reducers.batch import fold
from tests.support.kube_server import KubeServer, sample_objects, write_kubeconfig

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^recorded (\d+) events in \d+\.\ds to (.+)$")


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        srv.seed_state(sample_objects())
        yield srv


@pytest.fixture
def kubeconfig(tmp_path: Path, server: KubeServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_kubeconfig(tmp_path / "kubeconfig", server.url, "demo")
    monkeypatch.setenv("KUBECONFIG", str(path))
    for name in ("KUBERNETES_SERVICE_HOST", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(
        cluster, "DEFAULT_SOURCE_OPTIONS", {"backoff_initial": 0.01, "backoff_max": 0.05, "join_timeout": 1.0}
    )
    return path


def _state_of(path: Path) -> Any:
    return fold(Recording(path).events())


def _snapshot(state: Any, kinds: Any = ALL_KINDS) -> dict[str, dict[tuple[str, str], str]]:
    return {k: {key: o["metadata"]["resourceVersion"] for key, o in state.of_kind(k).items()} for k in kinds}


def test_parse_kinds_accepts_names_plurals_and_short_names() -> None:
    assert parse_kinds(None) == ALL_KINDS
    assert parse_kinds("pods,PCS,nodes,podcliques.grove.io,pg,ct,Event,pcsg") == (
        "PodCliqueSet",
        "PodCliqueScalingGroup",
        "PodClique",
        "PodGang",
        "ClusterTopologyBinding",
        "Pod",
        "Node",
        "Event",
    )
    with pytest.raises(UsageError) as error:
        parse_kinds("pods,deployments")
    assert error.value.exit_code == 2
    assert "unknown kind deployments; valid: podcliquesets (pcs)" in str(error.value)


def test_bad_kinds_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["record", "-o", str(tmp_path / "x.jsonl"), "--kinds", "pods,widgets"]) == 2
    assert "unknown kind widgets" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def test_record_end_to_end(
    server: KubeServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "session.jsonl"
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(main(["record", "-o", str(out), "--duration", "1s"])))
    runner.start()
    assert server.wait_for_watches(len(ALL_KINDS))
    server.put("Pod", {"metadata": {"name": "recorded-live", "namespace": "demo"}, "status": {"phase": "Pending"}})
    server.delete("Pod", "demo", "inference-0-prefill-0")
    server.drop_watches()
    server.put("Pod", {"metadata": {"name": "recorded-live", "namespace": "demo"}, "status": {"phase": "Running"}})
    runner.join(10)
    assert result == [0]
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    match = SUMMARY.match(summary)
    assert match and match.group(2) == str(out)
    recording = Recording(out)
    assert recording.header.context == "loopback"
    assert recording.header.namespaces == ("demo",)
    assert recording.header.kinds == ALL_KINDS
    events = recording.load()
    assert int(match.group(1)) == len(events)
    assert _snapshot(fold(events)) == server.snapshot()
    statuses = [e.status for e in events if isinstance(e, SourceHealthChanged) and e.kind == "Pod"]
    assert statuses[:2] == [SourceStatus.CONNECTING, SourceStatus.LIVE] and SourceStatus.RECONNECTING in statuses


def test_record_kinds_and_lost_connection_leave_a_readable_file(
    server: KubeServer, kubeconfig: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lost.jsonl"
    result: list[int] = []
    argv = ["record", "-o", str(out), "--duration", "0.6s", "--kinds", "pcs,pods"]
    runner = threading.Thread(target=lambda: result.append(main(argv)))
    runner.start()
    assert server.wait_for_watches(2)
    server.stop()  # the API server goes away mid-recording
    runner.join(10)
    assert result == [0]
    state = _state_of(out)
    assert state.listed == {"PodCliqueSet", "Pod"}
    assert state.count("Pod") == 4
    assert state.sources["Pod"].status in (SourceStatus.RECONNECTING, SourceStatus.STALE)


def test_interrupted_record_leaves_a_readable_file(server: KubeServer, kubeconfig: Path, tmp_path: Path) -> None:
    out = tmp_path / "interrupted.jsonl"
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    process = subprocess.Popen(
        [sys.executable, "-m", "grove.commands.main", "record", "-o", str(out), "-A"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.wait_for_watches(len(ALL_KINDS), timeout=15)
        server.put("Pod", {"metadata": {"name": "just-before-ctrl-c", "namespace": "other"}})
        deadline = time.monotonic() + 5
        while b"just-before-ctrl-c" not in out.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert SUMMARY.match(stderr.strip().splitlines()[-1])
    recording = Recording(out)
    assert recording.header.namespaces == ()  # -A
    assert _snapshot(fold(recording.events())) == server.snapshot()
