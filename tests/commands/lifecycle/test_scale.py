"""``scale`` against the loopback server: the right object through the right endpoint, with the precondition read,
the server's dry run first; every refusal in one line."""

from __future__ import annotations

import pytest

from tests.commands.lifecycle.conftest import Run, stored
from tests.support.kube_server import KubeServer


def test_scale_pcs_sends_a_dry_run_then_the_put_with_the_resource_version_read(server: KubeServer, run: Run) -> None:
    before = stored(server, "PodCliqueSet", "prod", "llm-serve")
    code, out, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "3", "--yes")
    assert code == 0, err
    assert "PodCliqueSet llm-serve: replicas 2 → 3" in out
    writes = server.writes.writes
    assert [(w.method, w.path, w.dry_run) for w in writes] == [
        ("PUT", "/apis/grove.io/v1alpha1/namespaces/prod/podcliquesets/llm-serve/scale", True),
        ("PUT", "/apis/grove.io/v1alpha1/namespaces/prod/podcliquesets/llm-serve/scale", False),
    ]
    assert writes[1].body["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert writes[1].body["spec"] == {"replicas": 3} and writes[1].query["fieldManager"] == "kubectl-grove"
    assert stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["replicas"] == 3


def test_dry_run_changes_nothing_on_the_server(server: KubeServer, run: Run) -> None:
    before = server.snapshot()
    code, out, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "4", "--dry-run")
    assert code == 0, err
    assert "nothing written" in out
    assert server.snapshot() == before
    assert all(w.dry_run for w in server.writes.writes) and server.writes.writes


def test_standalone_role_scales_each_replicas_podclique_or_one_replica(server: KubeServer, run: Run) -> None:
    code, _, err = run("scale", "llm-serve", "-n", "prod", "--role", "prefill=5", "--yes")
    assert code == 0, err
    real = [w.path.rsplit("/", 2)[-2] for w in server.writes.real_writes()]
    assert real == ["llm-serve-0-prefill", "llm-serve-1-prefill"]
    code, _, err = run("scale", "llm-serve", "-n", "prod", "--role", "decode=2", "--replica", "1", "--yes")
    assert code == 0, err
    assert stored(server, "PodClique", "prod", "llm-serve-1-decode")["spec"]["replicas"] == 2
    assert stored(server, "PodClique", "prod", "llm-serve-0-decode")["spec"]["replicas"] == 4


def test_a_role_in_a_scaling_group_scales_the_group_and_says_which_roles_it_carries(
    server: KubeServer, run: Run
) -> None:
    code, out, err = run("scale", "llama-70b", "--role", "prefill-worker=3", "--yes")
    assert code == 0, err
    assert "scaling group prefill, whose unit of scale carries roles prefill-leader, prefill-worker" in out
    assert [w.path for w in server.writes.real_writes()] == [
        "/apis/grove.io/v1alpha1/namespaces/inference/podcliquescalinggroups/llama-70b-0-prefill/scale"
    ]
    assert stored(server, "PodCliqueScalingGroup", "inference", "llama-70b-0-prefill")["spec"]["replicas"] == 3


def test_group_scale_and_the_autoscaler_warning(server: KubeServer, run: Run) -> None:
    server.writes.add_hpa("inference", "decode-hpa", "PodCliqueScalingGroup", "llama-70b-0-decode", max_replicas=4)
    code, out, err = run("scale", "llama-70b", "--group", "decode=2", "--yes")
    assert code == 0, err
    assert "HorizontalPodAutoscaler decode-hpa targets PodCliqueScalingGroup llama-70b-0-decode (1..4 replicas): " \
           "it will override this count" in out  # fmt: skip
    assert stored(server, "PodCliqueScalingGroup", "inference", "llama-70b-0-decode")["spec"]["replicas"] == 2


def test_a_scaling_group_member_clique_is_refused(server: KubeServer, run: Run) -> None:
    code, _out, err = run("scale", "pclq/llama-70b-0-decode-1-dworker", "--replicas", "3", "--yes")
    assert code == 1
    assert err.count("\n") == 1 and "member of scaling group llama-70b-0-decode" in err
    assert "--group decode=COUNT --replica 0" in err
    assert server.writes.writes == []


def test_unknown_role_names_the_known_ones(server: KubeServer, run: Run) -> None:
    code, _, err = run("scale", "llm-serve", "-n", "prod", "--role", "router=1", "--yes")
    assert (code, err) == (1, 'error: role "router" is not in PodCliqueSet llm-serve (its roles: decode, prefill)\n')


def test_not_a_terminal_without_yes_refuses_after_the_preview_and_writes_nothing(server: KubeServer, run: Run) -> None:
    before = server.snapshot()
    code, out, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "3")
    assert code == 1 and "not a terminal: pass --yes" in err
    assert "replicas 2 → 3" in out
    assert server.snapshot() == before and not server.writes.real_writes()


def test_ctrl_c_at_the_prompt_writes_nothing(server: KubeServer, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from grove.commands.lifecycle import flow

    def interrupted(prompt: str) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(flow, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(flow, "ask", interrupted)
    code, _, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "3")
    assert code == 130 and "interrupted: nothing written" in err
    assert not server.writes.real_writes()
    monkeypatch.setattr(flow, "ask", lambda prompt: "y\n")
    code, _, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "3")
    assert code == 0, err
    assert len(server.writes.real_writes()) == 1


def test_forbidden_is_one_line_naming_the_permission(server: KubeServer, run: Run) -> None:
    server.writes.forbidden["podcliquesets/scale"] = "readonly"
    code, out, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "3", "--yes")
    assert code == 1 and err.count("\n") == 1
    assert 'User "readonly" cannot update resource "podcliquesets/scale" in API group "grove.io"' in err
    assert "replicas 2 → 3" in out  # a read-only user still gets the preview
    code, out, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "3", "--dry-run")
    assert code == 0 and "the server's validation could not run" in out


def test_a_concurrent_change_is_never_lost_the_change_is_previewed_again(server: KubeServer, run: Run) -> None:
    def someone_else_scales() -> None:
        pcs = stored(server, "PodCliqueSet", "prod", "llm-serve")
        server.put("PodCliqueSet", {**pcs, "spec": {**pcs["spec"], "replicas": 5}})

    server.writes.before_write.append(someone_else_scales)
    code, out, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "3", "--yes")
    assert code == 0, err
    assert "changed on the server since the preview (409)" in out
    assert "replicas 2 → 3" in out and "replicas 5 → 3" in out  # the second preview starts from what the other wrote
    real = server.writes.real_writes()
    assert len(real) == 2 and real[0].body["metadata"]["resourceVersion"] != real[1].body["metadata"]["resourceVersion"]
    assert stored(server, "PodCliqueSet", "prod", "llm-serve")["spec"]["replicas"] == 3


def test_replay_previews_and_says_nothing_is_written(run: Run) -> None:
    from tests.commands.lifecycle.conftest import REPLAYS

    code, out, err = run("scale", "llm-serve", "--replicas", "3", "--replay", str(REPLAYS / "rolling-update.jsonl"),
                         live=False)  # fmt: skip
    assert code == 0, err
    assert "replicas 2 → 3" in out and "nothing written" in out


def test_output_json_is_one_document_and_the_notes_go_to_stderr(server: KubeServer, run: Run) -> None:
    import json

    code, out, err = run("scale", "llm-serve", "-n", "prod", "--replicas", "3", "--dry-run", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "ChangePreview"
    assert doc["change"]["changes"] == ["PodCliqueSet llm-serve: replicas 2 → 3"]
    assert doc["change"]["writes"][0].startswith("PodCliqueSet llm-serve /scale replicas=3 (resourceVersion ")
    assert "nothing written" in err
