"""fit verdicts on the bundled multi-tenant recording: a scale-out that one block cannot hold."""

from __future__ import annotations

from pathlib import Path

from grove.commands.source import fold_recording
from grove.events.recordings.reader import Recording
from grove.simulate.fit import fit, fit_manifest
from grove.simulate.gang_scheduler import DOES_NOT_FIT, FITS
from grove.simulate.intent import ScaleSet

ROOT = Path(__file__).resolve().parents[2]


def _state():  # type: ignore[no-untyped-def]
    return fold_recording(Recording(str(ROOT / "replays" / "multi-tenant.jsonl")), None)


def test_running_gangs_fit_and_a_third_replica_does_not() -> None:
    state = _state()
    now = fit(state, "inference", "llama-70b")
    assert now.fits and {g.fit.verdict for g in now.gangs} == {FITS}
    base = next(g for g in now.gangs if g.base)
    assert base.fit.level == "block" and base.fit.needed == 18 and base.fit.free_there >= 18
    scaled = fit(state, "inference", "llama-70b", [ScaleSet("inference", "llama-70b", 3)])
    third = next(g for g in scaled.gangs if g.gang == "llama-70b-2")
    assert third.fit.verdict == DOES_NOT_FIT
    assert third.fit.message == (
        f"needs 18 GPUs of NVIDIA-B200 in one block; the best block, {third.fit.best_domain}, "
        f"has {third.fit.free_there} free"
    )
    assert third.fit.free_there < 18


def test_manifest_builds_base_and_scaled_gangs() -> None:
    state = _state()
    manifest = {
        "kind": "PodCliqueSet",
        "metadata": {"name": "big", "namespace": "inference"},
        "spec": {
            "replicas": 1,
            "template": {
                "topologyConstraint": {"topologyName": "dc-topology", "pack": {"required": "rack"}},
                "cliques": [
                    {
                        "name": "w",
                        "spec": {
                            "replicas": 8,
                            "podSpec": {
                                "containers": [{"name": "c", "resources": {"requests": {"nvidia.com/gpu": "8"}}}]
                            },
                        },
                    },
                ],
            },
        },
    }
    report = fit_manifest(state, manifest)
    (gang,) = report.gangs
    assert gang.gang == "big-0" and gang.fit.needed == 64 and gang.fit.verdict == DOES_NOT_FIT
    assert "in one rack" in gang.fit.message
