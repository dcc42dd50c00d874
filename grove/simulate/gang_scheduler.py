"""A gang scheduler: all pods of a PodGang are placed together or none is.

A required pack constraint keeps the whole gang inside one domain of its level (one rack, one block …); a preferred one
is tried first and given up only when no domain of its level can take the gang. Pods of the gang that are already
bound pull the rest to their domain. Inside the chosen domain, nodes already hosting the gang come first, then the
fullest node that still fits (bin packing). The result is a feasible placement, not the node a real scheduler picks.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import orjson

from grove.reducers import fields as f
from grove.reducers.derive.pods import gpu_request
from grove.simulate.capacity import Ledger, NodeSlot, wanted_product, why_not

FITS = "fits"
FITS_MISSING_PREFERRED = "fits-missing-preferred"
DOES_NOT_FIT = "does-not-fit"


@attrs.frozen
class Pack:
    """A PodGang's pack constraint as node label keys, and the names of their levels (``rack``, ``block`` …)."""

    required: str | None = None
    preferred: str | None = None
    required_level: str = ""
    preferred_level: str = ""


@attrs.frozen
class GangFit:
    """Where a gang's unplaced pods go, or why they cannot go anywhere."""

    verdict: str  # FITS | FITS_MISSING_PREFERRED | DOES_NOT_FIT
    level: str  # the level the verdict is judged at ("rack"; "cluster" without a constraint)
    needed: int  # GPUs of the pods to place
    product: str | None
    best_domain: str | None  # the domain chosen, or the one with most free GPUs when nothing fits
    free_there: int  # GPUs free there before placing
    nodes: Mapping[str, str] = attrs.field(factory=dict)  # pod name -> node
    message: str = ""

    @property
    def placed(self) -> bool:
        return self.verdict != DOES_NOT_FIT


def pack_of(spec: Mapping[str, Any], level_of: Callable[[str], str]) -> Pack:
    """The pack constraint of a PodGang spec (``topologyConstraint.packConstraint``)."""
    pack = f.mapping(f.get(spec, "topologyConstraint", "packConstraint"))
    required = f.text(pack.get("required")) or None
    preferred = f.text(pack.get("preferred")) or None
    return Pack(required, preferred, level_of(required) if required else "", level_of(preferred) if preferred else "")


@attrs.define
class _Grouping:
    """A list of nodes grouped by a label's value, with each group's free GPUs as of the ledger's first ``seen``
    changes."""

    nodes: Sequence[NodeSlot]  # the list grouped (kept, so its identity names it)
    groups: dict[str, list[NodeSlot]]
    value_of: dict[str, str]  # node name -> its group
    sums: dict[str, int]  # group -> GPUs free on its nodes
    seen: int


def _signature(pod_spec: Mapping[str, Any]) -> bytes:
    parts = (pod_spec.get("nodeSelector"), pod_spec.get("affinity"), pod_spec.get("tolerations"))
    return orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)


class GangScheduler:
    """Places gangs against a ledger of free GPUs; ``bind`` is left to the caller (it also updates the ledger)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._eligible: dict[bytes, tuple[NodeSlot, ...]] = {}
        self._why: dict[bytes, dict[str, int]] = {}
        # nodes are fixed while the GPUs free on them change: the nodes a set of pod shapes may use, and a list of
        # nodes grouped by a label key (the list kept with its groups, so its identity names it)
        self._allowed: dict[tuple[bytes, ...], list[NodeSlot]] = {}
        self._groups: dict[tuple[int, str], _Grouping] = {}
        # GPUs free on such a list, kept current from the ledger's changes: (the list, its node names, how many of
        # the ledger's changes the figure includes, the figure)
        self._free_sums: dict[int, tuple[Sequence[NodeSlot], frozenset[str], int, int]] = {}
        # place's answers since the ledger's last change: (pod ids, pack, peers) -> (the pods, the answer)
        self._answered: dict[tuple[tuple[int, ...], Pack, tuple[str, ...]], tuple[tuple[object, ...], GangFit]] = {}
        self._answered_at = 0

    def eligible(self, pod_spec: Mapping[str, Any]) -> tuple[NodeSlot, ...]:
        """Nodes the pod may use, GPUs aside (Ready, schedulable, tolerated taints, selector and affinity)."""
        sig = _signature(pod_spec)
        hit = self._eligible.get(sig)
        if hit is None:
            reasons: dict[str, int] = {}
            ok: list[NodeSlot] = []
            for slot in self.ledger.nodes():
                reason = why_not(slot, pod_spec)
                if reason is None:
                    ok.append(slot)
                else:
                    reasons[reason] = reasons.get(reason, 0) + 1
            hit = tuple(sorted(ok, key=lambda s: s.name))
            self._eligible[sig] = hit
            self._why[sig] = reasons
        return hit

    def excluded(self, pod_spec: Mapping[str, Any]) -> Mapping[str, int]:
        """How many nodes each reason rules out for this pod (after ``eligible``)."""
        self.eligible(pod_spec)
        return self._why[_signature(pod_spec)]

    def place(self, pods: Sequence[Mapping[str, Any]], pack: Pack, peers: Iterable[str] = ()) -> GangFit:
        """Where ``pods`` (all of them or none) go; ``peers`` are the nodes of the gang's pods already bound.

        The answer for the very same pod objects, pack and peers is kept while no node's free GPUs changed: a gang
        that waits for GPUs held by terminating pods is asked again at every pass until they are freed."""
        peer_nodes = tuple(dict.fromkeys(peers))
        if self._answered_at != len(self.ledger.changes):
            self._answered.clear()
            self._answered_at = len(self.ledger.changes)
        key = (tuple(map(id, pods)), pack, peer_nodes)
        hit = self._answered.get(key)
        if hit is not None and len(hit[0]) == len(pods) and all(map(operator.is_, hit[0], pods)):
            return hit[1]
        fit = self._place(pods, pack, peer_nodes)
        self._answered[key] = (tuple(pods), fit)
        return fit

    def _place(self, pods: Sequence[Mapping[str, Any]], pack: Pack, peer_nodes: tuple[str, ...]) -> GangFit:
        # (GPUs, name) of each pod, largest first: the order a domain is filled in
        requests = sorted(((gpu_request(p), f.name(p)) for p in pods), key=lambda r: (-r[0], r[1]))
        needed = sum(r[0] for r in requests)
        product = self._product(pods, peer_nodes)
        if not pods:
            return GangFit(FITS, pack.required_level or "cluster", 0, product, None, 0)
        candidates = self._candidates(pods)
        free = self.ledger.free_by_node()  # nothing binds while a gang is placed
        level = pack.required_level or pack.preferred_level or "cluster"
        outer = self._domains(candidates, pack.required, peer_nodes, free)
        if pack.required and peer_nodes:  # a required pack keeps the gang in the domain it already runs in
            home = {self.ledger.slots[n].labels.get(pack.required) for n in peer_nodes if n in self.ledger.slots}
            outer = [(value, nodes) for value, nodes in outer if value in home] or outer[:0]
        best: GangFit | None = None
        for value, nodes in outer:
            if needed > self._free_in(nodes, free):
                continue  # nothing inside this domain can take the gang either (free GPUs are never negative)
            if pack.preferred:
                for inner_value, inner in self._domains(nodes, pack.preferred, peer_nodes, free):
                    placed = self._fill(requests, needed, inner, peer_nodes, free)
                    if placed is not None:
                        return GangFit(
                            FITS, pack.preferred_level, needed, product, inner_value, self._free_in(inner, free), placed
                        )
            placed = self._fill(requests, needed, nodes, peer_nodes, free)
            if placed is not None and best is None:
                verdict = FITS_MISSING_PREFERRED if pack.preferred else FITS
                best = GangFit(verdict, level, needed, product, value or None, self._free_in(nodes, free), placed)
                if not pack.preferred:
                    return best
        if best is not None:
            return best
        return self._no_fit(pods, pack, level, needed, product, outer, peer_nodes, free)

    def _candidates(self, pods: Sequence[Mapping[str, Any]]) -> list[NodeSlot]:
        """The nodes every one of ``pods`` may use, in the ledger's order; the same for pods of the same shape."""
        shapes = tuple(dict.fromkeys(_signature(f.mapping(p.get("spec"))) for p in pods))
        hit = self._allowed.get(shapes)
        if hit is None:
            allowed: set[str] | None = None
            for pod in pods:
                names = {s.name for s in self.eligible(f.mapping(pod.get("spec")))}
                allowed = names if allowed is None else allowed & names
            hit = [s for s in self.ledger.nodes() if allowed is not None and s.name in allowed]
            self._allowed[shapes] = hit
        return hit

    # ------------------------------------------------------------------ parts

    def _free_in(self, nodes: Sequence[NodeSlot], free: Mapping[str, int]) -> int:
        """GPUs free on ``nodes`` (``free``: the ledger's free GPUs per node, current): summed once per list of
        nodes, then moved by the ledger's changes on its nodes since."""
        changes = self.ledger.changes
        hit = self._free_sums.get(id(nodes))
        if hit is None or hit[0] is not nodes:
            names = frozenset(s.name for s in nodes)
            total = _sum(nodes, free)
        else:
            _, names, seen, total = hit
            for i in range(seen, len(changes)):
                node, delta = changes[i]
                if node in names:
                    total += delta
        self._free_sums[id(nodes)] = (nodes, names, len(changes), total)
        return total

    def _product(self, pods: Sequence[Mapping[str, Any]], peers: Sequence[str]) -> str | None:
        for pod in pods:
            wanted = wanted_product(f.mapping(pod.get("spec")))
            if wanted:
                return wanted
        for node in peers:
            slot = self.ledger.slots.get(node)
            if slot is not None:
                return slot.product
        return None

    def _domains(
        self, nodes: Sequence[NodeSlot], key: str | None, peers: Sequence[str], free: Mapping[str, int]
    ) -> list[tuple[str, list[NodeSlot]]]:
        """Nodes grouped by their value of ``key`` (one group without a key): the peers' domain first, then the
        fullest domain first (a gang packs into what is already in use before opening an empty domain)."""
        if key is None:
            return [("", nodes if isinstance(nodes, list) else list(nodes))]
        changes = self.ledger.changes
        grouping = self._groups.get((id(nodes), key))
        if grouping is None or grouping.nodes is not nodes:
            groups: dict[str, list[NodeSlot]] = {}
            for slot in nodes:
                value = slot.labels.get(key)
                if value is not None:
                    groups.setdefault(value, []).append(slot)
            value_of = {slot.name: value for value, slots in groups.items() for slot in slots}
            sums = {value: _sum(slots, free) for value, slots in groups.items()}
            grouping = _Grouping(nodes, groups, value_of, sums, len(changes))
            self._groups[(id(nodes), key)] = grouping
        elif grouping.seen != len(changes):
            sums, value_of = grouping.sums, grouping.value_of
            for i in range(grouping.seen, len(changes)):
                node, delta = changes[i]
                value = value_of.get(node)
                if value is not None:
                    sums[value] += delta
            grouping.seen = len(changes)
        home = {self.ledger.slots[n].labels.get(key) for n in peers if n in self.ledger.slots}
        sums = grouping.sums
        return sorted(grouping.groups.items(), key=lambda kv: (kv[0] not in home, sums[kv[0]], kv[0]))

    def _fill(
        self,
        requests: Sequence[tuple[int, str]],
        needed: int,
        nodes: Sequence[NodeSlot],
        peers: Sequence[str],
        free_of: Mapping[str, int],
    ) -> dict[str, str] | None:
        """First fit of the pods' ``requests`` (GPUs, name; largest first), peers' nodes then the fullest node; None
        when not every pod fits."""
        if needed > self._free_in(nodes, free_of):
            return None
        free = {s.name: free_of[s.name] for s in nodes}
        rank = {n: i for i, n in enumerate(peers)}
        order = sorted(free, key=lambda n: (n not in rank, rank.get(n, 0), free[n], n))
        out: dict[str, str] = {}
        for need, name in requests:
            target = next((n for n in order if free[n] >= need and (need > 0 or n in free)), None)
            if target is None:
                return None
            free[target] -= need
            out[name] = target
        return out

    def _no_fit(
        self,
        pods: Sequence[Mapping[str, Any]],
        pack: Pack,
        level: str,
        needed: int,
        product: str | None,
        domains: Sequence[tuple[str, list[NodeSlot]]],
        peers: Sequence[str],
        free_of: Mapping[str, int],
    ) -> GangFit:
        of = f" of {product}" if product else ""
        if not domains or not any(nodes for _, nodes in domains):
            reasons = self.excluded(f.mapping(pods[0].get("spec")))
            why = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])) or "no nodes"
            return GangFit(
                DOES_NOT_FIT, level, needed, product, None, 0, message=f"no node may take these pods ({why})"
            )
        best_value, best_nodes = max(domains, key=lambda kv: (self._free_in(kv[1], free_of), kv[0]))
        free = self._free_in(best_nodes, free_of)
        if pack.required:
            home = {self.ledger.slots[n].labels.get(pack.required) for n in peers if n in self.ledger.slots}
            where = f"in {best_value}, where the gang runs" if best_value in home else f"in one {level}"
            message = (
                f"needs {needed} GPUs{of} {where}; the best {level}, {best_value}, has {free} free"
                if best_value not in home
                else f"needs {needed} GPUs{of} {where}; {free} free there"
            )
        else:
            message = f"needs {needed} GPUs{of}; {free} free on the nodes it may use"
            if free >= needed:
                message = f"needs {needed} GPUs{of}; {free} free in all, but no node has room for its largest pod"
        return GangFit(DOES_NOT_FIT, level, needed, product, best_value or None, free, message=message)


def _sum(nodes: Iterable[NodeSlot], free: Mapping[str, int]) -> int:
    """GPUs free on ``nodes``, from the free GPUs read once for a placement."""
    return sum(free[s.name] for s in nodes)
