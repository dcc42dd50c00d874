"""What an engine's Prometheus text exposition says, reduced to the few series kubectl-grove uses.

Names come from the engines' own sources: vLLM ``vllm/v1/metrics/loggers.py``, SGLang
``python/sglang/srt/metrics/collector.py``, TensorRT-LLM ``tensorrt_llm/metrics/collector.py`` (served at
``/prometheus/metrics``), NVIDIA Dynamo's frontend (``dynamo_frontend_*``, its ``prometheus_names.rs``) and workers
(the engine's own series passed through on the system port), and the DCGM exporter
(``DCGM_FI_DEV_GPU_UTIL``, labelled with the ``namespace`` and ``pod`` using each GPU). The engine is told by the names
the endpoint serves, never by an image.

Engine-neutral names (see ``MetricsSampled``): ``ttft`` and ``itl`` (histograms), ``prompt_tokens`` and
``generation_tokens`` (counters), ``running`` and ``waiting`` (gauges); from DCGM ``gpu_util`` and ``gpus``.
Histograms of several label sets (models, engines) are summed by ``le`` when their layouts agree; otherwise the set
with the most observations is kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from grove.events.model import Histogram


@attrs.frozen
class Engine:
    """One engine's series names: for each neutral name, the sample names to read in order of preference."""

    name: str
    prefix: str
    series: Mapping[str, tuple[str, ...]]
    histograms: frozenset[str] = frozenset({"ttft", "itl"})


ENGINES: tuple[Engine, ...] = (
    Engine(
        "dynamo-frontend",
        "dynamo_frontend_",
        {
            "ttft": ("dynamo_frontend_time_to_first_token_seconds",),
            "itl": ("dynamo_frontend_inter_token_latency_seconds",),
            "prompt_tokens": ("dynamo_frontend_input_sequence_tokens_sum",),
            "generation_tokens": ("dynamo_frontend_output_tokens_total", "dynamo_frontend_output_sequence_tokens_sum"),
            "running": ("dynamo_frontend_active_requests", "dynamo_frontend_inflight_requests"),
            "waiting": ("dynamo_frontend_queued_requests",),
        },
    ),
    Engine(
        "vllm",
        "vllm:",
        {
            "ttft": ("vllm:time_to_first_token_seconds",),
            "itl": ("vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"),
            "prompt_tokens": ("vllm:prompt_tokens_total",),
            "generation_tokens": ("vllm:generation_tokens_total",),
            "running": ("vllm:num_requests_running",),
            "waiting": ("vllm:num_requests_waiting",),
        },
    ),
    Engine(
        "sglang",
        "sglang:",
        {
            "ttft": ("sglang:time_to_first_token_seconds",),
            "itl": ("sglang:inter_token_latency_seconds", "sglang:time_per_output_token_seconds"),
            "prompt_tokens": ("sglang:prompt_tokens_total",),
            "generation_tokens": ("sglang:generation_tokens_total",),
            "running": ("sglang:num_running_reqs",),
            "waiting": ("sglang:num_queue_reqs",),
        },
    ),
    Engine(
        "trtllm",
        "trtllm_",
        {
            "ttft": ("trtllm_time_to_first_token_seconds",),
            "itl": ("trtllm_time_per_output_token_seconds", "trtllm_inter_token_latency_seconds"),
            "prompt_tokens": ("trtllm_prompt_tokens_total",),
            "generation_tokens": ("trtllm_generation_tokens_total",),
            "running": ("trtllm_num_requests_running",),
            "waiting": ("trtllm_num_requests_waiting",),
        },
    ),
)

DCGM_GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
_WANTED = (*sorted({name for e in ENGINES for names in e.series.values() for name in names}), DCGM_GPU_UTIL)


def engine_named(name: str) -> Engine | None:
    return next((e for e in ENGINES if e.name == name), None)


def _wanted_lines(text: str) -> str:
    """Only the lines of the series read here (and their TYPE lines): an engine serves hundreds of lines, and the
    parser costs about ten microseconds a line."""
    bases = _WANTED
    kept: list[str] = []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            if line[7:].startswith(bases) and "_created " not in line:
                kept.append(line)
        elif line.startswith(bases) and not line.partition("{")[0].endswith(("_created", "_count")):
            kept.append(line)
    return "\n".join(kept) + "\n"


def parse_samples(text: str) -> list[tuple[str, Mapping[str, str], float, float | None]]:
    """(sample name, labels, value, timestamp or None) of the wanted series; raises ValueError on a malformed line."""
    from prometheus_client.parser import text_string_to_metric_families

    samples: list[tuple[str, Mapping[str, str], float, float | None]] = []
    for family in text_string_to_metric_families(_wanted_lines(text)):
        for sample in family.samples:
            stamp = sample.timestamp
            samples.append((sample.name, sample.labels, float(sample.value), float(stamp) if stamp else None))
    return samples


def detect_engine(samples: Iterable[tuple[str, Mapping[str, str], float, float | None]]) -> Engine | None:
    """The engine whose series the endpoint serves (the frontend first: a Dynamo frontend may pass engine series on)."""
    names = {name for name, _, _, _ in samples}
    for engine in ENGINES:
        if any(name.startswith(engine.prefix) for name in names):
            return engine
    return None


def engine_series(
    engine: Engine, samples: Iterable[tuple[str, Mapping[str, str], float, float | None]]
) -> dict[str, float | Histogram]:
    """The engine's neutral series: counters and gauges summed over label sets, histograms summed by ``le``."""
    by_name: dict[str, list[tuple[Mapping[str, str], float]]] = {}
    for name, labels, value, _ in samples:
        by_name.setdefault(name, []).append((labels, value))
    series: dict[str, float | Histogram] = {}
    for neutral, names in engine.series.items():
        for name in names:
            if neutral in engine.histograms:
                histogram = _histogram(by_name.get(name + "_bucket", ()))
                if histogram:
                    series[neutral] = histogram
                    break
            elif name in by_name:
                series[neutral] = math.fsum(value for _, value in by_name[name])
                break
    return series


def _histogram(bucket_samples: Iterable[tuple[Mapping[str, str], float]]) -> Histogram:
    """One histogram from the ``_bucket`` samples of every label set (summed when their layouts agree)."""
    sets: dict[tuple[tuple[str, str], ...], dict[float, float]] = {}
    for labels, value in bucket_samples:
        le = labels.get("le")
        if le is None:
            continue
        try:
            bound = float(le)
        except ValueError:
            continue
        identity = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        sets.setdefault(identity, {})[bound] = value
    by_layout: dict[tuple[float, ...], list[float]] = {}
    for buckets in sets.values():
        layout = tuple(sorted(buckets))
        if not layout or not math.isinf(layout[-1]):
            continue
        counts = [buckets[b] for b in layout]
        total = by_layout.get(layout)
        by_layout[layout] = counts if total is None else [a + b for a, b in zip(total, counts, strict=True)]
    if not by_layout:
        return ()
    layout, counts = max(by_layout.items(), key=lambda item: item[1][-1])
    return tuple(zip(layout, counts, strict=True))


def dcgm_by_pod(
    samples: Iterable[tuple[str, Mapping[str, str], float, float | None]],
) -> dict[tuple[str, str], tuple[float, int, float | None]]:
    """(namespace, pod) -> (mean GPU utilisation in percent, GPUs, the newest sample timestamp if the exporter gave
    one) from a DCGM exporter's ``DCGM_FI_DEV_GPU_UTIL``; GPUs no pod uses are not attributed."""
    per_pod: dict[tuple[str, str], list[tuple[float, float | None]]] = {}
    for name, labels, value, stamp in samples:
        if name != DCGM_GPU_UTIL:
            continue
        namespace, pod = labels.get("namespace", ""), labels.get("pod", "")
        if namespace and pod:
            per_pod.setdefault((namespace, pod), []).append((value, stamp))
    out: dict[tuple[str, str], tuple[float, int, float | None]] = {}
    for key, values in per_pod.items():
        stamps = [s for _, s in values if s is not None]
        out[key] = (math.fsum(v for v, _ in values) / len(values), len(values), max(stamps) if stamps else None)
    return out


def has_dcgm_series(samples: Iterable[tuple[str, Any, float, float | None]]) -> bool:
    return any(name == DCGM_GPU_UTIL for name, _, _, _ in samples)
