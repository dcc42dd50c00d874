"""plan store|show|list|diff and compare against the loopback server (ControllerRevisions) and on files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.commands.lifecycle.conftest import REPLAYS, Run, stored
from tests.support.kube_server import KubeServer

NEW = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.0"


def _plans(server: KubeServer) -> list[dict]:  # type: ignore[type-arg]
    return sorted(
        (r for r in server.writes.revisions.values() if r["metadata"]["labels"].get("kubectl-grove.io/kind") == "plan"),
        key=lambda r: r["revision"],
    )


def test_store_keeps_an_owned_labelled_controller_revision_with_the_plan(server: KubeServer, run: Run) -> None:
    code, out, err = run("plan", "store", "llm-serve", "-n", "prod", "--name", "baseline")
    assert code == 0, err
    assert out.splitlines()[0] == "Plan baseline: PodCliqueSet prod/llm-serve"
    assert out.splitlines()[-1] == "stored as ControllerRevision llm-serve-plan-baseline (plan 1)"
    (revision,) = _plans(server)
    meta = revision["metadata"]
    assert meta["name"] == "llm-serve-plan-baseline" and meta["namespace"] == "prod"
    assert meta["labels"] == {
        "app.kubernetes.io/managed-by": "kubectl-grove",
        "app.kubernetes.io/part-of": "llm-serve",
        "kubectl-grove.io/kind": "plan",
        "kubectl-grove.io/plan": "baseline",
    }
    pcs = stored(server, "PodCliqueSet", "prod", "llm-serve")
    assert meta["ownerReferences"] == [
        {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "name": "llm-serve", "uid": pcs["metadata"]["uid"]}
    ]
    data = revision["data"]
    assert data["kind"] == "DeploymentPlan" and data["metadata"]["podCliqueSet"] == "llm-serve"
    roles = {r["role"]: r for r in data["spec"]["roles"]}
    assert roles["decode"]["replicas"] == [4, 4] and roles["prefill"]["replicas"] == [3, 3]


def test_names_default_to_v1_v2_and_a_taken_name_is_refused_in_one_line(server: KubeServer, run: Run) -> None:
    assert run("plan", "store", "llm-serve", "-n", "prod")[0] == 0
    assert run("plan", "store", "llm-serve", "-n", "prod")[0] == 0
    assert [p["metadata"]["name"] for p in _plans(server)] == ["llm-serve-plan-v1", "llm-serve-plan-v2"]
    code, out, err = run("plan", "store", "llm-serve", "-n", "prod", "--name", "v1")
    assert code == 1 and out == ""
    assert err == "error: plan 'v1' of llm-serve already exists and plans cannot be changed: choose another --name\n"
    code, _, err = run("plan", "store", "llm-serve", "-n", "prod", "--name", "Bad_Name")
    assert code == 2 and "--name 'Bad_Name': use lowercase letters" in err


def test_a_name_taken_between_listing_and_creating_is_the_servers_already_exists(server: KubeServer, run: Run) -> None:
    assert run("plan", "store", "llm-serve", "-n", "prod", "--name", "x")[0] == 0
    from grove.commands import plan_store

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_store, "list_plans", lambda *a, **k: [])  # as if another user stored "x" meanwhile
        code, _, err = run("plan", "store", "llm-serve", "-n", "prod", "--name", "x")
    assert code == 1 and "already exists and plans cannot be changed" in err and err.count("\n") == 1


def test_list_show_and_diff(server: KubeServer, run: Run) -> None:
    assert run("plan", "store", "llm-serve", "-n", "prod", "--name", "before")[0] == 0
    code, out, err = run("plan", "list", "-n", "prod")
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["PCS", "PLAN", "#", "TAKEN", "SCORE", "PER", "GANG", "ROLES"]
    assert row.split()[:3] == ["llm-serve", "before", "1"] and row.split()[-1] == "prefill,decode"
    code, out, _ = run("plan", "show", "llm-serve", "-n", "prod", "-o", "yaml")
    assert code == 0 and yaml.safe_load(out)["metadata"]["name"] == "before"
    code, out, _ = run("plan", "diff", "llm-serve", "-n", "prod")
    assert (code, out) == (0, "plan before and now are the same\n")
    assert run("update", "llm-serve", "-n", "prod", "--image", NEW, "--role", "decode", "--yes")[0] == 0
    code, out, _ = run("plan", "diff", "llm-serve", "before", "-n", "prod")
    assert code == 1
    assert out.splitlines()[0] == "plan before → now:"
    assert out.splitlines()[1].split() == ["decode.image:", "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.2", "→", NEW]
    assert run("plan", "store", "llm-serve", "-n", "prod", "--name", "after")[0] == 0
    code, out, _ = run("plan", "diff", "llm-serve", "before", "-n", "prod", "--against", "after")
    assert code == 1 and out.splitlines()[0] == "plan before → plan after:"
    # plans are not template changes: rollout history holds the update only
    code, out, _ = run("rollout", "history", "llm-serve", "-n", "prod")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["1"]


def test_compare_finds_the_drift_and_its_exit_code_says_so(server: KubeServer, run: Run) -> None:
    assert run("plan", "store", "llm-serve", "-n", "prod", "--name", "baseline")[0] == 0
    code, out, err = run("compare", "llm-serve", "-n", "prod")
    assert code == 0, err
    assert "  none: what runs matches the plan" in out
    assert run("update", "llm-serve", "-n", "prod", "--image", NEW, "--role", "decode", "--yes")[0] == 0
    assert run("scale", "llm-serve", "-n", "prod", "--role", "prefill=2", "--yes")[0] == 0
    code, out, _ = run("compare", "llm-serve", "-n", "prod", "--plan", "baseline")
    assert code == 1
    assert "→ prefill has 2 pods, the plan 3. Run: kubectl grove scale llm-serve -n prod --role prefill=3" in out
    assert (
        "→ Image drift on decode. Run: kubectl grove update llm-serve -n prod --role decode --image "
        "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.2"
    ) in out
    # the recommendations are commands that work: running them brings back the plan
    assert run("scale", "llm-serve", "-n", "prod", "--role", "prefill=3", "--yes")[0] == 0
    assert run("update", "llm-serve", "-n", "prod", "--role", "decode", "--image",
               "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.2", "--yes")[0] == 0  # fmt: skip
    assert run("compare", "llm-serve", "-n", "prod")[0] == 0


def test_without_permission_on_controllerrevisions_store_says_so_in_one_line(server: KubeServer, run: Run) -> None:
    server.writes.forbidden["controllerrevisions"] = "viewer"
    code, out, err = run("plan", "store", "llm-serve", "-n", "prod")
    assert code == 1 and out == ""
    assert err.startswith("error: not allowed: ") and "controllerrevisions" in err and err.count("\n") == 1
    assert "--file" in err


def test_files_work_on_a_recording_without_a_cluster(run: Run, tmp_path: Path) -> None:
    replay = str(REPLAYS / "multi-tenant.jsonl")
    path = tmp_path / "plans" / "llama.yaml"
    path.parent.mkdir()
    code, out, err = run("plan", "store", "llama-70b", "--replay", replay, "--file", str(path), live=False)
    assert code == 0, err and out.endswith(f"written to {path}\n")
    assert yaml.safe_load(path.read_text())["kind"] == "DeploymentPlan"
    assert run("compare", "llama-70b", "--replay", replay, "--file", str(path), live=False)[0] == 0
    code, out, _ = run("plan", "show", "llama-70b", "--file", str(path), live=False)
    assert code == 0 and out.startswith("Plan v1: PodCliqueSet inference/llama-70b")
    code, _, err = run("plan", "store", "llama-70b", "--replay", replay, live=False)
    assert code == 1 and "a recording holds none (use --file PLAN.yaml" in err
    code, _, err = run("compare", "embed-svc", "--replay", replay, "--file", str(path), live=False)
    assert code == 1 and err == f"error: {path} is a plan of PodCliqueSet llama-70b, not embed-svc\n"
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: kubectl-grove/v1\nkind: [\n")
    code, _, err = run("compare", "llama-70b", "--replay", replay, "--file", str(broken), live=False)
    assert code == 1 and err.startswith(f"error: {broken} is not valid YAML (line ") and err.count("\n") == 1
    code, _, err = run("plan", "show", "llama-70b", "--file", str(tmp_path / "nope.yaml"), live=False)
    assert code == 1 and "cannot read" in err and "No such file" in err


def test_no_plan_stored_says_how_to_store_one(server: KubeServer, run: Run) -> None:
    code, _, err = run("compare", "llm-serve", "-n", "prod")
    assert code == 1
    assert err == "error: llm-serve has no stored plan (store one: kubectl grove plan store llm-serve)\n"
    code, out, _ = run("plan", "list", "llm-serve", "-n", "prod")
    assert code == 0 and out == "no plans stored for llm-serve (kubectl grove plan store PCS keeps one)\n"
