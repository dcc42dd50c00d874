"""The gang scheduler keeps its answer for the very same pods, pack and peers while no node's free GPUs changed (a
gang waiting for terminating pods' GPUs is asked at every pass): the answer must follow the ledger once it changes."""

from __future__ import annotations

from typing import Any

from grove.simulate.capacity import Ledger, NodeSlot
from grove.simulate.gang_scheduler import DOES_NOT_FIT, FITS, GangScheduler, Pack


def _pod(name: str, gpus: int, node: str = "") -> dict[str, Any]:
    resources = {"limits": {"nvidia.com/gpu": str(gpus)}}
    spec: dict[str, Any] = {"containers": [{"name": "main", "resources": resources}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "namespace": "ns"}, "spec": spec, "status": {"phase": "Running"}}


def test_a_gang_that_did_not_fit_is_placed_once_gpus_are_freed() -> None:
    slot = NodeSlot("n1", "B200", 8, True, False, {"kubernetes.io/hostname": "n1"})
    ledger = Ledger({"n1": slot}, {"n1": 8})
    scheduler = GangScheduler(ledger)
    gang = [_pod("a", 4), _pod("b", 4)]
    first = scheduler.place(gang, Pack())
    assert first.verdict == DOES_NOT_FIT
    assert scheduler.place(gang, Pack()) is first  # nothing changed: the same answer
    assert scheduler.place([_pod("a", 4), _pod("b", 4)], Pack()) is not first  # other pod objects: asked again
    ledger.release(_pod("old", 8, node="n1"))
    placed = scheduler.place(gang, Pack())
    assert placed.verdict == FITS
    assert dict(placed.nodes) == {"a": "n1", "b": "n1"}
