"""The live source against the loopback API server: lists, watches, resumes, 410, faults, health, discovery."""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.events.access import ClusterAccess
from grove.events.kinds import ALL_KINDS, KINDS
from grove.events.kube import (
    Http,
    LiveSource,
    NotFound,
    discover,
    discover_api,
    resource_path,
    server_version,
)
from grove.events.model import Applied, Listed, Removed, SourceStatus
from tests.support.kube_server import WIRE, Collector, KubeServer, objects_from_recording, sample_objects

FAST = {
    "watch_timeout": 30.0,
    "read_grace": 5.0,
    "backoff_initial": 0.01,
    "backoff_max": 0.05,
    "stale_after": 0.3,
    "join_timeout": 1.0,
}
REPLAYS = Path(__file__).resolve().parents[2] / "replays"


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        srv.seed_state(sample_objects())
        yield srv


def _source(srv: KubeServer, kinds: Any = ALL_KINDS, namespace: str | None = None, **options: Any) -> LiveSource:
    return LiveSource(ClusterAccess(server=srv.url), kinds, namespace=namespace, **{**FAST, **options})


class _Running:
    """A started source with a collector; stopped at exit."""

    def __init__(self, source: LiveSource) -> None:
        self.source = source
        self.collector = Collector()

    def __enter__(self) -> Collector:
        self.collector.subscribe(self.source.events)
        return self.collector

    def __exit__(self, *exc: object) -> None:
        self.source.stop()


def _listed(*kinds: str) -> Any:
    return lambda c: all(k in c.state.listed for k in kinds)


def _converged(srv: KubeServer, kinds: Any = ALL_KINDS) -> Any:
    return lambda c: c.snapshot(kinds) == {k: v for k, v in srv.snapshot().items() if k in kinds}


def _pod(name: str, namespace: str = "demo", **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels}, "spec": {"containers": []}}


# ------------------------------------------------------------------------------------------------------ lists


def test_paged_list_emits_one_listed_with_every_object(server: KubeServer) -> None:
    for i in range(7):
        server.seed("Pod", [_pod(f"extra-{i}")])
    with _Running(_source(server, ["Pod"], page_size=3)) as c:
        assert c.wait_for(_listed("Pod"))
    listed = [e for e in c.events if isinstance(e, Listed)]
    assert len(listed) == 1
    assert len(listed[0].objects) == 11
    pages = [r for r in server.requests if r.path == "/api/v1/pods" and "watch" not in r.query]
    assert len(pages) == 4
    assert all(r.query["limit"] == "3" for r in pages)
    assert "continue" not in pages[0].query and all("continue" in r.query for r in pages[1:])
    first = listed[0].objects[0]
    assert "managedFields" not in first["metadata"]
    assert first["kind"] == "Pod" and first["apiVersion"] == "v1"
    assert c.health("Pod") is SourceStatus.LIVE


def test_warm_sees_each_listed_object_on_the_list_thread_before_the_list_is_emitted(server: KubeServer) -> None:
    """The hook a one-shot read uses to read per-object facts while the next page downloads."""
    import threading

    for i in range(7):
        server.seed("Pod", [_pod(f"extra-{i}")])
    warmed: list[tuple[str, int, str]] = []
    source = _source(
        server,
        ["Pod", "Node"],
        page_size=3,
        slim=True,
        warm=lambda kind, obj: warmed.append((kind, id(obj), threading.current_thread().name)),
    )
    with _Running(source) as c:
        assert c.wait_for(_listed("Pod", "Node"))
    listed = {e.kind: e.objects for e in c.events if isinstance(e, Listed)}
    for kind in ("Pod", "Node"):
        # the very objects the list carries (their facts are cached by identity), each once
        assert sorted(i for k, i, _ in warmed if k == kind) == sorted(id(obj) for obj in listed[kind])
    assert len(listed["Pod"]) == 11
    assert threading.main_thread().name not in {name for _, _, name in warmed}


def test_expired_continue_token_lists_again_from_the_start(server: KubeServer) -> None:
    server.expire_continues = 1
    with _Running(_source(server, ["Pod"], page_size=2)) as c:
        assert c.wait_for(_converged(server, ["Pod"]))
    firsts = [
        r for r in server.requests if r.path == "/api/v1/pods" and "watch" not in r.query and "continue" not in r.query
    ]
    assert len(firsts) == 2


def test_namespace_scope_label_selector_and_cluster_kinds(server: KubeServer) -> None:
    server.seed("Pod", [_pod("elsewhere", "other"), _pod("picked", "demo", app="x")])
    source = _source(server, ["Pod", "Node"], namespace="demo", label_selector="app=x")
    with _Running(source) as c:
        assert c.wait_for(_listed("Pod", "Node"))
        server.put("Pod", _pod("late", "demo", app="x"))
        server.put("Pod", _pod("late-other", "other", app="x"))
        server.put("Pod", _pod("late-unlabelled", "demo"))
        assert c.wait_for(lambda c: ("demo", "late") in c.state.of_kind("Pod"))
    assert set(c.state.of_kind("Pod")) == {("demo", "picked"), ("demo", "late")}
    assert len(c.state.of_kind("Node")) == 2  # cluster-scoped: not scoped by namespace
    paths = {r.path for r in server.requests}
    assert "/api/v1/namespaces/demo/pods" in paths and "/api/v1/nodes" in paths
    assert all(r.query.get("labelSelector") == "app=x" for r in server.requests if r.path.endswith("/pods"))
    listed = {e.kind: e for e in c.events if isinstance(e, Listed)}
    assert listed["Pod"].namespace == "demo" and listed["Node"].namespace is None
    assert resource_path(KINDS["ClusterTopologyBinding"], "demo") == "/apis/grove.io/v1alpha1/clustertopologybindings"
    assert resource_path(KINDS["PodGang"], None) == "/apis/scheduler.grove.io/v1alpha1/podgangs"


# ------------------------------------------------------------------------------------------------------ watches


def test_watch_follows_adds_changes_and_deletes(server: KubeServer) -> None:
    with _Running(_source(server)) as c:
        assert c.wait_for(_listed(*ALL_KINDS))
        server.put("Pod", _pod("new"))
        server.put(
            "PodClique", {"metadata": {"name": "inference-0-prefill", "namespace": "demo"}, "spec": {"replicas": 3}}
        )
        server.delete("Node", "", "node-1")
        assert c.wait_for(_converged(server))
    kinds_applied = {(type(e).__name__, e.kind) for e in c.events if isinstance(e, Applied | Removed)}
    assert kinds_applied == {("Applied", "Pod"), ("Applied", "PodClique"), ("Removed", "Node")}
    assert c.completed


def test_bookmarks_advance_the_resume_version(server: KubeServer) -> None:
    source = _source(server, ["Pod"])
    with _Running(source) as c:
        assert c.wait_for(_listed("Pod"))
        listed_rv = source.resume_version("Pod")
        assert server.wait_for_watches(1)
        for i in range(3):
            server.put("Node", {"metadata": {"name": f"n{i}"}})  # other kinds move the global resourceVersion
        server.bookmark()
        assert c.wait_for(lambda c: source.resume_version("Pod") == str(server.resource_version))
        assert int(source.resume_version("Pod") or 0) > int(listed_rv or 0)
        server.drop_watches()
        server.put("Pod", _pod("after-drop"))
        assert c.wait_for(_converged(server, ["Pod"]))
    watches = [r for r in server.requests if r.path == "/api/v1/pods" and r.query.get("watch") == "true"]
    assert watches[0].query["resourceVersion"] == listed_rv
    assert watches[0].query["allowWatchBookmarks"] == "true"
    assert int(watches[0].query["timeoutSeconds"]) >= 27
    assert watches[1].query["resourceVersion"] == str(int(listed_rv or 0) + 3)


def test_server_side_timeout_resumes_without_a_new_list() -> None:
    with KubeServer(max_watch_seconds=0.2) as srv:
        srv.seed_state(sample_objects())
        with _Running(_source(srv, ["Pod"])) as c:
            assert c.wait_for(_listed("Pod"))
            # the server closes the watch on its own, twice
            assert c.wait_for(lambda c: sum("watch" in r.query for r in srv.requests) >= 3)
            srv.put("Pod", _pod("later"))
            assert c.wait_for(_converged(srv, ["Pod"]))
        lists = [r for r in srv.requests if r.path == "/api/v1/pods" and "watch" not in r.query]
        watches = [r for r in srv.requests if r.path == "/api/v1/pods" and "watch" in r.query]
        assert len(lists) == 1 and len(watches) >= 3
        assert SourceStatus.RECONNECTING not in c.statuses("Pod")  # a normal close is not a failure


def test_dropped_connection_converges(server: KubeServer) -> None:
    with _Running(_source(server)) as c:
        assert c.wait_for(_listed(*ALL_KINDS))
        assert server.wait_for_watches(len(ALL_KINDS))
        server.put("Pod", _pod("a"))
        server.drop_watches()
        server.put("Pod", _pod("b"))
        server.delete("Pod", "demo", "a")
        server.put("PodGang", {"metadata": {"name": "g2", "namespace": "demo"}})
        assert c.wait_for(_converged(server))
        assert c.wait_for(lambda c: c.health("Pod") is SourceStatus.LIVE)
    assert SourceStatus.RECONNECTING in c.statuses("Pod")
    reconnecting = next(
        e for e in c.events if getattr(e, "status", None) is SourceStatus.RECONNECTING and e.kind == "Pod"
    )
    assert reconnecting.since is not None and "broke off" in reconnecting.message


def test_gone_relists_and_emits_the_deletions_the_gap_hid(server: KubeServer) -> None:
    with _Running(_source(server)) as c:
        assert c.wait_for(_listed(*ALL_KINDS))
        assert server.wait_for_watches(len(ALL_KINDS))
        server.stall()
        server.drop_watches()
        assert server.wait_for_watches(0)
        # the gap: changes nobody watched, then the history is compacted away
        server.delete("Pod", "demo", "inference-0-prefill-1")
        server.delete("Node", "", "node-0")
        server.put("Pod", _pod("born-in-the-gap"))
        server.put("Pod", {**_pod("inference-0-prefill-2"), "status": {"phase": "Failed"}})
        server.compact()
        server.stall(False)
        assert c.wait_for(_converged(server))
    removed = {(e.kind, e.object["metadata"]["name"]) for e in c.events if isinstance(e, Removed)}
    assert removed == {("Pod", "inference-0-prefill-1"), ("Node", "node-0")}
    lists = [e for e in c.events if isinstance(e, Listed) and e.kind == "Pod"]
    assert len(lists) == 2
    assert c.state.get("Pod", "demo", "inference-0-prefill-2")["status"]["phase"] == "Failed"  # type: ignore[index]


def test_gone_as_http_410_and_captured_wire_lines() -> None:
    """The captured watch stream drives the source; the captured 410 ERROR event makes it list again."""
    with KubeServer() as srv:
        srv.seed("Pod", [_pod("p")])
        stream = (WIRE / "watch-stream.jsonl").read_bytes().splitlines()
        srv.canned_watches["Pod"] = [stream, (WIRE / "watch-410.jsonl").read_bytes().splitlines()]
        source = _source(srv, ["Pod"])
        with _Running(source) as c:
            assert c.wait_for(lambda c: len([e for e in c.events if isinstance(e, Listed)]) == 2)
        watches = [r for r in srv.requests if "watch" in r.query]
        assert watches[1].query["resourceVersion"] == "74643"  # the last bookmark of the captured stream
        changes = [
            (type(e).__name__, e.object["metadata"]["resourceVersion"])
            for e in c.events
            if isinstance(e, Applied | Removed)
        ]
        assert changes[:4] == [("Applied", "43349"), ("Applied", "43351"), ("Applied", "43353"), ("Removed", "43354")]
        assert all("managedFields" not in e.object["metadata"] for e in c.events if isinstance(e, Applied))


def test_many_random_mutations_no_duplicates_no_losses() -> None:
    rng = random.Random(7)
    with KubeServer(history_limit=40) as srv:
        srv.seed_state(sample_objects(pods=10))
        with _Running(_source(srv, ["Pod", "PodClique", "Node"], rng=random.Random(1))) as c:
            assert c.wait_for(_listed("Pod", "PodClique", "Node"))
            names = [f"p{i}" for i in range(25)]
            for step in range(400):
                roll = rng.random()
                if roll < 0.5:
                    srv.put("Pod", _pod(rng.choice(names), app=str(step)))
                elif roll < 0.75:
                    srv.delete("Pod", "demo", rng.choice(names))
                elif roll < 0.85:
                    srv.put("PodClique", {"metadata": {"name": f"c{rng.randrange(5)}", "namespace": "demo"}})
                elif roll < 0.9:
                    srv.put("Node", {"metadata": {"name": f"node-{rng.randrange(4)}"}, "spec": {"step": step}})
                elif roll < 0.95:
                    srv.delete("Node", "", f"node-{rng.randrange(4)}")
                elif roll < 0.98:
                    srv.drop_watches()
                else:
                    srv.compact()
            assert c.wait_for(_converged(srv, ["Pod", "PodClique", "Node"]), timeout=8)
    seen: set[tuple[str, str, str, str]] = set()
    last: dict[tuple[str, str, str], int] = {}
    for e in c.events:
        if isinstance(e, Applied | Removed):
            meta = e.object["metadata"]
            key = (e.kind, meta.get("namespace", ""), meta["name"])
            rv = int(meta["resourceVersion"])
            entry = (*key, meta["resourceVersion"])
            assert entry not in seen or isinstance(e, Removed), f"duplicate {entry}"
            seen.add(entry)
            if isinstance(e, Applied):
                assert rv > last.get(key, 0), f"out of order {key}"
                last[key] = rv


# ------------------------------------------------------------------------------------------------------ health


def test_forbidden_kind_degrades_and_the_rest_works() -> None:
    with KubeServer(forbidden={"Node": "readonly"}) as srv:
        srv.seed_state(sample_objects())
        with _Running(_source(srv)) as c:
            others = [k for k in ALL_KINDS if k != "Node"]
            assert c.wait_for(_listed(*others))
            assert c.wait_for(lambda c: c.health("Node") is SourceStatus.FORBIDDEN)
            srv.put("Pod", _pod("still-live"))
            assert c.wait_for(_converged(srv, others))
        node = c.state.sources["Node"]
        assert node.message.startswith('nodes is forbidden: User "readonly" cannot list resource "nodes"')
        assert "at the cluster scope" in node.message
        assert c.statuses("Node").count(SourceStatus.FORBIDDEN) == 1  # retried quietly, reported once


def test_missing_crd_is_not_installed() -> None:
    installed = [k for k in ALL_KINDS if k not in ("PodGang", "ClusterTopologyBinding")]
    with KubeServer(installed=installed) as srv:
        srv.seed_state(sample_objects())
        source = _source(srv, ALL_KINDS, not_installed=["ClusterTopologyBinding"])
        with _Running(source) as c:
            assert c.wait_for(lambda c: c.health("PodGang") is SourceStatus.NOT_INSTALLED)
            assert c.wait_for(_listed("Pod", "PodClique"))
        assert c.state.sources["PodGang"].message == "podgangs.scheduler.grove.io is not installed in this cluster"
        assert c.health("ClusterTopologyBinding") is SourceStatus.NOT_INSTALLED
        assert not any("clustertopologybindings" in r.path for r in srv.requests)
        with pytest.raises(NotFound, match="404 page not found"):
            Http(ClusterAccess(server=srv.url)).get_json("/apis/scheduler.grove.io/v1alpha1/podgangs")


def test_silent_server_is_noticed_reconnecting_then_stale_then_live(server: KubeServer) -> None:
    source = _source(server, ["Pod"], watch_timeout=1.0, read_grace=0.2, backoff_initial=0.05, backoff_max=0.1)
    with _Running(source) as c:
        assert c.wait_for(_listed("Pod"))
        assert server.wait_for_watches(1)
        server.stall()
        assert c.wait_for(lambda c: c.health("Pod") is SourceStatus.STALE, timeout=6)
        server.stall(False)
        server.put("Pod", _pod("back"))
        assert c.wait_for(lambda c: c.health("Pod") is SourceStatus.LIVE and ("demo", "back") in c.state.of_kind("Pod"))
    statuses = c.statuses("Pod")
    assert statuses[:2] == [SourceStatus.CONNECTING, SourceStatus.LIVE]
    assert statuses.index(SourceStatus.RECONNECTING) < statuses.index(SourceStatus.STALE)
    stale = next(e for e in c.events if getattr(e, "status", None) is SourceStatus.STALE)
    assert "timed out" in stale.message and stale.since is not None


def test_stop_is_prompt_with_long_watches(server: KubeServer) -> None:
    source = _source(server, watch_timeout=290.0, read_grace=30.0)
    with _Running(source) as c:
        assert c.wait_for(_listed(*ALL_KINDS))
        assert server.wait_for_watches(len(ALL_KINDS))
        began = time.monotonic()
        source.stop()
        assert time.monotonic() - began < 1.0
    assert c.completed


def test_events_are_serialised_and_timestamped_by_the_clock(server: KubeServer) -> None:
    ticks = iter(range(1_000_000))
    inside = 0
    overlaps: list[int] = []

    source = _source(server, clock=lambda: 1000.0 + next(ticks))

    def on_next(event: Any) -> None:
        nonlocal inside
        inside += 1
        if inside > 1:
            overlaps.append(inside)
        time.sleep(0.001)
        inside -= 1

    collector = Collector()

    def both(event: Any) -> None:
        on_next(event)
        collector(event)

    source.events.subscribe(on_next=both)
    try:
        assert collector.wait_for(_listed(*ALL_KINDS))
    finally:
        source.stop()
    assert not overlaps
    assert all(e.at >= 1000.0 for e in collector.events)


def test_credentials_are_refreshed_after_401() -> None:
    calls: list[int] = []

    def refresh() -> dict[str, str]:
        calls.append(1)
        return {"Authorization": "Bearer fresh"}

    with KubeServer(token="fresh") as srv:
        srv.seed_state(sample_objects())
        access = ClusterAccess(server=srv.url, headers={"Authorization": "Bearer old"}, refresh_headers=refresh)
        source = LiveSource(access, ALL_KINDS, namespace="demo", **FAST)
        with _Running(source) as c:
            assert c.wait_for(_listed(*ALL_KINDS))
        assert len(calls) == 1  # one refresh shared by every kind's thread
        assert "old" not in repr(access)  # credentials never show up in logs


# ------------------------------------------------------------------------------------------------------ discovery


def test_discovery_is_one_aggregated_call() -> None:
    with KubeServer(installed=[k for k in ALL_KINDS if k != "PodGang"]) as srv:
        served = discover(ClusterAccess(server=srv.url))
        assert [r.path for r in srv.requests] == ["/apis"]
        assert served == {k: k != "PodGang" for k in ALL_KINDS}
        assert server_version(ClusterAccess(server=srv.url)) == "v1.36.0"


def test_discovery_falls_back_per_group_without_aggregation() -> None:
    with KubeServer(
        aggregated_discovery=False, installed=[k for k in ALL_KINDS if k != "ClusterTopologyBinding"]
    ) as srv:
        result = discover_api(ClusterAccess(server=srv.url))
        assert not result.aggregated
        assert result.served == {k: k != "ClusterTopologyBinding" for k in ALL_KINDS}
        assert {r.path for r in srv.requests} == {
            "/apis",
            "/apis/grove.io/v1alpha1",
            "/apis/scheduler.grove.io/v1alpha1",
        }


def test_discovery_reads_the_captured_aggregated_document() -> None:
    """The real document (as captured) parses: every Grove kind is served there."""
    captured = (WIRE / "discovery-apis-aggregated.json").read_bytes()

    class Canned(KubeServer):
        def _aggregated(self) -> dict[str, Any]:
            return orjson.loads(captured)  # type: ignore[no-any-return]

    with Canned(installed=[]) as srv:
        assert discover(ClusterAccess(server=srv.url)) == {k: True for k in ALL_KINDS}


# ------------------------------------------------------------------------------------------------------ wire shapes


def test_server_sends_the_captured_shapes() -> None:
    """Guard for the test server itself: its bodies have the keys the real API server's have."""
    with KubeServer(forbidden={"Node": "readonly"}, installed=[k for k in ALL_KINDS if k != "PodGang"]) as srv:
        srv.seed_state(sample_objects())
        pool = urllib3.PoolManager()
        forbidden = pool.request("GET", srv.url + "/api/v1/nodes")
        wire_403 = json.loads((WIRE / "forbidden-403.txt").read_text().split("\nHTTP")[0])
        assert forbidden.status == 403 and set(json.loads(forbidden.data)) == set(wire_403)
        missing = pool.request("GET", srv.url + "/apis/scheduler.grove.io/v1alpha1/podgangs")
        assert missing.status == 404
        assert missing.data.decode() == (WIRE / "missing-404.txt").read_text().split("\n")[0] + "\n"
        page = json.loads(pool.request("GET", srv.url + "/api/v1/pods?limit=2").data)
        wire_page = json.loads((WIRE / "list-pods-page.json").read_text())
        assert set(page) == set(wire_page) and set(page["metadata"]) == set(wire_page["metadata"])
        assert set(page["items"][0]) <= set(wire_page["items"][0])  # no kind/apiVersion per item, as captured
        srv.compact()
        expired = pool.request("GET", srv.url + "/api/v1/pods?watch=true&resourceVersion=1")
        assert expired.status == 200
        line = json.loads(expired.data.splitlines()[0])
        wire_410 = json.loads((WIRE / "watch-410.jsonl").read_text())
        assert line["type"] == "ERROR" and set(line["object"]) == set(wire_410["object"])
        assert line["object"]["code"] == 410 and line["object"]["reason"] == "Expired"


@pytest.mark.skipif(
    not (REPLAYS / "disagg-fragmented.jsonl").exists(), reason="replays/disagg-fragmented.jsonl not there"
)
def test_converges_to_a_recorded_cluster() -> None:
    objects = objects_from_recording(REPLAYS / "disagg-fragmented.jsonl")
    with KubeServer() as srv:
        srv.seed_state(objects)
        with _Running(_source(srv, page_size=7)) as c:
            assert c.wait_for(_converged(srv))
        for kind, objs in objects.items():
            assert len(c.state.of_kind(kind)) == len(objs)
