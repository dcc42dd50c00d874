"""Preview and fit on a large synthetic cluster.

    .venv/bin/python benchmarks/bench_preview.py [--nodes 1000] [--pods 10000] [--pcs 50] [--repeat 3]

Builds the synthetic state (``grove.simulate.synthetic``), then times ``preview`` of an image update of one
PodCliqueSet (pods / pcs pods, 200 by default) and ``fit`` of the same PodCliqueSet. Goals: preview <= 1 s,
fit <= 0.5 s. Prints figures; never fails on time. The cyclic collector runs with the CLI's thresholds: with the
default ones a full collection over the 10,000-pod state (0.3-0.4 s) lands in some runs and not in others.
"""

from __future__ import annotations

import argparse
import copy
import gc
import hashlib
import json
import statistics
import time

import attrs

from grove.events import kinds
from grove.reducers.batch import fold
from grove.simulate.fit import fit
from grove.simulate.intent import ChangeTemplate
from grove.simulate.preview import Preview, preview
from grove.simulate.synthetic import synthetic_events


def digest(result: Preview) -> str:
    """A short hash of the predicted events and steps, so a faster simulator can show it predicts the same."""
    h = hashlib.sha256()
    for event in result.events:
        h.update(json.dumps([type(event).__name__, attrs.asdict(event)], sort_keys=True, default=str).encode())
    for step in result.steps:
        h.update(repr(step).encode())
    return h.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--pcs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gc.set_threshold(50_000, 50, 100)  # as the CLI does (grove.commands.main)
    state = fold(synthetic_events(nodes=args.nodes, pcs_count=args.pcs, pods=args.pods, churn_events=0))
    (ns, name), pcs = min(state.of_kind(kinds.PODCLIQUESET).items())
    pods = sum(1 for p in state.iter_kind(kinds.POD, ns) if p["metadata"].get("labels", {}).get(
        "app.kubernetes.io/part-of") == name)  # fmt: skip
    template = copy.deepcopy(dict(pcs["spec"]["template"]))
    for clique in template["cliques"]:
        for container in clique["spec"]["podSpec"]["containers"]:
            container["image"] = container["image"] + "-next"
    print(f"state: {state.count(kinds.NODE)} nodes, {state.count(kinds.POD)} pods; target {ns}/{name} ({pods} pods)")
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(args.repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        result = preview(state, [ChangeTemplate(ns, name, template)])
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    print(
        f"preview (update of {pods} pods): best {min(times):.3f} s, median {statistics.median(times):.3f} s, "
        f"CPU best {min(cpu):.3f} s (goal <= 1 s); {len(result.events)} events, {len(result.steps)} steps, "
        f"{result.duration:.0f} s simulated; digest {digest(result)}"
    )
    times = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        report = fit(state, ns, name)
        times.append(time.perf_counter() - began)
    print(
        f"fit ({len(report.gangs)} gangs, {args.nodes} nodes): best {min(times):.3f} s, "
        f"median {statistics.median(times):.3f} s (goal <= 0.5 s)"
    )


if __name__ == "__main__":
    main()
