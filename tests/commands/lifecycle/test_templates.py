"""update, restart and the revisions behind rollout history/diff/undo, against the loopback server."""

from __future__ import annotations

import pytest

from tests.commands.lifecycle.conftest import Run, stored
from tests.support.kube_server import KubeServer

OLD = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.2"
NEW = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.0"


def _images(server: KubeServer) -> dict[str, list[str]]:
    pcs = stored(server, "PodCliqueSet", "prod", "llm-serve")
    return {
        c["name"]: [x["image"] for x in c["spec"]["podSpec"]["containers"]] for c in pcs["spec"]["template"]["cliques"]
    }


def test_update_changes_only_the_matching_containers_with_a_precondition_and_records_a_revision(
    server: KubeServer, run: Run
) -> None:
    rv = stored(server, "PodCliqueSet", "prod", "llm-serve")["metadata"]["resourceVersion"]
    code, out, err = run("update", "llm-serve", "-n", "prod", "--image", NEW, "--role", "decode", "--yes")
    assert code == 0, err
    assert f"spec.template.cliques[1].spec.podSpec.containers[0].image:\n    - {OLD}\n    + {NEW}" in out
    assert "affected pods: 8 (8 decode)" in out
    assert _images(server) == {"prefill": [OLD], "decode": [NEW]}
    patch = server.writes.real_writes()[0]
    assert patch.content_type == "application/merge-patch+json" and patch.query["fieldManager"] == "kubectl-grove"
    assert patch.body["metadata"] == {"resourceVersion": rv}
    assert [c.get("name") for c in patch.body["spec"]["template"]["cliques"]] == ["prefill", "decode"]
    revision = next(iter(server.writes.revisions.values()))
    assert revision["metadata"]["annotations"]["kubernetes.io/change-cause"].startswith(
        f"kubectl grove update llm-serve -n prod --image {NEW} --role decode"
    )
    assert (
        revision["metadata"]["ownerReferences"][0]["uid"]
        == stored(server, "PodCliqueSet", "prod", "llm-serve")["metadata"]["uid"]
    )
    assert revision["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "kubectl-grove",
                                              "app.kubernetes.io/part-of": "llm-serve"}  # fmt: skip
    before = revision["data"]["before"]["template"]["cliques"][1]["spec"]["podSpec"]["containers"][0]["image"]
    after = revision["data"]["after"]["template"]["cliques"][1]["spec"]["podSpec"]["containers"][0]["image"]
    assert (before, after) == (OLD, NEW)


def test_update_to_the_image_it_runs_is_nothing_to_do(server: KubeServer, run: Run) -> None:
    code, out, _ = run("update", "llm-serve", "-n", "prod", "--image", OLD, "--yes")
    assert code == 0 and out.startswith("nothing to do: the matching containers already run")
    assert server.writes.writes == []


def test_update_of_an_unknown_container_is_refused(server: KubeServer, run: Run) -> None:
    code, _, err = run("update", "llm-serve", "-n", "prod", "--image", NEW, "--container", "sidecar", "--yes")
    assert (code, err) == (1, 'error: no container named "sidecar" in the cliques of llm-serve\n')


def test_restart_annotates_the_roles_clique_templates(server: KubeServer, run: Run) -> None:
    code, out, err = run("restart", "llm-serve", "-n", "prod", "--role", "prefill", "--yes")
    assert code == 0, err
    cliques = stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["template"]["cliques"]
    assert "kubectl-grove.io/restartedAt" in cliques[0]["annotations"]
    assert "annotations" not in cliques[1]
    assert "affected pods: 6 (6 prefill)" in out


def test_history_diff_and_undo_round_trip(server: KubeServer, run: Run) -> None:
    original = stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["template"]
    assert run("update", "llm-serve", "-n", "prod", "--image", NEW, "--yes")[0] == 0
    assert run("restart", "llm-serve", "-n", "prod", "--yes")[0] == 0
    code, out, err = run("rollout", "history", "llm-serve", "-n", "prod")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["REVISION", "GENERATION", "CREATED", "CHANGE-CAUSE"]
    assert lines[1].split()[:4] == ["1", "2", "→", "3"] and "kubectl grove update llm-serve" in lines[1]
    assert lines[2].split()[:4] == ["2", "3", "→", "4"] and "kubectl grove restart llm-serve" in lines[2]
    code, out, _ = run("rollout", "diff", "llm-serve", "-n", "prod", "--revision", "1")
    assert code == 0 and 'annotations:\n  - {"kubectl-grove.io/restartedAt"' in out
    assert run("rollout", "undo", "llm-serve", "-n", "prod", "--to-revision", "1", "--yes")[0] == 0
    assert run("rollout", "undo", "llm-serve", "-n", "prod", "--yes")[0] == 0  # undoes the undo: back to revision 2
    code, out, _ = run("rollout", "undo", "llm-serve", "-n", "prod", "--to-revision", "1", "--yes")
    assert code == 0
    code, out, _ = run("rollout", "history", "llm-serve", "-n", "prod")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["1", "2", "3", "4", "5"]
    assert "kubectl grove rollout undo llm-serve -n prod --to-revision 1 --yes" in out.splitlines()[3]
    code, _, _ = run("rollout", "undo", "llm-serve", "-n", "prod", "--to-revision", "1", "--yes")
    assert code == 0  # nothing to do: already revision 1's template
    undo_writes = [w for w in server.writes.real_writes() if w.path.endswith("/podcliquesets/llm-serve")]
    assert all("resourceVersion" in w.body["metadata"] for w in undo_writes)
    # back to the original through undo of everything: revision 1's "before"
    revisions = sorted(server.writes.revisions.values(), key=lambda r: r["revision"])
    assert revisions[0]["data"]["before"]["template"] == original


def test_history_marks_changes_made_by_others(server: KubeServer, run: Run) -> None:
    assert run("update", "llm-serve", "-n", "prod", "--image", NEW, "--yes")[0] == 0
    pcs = stored(server, "PodCliqueSet", "prod", "llm-serve")
    template = pcs["spec"]["template"]
    template["cliques"][0]["spec"]["podSpec"]["containers"][0]["image"] = "other:1"
    server.put("PodCliqueSet", {**pcs, "metadata": {**pcs["metadata"], "generation": 4}, "spec": {**pcs["spec"],
               "template": template}})  # fmt: skip
    code, out, _ = run("rollout", "history", "llm-serve", "-n", "prod")
    assert code == 0
    assert out.splitlines()[-1].split()[0] == "-"
    assert "template changed outside kubectl-grove (generation 3 → 4), no revision (since the last revision)" in out
    code, out, _ = run("rollout", "undo", "llm-serve", "-n", "prod", "--dry-run")
    assert "warning: the template changed outside kubectl-grove since revision 1" in out


def test_without_permission_on_controllerrevisions_the_change_goes_through_and_history_says_why(
    server: KubeServer, run: Run
) -> None:
    server.writes.forbidden["controllerrevisions"] = "deployer"
    code, out, err = run("update", "llm-serve", "-n", "prod", "--image", NEW, "--yes")
    assert code == 0, err
    assert _images(server)["decode"] == [NEW]
    assert "revision not recorded (" in out and 'cannot list resource "controllerrevisions"' in out
    code, _, err = run("rollout", "history", "llm-serve", "-n", "prod")
    assert code == 1 and err.startswith("error: history is unavailable: ") and err.count("\n") == 1


def test_history_says_it_is_incomplete_when_revisions_cannot_be_created(
    server: KubeServer, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("update", "llm-serve", "-n", "prod", "--image", NEW, "--yes")[0] == 0
    from grove.events.kube.writing import Writer

    monkeypatch.setattr(Writer, "can_i", lambda self, *a: (False, ""))
    code, out, _ = run("rollout", "history", "llm-serve", "-n", "prod")
    assert code == 0
    assert out.splitlines()[-1] == (
        "history is incomplete: this user cannot create controllerrevisions in prod, so kubectl-grove's own changes "
        "are not recorded"
    )


def test_pause_and_resume_say_why_not(run: Run) -> None:
    for verb in ("pause", "resume"):
        code, _, err = run("rollout", verb, "llm-serve", "-n", "prod")
        assert code == 1 and err.startswith("error: Grove has no pause: switching updateStrategy to OnDelete")
