from __future__ import annotations

from grove.events.model import Listed
from grove.reducers.batch import fold
from grove.reducers.derive.gpu import node_gpus, totals_by_product
from grove.reducers.derive.pods import gpu_request
from tests.support import handmade as h


def _pod_with(containers: list[int], inits: list[tuple[int, bool]] = ()) -> dict:  # type: ignore[type-arg,assignment]
    def c(n: int, sidecar: bool = False) -> dict:  # type: ignore[type-arg]
        out = {"name": f"c{n}", "resources": {"requests": {"nvidia.com/gpu": str(n)}}}
        if sidecar:
            out["restartPolicy"] = "Always"
        return out

    return {"spec": {"containers": [c(n) for n in containers], "initContainers": [c(n, s) for n, s in inits]}}


def test_gpu_request_follows_the_scheduler_rule() -> None:
    assert gpu_request(_pod_with([2, 1])) == 3
    assert gpu_request(_pod_with([1], [(4, False)])) == 4  # the init container's peak wins
    assert gpu_request(_pod_with([2], [(1, True), (2, False)])) == 3  # sidecar + app; init peak 1+2 = 3
    assert gpu_request(_pod_with([1], [(1, True), (4, False)])) == 5  # init runs beside the earlier sidecar
    limits_only = {"spec": {"containers": [{"resources": {"limits": {"nvidia.com/gpu": "8"}}}]}}
    assert gpu_request(limits_only) == 8
    assert gpu_request({"spec": {"containers": [{"resources": {}}]}}) == 0


def test_three_way_accounting_skips_finished_pods() -> None:
    clique = h.podclique("w", 0, "decode", "decode", 2, 2)
    grove_pod = h.pod(clique, 0, "n1")
    other = h.other_pod("train", "ml", "n1", 3)
    finished = h.other_pod("done", "ml", "n1", 4, phase="Succeeded")
    state = fold(
        [
            Listed(1.0, "Node", (h.node("n1", 8, {}), h.node("n2", 8, {}, product="NVIDIA-B200"))),
            Listed(1.0, "Pod", (grove_pod, other, finished)),
        ]
    )
    nodes = node_gpus(state)
    n1 = nodes["n1"]
    assert (n1.grove, n1.other, n1.free, n1.allocatable) == (2, 3, 3, 8)
    assert (n1.grove_pods, n1.other_pods) == (1, 1)
    totals = totals_by_product(nodes.values())
    assert totals["NVIDIA-B200"].free == 8
    assert totals["NVIDIA-H100-80GB-HBM3"].grove == 2


def test_pods_on_unknown_nodes_still_count() -> None:
    clique = h.podclique("w", 0, "decode", "decode", 2, 2)
    state = fold([Listed(1.0, "Pod", (h.pod(clique, 0, "ghost"),))])
    ghost = node_gpus(state)["ghost"]
    assert ghost.known is False and ghost.grove == 2 and ghost.free == 0


def test_warmed_values_are_the_ones_the_derivations_read() -> None:
    from grove.reducers.derive import gpu, kube_event_rows, pods, warming

    clique = h.podclique("w", 0, "decode", "decode", 2, 2)
    pod = h.pod(clique, 0, "n1")
    node = h.node("n1", 8, {})
    event = {
        "kind": "Event",
        "metadata": {"namespace": "w", "name": "e1"},
        "involvedObject": {"kind": "Pod", "namespace": "w", "name": pod["metadata"]["name"]},
        "reason": "Started",
        "lastTimestamp": "2026-12-07T10:00:00Z",
    }
    for kind, obj in (("Pod", pod), ("Node", node), ("Event", event), ("PodClique", clique)):
        warming.warm(kind, obj)
    warmed = pods._CACHE.current[id(pod)][1]
    assert pods.facts(pod) is warmed  # read once, on the list thread
    assert warmed.node == "n1" and warmed.grove
    assert gpu.node_object_facts(node) is gpu._NODE_OBJECTS.current[id(node)][1]
    row = kube_event_rows._ROWS.current[id(event)][1]
    assert row.reason == "Started" and row.name == pod["metadata"]["name"]
    state = fold([Listed(1.0, "Pod", (pod,)), Listed(1.0, "Node", (node,)), Listed(1.0, "Event", (event,))])
    assert kube_event_rows.events_for(state, [("Pod", "w", pod["metadata"]["name"])]) == [row]
    assert node_gpus(state)["n1"].labels is gpu.node_object_facts(node)[0]
    assert id(clique) not in pods._CACHE.current  # nothing per object for the other kinds
