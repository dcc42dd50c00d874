"""``topology -A`` when the workloads in scope name several ClusterTopologyBindings: one tree per binding, then the
nodes under none; ``--binding NAME`` picks one; ``--level`` cuts every tree.

The cluster: ``grove.simulate.synthetic`` with three bindings (workloads name two of them), 40 nodes, 6 PodCliqueSets,
plus two nodes that carry no topology label. Regenerate the golden files with ``GROVE_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grove.commands.main import main
from grove.events import kinds
from grove.events.model import Listed
from grove.events.recordings.format import Header
from grove.events.recordings.writer import RecordingWriter
from grove.simulate.builders import node_object
from grove.simulate.names import START
from grove.simulate.synthetic import TOPOLOGY, SyntheticCluster

GOLDEN = Path(__file__).with_name("golden")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cluster = SyntheticCluster(40, 6, 120, seed=3, cliques=3, replicas=2, bindings=3)
    path = tmp_path_factory.mktemp("bindings") / "bindings.jsonl"
    header = Header(start=START, tool="test", context="bindings", kinds=kinds.ALL_KINDS)
    with RecordingWriter(str(path), header) as writer:
        for event in cluster.listed():
            if isinstance(event, Listed) and event.kind == kinds.NODE:
                bare = tuple(
                    node_object(
                        f"cpu-{i}", f"uid-{i}", START, labels={}, gpus=0, gpu_product="NVIDIA-NONE", index=90 + i
                    )
                    for i in (1, 2)
                )
                event = Listed(event.at, event.kind, event.objects + bare)
            writer.write(event)
    return path


def _run(recording: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["topology", "-A", *extra, "--replay", str(recording), "--width", "120", "--color", "never"])
    out, err = capsys.readouterr()
    return code, out, err


def _golden(name: str, out: str) -> None:
    path = GOLDEN / f"synthetic-bindings.{name}.plain.txt"
    if os.environ.get("GROVE_UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with GROVE_UPDATE_GOLDEN=1"
    assert out == path.read_text(encoding="utf-8")


def test_one_tree_per_named_binding_then_the_nodes_under_none(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(recording, capsys, "--level", "rack")
    assert code == 0, err
    _golden("topology-level-rack", out)
    assert f"ClusterTopologyBindings: {TOPOLOGY}, {TOPOLOGY}-1" in out
    assert f"{TOPOLOGY}-2" not in out  # exists, but no workload names it
    assert "grouping by host only" not in out
    assert out.index(f"ClusterTopologyBinding {TOPOLOGY}  40 nodes") < out.index(
        f"ClusterTopologyBinding {TOPOLOGY}-1  40 nodes"
    )
    assert "Nodes under no binding  2 nodes" in out
    assert out.count("rack: rack-0000") == 2  # a node carrying both bindings' labels is under each


def test_whole_trees_and_json(recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(recording, capsys)
    assert code == 0, err
    _golden("topology", out)
    code, out, err = _run(recording, capsys, "-o", "json")
    assert code == 0, err
    import json

    doc = json.loads(out)
    assert [b["topology"]["binding"] for b in doc["bindings"]] == [TOPOLOGY, f"{TOPOLOGY}-1"]
    assert [n["node"] for n in doc["unbound"]] == ["cpu-1", "cpu-2"]
    assert doc["domains"] == []


def test_binding_picks_one_tree(recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(recording, capsys, "--binding", f"{TOPOLOGY}-2", "--level", "zone")
    assert code == 0, err
    _golden("topology-binding", out)
    assert f"ClusterTopologyBinding: {TOPOLOGY}-2" in out
    assert "ClusterTopologyBindings:" not in out


def test_unknown_binding_and_level_are_one_line_errors(recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(recording, capsys, "--binding", "nope")
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: ClusterTopologyBinding 'nope' not found (bindings: {TOPOLOGY}, {TOPOLOGY}-1, {TOPOLOGY}-2)"
    ]
    code, _, err = _run(recording, capsys, "--level", "aisle")
    assert code == 1
    assert "--level 'aisle' is not a level of this topology (levels: zone, block, rack, host)" in err
