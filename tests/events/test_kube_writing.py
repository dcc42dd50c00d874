"""The write verbs (grove.events.kube.writing) against the loopback server's write endpoints (tests/support/writes.py),
whose answers follow a real kube-apiserver's (k8s-wire/writes/)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.events.access import ClusterAccess
from grove.events.kinds import KINDS
from grove.events.kube import Conflict, Forbidden, Http, Invalid
from grove.events.kube.merge import apply_merge_patch, merge_patch
from grove.events.kube.writing import Writer
from tests.support.kube_server import KubeServer, objects_from_recording

REPLAYS = Path(__file__).resolve().parents[2] / "replays"
PCS, PCSG, PCLQ = KINDS["PodCliqueSet"], KINDS["PodCliqueScalingGroup"], KINDS["PodClique"]


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        srv.seed_state(objects_from_recording(REPLAYS / "multi-tenant.jsonl"))
        yield srv


@pytest.fixture
def writer(server: KubeServer) -> Iterator[Writer]:
    http = Http(ClusterAccess(server=server.url))
    yield Writer(http)
    http.close()


def _stored(server: KubeServer, kind: str, namespace: str, name: str) -> dict:
    return next(
        o for o in server.objects(kind) if o["metadata"]["name"] == name and o["metadata"]["namespace"] == namespace
    )


def test_scale_get_and_put_with_precondition(server: KubeServer, writer: Writer) -> None:
    scale = writer.get_scale(PCSG, "inference", "llama-70b-0-decode")
    assert (scale.name, scale.replicas) == ("llama-70b-0-decode", 3)
    rv = scale.resource_version
    rehearsed = writer.put_scale(PCSG, "inference", "llama-70b-0-decode", 4, rv, dry_run=True)
    assert rehearsed.replicas == 4
    assert _stored(server, "PodCliqueScalingGroup", "inference", "llama-70b-0-decode")["spec"]["replicas"] == 3
    done = writer.put_scale(PCSG, "inference", "llama-70b-0-decode", 4, rv, dry_run=False)
    assert done.replicas == 4 and done.resource_version != rv
    assert _stored(server, "PodCliqueScalingGroup", "inference", "llama-70b-0-decode")["spec"]["replicas"] == 4
    with pytest.raises(Conflict) as caught:
        writer.put_scale(PCSG, "inference", "llama-70b-0-decode", 5, rv, dry_run=False)
    assert "the object has been modified" in caught.value.message
    last = server.writes.writes[-1]
    assert (last.method, last.query.get("fieldManager"), last.body["metadata"]["resourceVersion"]) == (
        "PUT",
        "kubectl-grove",
        rv,
    )


def test_merge_patch_precondition_validation_and_json_patch_test(server: KubeServer, writer: Writer) -> None:
    rv = writer.get(PCS, "inference", "embed-svc")["metadata"]["resourceVersion"]
    with pytest.raises(Invalid) as invalid:
        writer.merge_patch(PCS, "inference", "embed-svc", {"spec": {"replicas": -1}}, resource_version=rv, dry_run=True)
    assert [c.field for c in invalid.value.causes] == [".spec.replicas"]
    with pytest.raises(Conflict):
        writer.merge_patch(PCS, "inference", "embed-svc", {"spec": {"replicas": 3}}, resource_version="1", dry_run=True)
    with pytest.raises(Invalid) as failed_test:
        writer.json_patch(PCS, "inference", "embed-svc", [], resource_version="1", dry_run=True)
    assert failed_test.value.causes == ()
    answer = writer.merge_patch(PCS, "inference", "embed-svc", {"spec": {"replicas": 3}}, resource_version=rv,
                                dry_run=False)  # fmt: skip
    assert answer["spec"]["replicas"] == 3 and answer["metadata"]["generation"] == 2


def test_forbidden_names_the_permission(server: KubeServer, writer: Writer) -> None:
    server.writes.forbidden["podcliquesets/scale"] = "readonly"
    with pytest.raises(Forbidden) as caught:
        writer.put_scale(PCS, "inference", "embed-svc", 3, "1", dry_run=True)
    assert 'cannot update resource "podcliquesets/scale" in API group "grove.io"' in caught.value.message


def test_server_side_apply_conflicts_by_field_and_manager(server: KubeServer, writer: Writer) -> None:
    server.writes.field_owners[("PodCliqueSet", "inference", "embed-svc")] = {".spec.replicas": "kubectl"}
    body = {"apiVersion": "grove.io/v1alpha1", "kind": "PodCliqueSet",
            "metadata": {"name": "embed-svc", "namespace": "inference"}, "spec": {"replicas": 5}}  # fmt: skip
    with pytest.raises(Conflict) as caught:
        writer.apply(PCS, body, force=False, dry_run=True)
    assert [(c.field, c.message) for c in caught.value.causes] == [(".spec.replicas", 'conflict with "kubectl"')]
    forced = writer.apply(PCS, body, force=True, dry_run=False)
    assert forced["spec"]["replicas"] == 5
    write = server.writes.writes[-1]
    assert write.content_type == "application/apply-patch+yaml" and write.query["force"] == "true"


def test_controller_revision_create_and_list(server: KubeServer, writer: Writer) -> None:
    revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 1, "data": {"a": 1},
                "metadata": {"generateName": "embed-svc-", "namespace": "inference",
                             "labels": {"app.kubernetes.io/managed-by": "kubectl-grove"}}}  # fmt: skip
    writer.create_revision(revision, dry_run=True)
    assert writer.list_revisions("inference", "app.kubernetes.io/managed-by=kubectl-grove") == []
    created = writer.create_revision(revision)
    assert created["metadata"]["name"].startswith("embed-svc-") and len(created["metadata"]["name"]) == 15
    listed = writer.list_revisions("inference", "app.kubernetes.io/managed-by=kubectl-grove")
    assert [r["metadata"]["name"] for r in listed] == [created["metadata"]["name"]]


def test_merge_patch_round_trip() -> None:
    before = {"a": 1, "b": {"c": [1, 2], "d": "x"}, "gone": True}
    after = {"a": 1, "b": {"c": [1, 2, 3]}, "new": {"k": "v"}}
    patch = merge_patch(before, after)
    assert patch == {"gone": None, "b": {"c": [1, 2, 3], "d": None}, "new": {"k": "v"}}
    assert apply_merge_patch(before, patch) == after


def test_self_subject_access_review(server: KubeServer, writer: Writer) -> None:
    assert writer.can_i("create", "apps", "controllerrevisions", "inference") == (True, "")
    server.writes.forbidden["controllerrevisions"] = "readonly"
    assert writer.can_i("create", "apps", "controllerrevisions", "inference") == (False, "")
    assert server.writes.writes == []  # a review is a question, not a write
