"""Plans taken from recorded states, read back from their documents, and compared with what runs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import attrs
import pytest

from grove.commands.source import fold_recording, open_recording
from grove.events import kinds
from grove.events.model import Applied
from grove.reducers.reduce import reduce
from grove.reducers.state import State
from grove.views.compare import CONFIG, TOPOLOGY, compare, compare_lines, comparison_document, diff_lines
from grove.views.plan import GangPlan, PlanError, plan_document, plan_from_document, plan_of

REPLAYS = Path(__file__).resolve().parents[2] / "replays"


def _state(name: str) -> State:
    return fold_recording(open_recording(str(REPLAYS / f"{name}.jsonl")), None)


def _pcs(state: State, namespace: str, name: str) -> Any:
    obj = state.get(kinds.PODCLIQUESET, namespace, name)
    assert obj is not None
    return obj


def _changed_pcs(state: State, namespace: str, name: str, change: Any) -> State:
    """The state after someone edits the PCS (``change`` mutates a copy)."""
    obj = copy.deepcopy(dict(_pcs(state, namespace, name)))
    change(obj)
    return reduce(state, Applied(state.now + 1, kinds.PODCLIQUESET, obj))


@pytest.fixture(scope="module")
def multi() -> State:
    return _state("multi-tenant")


def test_a_plan_records_roles_groups_constraints_and_the_domains_each_gang_occupies(multi: State) -> None:
    plan = plan_of(multi, _pcs(multi, "inference", "llama-70b"), "baseline")
    roles = {r.role: r for r in plan.roles}
    assert set(roles) == {"router", "prefill-leader", "prefill-worker", "decode-leader", "decode-worker"}
    assert roles["router"].group is None and roles["router"].replicas == (2,) and roles["router"].gpus_per_pod == 0
    assert roles["decode-worker"].group == "decode" and roles["decode-worker"].group_replicas == (3,)
    assert roles["prefill-leader"].gpus_per_pod == 4
    assert roles["decode-leader"].containers[0].image == "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1"
    assert plan.binding == "dc-topology"
    assert plan.constraints == {
        "podCliqueSet": {"required": "block"},
        "group/prefill": {"required": "rack"},
        "group/decode": {"required": "rack"},
    }
    gangs = {g.name: g for g in plan.gangs}
    assert gangs["llama-70b-0"] == GangPlan("llama-70b-0", True, "block", ("block-a1",))
    assert gangs["llama-70b-0-decode-1"].level == "rack" and len(gangs["llama-70b-0-decode-1"].domains) == 1
    assert plan.score == 1.0


def test_the_document_reads_back_as_the_same_plan(multi: State) -> None:
    for namespace, name in (("inference", "llama-70b"), ("inference", "embed-svc"), ("research", "qwen-moe")):
        plan = plan_of(multi, _pcs(multi, namespace, name), "v1")
        assert plan_from_document(plan_document(plan), "x") == plan


def test_what_runs_compared_with_its_own_plan_does_not_differ(multi: State) -> None:
    pcs = _pcs(multi, "inference", "llama-70b")
    comparison = compare(plan_of(multi, pcs, "v1"), plan_of(multi, pcs))
    assert not comparison.differs
    assert comparison.recommendations == ()
    lines = compare_lines(comparison, verbose=False)
    assert "  none: all 23 field(s) match the plan" in lines
    assert lines[-1] == "  none: what runs matches the plan"
    assert diff_lines(comparison, "plan v1", "now") == ["plan v1 and now are the same"]


def test_image_drift_and_replicas_are_found_with_the_commands_that_put_them_back(multi: State) -> None:
    pcs = _pcs(multi, "inference", "llama-70b")
    plan = plan_of(multi, pcs, "v1")

    def drift(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["cliques"][3]["spec"]["podSpec"]["containers"][0]["image"] = "vllm:v1.3"

    later = _changed_pcs(multi, "inference", "llama-70b", drift)
    router = copy.deepcopy(dict(later.get(kinds.PODCLIQUE, "inference", "llama-70b-0-router") or {}))
    router["spec"]["replicas"] = 3
    later = reduce(later, Applied(later.now + 1, kinds.PODCLIQUE, router))
    comparison = compare(plan, plan_of(later, _pcs(later, "inference", "llama-70b")))
    assert comparison.differs
    changed = {d.field: (d.planned, d.actual, d.note) for d in comparison.fields if not d.same}
    assert changed == {
        "decode-leader.image": ("nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1", "vllm:v1.3", "image drift"),
        "router.replicas": ("2", "3", ""),
    }
    assert comparison.recommendations == (
        "router has 3 pods, the plan 2. Run: kubectl grove scale llama-70b -n inference --role router=2",
        "Image drift on decode-leader. Run: kubectl grove update llama-70b -n inference --role decode-leader "
        "--image nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1",
    )
    text = "\n".join(compare_lines(comparison, verbose=False))
    assert "router.replicas:" in text and "2 (plan) ≠ 3 (actual)  ⚠" in text
    assert "(21 field(s) match the plan; --verbose lists them)" in text
    document = comparison_document(comparison)
    assert document["differs"] is True and len(document["fields"]) == len(comparison.fields)


def test_a_scaling_group_scaled_away_from_the_plan_is_put_back_through_the_group(multi: State) -> None:
    pcs = _pcs(multi, "inference", "llama-70b")
    plan = plan_of(multi, pcs, "v1")
    group = copy.deepcopy(dict(multi.get(kinds.PODCLIQUESCALINGGROUP, "inference", "llama-70b-0-decode") or {}))
    group["spec"]["replicas"] = 5
    later = reduce(multi, Applied(multi.now + 1, kinds.PODCLIQUESCALINGGROUP, group))
    comparison = compare(plan, plan_of(later, pcs))
    assert [(d.field, d.planned, d.actual) for d in comparison.fields if not d.same] == [
        ("group decode.replicas", "3", "5")
    ]
    assert comparison.recommendations == (
        "decode has 5 replicas, the plan 3. Run: kubectl grove scale llama-70b -n inference --group decode=3",
    )


def test_a_template_change_outside_images_and_replicas_points_at_apply(multi: State) -> None:
    pcs = _pcs(multi, "inference", "llama-70b")

    def more_gpus(obj: dict[str, Any]) -> None:
        resources = obj["spec"]["template"]["cliques"][1]["spec"]["podSpec"]["containers"][0]["resources"]
        resources["requests"]["nvidia.com/gpu"] = resources["limits"]["nvidia.com/gpu"] = "8"

    later = _changed_pcs(multi, "inference", "llama-70b", more_gpus)
    comparison = compare(plan_of(multi, pcs, "v1"), plan_of(later, _pcs(later, "inference", "llama-70b")))
    assert {d.field for d in comparison.fields if not d.same} == {
        "prefill-leader.gpusPerPod",
        "prefill-leader.resources",
    }
    assert len(comparison.recommendations) == 1
    assert comparison.recommendations[0].startswith("prefill-leader: the template differs from the plan; change it "
                                                    "with kubectl grove apply -f PCS.yaml")  # fmt: skip


def test_gangs_spread_over_more_domains_than_planned_are_fragmentation(multi: State) -> None:
    pcs = _pcs(multi, "inference", "llama-70b")
    actual = plan_of(multi, pcs)
    spread = tuple(
        attrs.evolve(g, domains=(*g.domains, "rack-b9")) if g.name == "llama-70b-0-decode-1" else g
        for g in actual.gangs
    )
    comparison = compare(plan_of(multi, pcs, "v1"), attrs.evolve(actual, gangs=spread, score=0.8))
    topology = {d.field: d for d in comparison.section(TOPOLOGY)}
    assert not topology["scaled gangs: racks each"].same
    assert topology["scaled gangs: racks each"].note == "fragmentation"
    assert (topology["scaled gangs: racks each"].planned, topology["scaled gangs: racks each"].actual) == ("1", "2")
    assert topology["base gangs: blocks each"].same
    assert not topology["gang llama-70b-0-decode-1"].same
    assert topology["gang llama-70b-0-decode-1"].note == "spans 2 racks"
    assert not topology["placementScore"].same and topology["placementScore"].note == "below target"
    assert comparison.section(CONFIG) and all(d.same for d in comparison.section(CONFIG))
    assert comparison.recommendations == (
        "Placement is worse than planned. See where the gangs are: kubectl grove topology llama-70b -n inference; "
        "whether they can be packed now: kubectl grove fit llama-70b -n inference",
    )
    # a gang packed tighter than planned, and a score above target, are not differences
    tighter = compare(attrs.evolve(actual, gangs=spread, score=0.8), actual)
    assert not any(not d.same for d in tighter.section(TOPOLOGY))


def test_a_scaled_in_pcs_compares_the_replicas_both_have(multi: State) -> None:
    pcs = _pcs(multi, "inference", "embed-svc")
    plan = plan_of(multi, pcs, "v1")
    wider = attrs.evolve(
        plan,
        replicas=plan.replicas + 1,
        roles=tuple(attrs.evolve(r, replicas=(*r.replicas, r.replicas[-1])) for r in plan.roles),
    )
    comparison = compare(wider, plan_of(multi, pcs))
    assert [d.field for d in comparison.fields if not d.same] == ["replicas"]
    assert comparison.recommendations[0] == (
        f"PodCliqueSet replicas differ from the plan. Run: kubectl grove scale embed-svc -n inference --replicas "
        f"{plan.replicas + 1}"
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"kind": "Pod"}, "not a kubectl-grove plan"),
        ({"apiVersion": "kubectl-grove/v1", "kind": "DeploymentPlan"}, "'metadata' is missing"),
        (
            {
                "apiVersion": "kubectl-grove/v1",
                "kind": "DeploymentPlan",
                "metadata": {"namespace": "a", "podCliqueSet": "b"},
                "spec": {"replicas": "two", "topology": {}, "placement": {"gangs": []}, "roles": []},
            },
            "'replicas' is missing or not a int",
        ),
        (
            {
                "apiVersion": "kubectl-grove/v1",
                "kind": "DeploymentPlan",
                "metadata": {"namespace": "a", "podCliqueSet": "b"},
                "spec": {
                    "replicas": 1,
                    "topology": {},
                    "placement": {"gangs": []},
                    "roles": [{"clique": "x", "replicas": [1, "2"]}],
                },
            },
            "'replicas' must be a list of integers",
        ),
    ],
)
def test_a_broken_plan_document_is_refused_with_what_is_wrong(document: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError) as caught:
        plan_from_document(document, "plan.yaml")
    assert str(caught.value).startswith("plan.yaml")
    assert message in str(caught.value)


def test_where_no_gang_can_be_seen_placement_is_not_judged_and_not_a_difference(multi: State) -> None:
    pcs = _pcs(multi, "inference", "llama-70b")
    actual = plan_of(multi, pcs)
    unseen = attrs.evolve(actual, gangs=tuple(attrs.evolve(g, domains=()) for g in actual.gangs), score=None)
    comparison = compare(plan_of(multi, pcs, "v1"), unseen)
    assert not comparison.differs and comparison.recommendations == ()
    (placement,) = [d for d in comparison.section(TOPOLOGY) if d.field == "placement"]
    assert not placement.judged and "needs list on nodes" in placement.note
    assert not any(d.field == "placementScore" for d in comparison.fields)
    assert any(line.startswith("  placement:") and "  ? " in line for line in compare_lines(comparison, verbose=False))
