"""``kubectl grove metrics PCS``: inference metrics per role, computed as Prometheus computes them.

A one-shot run lists the workload, scrapes its pods (and the DCGM exporters on their nodes) through the API server's
pod proxy, waits ``--window``, scrapes again and shows rates and quantiles over the two scrapes. ``-w`` keeps scraping
every few seconds and refreshes. Samples are events: ``--replay FILE [--at]`` shows what a recording (``record
--metrics``) held at that moment.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from grove.commands.errors import UsageError, UserError
from grove.commands.options import add_read_options
from grove.events import kinds as k

KINDS = (k.PODCLIQUESET, k.PODCLIQUESCALINGGROUP, k.PODCLIQUE, k.POD)


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "metrics",
        help="inference metrics per role: throughput, TTFT/ITL p99, GPU utilisation, queue",
        description="Scrape the engines of a PodCliqueSet (vLLM, SGLang, TensorRT-LLM, NVIDIA Dynamo) through the API "
        "server's pod proxy, twice --window apart, and show per role (PodClique spec.roleName) throughput, TTFT and "
        "ITL p99 (as Prometheus's histogram_quantile computes them), GPU utilisation from the DCGM exporter, and "
        "queued/active requests, each with its source.",
    )
    parser.add_argument("name", help="PodCliqueSet name")
    parser.add_argument("--role", help="only this role (a PodClique spec.roleName)")
    parser.add_argument(
        "--window", default="30s", metavar="D", help="the window rates and quantiles cover (default 30s)"
    )
    add_read_options(parser)
    parser.set_defaults(run="grove.commands.metrics:run")


def parse_window(text: str) -> float:
    from grove.commands.cluster import parse_timeout

    seconds = parse_timeout(text, flag="--window")
    if seconds <= 0:
        raise UsageError(f"--window {text!r} must be more than zero")
    return seconds


def run(args: argparse.Namespace) -> int:
    from grove.commands.read import check_flags

    check_flags(args)
    window = parse_window(args.window)
    if args.replay:
        if args.watch:
            raise UsageError(
                f"-w with --replay: open the recording in Arborist instead (kubectl grove replay "
                f"{args.replay}, then press m)"
            )
        from grove.commands.source import load_state

        state, scope = load_state(args, KINDS)
        return _print(args, _report(state, scope, args, window))
    if args.at:
        raise UsageError("--at needs --replay FILE")
    if args.watch:
        return _watch(args, window)
    return _one_shot(args, window)


def _report(state: Any, scope: Any, args: argparse.Namespace, window: float) -> Any:
    from grove.commands.targets import resolve_targets
    from grove.reducers.derive.metrics_report import metrics_report

    ((namespace, name),) = resolve_targets(state, scope, args.name)
    report = metrics_report(state, namespace, name, window, role=args.role)
    if args.role and not report.roles:
        from grove.reducers.derive.metrics_report import metrics_report as all_roles

        known = ", ".join(r.role for r in all_roles(state, namespace, name, window).roles) or "none"
        raise UserError(f"role {args.role!r} not found in PodCliqueSet {name!r} (roles: {known})")
    return report


def _print(args: argparse.Namespace, report: Any) -> int:
    fmt = args.output
    if fmt in ("json", "yaml"):
        from grove.views.serialize import document, dumps

        sys.stdout.write(dumps(document("MetricsReport", report), fmt))
        return 0
    from grove.commands.output import make_console
    from grove.views.metrics import render_metrics

    console = make_console(args)
    console.print(render_metrics(report, console.width))
    return 0


def workload_pods(state: Any, namespace: str, pcs: str) -> list[Any]:
    """The pods of the PodCliqueSet that exist now (objects, for their ports, labels and nodes)."""
    from grove.reducers.derive.hierarchy import build_pcs

    pods = []
    for clique in build_pcs(state, namespace, pcs).cliques():
        for pod in clique.pods:
            obj = state.get(k.POD, pod.facts.namespace, pod.facts.name)
            if obj is not None and not pod.facts.finished:
                pods.append(obj)
    return pods


def scraper_for(args: argparse.Namespace) -> Any:
    from grove.commands.cluster import access_from_args
    from grove.events.kube import Http
    from grove.events.metrics_scrape import MetricsScraper

    return MetricsScraper(Http(access_from_args(args), maxsize=8))


def _progress(text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[K{text}")
    else:
        sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _one_shot(args: argparse.Namespace, window: float, sleep: Callable[[float], None] = time.sleep) -> int:
    from grove.commands.source import load_state
    from grove.reducers.reduce import reduce

    state, scope = load_state(args, KINDS)
    from grove.commands.targets import resolve_targets

    ((namespace, name),) = resolve_targets(state, scope, args.name)
    pods = workload_pods(state, namespace, name)
    if not pods:
        raise UserError(f"PodCliqueSet {name!r} has no pods to scrape")
    scraper = scraper_for(args)
    try:
        _progress(f"scraping {len(pods)} pods of {namespace}/{name} (1 of 2)…")
        for sample in scraper.scrape(pods):
            state = reduce(state, sample)
        deadline = time.monotonic() + window
        while (left := deadline - time.monotonic()) > 0:
            _progress(f"second scrape in {left:.0f}s (--window {args.window})…")
            sleep(min(1.0, left))
        _progress(f"scraping {len(pods)} pods of {namespace}/{name} (2 of 2)…")
        for sample in scraper.scrape(pods):
            state = reduce(state, sample)
    finally:
        scraper.http.close()
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K")
    return _print(args, _report(state, scope, args, window))


class ScrapeLoop:
    """Scrapes the pods ``pods_of()`` returns every ``interval`` seconds in a thread, handing each sample to
    ``emit`` (the watch loop's reducer, or the recording writer) until ``stop``."""

    def __init__(
        self, scraper: Any, pods_of: Callable[[], Sequence[Any]], emit: Callable[[Any], None], interval: float
    ) -> None:
        self.scraper = scraper
        self.pods_of = pods_of
        self.emit = emit
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-scrape", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            pods = list(self.pods_of())
            if pods:
                for sample in self.scraper.scrape(pods):
                    if self._stop.is_set():
                        return
                    self.emit(sample)
            self._stop.wait(max(0.5, self.interval - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.scraper.http.close()


def recording_scrapes(
    args: argparse.Namespace, kinds: Sequence[str], newest: Callable[[], Any], emit: Callable[[Any], None]
) -> ScrapeLoop:
    """For ``record --metrics``: a scrape loop handing samples of every PodCliqueSet's pods in ``newest()`` (the
    state of what is recorded) to ``emit``."""
    from grove.reducers.derive.hierarchy import pcs_names

    missing = [kind for kind in (k.POD, k.PODCLIQUE) if kind not in kinds]
    if missing:
        raise UsageError(f"--metrics needs {' and '.join(missing)} among --kinds (to know the workloads' pods)")

    def pods() -> list[Any]:
        state = newest()
        return [pod for ns, name in pcs_names(state) for pod in workload_pods(state, ns, name)]

    return ScrapeLoop(scraper_for(args), pods, emit, parse_window(args.metrics))


def feed_scrapes(args: argparse.Namespace, feed: Any) -> ScrapeLoop:
    """For ``tui --metrics``: scrape every PodCliqueSet's pods of the feed's newest state into the feed."""
    from grove.reducers.derive.hierarchy import pcs_names

    def pods() -> list[Any]:
        state = feed.state
        return [pod for ns, name in pcs_names(state) for pod in workload_pods(state, ns, name)]

    return ScrapeLoop(scraper_for(args), pods, feed.push, parse_window(args.metrics))


class WatchScreen:
    """What ``metrics -w`` shows: "collecting" (with how much of the first window is in) until a window is covered,
    then the numbers over the window, recomputed once per window (in between, when the next come)."""

    def __init__(self, window: float, role: str | None = None, width: int = 120) -> None:
        self.window = window
        self.role = role
        self.width = width
        self.report: Any = None
        self.shown_at = 0.0

    def frame(self, state: Any, namespace: str, name: str, now: float) -> Any:
        from grove.reducers.derive.metrics_report import collecting, covers_window, metrics_report
        from grove.views.metrics import render_collecting, render_watched

        if self.report is None or now - self.shown_at >= self.window:
            progress = collecting(state, namespace, name, self.window, role=self.role)
            report = metrics_report(state, namespace, name, self.window, role=self.role)
            # pods replaced during the first window never cover it alone: after two windows, show what there is
            waited_long = progress.first_at is not None and now - progress.first_at >= 2 * self.window
            if self.report is None and not (covers_window(report) or waited_long):
                return render_collecting(progress, now)
            self.report, self.shown_at = report, now
        return render_watched(self.report, self.shown_at + self.window - now, self.width)


def _watch(args: argparse.Namespace, window: float) -> int:
    from rich.live import Live

    from grove.commands.output import make_console
    from grove.commands.source import live_stream
    from grove.commands.targets import resolve_targets
    from grove.reducers.reduce import reduce
    from grove.reducers.state import empty_state

    events, scope, close = live_stream(args, KINDS)
    lock = threading.Lock()
    holder: dict[str, Any] = {"state": empty_state(), "error": None}

    def fold(event: Any) -> None:
        with lock:
            holder["state"] = reduce(holder["state"], event)

    def target() -> tuple[str, str] | None:
        with lock:
            state = holder["state"]
        try:
            ((namespace, name),) = resolve_targets(state, scope, args.name)
        except UserError:
            return None
        return namespace, name

    def pods() -> list[Any]:
        found = target()
        if found is None:
            return []
        with lock:
            state = holder["state"]
        return workload_pods(state, *found)

    subscription = events.subscribe(on_next=fold, on_error=lambda exc: holder.update(error=exc))
    loop = ScrapeLoop(scraper_for(args), pods, fold, interval=min(10.0, max(2.0, window / 3)))
    loop.start()
    console = make_console(args)
    screen = WatchScreen(window, args.role, console.width)
    try:
        with Live(console=console, auto_refresh=False, transient=False) as live:
            while holder["error"] is None:
                found = target()
                with lock:
                    state = holder["state"]
                if found is not None:
                    live.update(screen.frame(state, found[0], found[1], time.time()), refresh=True)
                time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()
        subscription.dispose()
        close()
    if holder["error"] is not None:
        raise UserError(str(holder["error"]))
    return 0
