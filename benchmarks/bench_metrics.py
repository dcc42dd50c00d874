"""One refresh of ``kubectl grove metrics`` for 200 pods: parse each pod's exposition, fold the samples, compute the
per-role report (rates, TTFT/ITL p99 per role). Goal: <= 0.5 s of CPU. Prints figures; never fails on time.

Each exposition is written by prometheus_client itself, shaped like vLLM's (its TTFT and ITL histograms with vLLM's
bucket bounds, token counters, request gauges, plus the dozens of other series an engine serves: ~700 lines).

    .venv/bin/python benchmarks/bench_metrics.py [--pods 200]
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from grove.events.exposition import detect_engine, engine_series, parse_samples
from grove.events.model import Listed, MetricsSampled
from grove.reducers.derive.metrics_report import metrics_report
from grove.reducers.reduce import fold_one_by_one, reduce

TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0]
ITL = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0]


def exposition(rng: random.Random, scale: int) -> str:
    registry = CollectorRegistry()
    labels = ["model_name", "engine"]
    ttft = Histogram("vllm:time_to_first_token_seconds", "TTFT", labels, buckets=TTFT, registry=registry)
    itl = Histogram("vllm:inter_token_latency_seconds", "ITL", labels, buckets=ITL, registry=registry)
    for _ in range(40 * scale):
        ttft.labels("llama", "0").observe(rng.lognormvariate(-2.0, 0.5))
        itl.labels("llama", "0").observe(rng.lognormvariate(-3.5, 0.4))
    Counter("vllm:prompt_tokens", "p", labels, registry=registry).labels("llama", "0").inc(90_000 * scale)
    Counter("vllm:generation_tokens", "g", labels, registry=registry).labels("llama", "0").inc(20_000 * scale)
    Gauge("vllm:num_requests_running", "r", labels, registry=registry).labels("llama", "0").set(rng.randint(0, 40))
    Gauge("vllm:num_requests_waiting", "w", labels, registry=registry).labels("llama", "0").set(rng.randint(0, 5))
    for i in range(18):  # the other histograms an engine serves (e2e latency, queue time, prefill time, ...)
        other = Histogram(f"vllm:other_{i}_seconds", "x", labels, buckets=TTFT, registry=registry)
        other.labels("llama", "0").observe(rng.random())
    for i in range(20):
        Gauge(f"vllm:gauge_{i}", "x", labels, registry=registry).labels("llama", "0").set(rng.random())
    return generate_latest(registry).decode()


def world(pods: int) -> list[Listed]:
    part_of = {"app.kubernetes.io/part-of": "llm", "grove.io/podcliqueset-replica-index": "0"}
    cliques = [
        {"metadata": {"name": f"llm-0-{r}", "namespace": "prod", "labels": part_of}, "spec": {"roleName": r}}
        for r in ("prefill", "decode")
    ]
    objects = [
        {
            "metadata": {
                "name": f"llm-0-{'prefill' if i % 2 else 'decode'}-{i}",
                "namespace": "prod",
                "labels": {**part_of, "grove.io/podclique": f"llm-0-{'prefill' if i % 2 else 'decode'}"},
            },
            "spec": {"nodeName": f"node-{i // 8}"},
            "status": {"phase": "Running"},
        }
        for i in range(pods)
    ]
    pcs = [{"metadata": {"name": "llm", "namespace": "prod"}, "spec": {"replicas": 1}}]
    return [
        Listed(0.0, "PodCliqueSet", tuple(pcs)),
        Listed(0.0, "PodClique", tuple(cliques)),
        Listed(0.0, "Pod", tuple(objects)),
    ]


def sample(at: float, pod: Any, text: str) -> MetricsSampled:
    samples = parse_samples(text)
    engine = detect_engine(samples)
    assert engine is not None
    return MetricsSampled(at, "prod", pod["metadata"]["name"], engine.name, engine_series(engine, samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(1)
    events = world(args.pods)
    pods = list(events[2].objects)
    first = [exposition(rng, 1) for _ in pods]
    second = [exposition(rng, 2) for _ in pods]
    state = fold_one_by_one(events)
    for pod, text in zip(pods, first, strict=True):
        state = reduce(state, sample(10.0, pod, text))
    lines = sum(t.count("\n") for t in second) / len(second)

    started, cpu = time.perf_counter(), time.process_time()
    parsed = [sample(40.0, pod, text) for pod, text in zip(pods, second, strict=True)]
    parse_cpu = time.process_time() - cpu
    for event in parsed:
        state = reduce(state, event)
    fold_cpu = time.process_time() - cpu - parse_cpu
    report = metrics_report(state, "prod", "llm", 30.0)
    total_cpu = time.process_time() - cpu
    wall = time.perf_counter() - started
    print(f"{args.pods} pods, {lines:.0f} exposition lines each")
    print(f"parse {parse_cpu:.3f} s  fold {fold_cpu:.3f} s  report {total_cpu - parse_cpu - fold_cpu:.3f} s")
    print(f"one refresh: {total_cpu:.3f} s CPU ({wall:.3f} s wall); goal <= 0.5 s")
    for role in report.roles:
        print(f"  {role.role}: {role.scraped} pods, TTFT p99 {role.ttft_p99.value}, ITL p99 {role.itl_p99.value}")


if __name__ == "__main__":
    main()
