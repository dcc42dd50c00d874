"""``kubectl grove diagnostics`` captures the Grove pods' metrics (two scrapes a window apart) into the bundle's
recording, so ``metrics --replay BUNDLE`` shows the numbers the live command shows; ``--metrics-window 0`` skips it."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from grove.commands.main import main
from tests.metrics import world as w
from tests.support.kube_server import write_kubeconfig

pytestmark = pytest.mark.usefixtures("clean_client_env")


def _bundle(world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str], window: str) -> Path:
    kubeconfig = write_kubeconfig(tmp_path / "kc", world.server.url, w.NS)
    out_dir = tmp_path / f"out-{window}"
    out_dir.mkdir()
    argv = ["diagnostics", "--kubeconfig", str(kubeconfig), "--no-logs", "-o", str(out_dir)]
    code = main([*argv, "--metrics-window", window])
    out, err = capsys.readouterr()
    assert code == 0, err
    return Path(out.strip())


def _member(bundle: Path, suffix: str) -> bytes:
    with tarfile.open(bundle) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(suffix))
        data = tar.extractfile(member)
        assert data is not None
        return data.read()


def test_the_bundle_replays_the_metrics_the_live_command_shows(
    world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle(world, tmp_path, capsys, "0.3")
    lines = [json.loads(line) for line in _member(bundle, "recording.jsonl").splitlines()[1:]]
    samples = [line for line in lines if line["type"] == "metrics"]
    sampled_pods = {s["pod"] for s in samples if s["series"] and s["source"] != "dcgm"}
    assert len(sampled_pods) >= 3 and all(sum(s["pod"] == pod for s in samples) >= 2 for pod in sampled_pods)
    first_list = min(line["t"] for line in lines if line["type"] == "listed")
    assert all(s["t"] >= first_list for s in samples)  # after the pods they belong to
    manifest = json.loads(_member(bundle, "manifest.json"))
    item = next(i for i in manifest["items"] if i["name"].startswith("metrics of "))
    assert item["status"] == "ok" and item["count"] >= len(sampled_pods)

    code = main(["metrics", "disagg", "-n", w.NS, "--replay", str(bundle), "--window", "0.3", "-o", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    frontend = next(r for r in doc["roles"] if r["role"] == "frontend")
    decode = next(r for r in doc["roles"] if r["role"] == "decode")
    # the same hand-computed figures as tests/metrics/test_metrics_live.py: the fake engines move on per scrape
    assert frontend["ttftP99"]["value"] == pytest.approx(0.475)
    assert (frontend["running"]["value"], frontend["waiting"]["value"]) == (7, 2)
    assert decode["itlP99"]["value"] == pytest.approx(0.05 + 0.025 * 19 / 20, abs=1e-4)


def test_no_window_no_capture(world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = _bundle(world, tmp_path, capsys, "0")
    lines = [json.loads(line) for line in _member(bundle, "recording.jsonl").splitlines()[1:]]
    assert not [line for line in lines if line["type"] == "metrics"]
    manifest = json.loads(_member(bundle, "manifest.json"))
    assert not [i for i in manifest["items"] if i["name"].startswith("metrics of ")]


def test_a_bad_window_is_a_usage_error(world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kc", world.server.url, w.NS)
    code = main(["diagnostics", "--kubeconfig", str(kubeconfig), "-o", str(tmp_path), "--metrics-window", "soon"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--metrics-window 'soon'" in err
