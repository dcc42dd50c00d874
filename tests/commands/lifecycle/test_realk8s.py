"""The lifecycle commands against a real kube-apiserver with Grove's CRDs (../shared/realk8s): what the loopback
server only imitates. Runs only when ``REALK8S_KUBECONFIG`` names its admin kubeconfig (the read-only one is
``kubeconfig-readonly`` beside it, or ``REALK8S_READONLY_KUBECONFIG``). No controllers run there: the test creates the
PodCliqueSet and the children Grove would make (a standalone PodClique, a scaling group and its member clique)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from grove.commands.lifecycle import flow
from grove.commands.main import main
from grove.events.kinds import KINDS
from grove.events.kube.http import Http
from grove.events.kube.writing import Writer

KUBECONFIG = os.environ.get("REALK8S_KUBECONFIG")
pytestmark = pytest.mark.skipif(not KUBECONFIG, reason="REALK8S_KUBECONFIG is not set (no real kube-apiserver)")

PCS = "lifecycle-check"
IMAGE = "vllm/vllm-openai:v0.11.0"


def _readonly() -> str:
    return os.environ.get("REALK8S_READONLY_KUBECONFIG") or str(Path(str(KUBECONFIG)).with_name("kubeconfig-readonly"))


def _clique(name: str, replicas: int) -> dict[str, Any]:
    return {"name": name, "spec": {"roleName": name, "replicas": replicas, "minAvailable": 1,
            "podSpec": {"containers": [{"name": "main", "image": IMAGE}]}}}  # fmt: skip


def _http() -> Http:
    from grove.commands.cluster import resolve_access

    return Http(resolve_access(kubeconfig=KUBECONFIG, context=None, request_timeout=30.0))


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    http = _http()
    ns = f"lc-{uuid.uuid4().hex[:6]}"
    post = lambda path, body: http.send_json("POST", path, orjson.dumps(body))  # noqa: E731
    post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    base = f"/apis/grove.io/v1alpha1/namespaces/{ns}"
    pcs = post(f"{base}/podcliquesets", {
        "apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": {"name": PCS, "namespace": ns},
        "spec": {"replicas": 1, "template": {
            "cliques": [_clique("router", 2), _clique("dleader", 1), _clique("dworker", 2)],
            "podCliqueScalingGroups": [{"name": "decode", "cliqueNames": ["dleader", "dworker"], "replicas": 1}]}},
    })  # fmt: skip
    owner = [{"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "name": PCS, "uid": pcs["metadata"]["uid"],
              "controller": True}]  # fmt: skip
    labels = {"app.kubernetes.io/managed-by": "grove-operator", "app.kubernetes.io/part-of": PCS,
              "grove.io/podcliqueset-replica-index": "0"}  # fmt: skip
    router = {"metadata": {"name": f"{PCS}-0-router", "labels": {**labels, "grove.io/podclique": f"{PCS}-0-router"},
                           "ownerReferences": owner}, "spec": _clique("router", 2)["spec"]}  # fmt: skip
    post(f"{base}/podcliques", {"apiVersion": "grove.io/v1alpha1", "kind": "PodClique", **router})
    post(f"{base}/podcliquescalinggroups", {
        "apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueScalingGroup",
        "metadata": {"name": f"{PCS}-0-decode", "labels": labels, "ownerReferences": owner},
        "spec": {"replicas": 1, "cliqueNames": ["dleader", "dworker"]},
    })  # fmt: skip
    member = f"{PCS}-0-decode-0-dworker"
    post(f"{base}/podcliques", {
        "apiVersion": "grove.io/v1alpha1", "kind": "PodClique",
        "metadata": {"name": member, "ownerReferences": owner, "labels": {
            **labels, "grove.io/podclique": member, "grove.io/podcliquescalinggroup": f"{PCS}-0-decode",
            "grove.io/podcliquescalinggroup-replica-index": "0"}},
        "spec": _clique("dworker", 2)["spec"],
    })  # fmt: skip
    yield ns
    # no garbage collector or namespace controller runs there: delete what the test made, one by one
    for plural, name in (("podcliques", member), ("podcliques", f"{PCS}-0-router"),
                         ("podcliquescalinggroups", f"{PCS}-0-decode"), ("podcliquesets", PCS)):  # fmt: skip
        http.send_json("DELETE", f"{base}/{plural}/{name}", b"{}")
    revisions = http.get_json(f"/apis/apps/v1/namespaces/{ns}/controllerrevisions")
    for revision in revisions.get("items") or ():
        http.send_json("DELETE", f"/apis/apps/v1/namespaces/{ns}/controllerrevisions/{revision['metadata']['name']}",
                       b"{}")  # fmt: skip
    http.send_json("DELETE", f"/api/v1/namespaces/{ns}", b"{}")
    http.close()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(flow, "stdin_is_terminal", lambda: False)


def _run(capsys: pytest.CaptureFixture[str], *args: str, kubeconfig: str | None = None) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*args, "--kubeconfig", kubeconfig or str(KUBECONFIG), "--width", "160"])
    out, err = capsys.readouterr()
    return code, out, err


def _get(namespace: str, kind: str, name: str) -> dict[str, Any]:
    http = _http()
    try:
        return Writer(http).get(KINDS[kind], namespace, name)
    finally:
        http.close()


def test_scale_through_each_scale_subresource_and_dry_runs_change_nothing(
    namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _get(namespace, "PodCliqueSet", PCS)["metadata"]["resourceVersion"]
    code, out, err = _run(capsys, "scale", PCS, "-n", namespace, "--replicas", "2", "--dry-run")
    assert code == 0, err
    assert "server validated" in out and _get(namespace, "PodCliqueSet", PCS)["metadata"]["resourceVersion"] == before
    assert _run(capsys, "scale", PCS, "-n", namespace, "--replicas", "2", "--yes")[0] == 0
    assert _get(namespace, "PodCliqueSet", PCS)["spec"]["replicas"] == 2
    assert _run(capsys, "scale", PCS, "-n", namespace, "--role", "router=3", "--replica", "0", "--yes")[0] == 0
    assert _get(namespace, "PodClique", f"{PCS}-0-router")["spec"]["replicas"] == 3
    code, out, err = _run(capsys, "scale", PCS, "-n", namespace, "--group", "decode=2", "--replica", "0", "--yes")
    assert code == 0, err
    assert _get(namespace, "PodCliqueScalingGroup", f"{PCS}-0-decode")["spec"]["replicas"] == 2
    code, _, err = _run(capsys, "scale", f"pclq/{PCS}-0-decode-0-dworker", "-n", namespace, "--replicas", "3", "--yes")
    assert code == 1 and "member of scaling group" in err


def test_a_concurrent_change_gets_409_and_is_previewed_again(
    namespace: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_confirm = flow.confirm
    calls = []

    def someone_else_first(args: Any) -> None:
        if not calls:
            http = _http()
            patch = orjson.dumps({"metadata": {"labels": {"touched": "yes"}}})
            path = f"/apis/grove.io/v1alpha1/namespaces/{namespace}/podcliquesets/{PCS}"
            http.send_json("PATCH", path, patch, content_type="application/merge-patch+json")
            http.close()
        calls.append(1)
        real_confirm(args)

    monkeypatch.setattr(flow, "confirm", someone_else_first)
    code, out, err = _run(capsys, "scale", PCS, "-n", namespace, "--replicas", "1", "--yes")
    assert code == 0, err
    assert "(409)" in out and len(calls) == 2
    assert _get(namespace, "PodCliqueSet", PCS)["spec"]["replicas"] == 1


def test_invalid_is_422_with_the_field_path(namespace: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    pcs = _get(namespace, "PodCliqueSet", PCS)
    path.write_text(yaml.safe_dump({"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet",
                                    "metadata": {"name": PCS, "namespace": namespace},
                                    "spec": {**pcs["spec"], "replicas": -1}}))  # fmt: skip
    # --force-conflicts: replicas set through /scale by kubectl-grove (an Update) conflict with an apply of them
    code, _, err = _run(capsys, "apply", "-f", str(path), "--yes", "--force-conflicts")
    assert code == 1 and "422" in err and "spec.replicas" in err


def test_read_only_user_gets_the_preview_and_a_one_line_refusal(
    namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "scale", PCS, "-n", namespace, "--replicas", "3", "--yes", kubeconfig=_readonly())
    assert code == 1 and err.count("\n") == 1 and "forbidden" in err and "podcliquesets/scale" in err
    assert "replicas 1 → 3" in out
    code, out, _ = _run(capsys, "scale", PCS, "-n", namespace, "--replicas", "3", "--dry-run", kubeconfig=_readonly())
    assert code == 0 and "could not run" in out


def test_server_side_apply_conflict_and_force(
    namespace: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    http = _http()
    meta = {"name": PCS, "namespace": namespace}
    body = {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet", "metadata": meta, "spec": {"replicas": 1}}
    http.send_json("PATCH", f"/apis/grove.io/v1alpha1/namespaces/{namespace}/podcliquesets/{PCS}", orjson.dumps(body),
                   query={"fieldManager": "someone-else", "force": "true"},
                   content_type="application/apply-patch+yaml")  # fmt: skip
    http.close()
    path = tmp_path / "pcs.yaml"
    path.write_text(yaml.safe_dump({**body, "spec": {"replicas": 2}}))
    code, _, err = _run(capsys, "apply", "-f", str(path), "--yes")
    assert code == 1 and "someone-else" in err and ".spec.replicas" in err
    code, _, err = _run(capsys, "apply", "-f", str(path), "--yes", "--force-conflicts")
    assert code == 0, err
    assert _get(namespace, "PodCliqueSet", PCS)["spec"]["replicas"] == 2


def test_revisions_history_and_undo_round_trip(namespace: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _get(namespace, "PodCliqueSet", PCS)["spec"]["template"]
    code, out, err = _run(capsys, "update", PCS, "-n", namespace, "--image", "vllm/vllm-openai:v0.12.0", "--yes")
    assert code == 0, err
    assert "revision 1 recorded" in out
    code, out, _ = _run(capsys, "rollout", "history", PCS, "-n", namespace)
    assert out.splitlines()[1].split()[0] == "1" and "kubectl grove update" in out
    assert _run(capsys, "rollout", "undo", PCS, "-n", namespace, "--yes")[0] == 0
    assert _get(namespace, "PodCliqueSet", PCS)["spec"]["template"] == before
    code, out, _ = _run(capsys, "rollout", "history", PCS, "-n", namespace)
    assert [line.split()[0] for line in out.splitlines()[1:3]] == ["1", "2"]


def test_plans_are_immutable_controller_revisions_and_compare_finds_a_scale(
    namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "plan", "store", PCS, "-n", namespace, "--name", "launch")
    assert code == 0, err
    name = f"{PCS}-plan-launch"
    assert out.splitlines()[-1] == f"stored as ControllerRevision {name} (plan 1)"
    http = _http()
    try:
        stored = http.get_json(f"/apis/apps/v1/namespaces/{namespace}/controllerrevisions/{name}")
        assert (
            stored["metadata"]["ownerReferences"][0]["uid"] == _get(namespace, "PodCliqueSet", PCS)["metadata"]["uid"]
        )
        # the server itself refuses a change of a ControllerRevision's data
        from grove.events.kube.errors import Invalid

        with pytest.raises(Invalid) as refused:
            http.send_json("PATCH", f"/apis/apps/v1/namespaces/{namespace}/controllerrevisions/{name}",
                           orjson.dumps({"data": {"spec": {"replicas": 9}}}),
                           content_type="application/merge-patch+json")  # fmt: skip
        assert "field is immutable" in refused.value.message
    finally:
        http.close()
    from grove.commands import plan_store

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_store, "list_plans", lambda *a, **k: [])  # as if someone took the name meanwhile
        code, _, err = _run(capsys, "plan", "store", PCS, "-n", namespace, "--name", "launch")
    assert code == 1 and "already exists and plans cannot be changed" in err and err.count("\n") == 1
    code, _, err = _run(capsys, "plan", "store", PCS, "-n", namespace, "--name", "ro", kubeconfig=_readonly())
    assert code == 1 and err.startswith("error: not allowed: ") and "controllerrevisions" in err
    assert _run(capsys, "compare", PCS, "-n", namespace, kubeconfig=_readonly())[0] == 0  # reading plans is allowed
    pods = _get(namespace, "PodClique", f"{PCS}-0-router")["spec"]["replicas"]
    code, _, err = _run(
        capsys, "scale", PCS, "-n", namespace, "--role", f"router={pods + 1}", "--replica", "0", "--yes"
    )
    assert code == 0, err
    code, out, _ = _run(capsys, "compare", PCS, "-n", namespace)
    assert code == 1
    assert f"the plan {pods}. Run: kubectl grove scale {PCS} -n {namespace} --role router={pods}" in out
    assert _run(capsys, "scale", PCS, "-n", namespace, "--role", f"router={pods}", "--replica", "0", "--yes")[0] == 0
    assert _run(capsys, "compare", PCS, "-n", namespace)[0] == 0
    code, out, _ = _run(capsys, "rollout", "history", PCS, "-n", namespace)
    assert "plan" not in out
