"""``kubectl grove diagnostics`` against the loopback API server: complete, safe, replayable, robust.

The server is seeded with credentials everywhere a cluster hides them (env values, annotations, labels, arguments,
event messages, log lines, a Secret and a ConfigMap behind their own URLs, the kubeconfig's token): no file of the
bundle may contain any of them, and the manifest must list each redaction.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.commands import cluster
from grove.commands.diagnostics import bundle, collect, yamltext
from grove.commands.diagnostics.progress import PlainProgress, RichProgress, make_progress
from grove.commands.diagnostics.runner import Deadline, Job, Runner
from grove.commands.main import main
from grove.events.model import SourceStatus
from grove.events.recordings.reader import Recording
from grove.reducers.batch import fold
from tests.support.kube_server import KubeServer, sample_objects, write_kubeconfig

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "kubeconfig-token-5a5a5a5a5a"
SECRETS = {
    "env": "env-value-7f3a9c11",
    "init env": "init-env-value-2b2b2b",
    "clique env": "clique-env-value-3c3c3c",
    "pcs env": "pcs-template-env-4d4d4d",
    "annotation by key": "annotation-value-51d2e8",
    "annotation by value": "annotvaluetoken0123456789",
    "label by key": "label-pw-6e6e6e",
    "last applied": "last-applied-env-9911aa",
    "argument": "arg-api-key-7788bb",
    "event message": "event-passw0rd-7788cc",
    "log bearer": "bearerlogtoken1234567890",
    "log password": "log-passw0rd-3344dd",
    "log aws": "AKIAABCDEFGHIJKLMNOP",
    "log url": "url-passw0rd-5566ee",
    "log private key": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    "log jwt": "eyJzdWIiOiJncm92ZS10ZXN0LXVzZXIifQ",
    "operator log": "operator-secret-9900ff",
    "operator previous": "operator-previous-token-1122",
    "secret object": "secret-object-data-7e7e7e",
    "configmap": "configmap-data-8f8f8f",
    "kubeconfig": TOKEN,
}
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "join_timeout": 1.0}


def _rfc3339(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def _event(name: str, kind: str, obj: str, reason: str, message: str, ago: float, type_: str = "Normal") -> Any:
    at = _rfc3339(time.time() - ago)
    return {
        "metadata": {"name": name, "namespace": "demo"},
        "involvedObject": {"kind": kind, "name": obj, "namespace": "demo"},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": 1,
        "firstTimestamp": at,
        "lastTimestamp": at,
    }


def seeded_objects() -> dict[str, list[dict[str, Any]]]:
    """``sample_objects`` with secrets hidden in every place a cluster keeps them, an unhealthy pod and an operator."""
    objs = sample_objects()
    s = SECRETS
    objs["PodCliqueSet"][0]["spec"]["template"] = {
        "cliques": [
            {
                "name": "prefill",
                "spec": {
                    "roleName": "prefill",
                    "podSpec": {"containers": [{"name": "main", "env": [{"name": "TOKEN", "value": s["pcs env"]}]}]},
                },
            }
        ]
    }
    clique = objs["PodClique"][0]
    clique["spec"]["podSpec"] = {"containers": [{"name": "main", "env": [{"name": "K", "value": s["clique env"]}]}]}
    clique["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"env": [{"value": s["last applied"]}]})
    }
    sick = objs["Pod"][0]
    sick["metadata"]["annotations"] = {
        "example.com/api-token": s["annotation by key"],
        "example.com/note": f"Bearer {s['annotation by value']}",
        "example.com/owner": "team-a",
    }
    sick["metadata"]["labels"]["example.com/db-password"] = s["label by key"]
    sick["spec"] = {
        "nodeName": "node-0",
        "initContainers": [{"name": "init", "env": [{"name": "INIT_PW", "value": s["init env"]}]}],
        "containers": [
            {
                "name": "main",
                "args": ["--model", "llama", "--api-key", s["argument"]],
                "env": [
                    {"name": "HF_TOKEN", "value": s["env"]},
                    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                ],
            }
        ],
    }
    sick["status"] = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False"}],
        "initContainerStatuses": [{"name": "init", "ready": True, "state": {"terminated": {"exitCode": 0}}}],
        "containerStatuses": [
            {
                "name": "main",
                "ready": False,
                "restartCount": 2,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
            }
        ],
    }
    for healthy in objs["Pod"][1:]:
        healthy["status"] = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0, "state": {"running": {}}}],
        }
    objs["Pod"].append(
        {
            "metadata": {
                "name": "grove-operator-6c8d9-x2x2x",
                "namespace": "grove-system",
                "labels": {"app.kubernetes.io/name": "grove-operator", "app.kubernetes.io/part-of": "grove"},
            },
            "spec": {"nodeName": "node-1", "containers": [{"name": "grove-operator"}]},
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "grove-operator",
                        "ready": True,
                        "restartCount": 1,
                        "state": {"running": {}},
                        "lastState": {"terminated": {"exitCode": 2, "reason": "Error"}},
                    }
                ],
            },
        }
    )
    objs["Event"] = [
        _event("inference.1", "PodCliqueSet", "inference", "PodCliqueCreateOrUpdateSuccessful", "created cliques", 600),
        _event(
            "prefill-0.2",
            "Pod",
            "inference-0-prefill-0",
            "BackOff",
            f"Back-off restarting failed container; login failed: password={s['event message']}",
            120,
            "Warning",
        ),
        _event("old.3", "Pod", "inference-0-prefill-1", "Pulled", "pulled long ago", 3 * 3600),
    ]
    return objs


def seed_logs(server: KubeServer) -> None:
    s = SECRETS
    jwt = f"eyJhbGciOiJIUzI1NiJ9.{s['log jwt']}.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    server.set_log(
        "demo",
        "inference-0-prefill-0",
        "main",
        "".join(f"step {i}\n" for i in range(3000))
        + f"Authorization: Bearer {s['log bearer']}\n"
        + f"connecting to postgres://admin:{s['log url']}@db:5432/app\n"
        + f"aws key {s['log aws']} id token {jwt}\n"
        + f"-----BEGIN RSA PRIVATE KEY-----\n{s['log private key']}\n-----END RSA PRIVATE KEY-----\n",
    )
    server.set_log("demo", "inference-0-prefill-0", "main", f"crashed: password={s['log password']}\n", previous=True)
    server.set_log("demo", "inference-0-prefill-0", "init", "init done\n")
    server.set_log("demo", "inference-0-prefill-1", "main", "healthy pods' logs are not collected\n")
    server.set_log(
        "grove-system",
        "grove-operator-6c8d9-x2x2x",
        "grove-operator",
        '{"level":"info","msg":"reconciled"}\n' * 10 + f'{{"client_secret": "{s["operator log"]}"}}\n',
    )
    server.set_log(
        "grove-system",
        "grove-operator-6c8d9-x2x2x",
        "grove-operator",
        f"panic: token: {s['operator previous']}\n",
        previous=True,
    )
    server.routes["/api/v1/namespaces/demo/secrets"] = {
        "kind": "SecretList",
        "items": [{"metadata": {"name": "db"}, "stringData": {"password": s["secret object"]}}],
    }
    server.routes["/api/v1/namespaces/demo/configmaps"] = {
        "kind": "ConfigMapList",
        "items": [{"metadata": {"name": "cfg"}, "data": {"config": s["configmap"]}}],
    }


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer(token=TOKEN) as srv:
        srv.seed_state(seeded_objects())
        seed_logs(srv)
        yield srv


@pytest.fixture
def kubeconfig(tmp_path: Path, server: KubeServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_kubeconfig(tmp_path / "kubeconfig", server.url, "demo", TOKEN)
    monkeypatch.setenv("KUBECONFIG", str(path))
    for name in ("KUBERNETES_SERVICE_HOST", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cluster, "DEFAULT_SOURCE_OPTIONS", dict(FAST))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    if argv[:1] == ("diagnostics",) and "--metrics-window" not in argv:
        argv = (*argv, "--metrics-window", "0")  # no metrics capture here: tests/metrics/test_diagnostics_metrics.py
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def diagnostics(capsys: pytest.CaptureFixture[str], out_dir: Path, *extra: str) -> tuple[Path, str]:
    code, out, err = run(capsys, "diagnostics", "-o", str(out_dir), *extra)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1, out  # stdout: the bundle's path and nothing else
    path = Path(lines[0])
    assert path.parent == out_dir and path.name.startswith("grove-diagnostics-") and path.suffix == ".tgz"
    return path, err


def members(path: Path) -> dict[str, bytes]:
    """Every file of the bundle, by its path inside the bundle's top folder."""
    out: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            assert member.isfile()
            top, _, inner = member.name.partition("/")
            assert top == path.name.removesuffix(".tgz")
            handle = tar.extractfile(member)
            assert handle is not None
            out[inner] = handle.read()
    return out


def manifest_of(files: dict[str, bytes]) -> Any:
    return json.loads(files["manifest.json"])


# -------------------------------------------------------------------------------------------------------- safety


def test_the_bundle_holds_everything_and_no_secret(
    server: KubeServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    path, err = diagnostics(capsys, out_dir)
    files = members(path)

    expected = {
        "manifest.json",
        "README.txt",
        "recording.jsonl",
        "status.txt",
        "topology.txt",
        "health.txt",
        "grove/podcliquesets.yaml",
        "grove/podcliquescalinggroups.yaml",
        "grove/podcliques.yaml",
        "grove/podgangs.yaml",
        "grove/clustertopologybindings.yaml",
        "pods/summary.txt",
        "pods/pods.yaml",
        "nodes/summary.txt",
        "nodes/nodes.yaml",
        "events.txt",
        "events.yaml",
        "operator/pods.yaml",
        "operator/summary.txt",
        "logs/operator/grove-operator-6c8d9-x2x2x/grove-operator.log",
        "logs/operator/grove-operator-6c8d9-x2x2x/grove-operator.previous.log",
        "logs/pods/demo/inference-0-prefill-0/main.log",
        "logs/pods/demo/inference-0-prefill-0/main.previous.log",
        "logs/pods/demo/inference-0-prefill-0/init.log",
    }
    assert set(files) == expected  # healthy pods' logs are not collected

    for what, secret in SECRETS.items():
        for name, data in files.items():
            assert secret.encode() not in data, f"{what} leaked into {name}"
    assert not [p for p in server.paths() if any(w in p for w in ("secrets", "configmaps", "serviceaccounts"))]

    # what a support engineer reads
    pods = list(yaml.safe_load_all(files["pods/pods.yaml"]))
    sick = next(p for p in pods if p["metadata"]["name"] == "inference-0-prefill-0")
    env = sick["spec"]["containers"][0]["env"]
    assert env[0] == {"name": "HF_TOKEN", "value": "[REDACTED]"}
    assert env[1]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "password"}}
    assert sick["metadata"]["annotations"]["example.com/owner"] == "team-a"
    assert "managedFields" not in sick["metadata"]
    assert [p["metadata"]["name"] for p in yaml.safe_load_all(files["grove/podcliques.yaml"])] == [
        "inference-0-decode",
        "inference-0-prefill",
    ]
    summary = files["pods/summary.txt"].decode()
    assert "CrashLoopBackOff" in summary and "inference-0-prefill-0" in summary
    log = files["logs/pods/demo/inference-0-prefill-0/main.log"].decode()
    assert len(log.splitlines()) == 2000  # --tail default
    assert "Authorization: Bearer [REDACTED]" in log
    events = files["events.txt"].decode()
    assert "BackOff" in events and "PodCliqueCreateOrUpdateSuccessful" in events
    assert "pulled long ago" not in events  # older than --since 1h
    assert events.index("PodCliqueCreateOrUpdateSuccessful") < events.index("BackOff")  # oldest first
    assert "node-0" in files["nodes/summary.txt"].decode()

    # the manifest lists each redaction: where, which field, why
    manifest = manifest_of(files)
    redactions = {(r["where"], r["reason"]): r for r in manifest["redactions"]["items"]}
    pod = "Pod demo/inference-0-prefill-0"
    assert redactions[(pod, "env value")]["fields"] == [
        "spec.initContainers[init].env[INIT_PW].value",
        "spec.containers[main].env[HF_TOKEN].value",
    ]
    assert redactions[(pod, "env value")]["files"] == ["pods/pods.yaml", "recording.jsonl"]
    assert redactions[(pod, "annotation key names a credential (token)")]["fields"] == [
        "metadata.annotations[example.com/api-token]"
    ]
    assert (pod, "annotation value looks like a credential (bearer token)") in redactions
    assert (pod, "label key names a credential (password)") in redactions
    assert (pod, "argument after --api-key") in redactions
    assert ("PodClique demo/inference-0-prefill", "env value") in redactions
    assert ("PodCliqueSet demo/inference", "env value") in redactions
    assert ("Event demo/prefill-0.2", "credential assignment") in redactions
    main_log = "logs/pods/demo/inference-0-prefill-0/main.log"
    reasons = {reason for where, reason in redactions if where == main_log}
    assert reasons == {"bearer token", "password in URL", "AWS access key id", "JWT", "private key"}
    assert redactions[(main_log, "bearer token")]["fields"] == ["line 1995"]  # of the 2000 kept
    for r in manifest["redactions"]["items"]:
        assert not any(secret in json.dumps(r) for secret in SECRETS.values())
    assert manifest["redactions"]["total"] == sum(manifest["redactions"]["byReason"].values())

    assert manifest["context"] == {
        "name": "loopback",
        "cluster": "loop",
        "user": "me",
        "namespace": "demo",
        "authentication": ["bearer token"],
    }
    assert manifest["server"]["version"] == "v1.36.0"
    assert manifest["summary"]["failed"] == 0
    assert manifest["summary"]["objects"]["Pod"] == 4
    assert {f["path"] for f in manifest["files"]} == expected - {"manifest.json"}
    for item in manifest["items"]:
        assert item["status"] == "ok" and item["seconds"] >= 0

    # the archive alone is left, readable by its owner only
    assert sorted(p.name for p in out_dir.iterdir()) == [path.name]
    assert path.stat().st_mode & 0o777 == 0o600
    assert err.strip().splitlines()[-1].startswith(f"wrote {path.name} (")


# ----------------------------------------------------------------------------------------------------- replaying


def _numbers(doc: Any) -> Any:
    """A report without its clock and without event messages (redacted in the bundle, not live)."""
    if isinstance(doc, dict):
        return {k: _numbers(v) for k, v in doc.items() if k != "now" and not (k == "message" and "reason" in doc)}
    if isinstance(doc, list):
        return [_numbers(v) for v in doc]
    return doc


def test_the_bundle_replays_as_the_live_cluster_showed_it(
    server: KubeServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = diagnostics(capsys, tmp_path, "--no-logs", "--since", "0")
    for command in ("status", "health"):
        code, live, err = run(capsys, command, "-o", "json")
        assert code == 0, err
        code, replayed, err = run(capsys, command, "-n", "demo", "--replay", str(path), "-o", "json")
        assert code == 0, err
        assert _numbers(json.loads(replayed)) == _numbers(json.loads(live))
        assert "[REDACTED]" in replayed and SECRETS["event message"] in live
    code, text, err = run(capsys, "topology", "inference", "--replay", str(path), "--no-color")
    assert code == 0, err
    assert "inference-0-prefill-0" in text
    recording = Recording(path)
    assert recording.header.context == "loopback"
    assert recording.header.namespaces == ("demo",)
    state = fold(recording.events())
    assert state.count("Pod") == 4 and state.count("Node") == 2
    assert not any(b"/log" in p.encode() for p in server.paths())  # --no-logs


def test_all_namespaces(
    server: KubeServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = diagnostics(capsys, tmp_path, "-A", "--since", "0")
    files = members(path)
    recording = Recording(path)
    assert recording.header.namespaces == ()
    assert fold(recording.events()).count("Pod") == 5  # the operator's pod too
    assert "pulled long ago" in files["events.txt"].decode()  # --since 0: every event
    assert manifest_of(files)["scope"]["namespaces"] == "all"
    code, _, err = run(capsys, "diagnostics", "-n", "demo", "-A", "-o", str(tmp_path))
    assert code == 2 and "cannot be used together" in err


# ---------------------------------------------------------------------------------------------------- robustness


def test_forbidden_kinds_still_give_a_bundle_that_says_what_is_missing(
    server: KubeServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.forbidden.update({"Node": "alice", "Event": "alice", "pods/log": "alice"})
    path, err = diagnostics(capsys, tmp_path)
    files = members(path)
    manifest = manifest_of(files)
    failed = {i["name"]: i for i in manifest["items"] if i["status"] == "failed"}
    assert failed["list nodes"]["reason"] == "forbidden"
    assert 'cannot list resource "nodes"' in failed["list nodes"]["message"]
    assert failed["list events in demo"]["reason"] == "forbidden"
    assert failed["get 2 nodes one by one"]["reason"] == "forbidden"  # the fallback was tried
    assert failed["log demo/inference-0-prefill-0/main"]["reason"] == "forbidden"
    assert {"nodes/nodes.yaml", "events.txt"}.isdisjoint(files)
    assert not any(name.startswith("logs/") for name in files)
    assert "pods/pods.yaml" in files and "grove/podcliquesets.yaml" in files
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"wrote {path.name}") and "forbidden (list nodes" in last and "manifest.json" in last
    state = fold(Recording(path).events())
    assert state.sources["Node"].status is SourceStatus.FORBIDDEN
    assert state.sources["Event"].status is SourceStatus.FORBIDDEN
    assert "nodes is forbidden" in files["status.txt"].decode()


def test_a_crd_that_is_not_installed_is_reported(
    kubeconfig: Path, server: KubeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.installed.discard("PodGang")
    path, _ = diagnostics(capsys, tmp_path, "--no-logs")
    manifest = manifest_of(members(path))
    item = next(i for i in manifest["items"] if i["name"] == "list podgangs in demo")
    assert item["status"] == "failed" and item["reason"] == "not found"
    assert "podgangs.scheduler.grove.io is not installed" in item["message"]
    assert fold(Recording(path).events()).sources["PodGang"].status is SourceStatus.NOT_INSTALLED


def test_a_hanging_item_times_out_and_the_rest_goes_on(
    server: KubeServer,
    kubeconfig: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collect, "ITEM_TIMEOUT", 0.4)
    server.path_delays["/pods/grove-operator-6c8d9-x2x2x/log"] = 3.0
    began = time.monotonic()
    path, err = diagnostics(capsys, tmp_path)
    assert time.monotonic() - began < 2.5
    manifest = manifest_of(members(path))
    timed_out = [i for i in manifest["items"] if i.get("reason") == "timeout"]
    assert {i["name"] for i in timed_out} == {
        "log grove-system/grove-operator-6c8d9-x2x2x/grove-operator",
        "previous log grove-system/grove-operator-6c8d9-x2x2x/grove-operator",
    }
    assert "2 timeout (" in err.strip().splitlines()[-1]
    assert manifest["summary"]["ok"] > 10


def test_nothing_collectible_exits_1_with_one_line(
    server: KubeServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.forbidden.update({kind: "bob" for kind in ("PodCliqueSet", "PodCliqueScalingGroup", "PodClique")})
    server.forbidden.update({kind: "bob" for kind in ("PodGang", "ClusterTopologyBinding", "Pod", "Node", "Event")})
    code, out, err = run(capsys, "diagnostics", "-o", str(tmp_path / "out"))
    assert code == 1 and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: nothing could be collected from http://127.0.0.1:")
    assert 'User "bob" cannot list' in last
    assert list((tmp_path / "out").iterdir()) == []


def test_an_unreachable_server_exits_1_with_one_line(
    server: KubeServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.stop()
    code, out, err = run(capsys, "diagnostics", "-o", str(tmp_path))
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: connection to http://127.0.0.1:") and "refused" in lines[-1]
    assert len([line for line in lines if "[failed]" in line]) == 2  # version and discovery, then it stops
    assert list(tmp_path.glob("*.tgz")) == [] and not list(tmp_path.glob(".grove-*"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_while_collecting_leaves_nothing(
    server: KubeServer, kubeconfig: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    server.path_delays["/pods/inference-0-prefill-0/log"] = 30.0
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "grove.commands.main", "diagnostics", "-o", str(out_dir)],
        cwd=ROOT,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while not any("/pods/inference-0-prefill-0/log" in p for p in server.paths()):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        process.send_signal(signum)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert out == ""
    assert list(out_dir.iterdir()) == []


def test_an_interrupt_while_writing_leaves_nothing(
    server: KubeServer,
    kubeconfig: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = tarfile.TarFile.addfile
    added: list[str] = []

    def addfile(self: tarfile.TarFile, tarinfo: tarfile.TarInfo, fileobj: Any = None) -> None:
        added.append(tarinfo.name)
        if len(added) == 5:
            raise KeyboardInterrupt
        original(self, tarinfo, fileobj)

    monkeypatch.setattr(tarfile.TarFile, "addfile", addfile)
    code, out, _ = run(capsys, "diagnostics", "-o", str(tmp_path / "out"), "--keep-dir")
    assert code == 130 and out == "" and len(added) == 5
    assert list((tmp_path / "out").iterdir()) == []


def test_keep_dir(server: KubeServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = diagnostics(capsys, tmp_path, "--keep-dir", "--tail", "10")
    folder = tmp_path / path.name.removesuffix(".tgz")
    kept = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert kept == members(path)
    assert len(kept["logs/pods/demo/inference-0-prefill-0/main.log"].splitlines()) == 10
    again, _ = diagnostics(capsys, tmp_path)  # the same second: another name, nothing overwritten
    assert again != path and path.exists()


def test_bad_flags(kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "diagnostics", "--tail", "0", "-o", str(tmp_path))
    assert code == 2 and "--tail 0 must be at least 1" in err
    code, _, err = run(capsys, "diagnostics", "--since", "soon", "-o", str(tmp_path))
    assert code == 2 and "--since 'soon' is not a duration" in err


# -------------------------------------------------------------------------------------------------- the pieces


def test_progress_is_plain_lines_off_a_terminal_and_a_bar_on_one() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(make_progress(io.StringIO()), PlainProgress)
    terminal = Terminal()
    progress = make_progress(terminal)
    assert isinstance(progress, RichProgress)
    runner = Runner(workers=2, item_timeout=5, request_timeout=None, on_start=progress.started)
    runner.on_done = progress.finished
    runner.run([Job("list pods", lambda d: ([], 0, 0)), Job("list nodes", _forbidden)])
    progress.close()
    assert "list nodes: forbidden" in terminal.getvalue()


def _forbidden(deadline: Deadline) -> tuple[Any, int | None, int | None]:
    from grove.events.kube import Forbidden

    raise Forbidden(403, "Forbidden", 'nodes is forbidden: User "x" cannot list resource "nodes"')


def test_runner_keeps_order_times_out_hanging_items_and_classifies_failures() -> None:
    def hang(deadline: Deadline) -> tuple[Any, int | None, int | None]:
        time.sleep(5)
        return None, None, None

    def boom(deadline: Deadline) -> tuple[Any, int | None, int | None]:
        raise ValueError("odd answer")

    runner = Runner(workers=2, item_timeout=0.2, request_timeout=None)
    runner.grace = 0.1
    began = time.monotonic()
    done = runner.run(
        [Job("a", lambda d: ("A", 1, 10)), Job("hang", hang), Job("boom", boom), Job("denied", _forbidden)]
    )
    assert time.monotonic() - began < 1.5
    assert [d.job.name for d in done] == ["a", "hang", "boom", "denied"]
    assert done[0].value == "A" and done[0].result.count == 1 and done[0].result.bytes == 10
    assert (done[1].result.status, done[1].result.reason) == ("failed", "timeout")
    assert (done[2].result.reason, done[2].result.message) == ("error", "ValueError: odd answer")
    assert done[3].result.reason == "forbidden"


def test_bundle_names_are_unique_and_temporaries_hidden(tmp_path: Path) -> None:
    first = bundle.Staging(tmp_path, 0.0)
    assert first.final.name == "grove-diagnostics-19700101T000000Z.tgz"
    assert first.root.name.startswith(".") and first.archive.name.startswith(".")
    first.write("a.txt", "x")
    first.finish(keep_dir=False)
    second = bundle.Staging(tmp_path, 0.0)
    assert second.final.name == "grove-diagnostics-19700101T000000Z-2.tgz"
    second.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grove-diagnostics-19700101T000000Z.tgz"]


_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["yes", "No", "null", "~", "8", "1e3", "0x1f", "12:30", "- a", "a: b", "#x", "", " x", "é\x85"])
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(value=_JSON)
def test_yaml_text_reads_back_as_the_same_data(value: Any) -> None:
    assert yaml.safe_load(yamltext.dumps(value)) == value


def test_yaml_text_looks_like_kubectl() -> None:
    pod = {"metadata": {"name": "p", "labels": {"a": "1"}}, "spec": {"containers": [{"name": "c", "args": ["-v"]}]}}
    assert yamltext.documents([pod, {}]).splitlines() == [
        "---",
        "metadata:",
        "  name: p",
        "  labels:",
        '    a: "1"',
        "spec:",
        "  containers:",
        "  - name: c",
        "    args:",
        '    - "-v"',
        "---",
        "{}",
    ]


def test_write_failures_are_one_line_and_leave_nothing(
    server: KubeServer,
    kubeconfig: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "a-file").write_text("")
    code, _, err = run(capsys, "diagnostics", "--no-logs", "-o", str(tmp_path / "a-file"))
    assert code == 1 and err.strip().splitlines()[-1].startswith("error: cannot create the output directory")

    def full(self: bundle.Staging, path: str, data: str | bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle.Staging, "write", full)
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "diagnostics", "--no-logs", "-o", str(out_dir))
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1] == f"error: cannot write the bundle in {out_dir}: No space left on device"
    assert list(out_dir.iterdir()) == []
