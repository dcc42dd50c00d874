"""A Grove world whose pods serve metrics from fake engines behind the loopback API server's pod proxy.

``disagg``: a Dynamo frontend, vLLM prefill workers and decode workers (Dynamo's system port, the engine's series
passed through). ``agg``: aggregated engines straight on their own ports: vLLM, TensorRT-LLM (JSON at /metrics,
Prometheus text at /prometheus/metrics) and SGLang. DCGM exporters run on both nodes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from tests.support.fake_engines import (
    FakeEngine,
    dcgm_exposition,
    dynamo_frontend_exposition,
    dynamo_worker_exposition,
    engine_exposition,
)
from tests.support.kube_server import KubeServer
from tests.support.pod_proxy import PodProxy

NS = "prod"
ZERO_TTFT = [0] * 17
ZERO_ITL = [0] * 14


def _counts(**at: int) -> list[int]:
    """Per-bucket counts of an ITL histogram (13 bounds): ``b2=20`` puts 20 observations in bucket 2."""
    out = [0] * 14
    for key, value in at.items():
        out[int(key[1:])] = value
    return out


def _ttft(**at: int) -> list[int]:
    out = [0] * 17
    for key, value in at.items():
        out[int(key[1:])] = value
    return out


def _meta(name: str, **labels: str) -> dict[str, Any]:
    return {"name": name, "namespace": NS, "labels": dict(labels)}


def _pod(pcs: str, clique: str, name: str, node: str, ports: Sequence[tuple[str, int]], **labels: str) -> Any:
    part_of = {"app.kubernetes.io/part-of": pcs, "grove.io/podclique": clique}
    return {
        "metadata": _meta(name, **part_of, **labels),
        "spec": {
            "nodeName": node,
            "containers": [
                {"name": "main", "ports": [{"name": n, "containerPort": p} for n, p in ports] if ports else []}
            ],
        },
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def _clique(pcs: str, name: str, role: str) -> Any:
    labels = {"app.kubernetes.io/part-of": pcs, "grove.io/podcliqueset-replica-index": "0"}
    return {"metadata": _meta(name, **labels), "spec": {"roleName": role, "replicas": 1}}


DYNAMO = "nvidia.com/dynamo-component-type"


@attrs.define
class World:
    server: KubeServer
    proxy: PodProxy
    engines: list[FakeEngine]

    def close(self) -> None:
        for engine in self.engines:
            engine.close()


def objects() -> dict[str, list[Any]]:
    pcs = [{"metadata": {"name": n, "namespace": NS}, "spec": {"replicas": 1}} for n in ("disagg", "agg")]
    cliques = [
        _clique("disagg", "disagg-0-frontend", "frontend"),
        _clique("disagg", "disagg-0-prefill", "prefill"),
        _clique("disagg", "disagg-0-decode", "decode"),
        _clique("agg", "agg-0-worker", "worker"),
        _clique("agg", "agg-0-sglang", "sglang"),
    ]
    pods = [
        _pod("disagg", "disagg-0-frontend", "fe-0", "node-0", [("http", 8000)], **{DYNAMO: "frontend"}),
        _pod("disagg", "disagg-0-prefill", "prefill-0", "node-1", [("system", 9090)], **{DYNAMO: "prefill"}),
        _pod("disagg", "disagg-0-decode", "decode-0", "node-0", [("system", 9090)], **{DYNAMO: "decode"}),
        _pod("disagg", "disagg-0-decode", "decode-1", "node-0", [("system", 9090)], **{DYNAMO: "decode"}),
        _pod("agg", "agg-0-worker", "vllm-0", "node-1", [("http", 8000)]),
        _pod("agg", "agg-0-worker", "trt-0", "node-1", [("http", 8000)]),
        _pod("agg", "agg-0-sglang", "sglang-0", "node-1", [("http", 30000)]),
        _pod("agg", "agg-0-sglang", "sglang-1", "node-1", [("http", 30000)]),
    ]
    exporters = [
        {
            "metadata": {
                "name": f"nvidia-dcgm-exporter-{i}",
                "namespace": "gpu-operator",
                "labels": {"app": "nvidia-dcgm-exporter"},
            },
            "spec": {
                "nodeName": f"node-{i}",
                "containers": [{"name": "x", "ports": [{"name": "metrics", "containerPort": 9400}]}],
            },
            "status": {"phase": "Running"},
        }
        for i in (0, 1)
    ]
    return {"PodCliqueSet": pcs, "PodClique": cliques, "Pod": pods + exporters}


# The two scrapes of each engine. Hand-computed answers are in the tests.
FRONTEND = [
    dynamo_frontend_exposition(ttft=ZERO_TTFT, itl=ZERO_ITL, output=1000, prompt=5000, active=3, queued=1),
    dynamo_frontend_exposition(
        ttft=_ttft(b8=90, b9=10), itl=_counts(b2=50), output=1500, prompt=9000, active=7, queued=2
    ),
]
DECODE_0 = [
    engine_exposition(
        "vllm:", ttft=ZERO_TTFT, itl=_counts(b1=10, b2=20), prompt=0, generation=4000, running=5, waiting=0
    ),
    engine_exposition(
        "vllm:", ttft=ZERO_TTFT, itl=_counts(b1=20, b2=60, b3=10), prompt=0, generation=4300, running=6, waiting=1
    ),
]
DECODE_1 = [
    engine_exposition("vllm:", ttft=ZERO_TTFT, itl=ZERO_ITL, prompt=0, generation=0, running=0, waiting=0),
    engine_exposition(
        "vllm:", ttft=ZERO_TTFT, itl=_counts(b2=30, b3=10), prompt=0, generation=200, running=4, waiting=2
    ),
]
PREFILL = [
    engine_exposition("vllm:", ttft=_ttft(b7=5), itl=ZERO_ITL, prompt=10_000, generation=5, running=1, waiting=0),
    engine_exposition(
        "vllm:", ttft=_ttft(b7=15, b8=1), itl=ZERO_ITL, prompt=12_000, generation=16, running=2, waiting=3
    ),
]
VLLM = [
    engine_exposition("vllm:", ttft=_ttft(b6=4), itl=_counts(b1=4), prompt=100, generation=100, running=1, waiting=0),
    engine_exposition(
        "vllm:", ttft=_ttft(b6=8, b7=2), itl=_counts(b1=8), prompt=300, generation=400, running=2, waiting=0
    ),
]
TRT = [
    engine_exposition("trtllm_", ttft=_ttft(b6=0), itl=_counts(), prompt=50, generation=50, running=0, waiting=0),
    engine_exposition(
        "trtllm_", ttft=_ttft(b7=10), itl=_counts(b1=4), prompt=150, generation=350, running=1, waiting=0
    ),
]


def start(server: KubeServer) -> World:
    proxy = PodProxy(server)
    engines: list[FakeEngine] = []

    def serve(
        pod: str, port: int, pages: dict[str, list[str]], content_type: str = "text/plain; version=0.0.4"
    ) -> None:
        engine = FakeEngine(pages, content_type)
        engines.append(engine)
        proxy.route(NS if not pod.startswith("nvidia-dcgm") else "gpu-operator", pod, port, engine.port)

    serve("fe-0", 8000, {"/metrics": FRONTEND})
    serve("prefill-0", 9090, {"/metrics": [dynamo_worker_exposition(t) for t in PREFILL]})
    serve("decode-0", 9090, {"/metrics": [dynamo_worker_exposition(t) for t in DECODE_0]})
    serve("decode-1", 9090, {"/metrics": [dynamo_worker_exposition(t) for t in DECODE_1]})
    serve("vllm-0", 8000, {"/metrics": VLLM})
    trt = {"/metrics": ['[{"gpuMemUsage": 1}]'], "/prometheus/metrics": TRT}
    serve("trt-0", 8000, trt, "application/json")
    serve("sglang-0", 30000, {})  # started without --enable-metrics: /metrics is 404
    # sglang-1 has no route: nothing listens, the proxy answers 503
    serve(
        "nvidia-dcgm-exporter-0",
        9400,
        {
            "/metrics": [
                dcgm_exposition(
                    [(0, NS, "decode-0", 80.0), (1, NS, "decode-1", 90.0), (2, NS, "fe-0", 10.0), (3, "", "", 0.0)],
                    "node-0",
                )
            ]
        },
    )
    serve(
        "nvidia-dcgm-exporter-1",
        9400,
        {
            "/metrics": [
                dcgm_exposition(
                    [(0, NS, "prefill-0", 50.0), (1, NS, "vllm-0", 60.0), (2, NS, "vllm-0", 70.0)], "node-1"
                )
            ]
        },
    )
    return World(server, proxy, engines)


def worlds() -> Iterator[World]:
    with KubeServer() as server:
        server.seed_state(objects())
        world = start(server)
        try:
            yield world
        finally:
            world.close()
