"""Topology levels from ClusterTopologyBindings and the domain tree built from nodes' labels."""

from __future__ import annotations

from typing import Any

from grove.events.model import Listed, SourceHealthChanged, SourceStatus
from grove.reducers.batch import fold
from grove.reducers.derive.gpu import node_gpus
from grove.reducers.derive.topology import UNLABELLED, Level, domain_tree, node_value, resolve
from grove.reducers.state import State
from tests.support import handmade as h

T0 = 1_793_610_000.0
ZONE, RACK = "example.com/zone", "example.com/rack"


def _state(objs: dict[str, list[dict[str, Any]]], forbidden: tuple[str, ...] = ()) -> State:
    events: list[Any] = [Listed(T0, kind, tuple(items)) for kind, items in objs.items()]
    events += [SourceHealthChanged(T0, kind, SourceStatus.FORBIDDEN, "forbidden") for kind in forbidden]
    return fold(events)


FABRIC = h.binding("fabric", [("zone", ZONE), ("rack", RACK), ("host", "kubernetes.io/hostname")])
NODES = [
    h.node("n1", 8, {ZONE: "z1", RACK: "r2"}),
    h.node("n2", 8, {ZONE: "z1", RACK: "r1"}),
    h.node("n3", 4, {ZONE: "z2", RACK: "r3"}, product="NVIDIA-B200"),
    h.node("n4", 8, {ZONE: "z1"}),  # no rack label
]


def test_a_named_binding_gives_its_levels_in_order() -> None:
    info = resolve(_state({"ClusterTopologyBinding": [FABRIC, h.binding("other", [("rack", RACK)])]}), "fabric")
    assert (info.binding, info.origin) == ("fabric", "named")
    assert info.levels == (Level("zone", ZONE), Level("rack", RACK), Level("host", "kubernetes.io/hostname"))
    assert [lv.domain for lv in info.grouping_levels] == ["zone", "rack"]
    assert info.default_pack_level == Level("rack", RACK)
    assert info.key_of("rack") == RACK and info.domain_of(ZONE) == "zone"


def test_without_a_named_binding_the_only_one_applies_and_several_mean_hosts_only() -> None:
    only = resolve(_state({"ClusterTopologyBinding": [FABRIC]}), None)
    assert (only.binding, only.origin, len(only.levels)) == ("fabric", "only-binding", 3)
    several = resolve(_state({"ClusterTopologyBinding": [FABRIC, h.binding("other", [("rack", RACK)])]}), None)
    assert (several.binding, several.origin, several.levels) == (None, "none", ())
    assert "2 exist" in several.message
    assert resolve(_state({}), None).origin == "none"


def test_a_missing_binding_is_missing_but_an_unreadable_one_is_forbidden() -> None:
    missing = resolve(_state({"ClusterTopologyBinding": [FABRIC]}), "nope")
    assert (missing.origin, missing.levels) == ("missing", ())
    assert "not found" in missing.message
    forbidden = resolve(_state({}, forbidden=("ClusterTopologyBinding",)), "fabric")
    assert forbidden.origin == "forbidden" and "forbidden" in forbidden.message
    assert resolve(_state({}, forbidden=("ClusterTopologyBinding",)), None).origin == "forbidden"


def test_a_binding_without_a_host_level_places_on_hosts_too() -> None:
    info = resolve(_state({"ClusterTopologyBinding": [h.binding("racks", [("rack", RACK)])]}), "racks")
    assert [lv.domain for lv in info.placement_levels] == ["rack", "host"]
    assert info.key_of("host") == "kubernetes.io/hostname"


def test_the_domain_tree_groups_by_level_sorts_and_puts_unlabelled_nodes_last() -> None:
    state = _state({"ClusterTopologyBinding": [FABRIC], "Node": NODES})
    info = resolve(state, "fabric")
    tree = domain_tree(info, node_gpus(state).values())
    assert [z.value for z in tree] == ["z1", "z2"]
    z1 = tree[0]
    assert [r.value for r in z1.children] == ["r1", "r2", UNLABELLED]
    assert [n.node for n in z1.children[0].nodes] == ["n2"]
    assert z1.children[-1].path == ("z1", UNLABELLED)
    assert (z1.allocatable, tree[1].allocatable) == (24, 4)
    assert list(tree[1].totals) == ["NVIDIA-B200"]
    assert z1.nodes == ()  # only the narrowest level lists nodes


def test_a_domain_tree_of_some_nodes_keeps_every_nodes_totals() -> None:
    state = _state({"ClusterTopologyBinding": [FABRIC], "Node": NODES})
    tree = domain_tree(resolve(state, "fabric"), node_gpus(state).values(), shown=["n1"])
    assert [z.value for z in tree] == ["z1"]
    assert [r.value for r in tree[0].children] == ["r2"]
    assert tree[0].allocatable == 24  # n2 and n4 still count towards zone z1


def test_node_values() -> None:
    state = _state({"Node": NODES})
    gpus = node_gpus(state)
    assert node_value(gpus["n1"], RACK) == "r2"
    assert node_value(gpus["n4"], RACK) == UNLABELLED
    assert node_value(gpus["n4"], "kubernetes.io/hostname") == "n4"
