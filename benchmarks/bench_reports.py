"""Deriving each one-shot report from a folded state (no network): what a read command does once the lists are in.

    .venv/bin/python benchmarks/bench_reports.py [--nodes 1000] [--pods 10000] [--pcs 473] [--runs 3] [--profile NAME]

Folds a synthetic cluster at a realistic shape (as ``bench_live.py`` serves it) into a fresh state per run and times
``topology -A``, ``status -A`` (its table: the summary rows; and the whole report that ``-o json`` prints),
``health -A`` and ``topology PCS``: deriving the report, then rendering it to text as a piped command writes it.
A command is a fresh process with no earlier state, so each run folds objects decoded afresh (no derivation cached by
object identity in an earlier run is reused). Goal: deriving each <= 1.0 s. ``--profile NAME`` prints a cProfile of one
report instead. Prints figures; never fails on time. The machine may be shared: read ranges.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shape import add_shape_arguments, synthetic_cluster  # noqa: E402

from grove.events.gc_pause import cyclic_gc_paused  # noqa: E402
from grove.events.model import Event, Listed  # noqa: E402
from grove.events.recordings.codec import strip_object  # noqa: E402
from grove.reducers.batch import fold  # noqa: E402
from grove.reducers.derive.hierarchy import pcs_names  # noqa: E402
from grove.reducers.derive.reports import (  # noqa: E402
    health_report,
    status_report,
    status_summary,
    topology_report,
)
from grove.reducers.state import State  # noqa: E402


def _render(renderable: Any) -> str:
    from rich.console import Console

    from grove.views.plain import print_renderable

    console = Console(file=io.StringIO(), width=160, color_system=None, force_terminal=False)
    print_renderable(console, renderable)  # as a piped command writes it
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def reports(state: State) -> dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]]:
    """Per command: (derive the report, render it to text)."""
    from grove.views.health import render_health
    from grove.views.status import render_status, render_summary
    from grove.views.topology import render_topology

    names = pcs_names(state, None)
    ns, name = names[len(names) // 2]
    return {
        "topology -A": (lambda: topology_report(state, None, None), lambda r: _render(render_topology(r))),
        "status -A": (  # as the command derives its table: the summary rows alone
            lambda: status_summary(state, names, None),
            lambda r: _render(render_summary(r)),
        ),
        "status -A, whole report": (
            lambda: status_report(state, names, None),
            lambda r: _render(render_status(r, False)),
        ),
        "health -A": (lambda: health_report(state, names, None), lambda r: _render(render_health(r))),
        "topology PCS": (
            lambda: topology_report(state, [(ns, name)], ns),
            lambda r: _render(render_topology(r)),
        ),
    }


def listed_events(args: argparse.Namespace) -> list[Event]:
    cluster = synthetic_cluster(args)
    return [
        Listed(e.at, e.kind, tuple(strip_object(o) for o in e.objects)) if isinstance(e, Listed) else e
        for e in cluster.listed()
    ]


def _decoded_afresh(events: list[Event]) -> list[Event]:
    return [
        Listed(e.at, e.kind, tuple(orjson.loads(orjson.dumps(list(e.objects))))) if isinstance(e, Listed) else e
        for e in events
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_shape_arguments(parser)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="NAME", help="cProfile one report (e.g. 'topology -A')")
    args = parser.parse_args()

    gc.set_threshold(50_000, 50, 100)  # as the commands run (grove.commands.main)
    events = listed_events(args)
    print(
        f"{args.pods:,} pods, {args.nodes:,} nodes, {args.pcs} PodCliqueSets ({args.cliques} cliques x "
        f"{args.replicas} replicas), {args.bindings} bindings, {args.events:,} Events"
    )
    if args.profile:
        with cyclic_gc_paused():
            state = fold(events)
        derive, render = reports(state)[args.profile]
        profiler = cProfile.Profile()
        profiler.enable()
        render(derive())
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        return 0
    times: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.runs):
        for label in ("topology -A", "status -A", "status -A, whole report", "health -A", "topology PCS"):
            with cyclic_gc_paused():
                state = fold(_decoded_afresh(events))
            derive, render = reports(state)[label]
            began = time.perf_counter()
            report = derive()
            derived = time.perf_counter()
            render(report)
            times.setdefault(label, []).append((derived - began, time.perf_counter() - derived))
    for label, values in times.items():
        derive_s, render_s = [v[0] for v in values], [v[1] for v in values]
        print(
            f"{label:24s} derive best {min(derive_s):5.2f}s median {statistics.median(derive_s):5.2f}s (goal <= 1.0 s)"
            f"   render best {min(render_s):5.2f}s median {statistics.median(render_s):5.2f}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
