"""``status_summary`` (what a one-shot ``status`` table derives) gives the rows ``summary_of(status_report(...))``
gives, at every moment of every bundled recording, on the fragmented seed state and on a synthetic 1,000-pod cluster."""

from __future__ import annotations

import pytest
from rich.console import Console

from grove.events.model import Listed
from grove.reducers.batch import fold
from grove.reducers.derive.hierarchy import pcs_names
from grove.reducers.derive.reports import status_report, status_summary, summary_of
from grove.reducers.state import State
from grove.simulate.synthetic import SyntheticCluster
from grove.views.status import render_status, render_summary
from tests.support import fragmented
from tests.support.recording_walk import RECORDINGS, states_every


def _same(state: State) -> int:
    names = pcs_names(state, None)
    # on branches of their own, so neither derivation reads what the other carried
    alone = status_summary(state.branched(), names, None)
    whole = status_report(state.branched(), names, None)
    assert alone == summary_of(whole)
    assert str(render_summary(alone, 160)) and len(alone.rows) == len(names)
    return len(names)


@pytest.mark.parametrize("recording", RECORDINGS)
def test_the_summary_alone_equals_the_whole_report_through_every_bundled_recording(recording: str) -> None:
    checked = sum(_same(state) for state in states_every(recording, 11))
    assert checked > 5


def test_the_summary_alone_on_the_fragmented_state_and_at_scale() -> None:
    seed = fold([Listed(1_793_610_000.0, kind, tuple(items)) for kind, items in fragmented.objects().items()])
    assert _same(seed) == 1
    (row,) = status_summary(seed, pcs_names(seed, None), None).rows
    assert row.placement_score == pytest.approx(22 / 24)
    big = fold(list(SyntheticCluster(200, 40, 1_000).listed()))
    assert _same(big) == 40


def test_render_status_draws_a_report_as_its_summary() -> None:
    seed = fold([Listed(1_793_610_000.0, kind, tuple(items)) for kind, items in fragmented.objects().items()])
    names = pcs_names(seed, None)
    report = status_report(seed, names, None)

    def text(renderable: object) -> str:
        console = Console(width=140, color_system=None, force_terminal=False)
        with console.capture() as captured:
            console.print(renderable)
        return captured.get()

    drawn = text(render_status(report, detailed=False, width=140))
    assert drawn == text(render_summary(status_summary(seed, names, None), 140))
    (row,) = [line for line in drawn.splitlines() if "my-inference" in line]
    assert row.split()[-3:-1] == ["0.92", "-"]  # PLACEMENT, UPDATE
