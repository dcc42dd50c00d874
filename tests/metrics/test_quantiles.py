"""Quantiles and rates against a hand-computed table, and against an independent straightforward implementation."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grove.reducers.derive.quantiles import (
    Buckets,
    bucket_quantile,
    buckets_increase,
    counter_increase,
    histogram_quantile,
    rate,
)

INF = math.inf
TABLE: Buckets = ((0.1, 10.0), (0.5, 60.0), (1.0, 90.0), (INF, 100.0))


@pytest.mark.parametrize(
    ("q", "expected", "at_least"),
    [
        (0.05, 0.05, False),  # first bucket: interpolated from 0 up to 0.1, rank 5 of 10
        (0.5, 0.42, False),  # rank 50 in (0.1, 0.5]: 0.1 + 0.4 * (40 / 50)
        (0.9, 1.0, False),  # rank 90 reaches the 1.0 bucket exactly
        (0.99, 1.0, True),  # rank 99 falls in +Inf: "at least 1.0"
        (0.0, 0.0, False),  # rank 0: the start of the first bucket
    ],
)
def test_hand_computed_quantiles(q: float, expected: float, at_least: bool) -> None:
    result = bucket_quantile(q, TABLE)
    assert result.value == pytest.approx(expected)
    assert result.at_least is at_least
    assert result.observations == 100


def test_a_counter_reset_takes_the_new_value_per_bucket() -> None:
    old: Buckets = ((0.1, 5.0), (0.5, 20.0), (1.0, 30.0), (INF, 32.0))
    new: Buckets = ((0.1, 2.0), (0.5, 8.0), (1.0, 10.0), (INF, 10.0))  # the pod restarted
    assert buckets_increase(old, new) == new
    (result,) = histogram_quantile(0.5, [buckets_increase(old, new)])
    assert result.value == pytest.approx(0.1 + 0.4 * (3 / 6))  # rank 5: 3 of the 6 in (0.1, 0.5]
    partial = buckets_increase(((0.1, 5.0), (0.5, 20.0), (INF, 25.0)), ((0.1, 3.0), (0.5, 26.0), (INF, 31.0)))
    assert partial == ((0.1, 3.0), (0.5, 6.0), (INF, 6.0))
    assert counter_increase(100, 130) == 30 and counter_increase(100, 7) == 7


def test_pods_with_one_layout_are_summed_by_le() -> None:
    a: Buckets = ((0.1, 10.0), (0.5, 20.0), (INF, 20.0))
    b: Buckets = ((0.1, 0.0), (0.5, 10.0), (INF, 20.0))
    (result,) = histogram_quantile(0.5, [a, b])  # summed: 10, 30, 40; rank 20 in (0.1, 0.5]
    assert result.value == pytest.approx(0.3)
    assert result.observations == 40


def test_mixed_layouts_give_one_answer_per_layout_largest_first() -> None:
    a: Buckets = ((0.1, 10.0), (0.5, 20.0), (INF, 20.0))
    b: Buckets = ((0.2, 1.0), (1.0, 2.0), (INF, 2.0))
    first, second = histogram_quantile(0.5, [b, a])
    assert (first.value, first.observations, first.layout) == (pytest.approx(0.1), 20, (0.1, 0.5, INF))
    assert (second.value, second.observations) == (pytest.approx(0.2), 2)


def test_an_empty_window_has_no_answer() -> None:
    quiet: Buckets = ((0.1, 0.0), (0.5, 0.0), (INF, 0.0))
    (result,) = histogram_quantile(0.99, [buckets_increase(quiet, quiet)])
    assert result.value is None and result.observations == 0
    assert histogram_quantile(0.99, []) == []
    assert bucket_quantile(0.5, ((0.1, 3.0), (0.5, 4.0))).value is None  # no +Inf bucket: no answer
    assert rate(10, 20, 0) is None


def test_monotonicity_is_forced_and_non_positive_first_bounds_are_returned_as_they_are() -> None:
    result = bucket_quantile(0.5, ((0.1, 10.0), (0.5, 8.0), (INF, 12.0)))
    assert result.forced_monotonic and result.value == pytest.approx(0.06)  # counts 10, 10, 12; rank 6
    assert bucket_quantile(0.2, ((0.0, 5.0), (1.0, 10.0), (INF, 10.0))).value == 0.0
    unsorted = bucket_quantile(0.5, ((INF, 100.0), (1.0, 90.0), (0.1, 10.0), (0.5, 60.0)))
    assert unsorted.value == pytest.approx(0.42)


def test_throughput_is_the_counter_increase_over_the_window() -> None:
    assert rate(1000, 1600, 30) == pytest.approx(20)
    assert rate(1000, 300, 30) == pytest.approx(10)  # reset: 300 counted since the restart


# ------------------------------------------------------------------------------------------ property tests


def _straightforward(q: float, bounds: list[float], cumulative: list[float]) -> tuple[float | None, bool]:
    """The textbook estimate, written without looking at the module: envelope, linear scan, interpolate."""
    counts = list(itertools.accumulate(cumulative, max))
    total = counts[-1]
    if total == 0:
        return None, False
    rank = q * total
    for i, (bound, count) in enumerate(zip(bounds, counts, strict=True)):
        if math.isinf(bound):
            return bounds[i - 1], True
        if count >= rank:
            below = counts[i - 1] if i else 0.0
            lower = bounds[i - 1] if i else 0.0
            if count == below:  # q = 0 and nothing in this bucket: its lower edge
                return lower, False
            return lower + (bound - lower) * (rank - below) / (count - below), False
    raise AssertionError("the +Inf bucket holds every observation")


_BOUNDS = st.lists(st.floats(0.001, 100, allow_nan=False), min_size=1, max_size=8, unique=True).map(sorted)


@settings(max_examples=300, deadline=None)
@given(bounds=_BOUNDS, data=st.data(), q=st.floats(0, 1))
def test_matches_a_straightforward_implementation(bounds: list[float], data: st.DataObject, q: float) -> None:
    per_bucket = data.draw(st.lists(st.integers(0, 50), min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    cumulative = [float(c) for c in itertools.accumulate(per_bucket)]
    layout = [*bounds, INF]
    expected, at_least = _straightforward(q, layout, cumulative)
    result = bucket_quantile(q, tuple(zip(layout, cumulative, strict=True)))
    assert result.at_least is at_least
    if expected is None:
        assert result.value is None
    else:
        assert result.value == pytest.approx(expected)


@settings(max_examples=300, deadline=None)
@given(
    bounds=_BOUNDS,
    observations=st.lists(st.floats(0, 120, allow_nan=False), min_size=1, max_size=200),
    q=st.floats(0.01, 1),
)
def test_the_estimate_lies_in_the_bucket_of_the_true_quantile(
    bounds: list[float], observations: list[float], q: float
) -> None:
    layout = [*bounds, INF]
    buckets = tuple((b, float(sum(1 for x in observations if x <= b))) for b in layout)
    result = bucket_quantile(q, buckets)
    n = len(observations)
    true = sorted(observations)[max(0, math.ceil(q * n - 1e-9) - 1)]  # the ceil(q*n)-th smallest
    index = next(i for i, b in enumerate(layout) if true <= b)
    assert result.value is not None
    if math.isinf(layout[index]):
        assert result.at_least and result.value == bounds[-1] <= true
    else:
        lower = layout[index - 1] if index else 0.0
        assert lower - 1e-9 <= result.value <= layout[index] + 1e-9
