"""Arborist's forest while the first lists come in: what is loading, and no row that would claim anything."""

from __future__ import annotations

from grove.events.kinds import ALL_KINDS
from grove.events.model import Listed, SourceHealthChanged, SourceStatus
from grove.reducers.batch import fold
from grove.views.tui import forest
from tests.support import fragmented

AT = 1_793_610_000.0


def test_no_rows_until_every_list_is_in_then_the_rows() -> None:
    listed = [e for e in fragmented.events(AT) if isinstance(e, Listed)]
    connecting = [SourceHealthChanged(AT, kind, SourceStatus.CONNECTING) for kind in ALL_KINDS]
    pcs_only = [e for e in listed if e.kind == "PodCliqueSet"]
    progress = [SourceHealthChanged(AT + 1, "Pod", SourceStatus.CONNECTING, "4,500 / ~10,000")]
    loading = fold([*connecting, *pcs_only, *progress])
    level = forest.level(loading, forest.ForestRequest(namespace=None))
    assert level.rows == () and level.total == 0
    assert level.title.startswith("Loading: pods 4,500 / ~10,000 · ")
    assert level.title.endswith("1 of 8 lists in")

    live = [SourceHealthChanged(AT + 2, kind, SourceStatus.LIVE) for kind in ALL_KINDS]
    everything = [Listed(AT + 2, kind, ()) for kind in ALL_KINDS if kind not in {e.kind for e in listed}]
    done = fold([*connecting, *listed, *everything, *live])
    level = forest.level(done, forest.ForestRequest(namespace=None))
    assert level.rows and not level.title.startswith("Loading")
