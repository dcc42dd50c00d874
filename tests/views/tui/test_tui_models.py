"""The TUI's pure models: columns, the forest levels and paths, events, topology levels, bars."""

from __future__ import annotations

from typing import Any

import attrs
from rich.text import Text

from grove.events.model import Applied, Listed, SourceHealthChanged, SourceStatus
from grove.reducers.batch import fold
from grove.reducers.state import State
from grove.reducers.timeline import Position
from grove.views.tui import forest
from grove.views.tui.domains import TopologyRequest, pod_rows, topology_level
from grove.views.tui.eventlist import ALL, NORMAL_LIMIT, WARNINGS_FIRST, event_list
from grove.views.tui.feed import ReplayStatus
from grove.views.tui.forest import ForestRequest, Step
from grove.views.tui.rows import Column, Row, fit_columns, matches
from grove.views.tui.screens.goto import parse_offset
from grove.views.tui.screens.yaml import find_matches, recorded_yaml
from grove.views.tui.session import LIVE, REPLAY, Session, problem_count, source_state
from grove.views.tui.widgets.bars import crumbs_text, header_text, hints_text, timeline_text
from tests.support import fragmented
from tests.support import handmade as h
from tests.views.tui.conftest import FRAGMENTED, load_timeline

AT = 1_793_610_000.0


def _end_state(name: str) -> State:
    timeline = load_timeline(name)
    return timeline.state_at_position(timeline.end)


def _keys(rows: tuple[Row, ...]) -> list[str]:
    return [r.key for r in rows]


# ----------------------------------------------------------------------------------------------- columns


def test_fit_columns_drops_by_priority_and_widens_the_flexible_one() -> None:
    columns = (
        Column("name", "N", 10, flex=1),
        Column("a", "A", 10, 2),
        Column("b", "B", 10, 1),
        Column("c", "C", 5),
    )
    wide = fit_columns(columns, 100)
    assert [c.key for c in wide] == ["name", "a", "b", "c"]
    assert wide[0].width == 100 - (10 + 10 + 5) - 8
    narrow = fit_columns(columns, 40)
    assert [c.key for c in narrow] == ["name", "b", "c"]
    assert sum(c.width + 2 for c in narrow) <= 40


def test_filter_matches_every_word() -> None:
    row = Row("k", (Text("x"),), search="my-inference decode node-gpu-04")
    assert matches(row, "DECODE gpu-04")
    assert not matches(row, "decode prefill")


# ----------------------------------------------------------------------------------------------- forest


def test_root_lists_every_pcs_in_scope() -> None:
    state = _end_state("multi-tenant.jsonl")
    root = forest.level(state, ForestRequest(None))
    assert _keys(root.rows) == ["pcs:inference/embed-svc", "pcs:inference/llama-70b", "pcs:research/qwen-moe"]
    only = forest.level(state, ForestRequest("research"))
    assert _keys(only.rows) == ["pcs:research/qwen-moe"]
    assert root.kind == forest.ROOT and root.crumbs[0].label == "PodCliqueSets"


def test_drill_skips_a_single_replica_and_back_returns_over_it() -> None:
    state = _end_state(FRAGMENTED)
    request = ForestRequest(None)
    path = forest.drill(state, request, "pcs:prod/my-inference")
    assert path == (Step("pcs:prod/my-inference"), Step("replica:0", auto=True))
    level = forest.level(state, attrs.evolve(request, path=path))
    assert level.kind == forest.REPLICA
    assert [c.label for c in level.crumbs] == ["PodCliqueSets", "prod/my-inference", "replica 0"]
    assert level.crumbs[-1].auto
    assert _keys(level.rows) == ["clique:my-inference-0-decode", "clique:my-inference-0-prefill", "gangs"]
    assert forest.back(path) == ((), "pcs:prod/my-inference")


def test_scaling_group_path_down_to_pods() -> None:
    state = _end_state("multi-tenant.jsonl")
    request = ForestRequest(None)
    path = forest.drill(state, request, "pcs:inference/llama-70b")
    replica = forest.level(state, attrs.evolve(request, path=path))
    groups = [k for k in _keys(replica.rows) if k.startswith("pcsg:")]
    assert groups, _keys(replica.rows)
    path = forest.drill(state, attrs.evolve(request, path=path), groups[0])
    sg = forest.level(state, attrs.evolve(request, path=path))
    assert sg.kind == forest.PCSG
    assert all(k.startswith("sgr:") for k in _keys(sg.rows))
    path = forest.drill(state, attrs.evolve(request, path=path), sg.rows[0].key)
    cliques = forest.level(state, attrs.evolve(request, path=path))
    assert cliques.kind == forest.SG_REPLICA
    path = forest.drill(state, attrs.evolve(request, path=path), cliques.rows[0].key)
    pods = forest.level(state, attrs.evolve(request, path=path))
    assert pods.kind == forest.CLIQUE
    assert pods.rows and all(r.key.startswith("pod:") and r.ref is not None for r in pods.rows)
    assert pods.columns == forest.POD_COLUMNS


def test_gang_path_lists_gangs_podgroups_and_pods() -> None:
    state = _end_state(FRAGMENTED)
    request = ForestRequest(None)
    path = forest.drill(state, request, "pcs:prod/my-inference")
    path = forest.drill(state, attrs.evolve(request, path=path), "gangs")
    # a single gang is entered automatically, then its two PodGroups are listed
    level = forest.level(state, attrs.evolve(request, path=path))
    assert level.kind == forest.GANG
    assert [c.label for c in level.crumbs][-2:] == ["gangs", "gang my-inference-0"]
    assert sorted(_keys(level.rows)) == ["clique:my-inference-0-decode", "clique:my-inference-0-prefill"]
    pods = forest.level(state, attrs.evolve(request, path=(*path, Step("clique:my-inference-0-decode"))))
    assert len(pods.rows) == 8


def test_a_vanished_object_truncates_the_path() -> None:
    state = _end_state(FRAGMENTED)
    request = ForestRequest(None, (Step("pcs:prod/my-inference"), Step("replica:0"), Step("clique:gone")))
    level = forest.level(state, request)
    assert level.path == request.path[:2]
    assert level.kind == forest.REPLICA


def test_rows_carry_placement_marks_and_pod_notes() -> None:
    state = _end_state(FRAGMENTED)
    request = ForestRequest(
        None, (Step("pcs:prod/my-inference"), Step("replica:0"), Step("clique:my-inference-0-decode"))
    )
    level = forest.level(state, request)
    notes = {r.key: r.cell(level.columns, "note").plain for r in level.rows}
    fragmented_pods = [k for k, note in notes.items() if "fragmented" in note]
    assert len(fragmented_pods) == 1
    root = forest.level(state, ForestRequest(None))
    assert "⚠" in root.rows[0].cell(root.columns, "score").plain


def test_filter_narrows_and_counts() -> None:
    state = _end_state(FRAGMENTED)
    path = (Step("pcs:prod/my-inference"), Step("replica:0"), Step("clique:my-inference-0-decode"))
    level = forest.level(state, ForestRequest(None, path, filter="node-gpu-02"))
    assert len(level.rows) == 4 and level.total == 8
    assert level.title == "Pods (4 of 8)"


def test_subjects_of_a_clique_include_its_pods() -> None:
    state = _end_state(FRAGMENTED)
    request = ForestRequest(None, (Step("pcs:prod/my-inference"), Step("replica:0")))
    subjects = forest.subjects(state, request, "clique:my-inference-0-decode")
    kinds = {s[0] for s in subjects}
    assert kinds == {"PodClique", "Pod"}
    assert len([s for s in subjects if s[0] == "Pod"]) == 8


# ----------------------------------------------------------------------------------------------- events


def _events_state(extra: list[dict[str, Any]]) -> State:
    objs = fragmented.objects()
    pod = objs["Pod"][0]["metadata"]["name"]
    items = [
        h.event(f"n{i}", "prod", "Pod", pod, "Pulled", f"pulled {i}", last=f"2026-11-02T09:0{i}:00Z") for i in range(3)
    ]
    return fold([*fragmented.events(AT), Listed(AT + 1, "Event", tuple(items + extra))])


def test_warnings_first_then_recent_normals_and_all_by_time() -> None:
    objs = fragmented.objects()
    pod = objs["Pod"][0]["metadata"]["name"]
    # events.k8s.io style: no lastTimestamp, only eventTime and series
    failed = h.event("w1", "prod", "Pod", pod, "FailedScheduling", "0/5 nodes", "Warning", last="2026-11-02T09:00:30Z")
    failed.pop("lastTimestamp")
    failed.pop("firstTimestamp")
    failed.pop("count")
    failed["eventTime"] = "2026-11-02T09:00:30.000000Z"
    failed["series"] = {"count": 3, "lastObservedTime": "2026-11-02T09:00:45.000000Z"}
    state = _events_state([failed])
    subjects = [("Pod", "prod", pod)]
    first = event_list(state, subjects, WARNINGS_FIRST)
    assert first.rows[0].key == "ev:prod/w1"
    assert first.warnings == 1 and first.normals == 3
    everything = event_list(state, subjects, ALL)
    assert [r.key for r in everything.rows] == ["ev:prod/n2", "ev:prod/n1", "ev:prod/w1", "ev:prod/n0"]
    assert everything.rows[2].cells[5].plain == "×3"


def test_warnings_first_caps_the_normal_events() -> None:
    objs = fragmented.objects()
    pod = objs["Pod"][0]["metadata"]["name"]
    many = [h.event(f"m{i:02d}", "prod", "Pod", pod, "Pulled", "x") for i in range(NORMAL_LIMIT + 5)]
    state = fold([*fragmented.events(AT), Listed(AT + 1, "Event", tuple(many))])
    listed = event_list(state, [("Pod", "prod", pod)], WARNINGS_FIRST)
    assert len(listed.rows) == NORMAL_LIMIT and listed.hidden == 5


# ----------------------------------------------------------------------------------------------- topology


def test_topology_levels_findings_and_pods() -> None:
    state = _end_state(FRAGMENTED)
    request = TopologyRequest(None, ("prod", "my-inference"))
    level = topology_level(state, request)
    assert level.level_names == ("rack", "host")
    assert _keys(level.rows) == ["dom:rack-1", "dom:rack-2"]
    flags = {r.key: r.cell(level.columns, "flags").plain for r in level.rows}
    assert "fragmented" in flags["dom:rack-2"] and flags["dom:rack-1"] == ""
    title, pods = pod_rows(level, "dom:rack-2")
    assert title.startswith("Pods in rack rack-2")
    assert any("fragmented" in p.cells[3].plain for p in pods)
    hosts = topology_level(state, attrs.evolve(request, path=("rack-1",)))
    assert hosts.depth_name == "host" and all(k.startswith("node:") for k in _keys(hosts.rows))
    gpus = hosts.rows[0].cell(hosts.columns, "gpus").plain
    assert "H100" in gpus and "█" in gpus


def test_topology_without_focus_shows_every_domain() -> None:
    state = _end_state("multi-tenant.jsonl")
    level = topology_level(state, TopologyRequest(None, None))
    assert level.rows
    assert level.placement is None


# ----------------------------------------------------------------------------------------------- bars


def _state_with_sources(*changes: SourceHealthChanged) -> State:
    return fold([*fragmented.events(AT), *changes])


def test_source_state_words() -> None:
    assert source_state(_state_with_sources(), REPLAY) == "replay"
    live = _state_with_sources(SourceHealthChanged(AT + 2, "Pod", SourceStatus.LIVE))
    assert source_state(live, LIVE) == "live"
    stale = _state_with_sources(SourceHealthChanged(AT + 2, "Pod", SourceStatus.STALE, "read timeout", since=AT))
    assert source_state(stale, LIVE) == "stale"
    forbidden = _state_with_sources(SourceHealthChanged(AT + 2, "Node", SourceStatus.FORBIDDEN, "nodes is forbidden"))
    assert problem_count(forbidden) == 1


def test_header_keeps_the_source_state_when_narrow() -> None:
    state = _state_with_sources(SourceHealthChanged(AT + 2, "Pod", SourceStatus.RECONNECTING, since=AT))
    session = Session(LIVE, "prod", context="kind-grove", cluster="kind", user="admin", server_version="v1.33.1")
    wide = header_text(session, state, None, None, 160).plain
    for part in ("Arborist", "ctx kind-grove", "cluster kind", "user admin", "ns prod", "k8s v1.33.1", "reconnecting"):
        assert part in wide
    narrow = header_text(session, state, None, None, 50).plain
    assert "reconnecting" in narrow and "Arborist" in narrow and len(narrow) <= 50


def test_timeline_hints_and_crumbs_fit() -> None:
    status = ReplayStatus(Position(10, 30.0), 100, 120.0, 8.0, False)
    text = timeline_text(status, 80).plain
    assert "⏸" in text and "0:30 / 2:00" in text and "event 10/100" in text and len(text) <= 80
    hints = hints_text([("↵", "open"), ("esc", "back"), ("t", "topology")] * 5, 40).plain
    assert hints.rstrip().endswith("help") and len(hints) <= 40
    crumbs = crumbs_text([(f"level-{i}-with-a-long-name", False) for i in range(8)], 60).plain
    assert crumbs.startswith(" › …") and crumbs.endswith("level-7-with-a-long-name")


# ----------------------------------------------------------------------------------------------- small helpers


def test_parse_offset() -> None:
    assert parse_offset("90") == 90
    assert parse_offset("2m30s") == 150
    assert parse_offset("1:30") == 90
    assert parse_offset("soon") is None
    assert parse_offset("") is None


def test_yaml_search_and_recorded_copy() -> None:
    state = fold(fragmented.events(AT))
    pod = fragmented.objects()["Pod"][0]["metadata"]["name"]
    from grove.views.tui.rows import Ref

    text = recorded_yaml(state, Ref("Pod", "prod", pod))
    assert text is not None and f"name: {pod}" in text and "managedFields" not in text
    assert recorded_yaml(state, Ref("Pod", "prod", "nope")) is None
    found = find_matches("a: Node\nb: node node\n", "NODE")
    assert found == [(1, 3, 7), (2, 3, 7), (2, 8, 12)]


def test_applied_pod_reaches_the_level() -> None:
    state = fold(fragmented.events(AT))
    objs = fragmented.objects()
    clique = objs["PodClique"][1]
    extra = h.pod(clique, 8, "node-gpu-05", suffix="zzzzz")
    later = fold([Applied(AT + 90, "Pod", extra)], state)
    path = (Step("pcs:prod/my-inference"), Step("replica:0"), Step(f"clique:{clique['metadata']['name']}"))
    assert (
        len(forest.level(later, ForestRequest(None, path)).rows)
        == len(forest.level(state, ForestRequest(None, path)).rows) + 1
    )
