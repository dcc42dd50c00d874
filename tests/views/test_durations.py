"""Ages and countdowns read as kubectl prints ages (apimachinery's HumanDuration) and fit a 5-wide column."""

from __future__ import annotations

import pytest

from grove.views.common import age, duration

CASES = [
    (0, "0s"),
    (119, "119s"),
    (120, "2m"),
    (570, "9m30s"),
    (600, "10m"),
    (179 * 60 + 59, "179m"),
    (3 * 3600, "3h"),
    (7 * 3600 + 20 * 60, "7h20m"),
    (8 * 3600 + 59 * 60, "8h"),
    (47 * 3600, "47h"),
    (48 * 3600, "2d"),
    (7 * 86400 + 23 * 3600, "7d23h"),
    (8 * 86400 + 5 * 3600, "8d"),
    (27 * 86400 + 22 * 3600, "27d"),
    (729 * 86400, "729d"),
    (730 * 86400, "2y"),
    (760 * 86400, "2y30d"),
    (9 * 365 * 86400, "9y"),
]


@pytest.mark.parametrize(("seconds", "text"), CASES)
def test_durations_read_like_kubectl_ages(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_every_age_under_two_years_fits_five_cells() -> None:
    longest = max(len(duration(s)) for s in range(0, 730 * 86400, 599))
    assert longest <= 5


def test_age_of_nothing_and_of_the_future() -> None:
    assert age(100.0, None) == "-"
    assert age(100.0, 160.0) == "0s"  # a clock behind the object's timestamp
    assert duration(-90) == "-90s"
