"""Metrics samples in the state: each pod's recent scrapes, per source, in time order and bounded.

Samples live only as long as their pod: a pod removed from the state (deleted, gone from a list, or re-created under
its name with a new uid) takes its samples with it, and a sample of a pod the state does not hold (once pods are
known: a scrape that raced the pod's deletion) is not kept. So a long watch, recording or Arborist session holds at
most ``MAX_SAMPLES`` per source for each pod that exists, plus the namespace-wide problems (pod ``""``, e.g. no DCGM
exporter), bounded alike. The compacting reader keeps each pod's samples in order with its changes
(events/compaction.py), so a compacted replay folds the same samples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

from immutables import Map

from grove.events.model import KubeObject, MetricsSampled
from grove.reducers.state import MetricsKey, ObjKey

MAX_SAMPLES = 120
"""Samples kept per pod and source: at a scrape every 5 s, ten minutes of history for the sparklines."""

Samples: TypeAlias = tuple[MetricsSampled, ...]
Metrics: TypeAlias = Map[ObjKey, Map[str, Samples]]
"""(namespace, pod) -> source -> samples, oldest first."""

_NO_SOURCES: Map[str, Samples] = Map()


def key_of_sample(event: MetricsSampled) -> MetricsKey:
    return (event.namespace, event.pod, event.source)


def with_sample(metrics: Metrics, event: MetricsSampled) -> Metrics:
    """``metrics`` with the sample added in time order (a late one is slotted in), the oldest dropped past the bound."""
    pod = (event.namespace, event.pod)
    sources = metrics.get(pod, _NO_SOURCES)
    samples: Samples = sources.get(event.source, ())
    if not samples or samples[-1].at <= event.at:
        updated = (*samples, event)
    else:
        position = next(i for i, s in enumerate(samples) if s.at > event.at)
        updated = (*samples[:position], event, *samples[position:])
    if len(updated) > MAX_SAMPLES:
        updated = updated[-MAX_SAMPLES:]
    return metrics.set(pod, sources.set(event.source, updated))


def keeps_sample(pods: Map[ObjKey, KubeObject] | None, pods_known: bool, event: MetricsSampled) -> bool:
    """Whether a sample belongs in the state: a namespace-wide one always; a pod's while the pod is there (or while
    no pods are known: a stream of samples alone)."""
    return not event.pod or not pods_known or (pods is not None and (event.namespace, event.pod) in pods)


def without_pods(metrics: Metrics, pods: Iterable[ObjKey]) -> Metrics:
    """``metrics`` without the samples of ``pods``."""
    if not metrics:
        return metrics
    gone = [pod for pod in pods if pod in metrics]
    if not gone:
        return metrics
    mutation = metrics.mutate()
    for pod in gone:
        del mutation[pod]
    return mutation.finish()


def recreated(old: KubeObject | None, new: KubeObject | None) -> bool:
    """Whether ``new`` is another pod than ``old`` under the same name (its uid differs): the old one's samples go."""
    if old is None or new is None or old is new:
        return False
    return bool(_uid(old) != _uid(new))


def _uid(pod: KubeObject) -> Any:
    try:
        return pod["metadata"].get("uid")
    except (KeyError, TypeError, AttributeError):
        return None


def series_keys(metrics: Metrics) -> Iterator[MetricsKey]:
    """Every (namespace, pod, source) the state holds samples for."""
    for (namespace, pod), sources in metrics.items():
        for source in sources:
            yield (namespace, pod, source)


def samples_of(metrics: Metrics, key: MetricsKey) -> Samples:
    return metrics.get((key[0], key[1]), _NO_SOURCES).get(key[2], ())
