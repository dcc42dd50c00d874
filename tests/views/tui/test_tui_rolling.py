"""A rolling PodCliqueSet in Arborist: the header's progress and the rows' UPDATED cells say what ``rollout status``
says, from the same derivation; nothing is shown before an update or for a PCS that is not rolling."""

from __future__ import annotations

import re

from grove.commands.source import fold_recording
from grove.events.recordings.reader import Recording
from grove.reducers.derive.hierarchy import build_pcs
from grove.reducers.derive.rollout import rollout_for
from grove.views.rollout_status import rollout_status
from grove.views.tui import forest
from grove.views.tui.rolling import rolling_in, rolling_text, update_cells
from grove.views.tui.rows import Column
from tests.views.tui.conftest import REPLAYS

ROLLING = REPLAYS / "rolling-update.jsonl"


def _updated_per_role(lines: tuple[str, ...]) -> int:
    """The sum of ``N/M updated`` over the role lines of ``rollout status``."""
    return sum(int(m.group(1)) for line in lines if (m := re.search(r"\] (\d+)/\d+ updated", line)))


def test_the_header_says_what_rollout_status_says() -> None:
    state = fold_recording(Recording(str(ROLLING)), 60)
    (rolling,) = rolling_in(state, None)
    status = rollout_status(state, "prod", "llm-serve")
    assert not status.done and "  updating PCS replica 0" in status.lines
    assert rolling.updating == (0,) and (rolling.replicas_done, rolling.replicas) == (0, 2)
    assert rolling.pods_updated == _updated_per_role(status.lines) and rolling.pods == 14
    long, short = rolling_text([rolling]), rolling_text([rolling], short=True)
    assert long is not None and long.plain == (
        f"↻ llm-serve rolling: replica 0, 0/2 replicas, {rolling.pods_updated}/14 pods updated"
    )
    assert short is not None and short.plain == f"↻ llm-serve replica 0 · {rolling.pods_updated}/14 pods"
    assert rolling_in(state, "other-namespace") == ()


def test_nothing_before_the_first_update() -> None:
    state = fold_recording(Recording(str(ROLLING)), 0)
    assert rolling_in(state, None) == () and rolling_text(()) is None
    level = forest.level(state, forest.ForestRequest(None, (forest.Step("pcs:prod/llm-serve"),)))
    assert "update" not in [c.key for c in level.columns]


def test_rows_of_the_rolling_pcs_carry_its_figures() -> None:
    state = fold_recording(Recording(str(ROLLING)), 60)
    rollout = rollout_for(state, "prod", "llm-serve")
    assert rollout is not None
    cells = update_cells(build_pcs(state, "prod", "llm-serve"), rollout)
    selected = {c.name: c for c in rollout.children}
    decode = selected["llm-serve-0-decode"]
    assert decode.in_progress and cells["clique:llm-serve-0-decode"].plain == f"↻ {decode.updated}/{decode.total}"
    replica0 = cells["replica:0"].plain
    assert replica0.startswith("↻ ")  # the replica being updated
    assert not cells["replica:1"].plain.startswith("↻")
    path = (forest.Step("pcs:prod/llm-serve"), forest.Step("replica:0"))
    level = forest.level(state, forest.ForestRequest(None, path))
    columns: tuple[Column, ...] = level.columns
    index = [c.key for c in columns].index("update")
    assert index == len(columns) - 2  # before AGE
    row = next(r for r in level.rows if r.key == "clique:llm-serve-0-decode")
    assert row.cells[index].plain == cells["clique:llm-serve-0-decode"].plain
