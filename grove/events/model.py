"""Event values: everything that can happen to the state, as small frozen records.

Every event carries ``at``, the event time in seconds since the epoch. Nothing downstream reads the wall clock, so a
recording replays to the same screen on any day.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

KubeObject: TypeAlias = Mapping[str, Any]
"""A Kubernetes object as decoded JSON (never mutated once inside an event)."""


@attrs.frozen(slots=True)
class Listed:
    """A full set of one kind (the first list, or any re-list): objects absent from it are gone."""

    at: float
    kind: str
    objects: tuple[KubeObject, ...]
    namespace: str | None = None  # the scope listed; None for all namespaces / cluster scope


@attrs.frozen(slots=True)
class Applied:
    """One object was added or modified."""

    at: float
    kind: str
    object: KubeObject


@attrs.frozen(slots=True)
class Removed:
    """One object was deleted (the last state the source saw of it)."""

    at: float
    kind: str
    object: KubeObject


@attrs.frozen(slots=True)
class ClockAdvanced:
    """Time passed with no change (keeps ages and countdowns moving in a replay)."""

    at: float


class SourceStatus(enum.Enum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    STALE = "stale"
    FORBIDDEN = "forbidden"
    NOT_INSTALLED = "not-installed"
    REPLAY = "replay"


READABLE_IN = "; readable in namespace "
"""Ends a FORBIDDEN message when listing a kind across all namespaces was refused but the context's own namespace
may be listed (the live source checks; the views then suggest ``-n``)."""


@attrs.frozen(slots=True)
class SourceHealthChanged:
    """The source of one kind changed health (``kind`` is ``"*"`` for the whole source)."""

    at: float
    kind: str
    status: SourceStatus
    message: str = ""
    since: float | None = None  # for STALE/RECONNECTING: when the data was last known good


@attrs.frozen(slots=True)
class Compacted:
    """A run of applies and removals, reduced to the newest version of each object (None: removed), keyed as the
    reducer keys objects (namespace, or "" for a cluster-scoped kind; name). Folding it is folding the run; only the
    revision counter, which counts events, moves less. The compacting reader gives these (events/compaction.py);
    nothing records them."""

    at: float  # the latest time in the run
    changes: Mapping[str, Mapping[tuple[str, str], KubeObject | None]]  # kind -> key -> newest version


Histogram: TypeAlias = tuple[tuple[float, float], ...]
"""A classic histogram as scraped: (upper bound ``le``, cumulative count), ascending, ``+Inf`` last."""


@attrs.frozen(slots=True)
class MetricsSampled:
    """One scrape of one pod's metrics endpoint (or, for ``source == "dcgm"``, of the GPU exporter on its node, for
    this pod), reduced to the series kubectl-grove uses under engine-neutral names (see events/exposition.py):
    histograms ``ttft`` and ``itl``, counters ``prompt_tokens`` and ``generation_tokens``, gauges ``running``,
    ``waiting``, ``gpu_util`` (percent, mean over the pod's GPUs) and ``gpus``. A failed scrape has no series and
    says in ``problem`` what happened and what would fix it."""

    at: float
    namespace: str
    pod: str
    source: str  # what answered: vllm, sglang, trtllm, dynamo-frontend, dynamo-worker, dcgm
    series: Mapping[str, float | Histogram]
    problem: str = ""
    endpoint: str = ""  # port and path scraped, e.g. "8000/metrics"


Event: TypeAlias = Listed | Applied | Removed | ClockAdvanced | SourceHealthChanged | Compacted | MetricsSampled
