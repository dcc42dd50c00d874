"""How long a pod takes from Scheduled to Ready in a simulation, and where that figure came from."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from grove.reducers import fields as f

DEFAULT_POD_START = 90.0


def _since_scheduled(pod: Mapping[str, Any]) -> float | None:
    ready = f.condition(pod, "Ready")
    scheduled = f.condition(pod, "PodScheduled")
    if ready is None or scheduled is None or ready.get("status") != "True" or scheduled.get("status") != "True":
        return None
    start, end = f.timestamp(scheduled.get("lastTransitionTime")), f.timestamp(ready.get("lastTransitionTime"))
    if start is None or end is None or end < start:
        return None
    return end - start


def pod_start_of(pods: Iterable[Mapping[str, Any]], given: float | None) -> tuple[float, str]:
    """(seconds, source): ``given`` when set, else the median Scheduled→Ready of ``pods`` that are Ready, else 90 s."""
    if given is not None:
        return given, f"--pod-start {given:g}s"
    durations = [d for d in map(_since_scheduled, pods) if d is not None]
    if durations:
        median = float(statistics.median(durations))
        return median, f"median Scheduled→Ready of {len(durations)} pods of this workload ({median:g}s)"
    return DEFAULT_POD_START, f"default {DEFAULT_POD_START:g}s (no Ready pod of this workload to learn from)"
