"""What every node can still take: GPUs free (allocatable minus what bound, unfinished pods request) and whether a pod
may land there at all (Ready, schedulable, taints, node selector, required node affinity).

The starting figures are the GPU accounting every view shows (``grove.reducers.derive.gpu.node_gpus``), so a
preview, ``fit`` and ``topology`` agree on free GPUs; the ledger then follows the pods the simulation binds and
removes, counted with the same request rule (``grove.reducers.derive.pods.gpu_request``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.derive.gpu import node_gpus
from grove.reducers.derive.pods import gpu_request, is_finished
from grove.reducers.state import State

_BLOCKING_EFFECTS = frozenset({"NoSchedule", "NoExecute"})


@attrs.frozen
class NodeSlot:
    """One node as the gang scheduler sees it."""

    name: str
    product: str
    allocatable: int
    ready: bool
    unschedulable: bool
    labels: Mapping[str, str] = attrs.field(eq=False, repr=False)
    taints: tuple[Mapping[str, Any], ...] = attrs.field(eq=False, repr=False, default=())


class Ledger:
    """Free GPUs per node, kept current as the simulation binds and removes pods."""

    def __init__(self, slots: Mapping[str, NodeSlot], used: Mapping[str, int]) -> None:
        self.slots = dict(slots)
        self.used = dict(used)
        self._free: dict[str, int] | None = None  # free GPUs of every node, made at the first ask, kept current
        # every change of a node's free GPUs, in order: (node, GPUs freed, negative when taken), so that a sum over
        # many nodes can be kept current by reading what changed since
        self.changes: list[tuple[str, int]] = []

    @classmethod
    def from_state(cls, state: State) -> Ledger:
        slots: dict[str, NodeSlot] = {}
        used: dict[str, int] = {}
        for name, gpu in node_gpus(state).items():
            if not gpu.known:
                continue
            node = state.get(kinds.NODE, "", name)
            taints = tuple(t for t in f.seq(f.get(node, "spec", "taints")) if isinstance(t, Mapping))
            slots[name] = NodeSlot(name, gpu.product, gpu.allocatable, gpu.ready, gpu.unschedulable, gpu.labels, taints)
            used[name] = gpu.used
        return cls(slots, used)

    def free(self, node: str) -> int:
        slot = self.slots.get(node)
        return max(0, slot.allocatable - self.used.get(node, 0)) if slot is not None else 0

    def free_by_node(self) -> Mapping[str, int]:
        """``free`` of every node (read it, do not keep it across a bind or a release)."""
        if self._free is None:
            self._free = {name: self.free(name) for name in self.slots}
        return self._free

    def _changed(self, node: str, before: int) -> None:
        if node not in self.slots:
            return
        after = self.free(node)
        if after != before:
            self.changes.append((node, after - before))
        if self._free is not None:
            self._free[node] = after

    def bind(self, node: str, pod: Mapping[str, Any]) -> None:
        before = self.free(node)
        self.used[node] = self.used.get(node, 0) + gpu_request(pod)
        self._changed(node, before)

    def release(self, pod: Mapping[str, Any]) -> None:
        """The pod is gone (or finished): its node gets its GPUs back."""
        node = f.text(f.get(pod, "spec", "nodeName"))
        if node and not is_finished(pod):
            before = self.free(node)
            self.used[node] = max(0, self.used.get(node, 0) - gpu_request(pod))
            self._changed(node, before)

    def nodes(self) -> Iterable[NodeSlot]:
        return self.slots.values()


def _tolerates(tolerations: Iterable[Any], taint: Mapping[str, Any]) -> bool:
    for tol in tolerations:
        tol = f.mapping(tol)
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists" and (not tol.get("key") or tol.get("key") == taint.get("key")):
            return True
        if tol.get("key") == taint.get("key") and f.text(tol.get("value")) == f.text(taint.get("value")):
            return True
    return False


def _expression_holds(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, op = f.text(expr.get("key")), f.text(expr.get("operator"))
    values = [f.text(v) for v in f.seq(expr.get("values"))]
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return True  # Gt/Lt and anything newer: not modelled, never rules a node out


def _required_terms(pod_spec: Mapping[str, Any]) -> Sequence[Any]:
    affinity = f.mapping(f.get(pod_spec, "affinity", "nodeAffinity"))
    return f.seq(f.get(affinity, "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"))


def why_not(slot: NodeSlot, pod_spec: Mapping[str, Any]) -> str | None:
    """Why a pod with this spec may not land on the node (None: it may), GPUs aside."""
    if not slot.ready:
        return "NotReady"
    if slot.unschedulable:
        return "unschedulable"
    tolerations = f.seq(pod_spec.get("tolerations"))
    for taint in slot.taints:
        if taint.get("effect") in _BLOCKING_EFFECTS and not _tolerates(tolerations, taint):
            return f"taint {f.text(taint.get('key'))}"
    for key, value in f.mapping(pod_spec.get("nodeSelector")).items():
        if slot.labels.get(key) != value:
            return f"nodeSelector {key}={value}"
    terms = f.seq(
        f.get(
            pod_spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"
        )
    )
    if terms and not any(
        all(_expression_holds(f.mapping(e), slot.labels) for e in f.seq(f.mapping(t).get("matchExpressions")))
        for t in terms
    ):
        return "node affinity"
    return None


def wanted_product(pod_spec: Mapping[str, Any]) -> str | None:
    """The GPU product a pod asks for by node selector or required affinity (``nvidia.com/gpu.product``)."""
    selected = f.mapping(pod_spec.get("nodeSelector")).get(f.GPU_PRODUCT_LABEL)
    if isinstance(selected, str):
        return selected
    terms = f.seq(
        f.get(
            pod_spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"
        )
    )
    for term in terms:
        for expr in f.seq(f.mapping(term).get("matchExpressions")):
            expr = f.mapping(expr)
            values = f.seq(expr.get("values"))
            if expr.get("key") == f.GPU_PRODUCT_LABEL and expr.get("operator") == "In" and len(values) == 1:
                return f.text(values[0]) or None
    return None
