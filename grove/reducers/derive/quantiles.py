"""Rates and quantiles over a window, computed the way Prometheus computes them.

``histogram_quantile(q, sum by (le) (increase(x_bucket[w])))`` over two scrapes: per bucket the increase between the
scrapes (a decrease is a counter reset, so the new value is the increase), summed across pods by ``le`` only where
the pods' bucket layouts agree (otherwise one answer per layout), then Prometheus's ``bucketQuantile``: buckets
sorted and coalesced, float noise below a relative 1e-12 smoothed, monotonicity forced, linear interpolation inside
the bucket the rank falls in (the first bucket from 0 when its bound is positive), and a rank in the ``+Inf`` bucket
answered with the largest finite bound, meaning "at least that". No observations: no answer (shown as "–").

Pure functions of plain tuples; nothing here knows about pods or engines.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from typing import TypeAlias

import attrs

Buckets: TypeAlias = tuple[tuple[float, float], ...]
"""A classic histogram: (upper bound ``le``, cumulative count) pairs, ascending, ``+Inf`` last."""

Layout: TypeAlias = tuple[float, ...]
"""A histogram's bucket bounds."""

_PRECISION = 1e-12  # Prometheus's tolerance for float noise between neighbouring buckets


def layout_of(buckets: Buckets) -> Layout:
    return tuple(bound for bound, _ in buckets)


def counter_increase(old: float, new: float) -> float:
    """The increase of a counter between two samples; a decrease means it was reset (restarted from 0)."""
    return new - old if new >= old else new


def buckets_increase(old: Buckets, new: Buckets) -> Buckets:
    """Per bucket, the increase between two scrapes of one histogram. A changed layout is a restart: ``new``."""
    if layout_of(old) != layout_of(new):
        return new
    return tuple((bound, counter_increase(o, n)) for (bound, o), (_, n) in zip(old, new, strict=True))


@attrs.frozen(slots=True)
class Quantile:
    """One quantile estimate. ``value`` None: no observations (or no ``+Inf`` bucket). ``at_least``: the rank fell
    in the ``+Inf`` bucket, so the truth is at least ``value`` (the largest finite bound)."""

    value: float | None
    observations: float
    at_least: bool = False
    forced_monotonic: bool = False
    layout: Layout = ()


NO_DATA = Quantile(None, 0.0)


def bucket_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> Quantile:
    """Prometheus's ``bucketQuantile`` on one set of (cumulative) buckets."""
    if math.isnan(q):
        return NO_DATA
    if q < 0 or q > 1:
        return Quantile(-math.inf if q < 0 else math.inf, 0.0)
    ordered = sorted(buckets, key=lambda b: b[0])
    if not ordered or not math.isinf(ordered[-1][0]) or ordered[-1][0] < 0:
        return NO_DATA
    bounds, counts = _coalesced(ordered)
    layout = tuple(bounds)
    _smooth_precision(counts)
    forced = _force_monotonic(counts)
    if len(bounds) < 2:
        return Quantile(None, 0.0, layout=layout)
    observations = counts[-1]
    if observations <= 0:
        return Quantile(None, 0.0, forced_monotonic=forced, layout=layout)
    rank = q * observations
    b = bisect.bisect_left(counts, rank, 0, len(counts) - 1)  # the first bucket whose count reaches the rank
    if b == len(bounds) - 1:
        return Quantile(bounds[-2], observations, True, forced, layout)
    if b == 0 and bounds[0] <= 0:
        return Quantile(bounds[0], observations, False, forced, layout)
    start, end, count = 0.0, bounds[b], counts[b]
    if b > 0:
        start = bounds[b - 1]
        count -= counts[b - 1]
        rank -= counts[b - 1]
    if count <= 0:  # rank 0 in an empty first bucket (q = 0): Prometheus divides 0 by 0; the bucket's lower edge
        return Quantile(start, observations, False, forced, layout)
    return Quantile(start + (end - start) * (rank / count), observations, False, forced, layout)


def _coalesced(ordered: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Buckets with the same bound merged (their counts added), as Prometheus does."""
    bounds: list[float] = []
    counts: list[float] = []
    for bound, count in ordered:
        if bounds and bound == bounds[-1]:
            counts[-1] += count
        else:
            bounds.append(bound)
            counts.append(count)
    return bounds, counts


def _smooth_precision(counts: list[float]) -> None:
    """A neighbour that differs only by float noise (relative 1e-12) takes the previous count."""
    previous = counts[0]
    for i in range(1, len(counts)):
        current = counts[i]
        delta = abs(current - previous)
        if delta == 0:
            continue
        if current != 0 and delta / current <= _PRECISION:
            counts[i] = previous
        else:
            previous = current


def _force_monotonic(counts: list[float]) -> bool:
    """The envelope of the counts: no bucket counts fewer than one below it (Prometheus's ``ensureMonotonic``)."""
    forced = False
    highest = counts[0]
    for i in range(1, len(counts)):
        if counts[i] > highest:
            highest = counts[i]
        elif counts[i] < highest:
            counts[i] = highest
            forced = True
    return forced


def summed_by_layout(histograms: Iterable[Buckets]) -> list[Buckets]:
    """``sum by (le)`` across pods, once per bucket layout: summing buckets of different layouts would mix ranges.
    The layout with the most observations comes first."""
    sums: dict[Layout, list[float]] = {}
    for buckets in histograms:
        if not buckets:
            continue
        layout = layout_of(buckets)
        total = sums.get(layout)
        if total is None:
            sums[layout] = [count for _, count in buckets]
        else:
            for i, (_, count) in enumerate(buckets):
                total[i] += count
    summed = [tuple(zip(layout, counts, strict=True)) for layout, counts in sums.items()]
    summed.sort(key=lambda b: -b[-1][1])
    return summed


def histogram_quantile(q: float, increases: Iterable[Buckets]) -> list[Quantile]:
    """The ``q`` quantile of the windowed bucket increases of several pods: one answer per bucket layout, the one
    with the most observations first; an empty list when there is nothing to sum."""
    return [bucket_quantile(q, summed) for summed in summed_by_layout(increases)]


def rate(old: float, new: float, seconds: float) -> float | None:
    """Counter increase per second between two samples ``seconds`` apart (None when they are not apart)."""
    if seconds <= 0:
        return None
    return counter_increase(old, new) / seconds
