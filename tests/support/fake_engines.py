"""Fake inference engines and a DCGM exporter: loopback HTTP servers serving realistic Prometheus text expositions.

Each serves a list of expositions, one per scrape (the last one repeats), so a test knows the bucket counts of the
first and the second scrape and can compute the quantiles by hand. The formats follow what the engines' Python
clients write (``# HELP``/``# TYPE`` lines, ``_created`` gauges, ``model_name``/``engine`` labels) and the series
names come from the engines' sources (see grove/events/exposition.py).
"""

from __future__ import annotations

import http.server
import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

VLLM_TTFT_BOUNDS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
ITL_BOUNDS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def _labels(labels: Mapping[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def histogram(name: str, labels: Mapping[str, str], bounds: Sequence[float], per_bucket: Sequence[int]) -> str:
    """A histogram family; ``per_bucket`` holds the observations in each bucket (the last one: above every bound)."""
    assert len(per_bucket) == len(bounds) + 1
    lines = [f"# HELP {name} Histogram.", f"# TYPE {name} histogram"]
    total = 0
    for bound, count in zip((*bounds, math.inf), per_bucket, strict=True):
        total += count
        lines.append(f"{name}_bucket{{{_labels({**labels, 'le': _le(bound)})}}} {float(total)}")
    lines.append(f"{name}_count{{{_labels(labels)}}} {float(total)}")
    lines.append(f"{name}_sum{{{_labels(labels)}}} {total * 0.1}")
    lines.append(f"# HELP {name}_created Histogram.")
    lines.append(f"# TYPE {name}_created gauge")
    lines.append(f"{name}_created{{{_labels(labels)}}} 1.7e+09")
    return "\n".join(lines)


def counter(name: str, labels: Mapping[str, str], value: float) -> str:
    return f"# HELP {name} Counter.\n# TYPE {name} counter\n{name}{{{_labels(labels)}}} {float(value)}"


def gauge(name: str, labels: Mapping[str, str], value: float) -> str:
    return f"# HELP {name} Gauge.\n# TYPE {name} gauge\n{name}{{{_labels(labels)}}} {float(value)}"


NOISE = "\n".join(
    [
        "# HELP python_gc_objects_collected_total Objects collected during gc",
        "# TYPE python_gc_objects_collected_total counter",
        'python_gc_objects_collected_total{generation="0"} 12345.0',
        "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
        "# TYPE process_cpu_seconds_total counter",
        "process_cpu_seconds_total 42.5",
    ]
)


def engine_exposition(
    prefix: str,
    *,
    ttft: Sequence[int],
    itl: Sequence[int],
    prompt: float,
    generation: float,
    running: float,
    waiting: float,
    ttft_bounds: Sequence[float] = VLLM_TTFT_BOUNDS,
    itl_bounds: Sequence[float] = ITL_BOUNDS,
) -> str:
    """vLLM (``vllm:``), SGLang (``sglang:``) or TensorRT-LLM (``trtllm_``) series, with each engine's own names."""
    labels = {"engine": "0", "model_name": "llama"} if prefix != "sglang:" else {"model_name": "llama", "tp_rank": "0"}
    itl_name = {"trtllm_": "time_per_output_token_seconds"}.get(prefix, "inter_token_latency_seconds")
    running_name, waiting_name = {
        "sglang:": ("num_running_reqs", "num_queue_reqs"),
    }.get(prefix, ("num_requests_running", "num_requests_waiting"))
    parts = [
        NOISE,
        histogram(f"{prefix}time_to_first_token_seconds", labels, ttft_bounds, ttft),
        histogram(f"{prefix}{itl_name}", labels, itl_bounds, itl),
        counter(f"{prefix}prompt_tokens_total", labels, prompt),
        counter(f"{prefix}generation_tokens_total", labels, generation),
        gauge(f"{prefix}{running_name}", labels, running),
        gauge(f"{prefix}{waiting_name}", labels, waiting),
    ]
    return "\n".join(parts) + "\n"


def dynamo_frontend_exposition(
    *, ttft: Sequence[int], itl: Sequence[int], output: float, prompt: float, active: float, queued: float
) -> str:
    labels = {"model": "llama"}
    parts = [
        histogram("dynamo_frontend_time_to_first_token_seconds", labels, VLLM_TTFT_BOUNDS, ttft),
        histogram("dynamo_frontend_inter_token_latency_seconds", labels, ITL_BOUNDS, itl),
        counter("dynamo_frontend_output_tokens_total", labels, output),
        f"# TYPE dynamo_frontend_input_sequence_tokens histogram\n"
        f'dynamo_frontend_input_sequence_tokens_sum{{model="llama"}} {float(prompt)}',
        gauge("dynamo_frontend_active_requests", labels, active),
        gauge("dynamo_frontend_queued_requests", labels, queued),
        counter("dynamo_frontend_requests_total", {**labels, "status": "success"}, 99),
    ]
    return "\n".join(parts) + "\n"


def dynamo_worker_exposition(engine_text: str) -> str:
    """A Dynamo worker's system port: Dynamo's own series and the engine's passed through."""
    own = counter("dynamo_component_requests_total", {"dynamo_component": "backend", "dynamo_endpoint": "generate"}, 17)
    return own + "\n" + engine_text


def dcgm_exposition(gpus: Sequence[tuple[int, str, str, float]], hostname: str = "node") -> str:
    """``DCGM_FI_DEV_GPU_UTIL`` per GPU: (gpu index, namespace, pod, utilisation); empty namespace: no pod."""
    lines = ["# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).", "# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
    for index, namespace, pod, util in gpus:
        labels = {
            "gpu": str(index),
            "UUID": f"GPU-{index:08d}",
            "device": f"nvidia{index}",
            "modelName": "NVIDIA H100 80GB HBM3",
            "Hostname": hostname,
        }
        if namespace:
            labels.update({"container": "main", "namespace": namespace, "pod": pod})
        lines.append(f"DCGM_FI_DEV_GPU_UTIL{{{_labels(labels)}}} {util}")
    lines += ["# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).", "# TYPE DCGM_FI_DEV_FB_USED gauge"]
    lines.append('DCGM_FI_DEV_FB_USED{gpu="0"} 71234')
    return "\n".join(lines) + "\n"


class FakeEngine:
    """A loopback HTTP server answering ``path`` with the next exposition (the last one repeats); other paths 404.
    ``status`` (when set) answers every request with that code instead. Records each request's Accept header."""

    def __init__(self, pages: Mapping[str, Sequence[str]], content_type: str = "text/plain; version=0.0.4") -> None:
        self.pages = {path: list(texts) for path, texts in pages.items()}
        self.served: dict[str, int] = {}
        self.accepts: list[str | None] = []
        self.content_type = content_type
        self.status: int | None = None
        engine = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                engine.accepts.append(self.headers.get("Accept"))
                texts = engine.pages.get(self.path)
                if engine.status is not None or not texts:
                    body, code, kind = b"404 page not found\n", engine.status or 404, "text/plain"
                else:
                    n = engine.served.get(self.path, 0)
                    engine.served[self.path] = n + 1
                    body, code, kind = texts[min(n, len(texts) - 1)].encode(), 200, engine.content_type
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
