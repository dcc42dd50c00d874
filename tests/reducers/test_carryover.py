"""Derivations carried over between states equal the same derivations computed from scratch, event after event."""

from __future__ import annotations

from pathlib import Path

import pytest

from grove.events.recording import Recording
from grove.reducers import gpu, hierarchy, placement
from grove.reducers.reduce import reduce
from grove.reducers.state import empty_state

ROOT = Path(__file__).resolve().parents[2]


def _fresh() -> None:
    for cache in (gpu._CARRIED, hierarchy._CARRIED, hierarchy._CARRIED_CLIQUES, placement._CARRIED):
        cache.clear()


@pytest.mark.parametrize("recording", ["disagg-fragmented", "multi-tenant", "rolling-update"])
def test_carried_derivations_equal_fresh_ones(recording: str) -> None:
    state = empty_state()
    checked = 0
    for i, event in enumerate(Recording(ROOT / "replays" / f"{recording}.jsonl").events()):
        state = reduce(state, event)
        if i % 3:
            continue
        names = hierarchy.pcs_names(state)
        carried = (
            [hierarchy.build_pcs(state, ns, n) for ns, n in names],
            [placement.placement_for(state, ns, n) for ns, n in names],
            gpu.node_gpus(state),
        )
        _fresh()
        state.memo.clear()
        fresh = (
            [hierarchy.build_pcs(state, ns, n) for ns, n in names],
            [placement.placement_for(state, ns, n) for ns, n in names],
            gpu.node_gpus(state),
        )
        assert carried[0] == fresh[0]
        assert carried[1] == fresh[1]
        assert {k: (v.grove, v.other, v.allocatable, v.product) for k, v in carried[2].items()} == {
            k: (v.grove, v.other, v.allocatable, v.product) for k, v in fresh[2].items()
        }
        checked += 1
    assert checked > 10
