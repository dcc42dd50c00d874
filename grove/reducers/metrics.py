"""Metrics samples in the state: each pod's recent scrapes, per source, in time order and bounded.

Folding a sample never looks at the objects: a sample for a pod not (or no longer) in the state is kept all the same,
so the order of samples and object changes in a stream does not matter (a compacted replay folds the same state).
"""

from __future__ import annotations

from typing import Any

from immutables import Map

from grove.events.model import MetricsSampled
from grove.reducers.state import MetricsKey

MAX_SAMPLES = 120
"""Samples kept per pod and source: at a scrape every 5 s, ten minutes of history for the sparklines."""

Samples = tuple[MetricsSampled, ...]


def key_of_sample(event: MetricsSampled) -> MetricsKey:
    return (event.namespace, event.pod, event.source)


def with_sample(metrics: Map[MetricsKey, Any], event: MetricsSampled) -> Map[MetricsKey, Any]:
    """``metrics`` with the sample added in time order (a late one is slotted in), the oldest dropped past the bound."""
    key = key_of_sample(event)
    samples: Samples = metrics.get(key, ())
    if not samples or samples[-1].at <= event.at:
        updated = (*samples, event)
    else:
        position = next(i for i, s in enumerate(samples) if s.at > event.at)
        updated = (*samples[:position], event, *samples[position:])
    if len(updated) > MAX_SAMPLES:
        updated = updated[-MAX_SAMPLES:]
    return metrics.set(key, updated)
