"""Read commands against the loopback API server: the numbers match the server's objects, and missing permissions
degrade the view with one line each instead of failing it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grove.commands.main import main
from tests.support import fragmented
from tests.support.kube_server import KubeServer, write_kubeconfig


def _kubeconfig(path: Path, server: KubeServer, namespace: str = "prod") -> Path:
    return write_kubeconfig(path, server.url, namespace, token="t")


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        srv.seed_state(fragmented.objects())
        yield srv


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _topology(capsys: pytest.CaptureFixture[str], kubeconfig: Path) -> dict[str, Any]:
    code, out, err = _run(capsys, "topology", "my-inference", "--kubeconfig", str(kubeconfig), "-o", "json")
    assert code == 0, err
    return dict(json.loads(out))


def test_topology_in_a_namespace_counts_other_namespaces_pods_as_other(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _topology(capsys, _kubeconfig(tmp_path / "kc", server))
    node3 = next(n for n in doc["nodes"] if n["node"] == "node-gpu-03")
    assert (node3["grove"], node3["other"], node3["allocatable"]) == (6, 2, 8)  # research/notebook-0 is "other"
    assert doc["sources"] == []
    assert doc["placements"][0]["score"] == pytest.approx(22 / 24, abs=1e-4)


def test_without_cluster_wide_pods_the_view_says_what_it_cannot_see(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.forbidden_cluster_wide["Pod"] = "readonly"
    doc = _topology(capsys, _kubeconfig(tmp_path / "kc", server))
    node3 = next(n for n in doc["nodes"] if n["node"] == "node-gpu-03")
    assert (node3["grove"], node3["other"]) == (6, 0)
    (note,) = doc["sources"]
    assert note["kind"] == "Pod" and "other namespaces are not visible" in note["message"]


def test_forbidden_nodes_degrade_with_one_line(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.forbidden["Node"] = "readonly"
    kubeconfig = _kubeconfig(tmp_path / "kc", server)
    code, out, err = _run(capsys, "status", "--kubeconfig", str(kubeconfig), "--color", "never")
    assert code == 0, err
    assert "my-inference" in out and "12/12" in out
    assert "nodes is forbidden: GPU capacity and topology labels unknown; needs list/watch on nodes" in out
    code, out, err = _run(capsys, "topology", "my-inference", "--kubeconfig", str(kubeconfig), "--color", "never")
    assert code == 0, err
    assert "placement cannot be judged" in out and "PlacementScore: n/a" in out


def test_live_status_matches_a_replay_of_the_same_objects(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from grove.events.recordings.format import Header
    from grove.events.recordings.writer import write_recording

    kubeconfig = _kubeconfig(tmp_path / "kc", server)
    code, live_out, err = _run(capsys, "status", "my-inference", "--kubeconfig", str(kubeconfig), "-o", "json")
    assert code == 0, err
    recording = tmp_path / "r.jsonl"
    events = fragmented.events()
    write_recording(recording, Header(start=events[0].at), events[:-1])
    code, replay_out, err = _run(capsys, "status", "my-inference", "--replay", str(recording), "-o", "json")
    live, replay = json.loads(live_out), json.loads(replay_out)

    def counts(doc: dict[str, Any]) -> list[tuple[str, int, int, int]]:
        return [
            (c["clique"], c["ready"], c["replicas"], c["scheduled"])
            for r in doc["items"][0]["pcs"]["replicaNodes"]
            for c in r["cliques"]
        ]

    assert counts(live) == counts(replay) == [("decode", 8, 8, 8), ("prefill", 4, 4, 4)]
    assert live["items"][0]["placement"]["score"] == replay["items"][0]["placement"]["score"]


def test_a_recording_replays_to_what_the_live_command_showed(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kubeconfig = str(_kubeconfig(tmp_path / "kc", server))
    recording = str(tmp_path / "session.jsonl")
    code, _, err = _run(capsys, "record", "-o", recording, "--kubeconfig", kubeconfig, "-A", "--duration", "1s")
    assert code == 0, err
    for command in (["status", "-a"], ["topology", "my-inference"], ["health"]):
        code, live, err = _run(capsys, *command, "-A", "--kubeconfig", kubeconfig, "-o", "json")
        assert code == 0, err
        code, replayed, err = _run(capsys, *command, "-A", "--replay", recording, "-o", "json")
        assert code == 0, err
        live_doc, replay_doc = json.loads(live), json.loads(replayed)
        live_doc.pop("now"), replay_doc.pop("now")
        assert live_doc == replay_doc, command


def _as_tenant(server: KubeServer) -> None:
    """A namespace-scoped tenant: pods, events and Grove objects in its own namespace, nothing cluster-wide."""
    for kind in ("ClusterTopologyBinding", "Node"):
        server.forbidden[kind] = "system:serviceaccount:prod:tenant"
    for kind in ("PodCliqueSet", "PodCliqueScalingGroup", "PodClique", "PodGang", "Pod", "Event"):
        server.forbidden_cluster_wide[kind] = "system:serviceaccount:prod:tenant"


def test_a_tenant_is_told_the_binding_is_forbidden_not_missing(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _as_tenant(server)
    kubeconfig = str(_kubeconfig(tmp_path / "kc", server))
    code, out, err = _run(
        capsys, "topology", "my-inference", "--kubeconfig", kubeconfig, "--color", "never", "--width", "400"
    )
    assert code == 0, err
    text = " ".join(out.split())
    assert (
        "ClusterTopologyBinding 'gpu-fabric' is forbidden (needs list/watch on clustertopologybindings at cluster "
        "scope): grouping by host only" in text
    )
    assert "not found" not in text and "does not exist" not in text
    doc = _topology(capsys, Path(kubeconfig))
    assert doc["topology"]["origin"] == "forbidden"
    assert not any(f["code"] == "binding-missing" for f in doc["findings"])


def test_all_namespaces_without_cluster_wide_rights_names_the_scope_and_suggests_n(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _as_tenant(server)
    kubeconfig = str(_kubeconfig(tmp_path / "kc", server))
    code, out, err = _run(capsys, "status", "-A", "--kubeconfig", kubeconfig, "--color", "never", "--width", "400")
    assert code == 0, err
    lines = [line for line in out.splitlines() if "podcliquesets is forbidden" in line]
    assert lines == [
        "⚠ podcliquesets is forbidden in all namespaces: not shown; -A needs list/watch on podcliquesets at cluster "
        "scope (a ClusterRole); use -n prod (you can read that namespace)"
    ]
    # in its own namespace the same tenant sees its workload, and no line about podcliquesets
    code, out, err = _run(capsys, "status", "-n", "prod", "--kubeconfig", kubeconfig, "--color", "never")
    assert code == 0, err
    assert "my-inference" in out and "podcliquesets is forbidden" not in out


def test_all_namespaces_forbidden_everywhere_suggests_n_without_a_name(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.forbidden["PodCliqueSet"] = "nobody"
    kubeconfig = str(_kubeconfig(tmp_path / "kc", server))
    code, out, err = _run(capsys, "status", "-A", "--kubeconfig", kubeconfig, "--color", "never", "--width", "400")
    assert code == 0, err
    assert "at cluster scope (a ClusterRole); or use -n NAMESPACE you can read" in out


def test_lists_that_do_not_come_in_time_end_in_one_line(
    server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.path_delays["/pods"] = 3.0  # longer than the timeout asked for: the pods list never arrives in time
    kubeconfig = _kubeconfig(tmp_path / "kc", server)
    code, out, err = _run(
        capsys, "topology", "my-inference", "--kubeconfig", str(kubeconfig), "--request-timeout", "1s"
    )
    assert (code, out) == (1, "")
    assert f"the API server at {server.url} did not answer the initial lists within 1s" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
