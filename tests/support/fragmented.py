"""A hand-made final state of the seed's example: 4 prefill + 8 decode pods, 2 GPUs each, one decode pod in rack-2."""

from __future__ import annotations

from typing import Any

from grove.events.model import Applied, Event, Listed
from tests.support import handmade as h

RACK = "topology.kubernetes.io/rack"


def objects() -> dict[str, list[dict[str, Any]]]:
    nodes = [h.node(f"node-gpu-0{i}", 8, {RACK: "rack-1" if i <= 3 else "rack-2"}) for i in range(1, 6)]
    topo = {"topologyName": "gpu-fabric", "pack": {"preferred": "rack"}}
    the_pcs = h.pcs(
        "my-inference",
        1,
        [h.clique_template("prefill", "prefill", 4, 2), h.clique_template("decode", "decode", 8, 2)],
        topology=topo,
    )
    prefill = h.podclique("my-inference", 0, "prefill", "prefill", 4, 2)
    decode = h.podclique("my-inference", 0, "decode", "decode", 8, 2)
    placement = ["node-gpu-01", "node-gpu-01", "node-gpu-03", "node-gpu-03"]
    prefill_pods = [h.pod(prefill, i, n) for i, n in enumerate(placement)]
    decode_nodes = [
        "node-gpu-01",
        "node-gpu-01",
        "node-gpu-02",
        "node-gpu-02",
        "node-gpu-02",
        "node-gpu-02",
        "node-gpu-03",
        "node-gpu-04",
    ]
    decode_pods = [h.pod(decode, i, n) for i, n in enumerate(decode_nodes)]
    gang = h.podgang(
        "my-inference", "my-inference-0", [(prefill, prefill_pods), (decode, decode_pods)], pack={"preferred": RACK}
    )
    notebook = h.other_pod("notebook-0", "research", "node-gpu-03", 2)
    return {
        "ClusterTopologyBinding": [h.binding("gpu-fabric", [("rack", RACK), ("host", "kubernetes.io/hostname")])],
        "Node": nodes,
        "PodCliqueSet": [the_pcs],
        "PodClique": [prefill, decode],
        "PodCliqueScalingGroup": [],
        "PodGang": [gang],
        "Pod": [*prefill_pods, *decode_pods, notebook],
        "Event": [
            h.event(
                "ev1",
                "prod",
                "Pod",
                decode_pods[-1]["metadata"]["name"],
                "FailedScheduling",
                "0/5 nodes are available: 3 Insufficient nvidia.com/gpu.",
                "Warning",
            )
        ],
    }


def events(at: float = 1_793_610_000.0) -> list[Event]:
    objs = objects()
    return [Listed(at, kind, tuple(items)) for kind, items in objs.items()] + [Applied(at + 60, "Pod", objs["Pod"][0])]
