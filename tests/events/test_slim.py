"""Slimmed objects (what ``status``, ``topology`` and ``health`` keep of a live list) derive the very same reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest

from grove.events.model import Applied, Event, Listed, Removed
from grove.events.recordings.compaction import compacted_events
from grove.events.recordings.reader import Recording
from grove.events.slim import slim_object
from grove.reducers.batch import fold
from grove.reducers.derive.hierarchy import pcs_names
from grove.reducers.derive.reports import health_report, status_report, topology_report
from grove.reducers.state import State
from grove.simulate.synthetic import synthetic_events
from grove.views.serialize import document, dumps

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = sorted((ROOT / "replays").glob("*.jsonl"))


def _slimmed(event: Event) -> Event:
    if isinstance(event, Listed):
        return attrs.evolve(event, objects=tuple(slim_object(event.kind, o) for o in event.objects))
    if isinstance(event, Applied | Removed):
        return attrs.evolve(event, object=slim_object(event.kind, event.object))
    return event


def _reports(state: State) -> str:
    names = pcs_names(state, None)
    out = [
        dumps(document("StatusReport", status_report(state, names, None)), "json"),
        dumps(document("HealthReport", health_report(state, names, None)), "json"),
        dumps(document("TopologyReport", topology_report(state, None, None)), "json"),
    ]
    out += [dumps(document("TopologyReport", topology_report(state, [key], key[0])), "json") for key in names]
    return "\n".join(out)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_reports_from_slim_objects_are_the_same(path: Path) -> None:
    events = list(compacted_events(Recording(str(path)), None))
    assert _reports(fold(_slimmed(e) for e in events)) == _reports(fold(events))


def test_synthetic_churn_reports_are_the_same() -> None:
    events = list(synthetic_events(40, 4, 200, 1500, seed=5))
    assert _reports(fold(_slimmed(e) for e in events)) == _reports(fold(events))


def test_slimming_leaves_out_what_no_report_reads() -> None:
    pod: dict[str, Any] = {
        "metadata": {"name": "p", "namespace": "n", "annotations": {"a": "b"}},
        "spec": {
            "nodeName": "node-1",
            "volumes": [{"name": "v"}],
            "schedulerName": "kai-scheduler",
            "priority": 0,
            "subdomain": "svc-0",
            "containers": [
                {"name": "main", "image": "i", "env": [{"name": "K", "value": "V"}], "resources": {"limits": {}}}
            ],
        },
        "status": {
            "podIP": "10.0.0.1",
            "qosClass": "Guaranteed",
            "containerStatuses": [{"name": "main", "restartCount": 2, "imageID": "sha", "containerID": "c"}],
        },
    }
    slim = slim_object("Pod", pod)
    assert slim["spec"] == {
        "nodeName": "node-1",
        "containers": [{"name": "main", "image": "i", "resources": {"limits": {}}}],
    }
    assert slim["status"] == {"containerStatuses": [{"name": "main", "restartCount": 2}]}
    assert slim["metadata"] is pod["metadata"]
    assert pod["spec"]["volumes"] == [{"name": "v"}]  # the input is left as it was
    clique = {"metadata": {"name": "c"}, "spec": {"roleName": "r", "podSpec": {"volumes": [], "containers": []}}}
    assert slim_object("PodClique", clique)["spec"] == {"roleName": "r", "podSpec": {"containers": []}}
    assert slim_object("Node", pod) is pod
    assert slim_object("Pod", ["odd"]) == ["odd"]  # type: ignore[arg-type,comparison-overlap]


def test_slimmed_objects_share_one_string_per_value() -> None:
    def decoded(name: str) -> dict[str, Any]:
        text = f'{{"metadata": {{"name": "{name}", "labels": {{"app": "decode-worker-{name[:1]}"}}}}, '
        text += '"spec": {"nodeName": "gpu-node-0017", "containers": [{"name": "main", "image": "vllm:0.11"}]}}'
        out: dict[str, Any] = orjson.loads(text)
        return out

    first, second = decoded("pod-a"), decoded("pod-b")
    assert first["spec"]["nodeName"] is not second["spec"]["nodeName"]  # as decoded: two strings
    one, other = slim_object("Pod", first), slim_object("Pod", second)
    assert one["spec"]["nodeName"] is other["spec"]["nodeName"]
    assert one["spec"]["containers"][0]["image"] is other["spec"]["containers"][0]["image"]
    assert one["metadata"]["labels"]["app"] is other["metadata"]["labels"]["app"]
    assert one["metadata"]["name"] == "pod-a" and other["metadata"]["name"] == "pod-b"
    assert one["spec"] == {"nodeName": "gpu-node-0017", "containers": [{"name": "main", "image": "vllm:0.11"}]}
