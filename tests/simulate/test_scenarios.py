"""The bundled recordings and the synthetic generator: reproducible, readable, and shaped like the real API.

Grove objects are checked against the CRDs' openAPIV3Schema (copied into tests/crds/), pod specs against the
PodSpec schema the PodClique CRD embeds, and each recording's story against what its header note promises.
"""

from __future__ import annotations

import datetime as dt
import re
import runpy
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from grove.events import kinds
from grove.events.model import Applied, ClockAdvanced, Event, Listed, Removed
from grove.events.recordings.codec import event_to_json
from grove.events.recordings.reader import Recording
from grove.simulate.cluster import Cluster
from grove.simulate.names import START
from grove.simulate.synthetic import synthetic_events

ROOT = Path(__file__).resolve().parents[2]
REPLAYS = ROOT / "replays"
SCRIPT = ROOT / "scripts" / "make_replays.py"
CRDS = ROOT / "tests" / "crds"
NAMES = ("disagg-fragmented", "multi-tenant", "min-available-breach", "rolling-update")
CRD_FILES = {
    kinds.PODCLIQUESET: "grove.io_podcliquesets.yaml",
    kinds.PODCLIQUE: "grove.io_podcliques.yaml",
    kinds.PODCLIQUESCALINGGROUP: "grove.io_podcliquescalinggroups.yaml",
    kinds.CLUSTERTOPOLOGYBINDING: "grove.io_clustertopologybindings.yaml",
    kinds.PODGANG: "scheduler.grove.io_podgangs.yaml",
}

# ------------------------------------------------------------------------------------------- a small validator


@cache
def crd_schema(kind: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(CRDS / CRD_FILES[kind]) as f:
        crd = yaml.load(f, Loader=loader)
    (version,) = crd["spec"]["versions"]
    assert crd["spec"]["names"]["kind"] == kind
    return version["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


def _is_time(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return value.endswith("Z")


def validate(schema: Mapping[str, Any], value: Any, path: str = "") -> list[str]:
    """Structural-schema checks: types, required fields, enums, patterns, date-times, and fields the API server
    would prune because the schema does not know them."""
    where = path or "."
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null"]
    if schema.get("x-kubernetes-int-or-string"):
        ok = isinstance(value, int | str) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is neither int nor string"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected object, got {type(value).__name__}"]
        errors += [f"{where}: missing required {r!r}" for r in schema.get("required", ()) if r not in value]
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                errors += validate(props[key], item, f"{path}.{key}")
            elif isinstance(extra, dict):
                errors += validate(extra, item, f"{path}.{key}")
            elif props and not schema.get("x-kubernetes-preserve-unknown-fields"):
                errors.append(f"{where}: unknown field {key!r}")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected array, got {type(value).__name__}"]
        for n, item in enumerate(value):
            errors += validate(schema.get("items", {}), item, f"{path}[{n}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected string, got {value!r}"]
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if schema.get("format") == "date-time" and not _is_time(value):
            errors.append(f"{where}: {value!r} is not an RFC 3339 time")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: expected integer, got {value!r}"]
        if schema.get("format") == "int32" and not -(2**31) <= value < 2**31:
            errors.append(f"{where}: {value} out of int32 range")
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{where}: expected number, got {value!r}"]
    elif kind == "boolean" and not isinstance(value, bool):
        return [f"{where}: expected boolean, got {value!r}"]
    return errors


def test_validator_catches_mistakes() -> None:
    schema = crd_schema(kinds.PODGANG)
    good = {"apiVersion": "scheduler.grove.io/v1alpha1", "kind": "PodGang", "metadata": {"name": "x"}}
    assert validate(schema, {**good, "spec": {"podgroups": []}}) == []
    assert validate(schema, good) == [".: missing required 'spec'"]
    bad = {**good, "spec": {"podGroups": [], "podgroups": [{"name": "a", "minReplicas": "1", "podReferences": []}]}}
    assert validate(schema, bad) == [
        ".spec: unknown field 'podGroups'",
        ".spec.podgroups[0].minReplicas: expected integer, got '1'",
    ]
    status = {"phase": "Pending", "conditions": [{"type": "Initialized", "status": "Maybe"}]}
    problems = validate(schema, {**good, "spec": {"podgroups": []}, "status": status})
    assert ".status.conditions[0]: missing required 'reason'" in problems
    assert any("'Maybe' not in" in p for p in problems)


# ----------------------------------------------------------------------------------------------------- helpers


@cache
def load(name: str) -> tuple[Recording, tuple[Event, ...]]:
    recording = Recording(REPLAYS / f"{name}.jsonl")
    return recording, tuple(recording.events())


def objects(events: tuple[Event, ...]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for event in events:
        if isinstance(event, Listed):
            for obj in event.objects:
                yield event.kind, obj
        elif isinstance(event, Applied | Removed):
            yield event.kind, event.object


def final_state(events: tuple[Event, ...]) -> dict[str, dict[tuple[str, str], Mapping[str, Any]]]:
    state: dict[str, dict[tuple[str, str], Mapping[str, Any]]] = {k: {} for k in kinds.ALL_KINDS}
    for event in events:
        if isinstance(event, Listed):
            state[event.kind] = {_key(o): o for o in event.objects}
        elif isinstance(event, Applied):
            state[event.kind][_key(event.object)] = event.object
        elif isinstance(event, Removed):
            state[event.kind].pop(_key(event.object), None)
    return state


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def cond(obj: Mapping[str, Any], ctype: str) -> Mapping[str, Any]:
    found: list[Mapping[str, Any]] = [c for c in obj["status"]["conditions"] if c["type"] == ctype]
    assert len(found) == 1
    return found[0]


def ready(pod: Mapping[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", ()))


def grove_pods(state: Mapping[str, Any], pcs: str) -> list[Mapping[str, Any]]:
    return [
        p for p in state[kinds.POD].values() if p["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == pcs
    ]


def parse(value: str) -> float:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


# ------------------------------------------------------------------------------------------------ the replays


def test_regenerating_gives_byte_identical_files(tmp_path: Path) -> None:
    script = runpy.run_path(str(SCRIPT), run_name="make_replays")
    assert script["main"](["make_replays.py", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{n}.jsonl" for n in NAMES)
    for name in written:
        assert (tmp_path / name).read_bytes() == (REPLAYS / name).read_bytes(), f"{name} differs: rerun the script"


@pytest.mark.parametrize("name", NAMES)
def test_recording_reads_back_and_is_well_formed(name: str) -> None:
    recording, events = load(name)
    assert recording.header.start == START
    assert recording.header.note
    assert (REPLAYS / f"{name}.jsonl").stat().st_size < 2_000_000
    listed = events[: len(kinds.ALL_KINDS)]
    assert [type(e) for e in listed] == [Listed] * len(kinds.ALL_KINDS)
    assert [e.kind for e in listed if isinstance(e, Listed)] == list(kinds.ALL_KINDS)
    assert [e.at for e in events] == sorted(e.at for e in events), "event times go forward"
    assert any(isinstance(e, ClockAdvanced) for e in events)
    versions = [int(e.object["metadata"]["resourceVersion"]) for e in events if isinstance(e, Applied | Removed)]
    assert versions == sorted(versions) and len(set(versions)) == len(versions), "resourceVersions grow"
    for kind, obj in objects(events):
        meta = obj["metadata"]
        assert obj["kind"] == kind
        assert obj["apiVersion"] == kinds.KINDS[kind].api_version
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", meta["uid"])
        assert meta["resourceVersion"].isdigit()
        assert _is_time(meta["creationTimestamp"])
        assert "managedFields" not in meta
        assert bool(meta.get("namespace")) == kinds.KINDS[kind].namespaced
        if kind in CRD_FILES or kind == kinds.POD:
            assert isinstance(meta.get("generation"), int)


@pytest.mark.parametrize("name", NAMES)
def test_grove_objects_match_the_crds(name: str) -> None:
    _, events = load(name)
    pod_spec_schema = crd_schema(kinds.PODCLIQUE)["properties"]["spec"]["properties"]["podSpec"]
    problems: list[str] = []
    seen: set[str] = set()
    for kind, obj in objects(events):
        if kind in CRD_FILES:
            seen.add(kind)
            errors = validate(crd_schema(kind), obj)
        elif kind == kinds.POD:
            errors = validate(pod_spec_schema, obj["spec"], ".spec")
        else:
            continue
        problems += [f"{kind} {obj['metadata']['name']}: {e}" for e in errors]
    assert problems == []
    assert {kinds.PODCLIQUESET, kinds.PODCLIQUE, kinds.PODGANG} <= seen


@pytest.mark.parametrize("name", NAMES)
def test_children_link_to_their_owners_by_uid_and_labels(name: str) -> None:
    state = final_state(load(name)[1])
    uids = {kind: {o["metadata"]["uid"]: o for o in state[kind].values()} for kind in kinds.ALL_KINDS}
    expect_owner = {
        kinds.PODCLIQUESCALINGGROUP: {kinds.PODCLIQUESET},
        kinds.PODCLIQUE: {kinds.PODCLIQUESET, kinds.PODCLIQUESCALINGGROUP},
        kinds.PODGANG: {kinds.PODCLIQUESET},
    }
    for kind, owners in expect_owner.items():
        for obj in state[kind].values():
            (ref,) = obj["metadata"]["ownerReferences"]
            assert ref["controller"] is True and ref["kind"] in owners
            owner = uids[ref["kind"]][ref["uid"]]
            labels = obj["metadata"]["labels"]
            assert labels["app.kubernetes.io/managed-by"] == "grove-operator"
            part_of = owner["metadata"]["labels"].get("app.kubernetes.io/part-of", owner["metadata"]["name"])
            assert labels["app.kubernetes.io/part-of"] == part_of
    for pod in state[kinds.POD].values():
        labels = pod["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/managed-by") != "grove-operator":
            continue
        (ref,) = pod["metadata"]["ownerReferences"]
        pclq = uids[kinds.PODCLIQUE][ref["uid"]]
        assert ref["kind"] == "PodClique" and labels["grove.io/podclique"] == pclq["metadata"]["name"]
        assert labels["grove.io/podgang"] == pclq["metadata"]["labels"]["grove.io/podgang"]
        assert pod["metadata"]["name"].startswith(pclq["metadata"]["name"] + "-")
        assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{5}", pod["metadata"]["name"][-5:])
        assert pod["spec"]["hostname"] == f"{pclq['metadata']['name']}-{labels['grove.io/podclique-pod-index']}"
        gang = state[kinds.PODGANG][(pod["metadata"]["namespace"], labels["grove.io/podgang"])]
        refs = {r["name"] for g in gang["spec"]["podgroups"] for r in g["podReferences"]}
        assert pod["metadata"]["name"] in refs or "deletionTimestamp" in pod["metadata"]


@pytest.mark.parametrize("name", NAMES)
def test_statuses_agree_with_the_pods(name: str) -> None:
    state = final_state(load(name)[1])
    for pclq in state[kinds.PODCLIQUE].values():
        pods = [
            p
            for p in state[kinds.POD].values()
            if p["metadata"].get("labels", {}).get("grove.io/podclique") == pclq["metadata"]["name"]
        ]
        status = pclq["status"]
        assert status["replicas"] == sum("deletionTimestamp" not in p["metadata"] for p in pods)
        assert status["readyReplicas"] == sum(ready(p) for p in pods)
        assert status["scheduledReplicas"] == sum(bool(p["spec"].get("nodeName")) for p in pods)
        assert status["scheduleGatedReplicas"] == sum("schedulingGates" in p["spec"] for p in pods)


# ------------------------------------------------------------------------------------------ each story told


def test_disagg_fragmented_story() -> None:
    _, events = load("disagg-fragmented")
    state = final_state(events)
    binding = state[kinds.CLUSTERTOPOLOGYBINDING][("", "gpu-fabric")]
    assert binding["spec"]["levels"] == [
        {"domain": "rack", "key": "topology.kubernetes.io/rack"},
        {"domain": "host", "key": "kubernetes.io/hostname"},
    ]
    pcs = state[kinds.PODCLIQUESET][("prod", "my-inference")]
    assert pcs["spec"]["template"]["topologyConstraint"] == {
        "topologyName": "gpu-fabric",
        "pack": {"preferred": "rack"},
    }
    assert pcs["status"]["availableReplicas"] == 1
    racks = {
        n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/rack"]
        for n in state[kinds.NODE].values()
    }
    pods = grove_pods(state, "my-inference")
    assert len(pods) == 12 and all(ready(p) for p in pods)
    in_rack2 = [p for p in pods if racks[p["spec"]["nodeName"]] == "rack-2"]
    assert len(in_rack2) == 1 and in_rack2[0]["spec"]["nodeName"] == "node-gpu-04"
    assert in_rack2[0]["metadata"]["labels"]["grove.io/podclique"] == "my-inference-0-decode"
    gang = state[kinds.PODGANG][("prod", "my-inference-0")]
    assert gang["spec"]["topologyConstraint"] == {"packConstraint": {"preferred": "topology.kubernetes.io/rack"}}
    assert "placementScore" not in gang["status"] and gang["status"]["phase"] == "Pending"
    notebook = state[kinds.POD][("research", "jupyter-alice-0")]
    assert notebook["spec"]["nodeName"] == "node-gpu-03"
    failed = [e for e in state[kinds.EVENT].values() if e["reason"] == "FailedScheduling"]
    assert len(failed) == 1 and "3 Insufficient nvidia.com/gpu" in failed[0]["message"]
    assert failed[0]["series"]["count"] >= 3
    first = parse(failed[0]["eventTime"])
    scheduled = [
        e
        for e in state[kinds.EVENT].values()
        if e["reason"] == "Scheduled" and e["involvedObject"]["uid"] == in_rack2[0]["metadata"]["uid"]
    ]
    assert len(scheduled) == 1 and parse(scheduled[0]["eventTime"]) - first >= 60
    assert 150 <= events[-1].at - START <= 400


def test_multi_tenant_story() -> None:
    state = final_state(load("multi-tenant")[1])
    (binding,) = state[kinds.CLUSTERTOPOLOGYBINDING].values()
    keys = [lv["key"] for lv in binding["spec"]["levels"]]
    assert [lv["domain"] for lv in binding["spec"]["levels"]] == ["zone", "block", "rack", "host"]
    nodes = state[kinds.NODE]
    assert 16 <= len(nodes) <= 24
    assert all(key in n["metadata"]["labels"] for n in nodes.values() for key in keys)
    assert {n["metadata"]["labels"]["nvidia.com/gpu.product"] for n in nodes.values()} == {"NVIDIA-B200", "NVIDIA-H200"}
    assert len({n["metadata"]["labels"][keys[0]] for n in nodes.values()}) == 2
    assert len({p["metadata"]["namespace"] for p in state[kinds.PODCLIQUESET].values()}) >= 2
    assert (
        len({p["metadata"]["labels"]["app.kubernetes.io/part-of"] for p in state[kinds.PODCLIQUESCALINGGROUP].values()})
        >= 2
    )
    assert any(g["spec"]["replicas"] > g["spec"]["minAvailable"] for g in state[kinds.PODCLIQUESCALINGGROUP].values())
    owners = [r["kind"] for p in state[kinds.POD].values() for r in p["metadata"].get("ownerReferences", ())]
    assert "Job" in owners
    llama = state[kinds.PODCLIQUESET][("inference", "llama-70b")]
    assert llama["spec"]["template"]["topologyConstraint"]["pack"] == {"required": "block"}
    rack_key = "network.example.com/rack"
    node_rack = {name: n["metadata"]["labels"][rack_key] for (_, name), n in nodes.items()}
    base = state[kinds.PODGANG][("inference", "llama-70b-0")]
    assert {
        c["topologyConstraint"]["packConstraint"]["required"] for c in base["spec"]["topologyConstraintGroupConfigs"]
    } == {rack_key}

    def racks_of(gang: Mapping[str, Any], groups: set[str] | None = None) -> set[str]:
        names = {
            r["name"]
            for g in gang["spec"]["podgroups"]
            if groups is None or g["name"] in groups
            for r in g["podReferences"]
        }
        return {node_rack[state[kinds.POD][("inference", n)]["spec"]["nodeName"]] for n in names}

    for config in base["spec"]["topologyConstraintGroupConfigs"]:
        assert len(racks_of(base, set(config["podGroupNames"]))) == 1, "each base PCSG replica packs into one rack"
    scaled = state[kinds.PODGANG][("inference", "llama-70b-0-prefill-0")]
    assert len(racks_of(scaled)) == 1 and racks_of(scaled) != racks_of(base, {"llama-70b-0-prefill-0-pleader"})
    assert scaled["metadata"]["name"] == "llama-70b-0-prefill-0"  # PCSG replica 1, k = 1 - minAvailable
    members = {g["name"] for g in scaled["spec"]["podgroups"]}
    assert members == {"llama-70b-0-prefill-1-pleader", "llama-70b-0-prefill-1-pworker"}
    scaled_pod = next(
        p
        for p in state[kinds.POD].values()
        if p["metadata"]["labels"].get("grove.io/podgang") == "llama-70b-0-prefill-0"
    )
    assert scaled_pod["metadata"]["labels"]["grove.io/base-podgang"] == "llama-70b-0"
    assert ("research", "qwen-moe-0-decode-0") in state[kinds.PODGANG]  # scaled out during the recording


def test_min_available_breach_story() -> None:
    _, events = load("min-available-breach")
    state = final_state(events)
    pcs = state[kinds.PODCLIQUESET][("prod", "vllm-chat")]
    assert pcs["spec"]["template"]["terminationDelay"] == "30m"
    assert pcs["status"]["availableReplicas"] == 1 and pcs["spec"]["replicas"] == 2
    breached = cond(state[kinds.PODCLIQUE][("prod", "vllm-chat-0-worker")], "MinAvailableBreached")
    assert (breached["status"], breached["reason"]) == ("True", "InsufficientReadyPods")
    since = parse(breached["lastTransitionTime"])
    assert events[-1].at - since >= 600, "ten minutes of countdown"
    ticks = [e.at for e in events if isinstance(e, ClockAdvanced) and e.at > since]
    assert len(ticks) >= 30
    healthy = cond(state[kinds.PODCLIQUE][("prod", "vllm-chat-1-worker")], "MinAvailableBreached")
    assert healthy["status"] == "False"
    crashed = [p for p in grove_pods(state, "vllm-chat") if p["status"]["containerStatuses"][0]["restartCount"] > 0]
    assert len(crashed) == 2
    assert all(p["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 1 for p in crashed)
    warnings = [e for e in state[kinds.EVENT].values() if e["type"] == "Warning"]
    assert warnings and all(e["count"] > 1 for e in warnings)


def test_rolling_update_story() -> None:
    state = final_state(load("rolling-update")[1])
    pcs = state[kinds.PODCLIQUESET][("prod", "llm-serve")]
    assert pcs["spec"]["updateStrategy"] == {"type": "RollingRecreate"}
    progress = pcs["status"]["updateProgress"]
    assert progress["currentlyUpdating"][0]["replicaIndex"] == 0 and "updateEndedAt" not in progress
    assert progress["totalPodCliquesCount"] == 4 and progress["updatedPodCliquesCount"] == 1
    assert pcs["metadata"]["generation"] == 2 and pcs["status"]["updatedReplicas"] == 0
    new_hash = pcs["status"]["currentGenerationHash"]
    decode = state[kinds.PODCLIQUE][("prod", "llm-serve-0-decode")]
    selected = decode["status"]["updateProgress"]["readyPodsSelectedToUpdate"]
    assert selected["current"] and len(selected["completed"]) == 2
    assert cond(decode, "MinAvailableBreached")["reason"] == "UpdateInProgress"
    prefill = state[kinds.PODCLIQUE][("prod", "llm-serve-0-prefill")]
    assert prefill["status"]["currentPodCliqueSetGenerationHash"] == new_hash
    assert "updateEndedAt" in prefill["status"]["updateProgress"]
    untouched = state[kinds.PODCLIQUE][("prod", "llm-serve-1-decode")]
    assert untouched["status"]["currentPodCliqueSetGenerationHash"] != new_hash
    assert "updateProgress" not in untouched["status"]

    def hashes(pclq: str) -> set[str]:
        return {
            p["metadata"]["labels"]["grove.io/pod-template-hash"]
            for p in state[kinds.POD].values()
            if p["metadata"]["labels"].get("grove.io/podclique") == pclq
        }

    assert len(hashes("llm-serve-0-decode")) == 2, "half way: old and new pods side by side"
    assert hashes("llm-serve-0-prefill") == {prefill["metadata"]["labels"]["grove.io/pod-template-hash"]}
    assert hashes("llm-serve-1-decode") == {untouched["status"]["currentPodTemplateHash"]}


def test_emitted_objects_are_never_changed_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every change is a new dict: what an event carried when emitted is what it carries at the end."""

    class Snapshots(list[Event]):
        def __init__(self) -> None:
            super().__init__()
            self.dumps: list[bytes] = []

        def append(self, event: Event) -> None:
            super().append(event)
            self.dumps.append(orjson.dumps(event_to_json(event, START)))

    built: list[Cluster] = []
    original = Cluster.__init__

    def init(self: Cluster, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.events = Snapshots()
        built.append(self)

    monkeypatch.setattr(Cluster, "__init__", init)
    script = runpy.run_path(str(SCRIPT), run_name="make_replays")
    for build, *_ in script["RECORDINGS"].values():
        build()
    assert len(built) == len(NAMES)
    for cluster in built:
        events = cluster.events
        assert isinstance(events, Snapshots)
        assert [orjson.dumps(event_to_json(e, START)) for e in events] == events.dumps


# ------------------------------------------------------------------------------------------------ synthetic


def _dump(events: Iterator[Event]) -> list[bytes]:
    return [orjson.dumps(event_to_json(e, START)) for e in events]


def test_synthetic_is_deterministic_for_a_seed() -> None:
    first = _dump(synthetic_events(40, 6, 300, 3000, seed=7))
    assert first == _dump(synthetic_events(40, 6, 300, 3000, seed=7))
    assert first != _dump(synthetic_events(40, 6, 300, 3000, seed=8))


def test_synthetic_produces_the_requested_counts() -> None:
    events = list(synthetic_events(nodes=50, pcs_count=7, pods=333, churn_events=2500, seed=3))
    listed = {e.kind: e for e in events[: len(kinds.ALL_KINDS)] if isinstance(e, Listed)}
    assert list(listed) == list(kinds.ALL_KINDS)
    assert len(listed[kinds.NODE].objects) == 50
    assert len(listed[kinds.PODCLIQUESET].objects) == 7
    assert len(listed[kinds.POD].objects) == 333
    assert len(listed[kinds.PODGANG].objects) == 7
    churn = events[len(kinds.ALL_KINDS) :]
    assert len(churn) == 2500
    assert {type(e) for e in churn} == {Applied, Removed}
    assert {e.kind for e in churn if isinstance(e, Applied)} >= {kinds.POD, kinds.EVENT, kinds.PODCLIQUE}
    gpus = sum(
        int(c["resources"]["requests"].get("nvidia.com/gpu", 0))
        for p in listed[kinds.POD].objects
        for c in p["spec"]["containers"]
    )
    assert 0 < gpus <= 50 * 8


def test_synthetic_objects_match_the_crds_and_stay_immutable() -> None:
    pod_spec_schema = crd_schema(kinds.PODCLIQUE)["properties"]["spec"]["properties"]["podSpec"]
    emitted: list[tuple[Event, bytes]] = []
    for event in synthetic_events(30, 4, 120, 1500, seed=11):
        emitted.append((event, orjson.dumps(event_to_json(event, START))))
    assert all(orjson.dumps(event_to_json(e, START)) == dump for e, dump in emitted)
    problems: list[str] = []
    for kind, obj in objects(tuple(e for e, _ in emitted)):
        if kind in CRD_FILES:
            problems += validate(crd_schema(kind), obj)
        elif kind == kinds.POD:
            problems += validate(pod_spec_schema, obj["spec"], ".spec")
    assert problems == []


def test_scenario_time_only_moves_forward() -> None:
    c = Cluster(history=60)
    c.at(-30)
    with pytest.raises(ValueError):
        c.at(-40)
