"""Inference metrics of one PodCliqueSet per role, derived from the samples in the state.

Each pod's numbers over the window come from two of its samples: the newest at the moment asked for, and the newest
at least a window older (else the oldest there is: the window is then shorter, and says so). Throughput is the
counters' increase over the time between the two; TTFT and ITL p99 are ``histogram_quantile(0.99, sum by (le)
(increase(...)))`` over the role's pods (quantiles.py); queue and active requests are the newest gauges;
GPU utilisation is the DCGM exporter's newest figure per pod, weighted by GPUs, with its age.

A role is a PodClique ``spec.roleName``. Every figure names its source: the user-facing TTFT comes from the frontend
(an engine's TTFT is local to it in disaggregated serving), the ITL from the decode role.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence

import attrs

from grove.events import kinds
from grove.events.exposition import engine_named
from grove.events.model import Histogram, MetricsSampled
from grove.reducers import fields as f
from grove.reducers.derivation import derivation
from grove.reducers.derive.hierarchy import build_pcs
from grove.reducers.derive.quantiles import Quantile, buckets_increase, counter_increase, histogram_quantile
from grove.reducers.metrics import samples_of
from grove.reducers.state import MetricsKey, State

METRICS_KEYS = derivation(
    "metrics:keys", reads_clock=False, about="the metrics series the state holds, by PodCliqueSet"
)

P99 = 0.99
DYNAMO_COMPONENT = "nvidia.com/dynamo-component-type"
HISTORY_POINTS = 40


@attrs.frozen
class Figure:
    """One number (None: no data, shown as "–"), its unit and where it comes from."""

    value: float | None
    unit: str
    source: str = ""
    at_least: bool = False  # a quantile in the +Inf bucket: the truth is at least ``value``
    note: str = ""


NONE_S = Figure(None, "s")


@attrs.frozen
class RoleMetrics:
    """One role's numbers over the window (its pods' rates summed, its histograms summed by ``le``)."""

    role: str
    kind: str  # frontend, prefill, decode or worker (aggregated)
    pods: int
    scraped: int  # pods with an engine sample
    engines: tuple[str, ...]
    window: float | None  # the seconds the rates and quantiles cover (the shortest of the role's pods)
    prompt_tokens_per_s: Figure
    output_tokens_per_s: Figure
    ttft_p99: Figure
    itl_p99: Figure
    gpu_util: Figure
    running: Figure
    waiting: Figure


@attrs.frozen
class Serving:
    """The numbers a user of the service sees, each from the role that measures it."""

    output_tokens_per_s: Figure
    ttft_p99: Figure
    itl_p99: Figure


@attrs.frozen
class HistoryPoint:
    """A role's figures at one earlier sample moment (for Arborist's sparklines)."""

    at: float
    output_tokens_per_s: float | None
    ttft_p99: float | None
    itl_p99: float | None
    waiting: float | None
    gpu_util: float | None


@attrs.frozen
class MetricsReport:
    """Inference metrics of one PodCliqueSet per role, at ``at`` over ``window`` seconds, with one line per problem."""

    namespace: str
    pcs: str
    at: float
    window: float  # asked for
    roles: tuple[RoleMetrics, ...]
    serving: Serving
    problems: tuple[str, ...]
    history: Mapping[str, tuple[HistoryPoint, ...]] = attrs.field(factory=dict, repr=False)  # Arborist only


# ----------------------------------------------------------------------------------------------- samples


def _keys_by_pod(state: State) -> Mapping[tuple[str, str], tuple[MetricsKey, ...]]:
    def build() -> dict[tuple[str, str], tuple[MetricsKey, ...]]:
        return {pod: tuple((*pod, source) for source in sources) for pod, sources in state.metrics.items()}

    return state.memoised(METRICS_KEYS, "", id(state.metrics), build)


def _upto(samples: Sequence[MetricsSampled], at: float) -> Sequence[MetricsSampled]:
    """The samples taken at or before ``at``."""
    return samples[: bisect.bisect_right([s.at for s in samples], at)]


def window_pair(
    samples: Sequence[MetricsSampled], at: float, window: float
) -> tuple[MetricsSampled, MetricsSampled] | None:
    """(older, newer) good samples ``window`` apart as near as the history allows, the newer at or before ``at``."""
    good = [s for s in _upto(samples, at) if not s.problem]
    if len(good) < 2:
        return None
    newer = good[-1]
    older = [s for s in good[:-1] if s.at <= newer.at - window]
    return (older[-1] if older else good[0]), newer


def _latest(samples: Sequence[MetricsSampled], at: float) -> MetricsSampled | None:
    upto = _upto(samples, at)
    return upto[-1] if upto else None


def _engine_of(source: str) -> str:
    return source.split(":", 1)[-1]


def _metric_name(sources: Iterable[str], series: str) -> str:
    """The series name each engine among ``sources`` serves ``series`` under, joined with " + "."""
    names: dict[str, None] = {}
    for source in sorted(sources):
        engine = engine_named(_engine_of(source))
        names[engine.series[series][0] if engine is not None and series in engine.series else series] = None
    return " + ".join(names) or series


# ------------------------------------------------------------------------------------------------- roles


def _role_kind(role: str, pods: Sequence[Mapping[str, object]], engines: Iterable[str]) -> str:
    labels = {str(f.labels(p).get(DYNAMO_COMPONENT, "")) for p in pods}
    if "frontend" in labels or "dynamo-frontend" in set(engines):
        return "frontend"
    lowered = role.lower()
    for kind in ("prefill", "decode"):
        if kind in labels or kind in lowered:
            return kind
    if "frontend" in lowered or "router" in lowered:
        return "frontend"
    return "worker"


def _figures(
    state: State, role: str, pods: Sequence[tuple[str, str]], at: float, window: float
) -> tuple[dict[str, Figure], int, tuple[str, ...], float | None]:
    keys_by_pod = _keys_by_pod(state)
    prompt = output = 0.0
    running = waiting = 0.0
    counted = gauges = 0
    ttft: list[Histogram] = []
    itl: list[Histogram] = []
    engines: set[str] = set()
    spans: list[float] = []
    gpu_weighted = gpu_count = 0.0
    gpu_oldest: float | None = None
    for pod in pods:
        for key in keys_by_pod.get(pod, ()):
            samples = samples_of(state.metrics, key)
            if key[2] == "dcgm":
                latest = _latest(samples, at)
                if latest is not None and not latest.problem:
                    gpus = float(latest.series.get("gpus", 1.0))  # type: ignore[arg-type]
                    gpu_weighted += float(latest.series["gpu_util"]) * gpus  # type: ignore[arg-type]
                    gpu_count += gpus
                    taken = float(latest.series.get("exporter_time", latest.at))  # type: ignore[arg-type]
                    gpu_oldest = taken if gpu_oldest is None else min(gpu_oldest, taken)
                continue
            latest = _latest(samples, at)
            if latest is None or latest.problem:
                continue
            engines.add(key[2])
            series = latest.series
            if "running" in series or "waiting" in series:
                running += float(series.get("running", 0.0))  # type: ignore[arg-type]
                waiting += float(series.get("waiting", 0.0))  # type: ignore[arg-type]
                gauges += 1
            pair = window_pair(samples, at, window)
            if pair is None:
                continue
            older, newer = pair
            span = newer.at - older.at
            if span <= 0:
                continue
            counted += 1
            spans.append(span)
            for name, total in (("prompt_tokens", "p"), ("generation_tokens", "o")):
                old, new = older.series.get(name), newer.series.get(name)
                if isinstance(old, float) and isinstance(new, float):
                    per_s = counter_increase(old, new) / span
                    if total == "p":
                        prompt += per_s
                    else:
                        output += per_s
            for name, into in (("ttft", ttft), ("itl", itl)):
                old_h, new_h = older.series.get(name), newer.series.get(name)
                if isinstance(old_h, tuple) and isinstance(new_h, tuple):
                    into.append(buckets_increase(old_h, new_h))
    on = f"on {counted} {role} pod{'s' if counted != 1 else ''}"
    figures = {
        "prompt": Figure(prompt if counted else None, "tokens/s", f"{_metric_name(engines, 'prompt_tokens')} {on}"),
        "output": Figure(output if counted else None, "tokens/s", f"{_metric_name(engines, 'generation_tokens')} {on}"),
        "ttft": _quantile_figure(histogram_quantile(P99, ttft), f"{_metric_name(engines, 'ttft')} {on}"),
        "itl": _quantile_figure(histogram_quantile(P99, itl), f"{_metric_name(engines, 'itl')} {on}"),
        "running": Figure(running if gauges else None, "requests", f"{_metric_name(engines, 'running')}"),
        "waiting": Figure(waiting if gauges else None, "requests", f"{_metric_name(engines, 'waiting')}"),
        "gpu": Figure(
            gpu_weighted / gpu_count if gpu_count else None,
            "%",
            "DCGM_FI_DEV_GPU_UTIL (DCGM exporter)" if gpu_count else "",
            note=f"{max(0.0, at - gpu_oldest):.0f}s old" if gpu_oldest is not None else "",
        ),
    }
    return figures, counted, tuple(sorted(engines)), (min(spans) if spans else None)


def _quantile_figure(answers: list[Quantile], source: str) -> Figure:
    if not answers or answers[0].value is None:
        return Figure(None, "s", source)
    first = answers[0]
    note = f"{len(answers)} bucket layouts: the one with most observations shown" if len(answers) > 1 else ""
    return Figure(first.value, "s", source, first.at_least, note)


def _pods_by_role(state: State, namespace: str, pcs: str) -> dict[str, list[tuple[str, str]]]:
    node = build_pcs(state, namespace, pcs)
    by_role: dict[str, list[tuple[str, str]]] = {}
    for clique in node.cliques():
        role = clique.role if clique.role and clique.role != "?" else clique.clique
        pods = by_role.setdefault(role, [])
        for pod in clique.pods:
            if not pod.facts.finished:
                pods.append((pod.facts.namespace, pod.facts.name))
    return by_role


def metrics_report(
    state: State, namespace: str, pcs: str, window: float, role: str | None = None, history: bool = False
) -> MetricsReport:
    """The metrics of ``pcs`` at the state's moment (``role``: only that one)."""
    at = state.now
    by_role = _pods_by_role(state, namespace, pcs)
    if role is not None:
        by_role = {r: pods for r, pods in by_role.items() if r == role}
    roles: list[RoleMetrics] = []
    for name, pods in sorted(by_role.items()):
        figures, scraped, engines, span = _figures(state, name, pods, at, window)
        objects = [o for ns, p in pods if (o := state.get(kinds.POD, ns, p)) is not None]
        roles.append(
            RoleMetrics(
                role=name,
                kind=_role_kind(name, objects, engines),
                pods=len(pods),
                scraped=scraped,
                engines=tuple(sorted({_engine_of(e) for e in engines})),
                window=span,
                prompt_tokens_per_s=figures["prompt"],
                output_tokens_per_s=figures["output"],
                ttft_p99=figures["ttft"],
                itl_p99=figures["itl"],
                gpu_util=figures["gpu"],
                running=figures["running"],
                waiting=figures["waiting"],
            )
        )
    roles.sort(key=lambda r: (("frontend", "prefill", "decode", "worker").index(r.kind), r.role))
    pods_all = [pod for pods in by_role.values() for pod in pods]
    report = MetricsReport(
        namespace=namespace,
        pcs=pcs,
        at=at,
        window=window,
        roles=tuple(roles),
        serving=_serving(roles),
        problems=_problems(state, namespace, pods_all, at),
    )
    if history:
        report = attrs.evolve(report, history=_history(state, by_role, window))
    return report


@attrs.frozen
class Collecting:
    """How far the first window of a PodCliqueSet's samples has got (for ``metrics -w`` before it is covered)."""

    namespace: str
    pcs: str
    window: float
    first_at: float | None  # the earliest good engine sample of the workload's pods (None: none answered yet)
    pods: int
    answered: int  # pods whose newest engine sample has numbers
    problems: tuple[str, ...]

    def elapsed(self, now: float) -> float:
        """Seconds of the first window collected at ``now`` (at most the window)."""
        return 0.0 if self.first_at is None else min(self.window, max(0.0, now - self.first_at))


def collecting(state: State, namespace: str, pcs: str, window: float, role: str | None = None) -> Collecting:
    """The first window's progress: since when the workload's pods have answered, how many did, and the problems."""
    by_role = _pods_by_role(state, namespace, pcs)
    if role is not None:
        by_role = {r: pods for r, pods in by_role.items() if r == role}
    pods_all = [pod for pods in by_role.values() for pod in pods]
    keys_by_pod = _keys_by_pod(state)
    first: float | None = None
    answered = 0
    for pod in pods_all:
        good = False
        for key in keys_by_pod.get(pod, ()):
            if key[2] == "dcgm":
                continue
            upto = _upto(samples_of(state.metrics, key), state.now)
            oldest_good = next((s for s in upto if not s.problem), None)
            if oldest_good is not None:
                first = oldest_good.at if first is None else min(first, oldest_good.at)
            good = good or (bool(upto) and not upto[-1].problem)
        answered += good
    problems = _problems(state, namespace, pods_all, state.now)
    return Collecting(namespace, pcs, window, first, len(pods_all), answered, problems)


def covers_window(report: MetricsReport) -> bool:
    """Whether some role's numbers cover the whole window asked for (two samples of a pod at least that far apart)."""
    return any(r.window is not None and r.window >= report.window for r in report.roles)


def _serving(roles: Sequence[RoleMetrics]) -> Serving:
    by_kind: dict[str, RoleMetrics] = {}
    for r in roles:
        if r.scraped:
            by_kind.setdefault(r.kind, r)
    frontend, decode, worker, prefill = (by_kind.get(k) for k in ("frontend", "decode", "worker", "prefill"))

    def sourced(figure: Figure, role: RoleMetrics, how: str) -> Figure:
        return attrs.evolve(figure, source=f"role {role.role} ({how}): {figure.source}")

    ttft = NONE_S
    if frontend is not None and frontend.ttft_p99.value is not None:
        ttft = sourced(frontend.ttft_p99, frontend, "the frontend: user-facing")
    elif worker is not None:
        ttft = sourced(worker.ttft_p99, worker, "aggregated engines")
    elif prefill is not None:
        ttft = sourced(prefill.ttft_p99, prefill, "local to the prefill engines: no frontend measures the user's")
    itl = NONE_S
    if decode is not None:
        itl = sourced(decode.itl_p99, decode, "decode engines")
    elif worker is not None:
        itl = sourced(worker.itl_p99, worker, "aggregated engines")
    elif frontend is not None:
        itl = sourced(frontend.itl_p99, frontend, "the frontend")
    throughput = Figure(None, "tokens/s")
    for candidate, how in ((frontend, "the frontend"), (decode, "decode engines"), (worker, "aggregated engines")):
        if candidate is not None and candidate.output_tokens_per_s.value is not None:
            throughput = sourced(candidate.output_tokens_per_s, candidate, how)
            break
    return Serving(throughput, ttft, itl)


def _problems(state: State, namespace: str, pods: Sequence[tuple[str, str]], at: float) -> tuple[str, ...]:
    """One line per problem, naming the pods it concerns (a problem only counts while it is the newest sample)."""
    keys_by_pod = _keys_by_pod(state)
    by_problem: dict[str, list[str]] = {}
    for pod in [*pods, (namespace, "")]:
        for key in keys_by_pod.get(pod, ()):
            latest = _latest(samples_of(state.metrics, key), at)
            if latest is not None and latest.problem:
                by_problem.setdefault(latest.problem, []).append(pod[1])
    lines = []
    for problem, names in sorted(by_problem.items()):
        named = [n for n in names if n]
        if not named:
            lines.append(problem)
            continue
        shown = ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
        lines.append(f"{shown}: {problem}")
    return tuple(lines)


def _history(
    state: State, by_role: Mapping[str, Sequence[tuple[str, str]]], window: float
) -> dict[str, tuple[HistoryPoint, ...]]:
    """Per role, the figures at each of the last sample moments (for sparklines)."""
    keys_by_pod = _keys_by_pod(state)
    out: dict[str, tuple[HistoryPoint, ...]] = {}
    for role, pods in by_role.items():
        moments: set[float] = set()
        for pod in pods:
            for key in keys_by_pod.get(pod, ()):
                if key[2] != "dcgm":
                    moments.update(round(s.at) for s in samples_of(state.metrics, key) if s.at <= state.now)
        points = []
        for moment in sorted(moments)[-HISTORY_POINTS:]:
            figures, _, _, _ = _figures(state, role, pods, moment + 0.5, window)
            points.append(
                HistoryPoint(
                    moment,
                    figures["output"].value,
                    figures["ttft"].value,
                    figures["itl"].value,
                    figures["waiting"].value,
                    figures["gpu"].value,
                )
            )
        out[role] = tuple(points)
    return out


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
