"""apply: server-side apply as kubectl-grove, the server's dry run first, conflicts by field and manager."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.commands.lifecycle.conftest import REPLAYS, Run, stored
from tests.support.kube_server import KubeServer


def _manifest(server: KubeServer, tmp_path: Path, **spec: Any) -> Path:
    pcs = stored(server, "PodCliqueSet", "prod", "llm-serve")
    doc = {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet",
           "metadata": {"name": "llm-serve", "namespace": "prod"}, "spec": {**pcs["spec"], **spec}}  # fmt: skip
    path = tmp_path / "pcs.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_apply_sends_server_side_apply_as_kubectl_grove_after_its_dry_run(
    server: KubeServer, run: Run, tmp_path: Path
) -> None:
    pcs = stored(server, "PodCliqueSet", "prod", "llm-serve")
    template = pcs["spec"]["template"]
    template["cliques"][0]["spec"]["podSpec"]["containers"][0]["image"] = "vllm:new"
    path = _manifest(server, tmp_path, template=template, replicas=3)
    code, out, err = run("apply", "-f", str(path), "--yes")
    assert code == 0, err
    assert "spec.replicas:\n    - 2\n    + 3" in out
    assert "spec.template.cliques[0].spec.podSpec.containers[0].image:" in out and "affected pods: 6 (6 prefill)" in out
    applies = [w for w in server.writes.writes if w.path.endswith("/podcliquesets/llm-serve")]
    assert [(w.content_type, w.dry_run, w.query["fieldManager"]) for w in applies] == [
        ("application/apply-patch+yaml", True, "kubectl-grove"),
        ("application/apply-patch+yaml", True, "kubectl-grove"),
        ("application/apply-patch+yaml", False, "kubectl-grove"),
    ]
    assert stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["replicas"] == 3
    assert "revision 1 recorded" in out


def test_conflicts_are_listed_by_field_and_manager_and_force_takes_them(
    server: KubeServer, run: Run, tmp_path: Path
) -> None:
    server.writes.field_owners[("PodCliqueSet", "prod", "llm-serve")] = {".spec.replicas": "kubectl"}
    path = _manifest(server, tmp_path, replicas=3)
    code, _, err = run("apply", "-f", str(path), "--yes")
    assert code == 1 and err.count("\n") == 1
    assert '.spec.replicas (conflict with "kubectl"); pass --force-conflicts' in err
    assert not server.writes.real_writes()
    code, _, err = run("apply", "-f", str(path), "--yes", "--force-conflicts")
    assert code == 0, err
    assert server.writes.real_writes()[-1].query["force"] == "true"


def test_the_servers_validation_shows_the_field_path_before_anything_changes(
    server: KubeServer, run: Run, tmp_path: Path
) -> None:
    before = server.snapshot()
    code, _, err = run("apply", "-f", str(_manifest(server, tmp_path, replicas=-1)), "--yes")
    assert code == 1 and err.count("\n") == 1
    assert "422 Invalid): .spec.replicas: Invalid value: -1: should be a non-negative integer" in err
    assert server.snapshot() == before and not server.writes.real_writes()


def test_diff_writes_nothing(server: KubeServer, run: Run, tmp_path: Path) -> None:
    before = server.snapshot()
    code, out, err = run("apply", "-f", str(_manifest(server, tmp_path, replicas=4)), "--diff")
    assert code == 0, err
    assert "spec.replicas:" in out and "nothing written" in out
    assert server.snapshot() == before


def test_apply_on_a_replay_merges_locally_and_writes_nothing(server: KubeServer, run: Run, tmp_path: Path) -> None:
    path = _manifest(server, tmp_path, replicas=1)
    code, out, err = run("apply", "-f", str(path), "--replay", str(REPLAYS / "rolling-update.jsonl"), live=False)
    assert code == 0, err
    assert "spec.replicas:\n    - 2\n    + 1" in out and "merged locally" in out and "nothing written" in out


def test_replicas_set_through_scale_conflict_with_an_apply_as_on_a_real_server(
    server: KubeServer, run: Run, tmp_path: Path
) -> None:
    assert run("scale", "llm-serve", "-n", "prod", "--replicas", "3", "--yes")[0] == 0
    code, _, err = run("apply", "-f", str(_manifest(server, tmp_path, replicas=4)), "--yes")
    assert code == 1
    assert '.spec.replicas (conflict with "kubectl-grove" with subresource "scale" using grove.io/v1alpha1)' in err
