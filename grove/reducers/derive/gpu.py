"""GPU accounting per node and GPU product: Grove / Other / Free.

Grove = pods owned by a PodClique, Other = every other pod on the node, Free = allocatable minus both. Requests are
counted the way the scheduler does (see ``pods.gpu_request``); finished pods hold nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers import indexes as ix
from grove.reducers.carryover import CarryOver
from grove.reducers.derivation import derivation
from grove.reducers.derive.by_identity import ByIdentity
from grove.reducers.derive.pods import facts
from grove.reducers.state import State

NODE_FACTS = derivation(
    "node_facts", reads_clock=False, about="what each node offers: allocatable GPUs, product, readiness, taints"
)
NODE_GPUS = derivation(
    "node_gpus", reads_clock=False, about="GPUs per node: allocatable, held by Grove pods and by others"
)

UNKNOWN_PRODUCT = "gpu"


@attrs.frozen
class NodeGpu:
    node: str
    product: str
    capacity: int
    allocatable: int
    grove: int
    other: int
    grove_pods: int
    other_pods: int
    ready: bool
    unschedulable: bool
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False)
    known: bool = True  # False when the Node object is not visible (e.g. nodes are forbidden)

    @property
    def used(self) -> int:
        return self.grove + self.other

    @property
    def free(self) -> int:
        return max(0, self.allocatable - self.grove - self.other)

    @property
    def overcommitted(self) -> bool:
        return self.known and self.grove + self.other > self.allocatable


@attrs.frozen
class GpuTotals:
    product: str
    allocatable: int = 0
    grove: int = 0
    other: int = 0
    free: int = 0
    nodes: int = 0

    def plus(self, node: NodeGpu) -> GpuTotals:
        return GpuTotals(
            self.product,
            self.allocatable + node.allocatable,
            self.grove + node.grove,
            self.other + node.other,
            self.free + node.free,
            self.nodes + 1,
        )


@attrs.frozen
class NodeFacts:
    """What one Node object says whatever runs on it: GPU product, readiness, labels.

    Placement (labels) and the forest's cells (product, readiness) read only these; unlike ``node_gpus`` they do not
    depend on the pods, so a stream of pod updates reuses them (see ``node_facts``).
    """

    node: str
    product: str
    ready: bool
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False)
    known: bool = True


def _read_node_object(node: Mapping[str, Any]) -> tuple[dict[str, str], str, bool]:
    """(labels, product, ready) of a Node object, read the same way for ``NodeGpu`` and ``NodeFacts``."""
    labels = {k: v for k, v in f.labels(node).items() if isinstance(v, str)}
    ready_cond = f.condition(node, "Ready")
    return (
        labels,
        labels.get(f.GPU_PRODUCT_LABEL) or UNKNOWN_PRODUCT,
        ready_cond is None or ready_cond.get("status") == "True",
    )


_NODE_OBJECTS: ByIdentity[tuple[dict[str, str], str, bool]] = ByIdentity(_read_node_object)


def node_object_facts(node: Mapping[str, Any]) -> tuple[dict[str, str], str, bool]:
    """``_read_node_object(node)``, read once per Node object (see ``by_identity``); the labels are not to be
    changed."""
    return _NODE_OBJECTS.get(node)


def node_facts(state: State) -> Mapping[str, NodeFacts]:
    """Every visible Node by name. A node that hosts pods but is not visible is absent: callers treat a missing
    node as unknown, the way ``node_gpus`` marks it (``known=False``, unknown product, ready)."""
    return state.memoised(NODE_FACTS, "", state.revision, lambda: _carried_node_facts(state))


_CARRIED_FACTS: CarryOver[Mapping[str, NodeFacts]] = CarryOver(max_entries=4)


def _carried_node_facts(state: State) -> Mapping[str, NodeFacts]:
    """Reused while the Node objects are the same map (pod updates leave it alone)."""
    objects = state.of_kind(kinds.NODE)

    def compute() -> Mapping[str, NodeFacts]:
        out: dict[str, NodeFacts] = {}
        for (_, name), node in objects.items():
            labels, product, ready = node_object_facts(node)
            out[name] = NodeFacts(name, product, ready, labels)
        return out

    return _CARRIED_FACTS.get(state.lineage, (objects,), compute)


def _node_gpu(state: State, node_name: str, node: Mapping[str, Any] | None) -> NodeGpu:
    grove = other = grove_pods = other_pods = 0
    for pod in state.indexed(ix.PODS_BY_NODE, (node_name,)).values():
        if pod is None:
            continue
        pf = facts(pod)  # cached per pod object: the same figures as gpu_request / is_finished / is_grove_pod
        if pf.finished:
            continue
        gpus = pf.gpus
        if pf.grove:
            grove += gpus
            grove_pods += 1
        else:
            other += gpus
            other_pods += 1
    if node is None:
        return NodeGpu(node_name, UNKNOWN_PRODUCT, 0, 0, grove, other, grove_pods, other_pods, True, False, {}, False)
    status = f.mapping(node.get("status"))
    capacity = int(f.quantity(f.mapping(status.get("capacity")).get(f.GPU_RESOURCE)) or 0)
    allocatable_raw = f.quantity(f.mapping(status.get("allocatable")).get(f.GPU_RESOURCE))
    allocatable = int(allocatable_raw) if allocatable_raw is not None else capacity
    labels, product, ready = node_object_facts(node)
    return NodeGpu(
        node=node_name,
        product=product,
        capacity=capacity,
        allocatable=allocatable,
        grove=grove,
        other=other,
        grove_pods=grove_pods,
        other_pods=other_pods,
        ready=ready,
        unschedulable=f.get(node, "spec", "unschedulable") is True,
        labels=labels,
    )


def node_gpus(state: State) -> dict[str, NodeGpu]:
    """Every node that is known or hosts a pod, by name."""
    return state.memoised(NODE_GPUS, "", state.revision, lambda: _node_gpus(state))


_CARRIED: CarryOver[NodeGpu] = CarryOver(max_entries=65_536)


def _carried_node_gpu(state: State, name: str, node: Mapping[str, Any] | None) -> NodeGpu:
    """A node's accounting, reused while the node and every pod on it are the same objects (the node's bucket is the
    same object exactly while its pods are, see ``indexes.VALUED``)."""
    bucket = state.indexed(ix.PODS_BY_NODE, (name,))
    return _CARRIED.get((state.lineage, name), (node, bucket), lambda: _node_gpu(state, name, node))


def _node_gpus(state: State) -> dict[str, NodeGpu]:
    out: dict[str, NodeGpu] = {}
    for (_, name), node in state.of_kind(kinds.NODE).items():
        out[name] = _carried_node_gpu(state, name, node)
    for key in state.indexes.get(ix.PODS_BY_NODE, {}):
        if key[0] not in out:
            out[key[0]] = _carried_node_gpu(state, key[0], None)
    return dict(sorted(out.items()))


def totals_by_product(nodes: Iterable[NodeGpu]) -> dict[str, GpuTotals]:
    totals: dict[str, GpuTotals] = {}
    for node in nodes:
        if node.allocatable == 0 and node.used == 0:
            continue
        totals[node.product] = totals.get(node.product, GpuTotals(node.product)).plus(node)
    return dict(sorted(totals.items()))
