"""``kubectl grove metrics`` against fake engines behind the loopback API server's pod proxy: the numbers are the
hand-computed ones, roles are attributed by PodClique ``spec.roleName``, and what cannot be read costs one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grove.commands.main import main
from tests.metrics import world as w
from tests.support.kube_server import write_kubeconfig

pytestmark = pytest.mark.usefixtures("clean_client_env")


def _metrics(world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    kubeconfig = write_kubeconfig(tmp_path / "kc", world.server.url, w.NS)
    capsys.readouterr()
    code = main(["metrics", *args, "--kubeconfig", str(kubeconfig), "--window", "0.2", "-o", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "scraping" in err  # the progress line
    return dict(json.loads(out))


def _role(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in doc["roles"] if r["role"] == name)


def test_disaggregated_roles_and_hand_computed_numbers(
    world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _metrics(world, tmp_path, capsys, "disagg")
    assert [(r["role"], r["kind"], r["engines"]) for r in doc["roles"]] == [
        ("frontend", "frontend", ["dynamo-frontend"]),
        ("prefill", "prefill", ["vllm"]),
        ("decode", "decode", ["vllm"]),
    ]
    frontend, decode, prefill = _role(doc, "frontend"), _role(doc, "decode"), _role(doc, "prefill")
    # TTFT increase: 90 in (0.1, 0.25], 10 in (0.25, 0.5]; rank 99 -> 0.25 + 0.25 * 9/10
    assert frontend["ttftP99"]["value"] == pytest.approx(0.475)
    assert frontend["outputTokensPerS"]["value"] == pytest.approx(500 / frontend["window"], rel=1e-3)
    assert frontend["promptTokensPerS"]["value"] == pytest.approx(4000 / frontend["window"], rel=1e-3)
    assert (frontend["running"]["value"], frontend["waiting"]["value"]) == (7, 2)
    # ITL increases summed by le over both decode pods: cumulative 0, 10, 80, 100 -> rank 99 in (0.05, 0.075]
    assert decode["itlP99"]["value"] == pytest.approx(0.05 + 0.025 * 19 / 20, abs=1e-4)
    assert decode["itlP99"]["source"] == "vllm:inter_token_latency_seconds on 2 decode pods"
    assert (decode["running"]["value"], decode["waiting"]["value"]) == (10, 3)
    assert decode["gpuUtil"]["value"] == pytest.approx(85.0)  # DCGM on node-0: 80 and 90
    assert prefill["gpuUtil"]["value"] == pytest.approx(50.0)
    # prefill TTFT: 10 more in (0.08, 0.1], 1 in (0.1, 0.25]: rank 10.89 of 11 -> in the second
    assert prefill["ttftP99"]["value"] == pytest.approx(0.1 + 0.15 * (0.99 * 11 - 10) / 1, abs=1e-4)
    serving = doc["serving"]
    assert serving["ttftP99"]["value"] == pytest.approx(0.475)
    assert "frontend" in serving["ttftP99"]["source"] and "user-facing" in serving["ttftP99"]["source"]
    assert serving["itlP99"]["value"] == decode["itlP99"]["value"] and "decode" in serving["itlP99"]["source"]
    assert doc["problems"] == []
    # every engine was asked for text, never JSON
    assert all(a is not None and "json" not in a for e in world.engines for a in e.accepts)


def test_aggregated_engines_are_told_by_what_they_serve_and_problems_cost_one_line_each(
    world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _metrics(world, tmp_path, capsys, "agg")
    worker = _role(doc, "worker")
    assert worker["kind"] == "worker" and worker["engines"] == ["trtllm", "vllm"]
    assert worker["scraped"] == 2
    # TTFT increases: vLLM 4 in (0.06, 0.08], 2 in (0.08, 0.1]; TensorRT-LLM 10 in (0.08, 0.1] -> 4, 16 cumulative
    assert worker["ttftP99"]["value"] == pytest.approx(0.08 + 0.02 * (0.99 * 16 - 4) / 12, abs=1e-4)
    assert worker["gpuUtil"]["value"] == pytest.approx(65.0)  # vllm-0's two GPUs (60, 70); trt-0 has none mapped
    sglang = _role(doc, "sglang")
    assert sglang["scraped"] == 0 and sglang["ttftP99"]["value"] is None
    problems = doc["problems"]
    assert len(problems) == 2, problems
    assert any(p.startswith("sglang-0:") and "--enable-metrics" in p for p in problems)
    assert any(p.startswith("sglang-1:") and "HTTP 503" in p and "listens" in p for p in problems)


def test_a_forbidden_pod_proxy_is_one_line_and_the_rest_still_shows(
    world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.proxy.forbidden_namespaces.add(w.NS)
    doc = _metrics(world, tmp_path, capsys, "disagg")
    (line,) = doc["problems"]
    assert (
        line.startswith("decode-0, decode-1, fe-0 and 1 more: the pod proxy is forbidden")
        and "needs get on pods/proxy in namespace prod" in line
    )
    assert [r["role"] for r in doc["roles"]] == ["frontend", "prefill", "decode"]
    assert _role(doc, "decode")["gpuUtil"]["value"] == pytest.approx(85.0)  # DCGM is in another namespace


def test_no_dcgm_exporter_is_one_line(world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in (0, 1):
        world.server.delete("Pod", "gpu-operator", f"nvidia-dcgm-exporter-{i}")
    doc = _metrics(world, tmp_path, capsys, "disagg")
    (line,) = doc["problems"]
    assert "no DCGM exporter" in line and "nvidia-dcgm-exporter" in line
    assert _role(doc, "decode")["gpuUtil"]["value"] is None
    assert _role(doc, "decode")["itlP99"]["value"] is not None


def test_the_table_names_its_sources(world: w.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kc", world.server.url, w.NS)
    code = main(["metrics", "disagg", "--kubeconfig", str(kubeconfig), "--window", "0.2", "--width", "150"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "TTFT p99 475 ms" in out
    assert "TTFT: role frontend (the frontend: user-facing): dynamo_frontend_time_to_first_token_seconds" in out
