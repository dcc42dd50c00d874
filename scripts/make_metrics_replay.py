"""Write ``replays/rolling-update-metrics.jsonl``: the rolling-update recording with engine and GPU metrics.

Every 5 s of the recording, each running pod of ``prod/llm-serve`` gets a vLLM sample (as ``record --metrics`` writes
them: prompt and generation token counters, TTFT and ITL histograms with vLLM's own bucket bounds, running and
waiting requests) and a DCGM sample (GPU utilisation). The load is steady; while replica 0 rolls, the pods being
replaced serve nothing, so the others queue more, their TTFT and ITL grow, and a new pod starts its counters from
zero. Deterministic (a seeded generator): running it again writes the same bytes.

    .venv/bin/python scripts/make_metrics_replay.py [--check]
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs

from grove.events import kinds
from grove.events.model import Event, Histogram, MetricsSampled
from grove.events.recordings.codec import event_to_json
from grove.events.recordings.reader import Recording
from grove.events.recordings.writer import write_recording
from grove.reducers.derive.hierarchy import build_pcs
from grove.reducers.reduce import reduce
from grove.reducers.state import State, empty_state

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "replays" / "rolling-update.jsonl"
TARGET = ROOT / "replays" / "rolling-update-metrics.jsonl"
NAMESPACE, PCS = "prod", "llm-serve"
TICK = 5.0

# vLLM's bucket bounds (vllm/v1/metrics/loggers.py; TensorRT-LLM copies them)
TTFT_BOUNDS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0)
TTFT_BOUNDS += (80.0, 160.0, 640.0, 2560.0)
ITL_BOUNDS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0)

REQUESTS_PER_S = 24.0  # the whole service, spread over the running pods of each role
PROMPT_TOKENS, OUTPUT_TOKENS = 1800, 350  # per request


@attrs.define
class Engine:
    """One pod's cumulative counters, as its vLLM process keeps them."""

    role: str
    prompt: float = 0.0
    generation: float = 0.0
    ttft: list[float] = attrs.field(factory=lambda: [0.0] * (len(TTFT_BOUNDS) + 1))
    itl: list[float] = attrs.field(factory=lambda: [0.0] * (len(ITL_BOUNDS) + 1))


def _observe(counts: list[float], bounds: tuple[float, ...], value: float) -> None:
    counts[bisect.bisect_left(bounds, value)] += 1  # per-bucket (not cumulative) here; cumulated when written


def _cumulative(counts: list[float], bounds: tuple[float, ...]) -> Histogram:
    total, out = 0.0, []
    for bound, count in zip((*bounds, math.inf), counts, strict=True):
        total += count
        out.append((bound, total))
    return tuple(out)


def _pods(state: State) -> tuple[dict[str, list[tuple[str, str]]], dict[str, int], list[tuple[str, str]]]:
    """role -> (pod, node) of the pods running and ready, in name order; role -> every pod's count; and the pods
    that are not running yet (pod, phase)."""
    by_role: dict[str, list[tuple[str, str]]] = {}
    totals: dict[str, int] = {}
    waiting: list[tuple[str, str]] = []
    for clique in build_pcs(state, NAMESPACE, PCS).cliques():
        for pod in clique.pods:
            totals[clique.role] = totals.get(clique.role, 0) + 1
            if pod.facts.phase == "Running" and pod.facts.ready:
                by_role.setdefault(clique.role, []).append((pod.facts.name, pod.facts.node))
            else:
                waiting.append((pod.facts.name, pod.facts.phase or "no phase yet"))
    return {role: sorted(pods) for role, pods in sorted(by_role.items())}, totals, sorted(waiting)


def _samples(state: State, at: float, engines: dict[str, Engine], rng: random.Random) -> Iterator[MetricsSampled]:
    by_role, totals, not_running = _pods(state)
    for pod, phase in not_running:
        problem = f"not running ({phase}): no metrics yet"
        yield MetricsSampled(round(at, 3), NAMESPACE, pod, "vllm", {}, problem)
    for role, pods in by_role.items():
        share = REQUESTS_PER_S * TICK / max(1, len(pods))  # requests each pod serves this tick
        pressure = totals[role] / max(1, len(pods))  # > 1 while pods are away
        for index, (pod, _) in enumerate(pods):
            engine = engines.setdefault(pod, Engine(role))
            requests = max(0, round(rng.gauss(share, share * 0.1)))
            waiting = max(0.0, round(rng.gauss(40.0 * (pressure - 1), 1.0)))
            running = max(0.0, round(rng.gauss(share / TICK * 6 * pressure, 2.0)))
            for _ in range(requests):
                if role == "prefill":
                    engine.prompt += PROMPT_TOKENS * rng.uniform(0.5, 1.5)
                    engine.generation += 1
                    _observe(engine.ttft, TTFT_BOUNDS, rng.lognormvariate(math.log(0.09 * pressure**2), 0.45))
                else:
                    tokens = round(OUTPUT_TOKENS * rng.uniform(0.5, 1.5))
                    engine.generation += tokens
                    _observe(engine.ttft, TTFT_BOUNDS, rng.lognormvariate(math.log(0.02), 0.3))
                    for _ in range(8):  # a few ITL observations stand for the request's tokens
                        _observe(engine.itl, ITL_BOUNDS, rng.lognormvariate(math.log(0.028 * pressure), 0.35))
            series = {
                "prompt_tokens": round(engine.prompt),
                "generation_tokens": float(engine.generation),
                "ttft": _cumulative(engine.ttft, TTFT_BOUNDS),
                "itl": _cumulative(engine.itl, ITL_BOUNDS),
                "running": running,
                "waiting": waiting,
            }
            yield MetricsSampled(round(at + 0.01 * index, 3), NAMESPACE, pod, "vllm", series, "", "8000/metrics")
    for role, pods in by_role.items():
        for index, (pod, _) in enumerate(pods):
            base = 88.0 if role == "decode" else 72.0
            util = min(100.0, max(0.0, round(rng.gauss(base, 4.0))))
            sample_at = round(at + 0.5 + 0.01 * index, 3)
            yield MetricsSampled(sample_at, NAMESPACE, pod, "dcgm", {"gpu_util": util, "gpus": 1.0}, "", "9400/metrics")


def build() -> list[Event]:
    recording = Recording(SOURCE)
    events = recording.load()
    rng = random.Random(12)
    engines: dict[str, Engine] = {}
    state = empty_state()
    out: list[Event] = []
    start = recording.header.start
    next_tick = start + TICK
    for event in events:
        while event.at > next_tick:
            if state.count(kinds.POD):
                out.extend(_samples(state, next_tick, engines, rng))
            next_tick += TICK
        state = reduce(state, event)
        out.append(event)
    # in time order, as a live recording is: a reader at --at T stops at the first line past T
    return sorted(out, key=lambda e: e.at)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    args = parser.parse_args()
    header = attrs.evolve(
        Recording(SOURCE).header,
        tool="kubectl-grove scripts/make_metrics_replay.py",
        note=Recording(SOURCE).header.note + " Metrics: vLLM on every pod and DCGM GPU utilisation, every 5 s.",
    )
    events = build()
    if args.check:
        lines = [event_to_json(e, header.start) for e in events]
        import orjson

        expected = orjson.dumps(header.to_json()) + b"\n" + b"".join(orjson.dumps(line) + b"\n" for line in lines)
        if TARGET.read_bytes() != expected:
            sys.stderr.write(f"{TARGET} is out of date: run scripts/make_metrics_replay.py\n")
            return 1
        return 0
    count = write_recording(TARGET, header, events)
    sys.stdout.write(f"wrote {TARGET.relative_to(ROOT)}: {count} events\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
