"""Large synthetic clusters for benchmarks.

``synthetic_events`` lists a cluster of ``nodes`` GPU nodes and ``pcs_count`` PodCliqueSets holding ``pods`` pods
(one ``Listed`` per kind), then yields exactly ``churn_events`` changes: readiness flips, pods deleted and recreated,
Events created and repeated, PodClique statuses catching up.

    python -m grove.simulate.synthetic --nodes 1000 --pods 10000 --events 1000000 -o /tmp/big.jsonl

Objects come from the scenario builders, so they have the shapes of the bundled replays. The churn loop changes them
copy-on-write (a new top-level dict, new metadata and status, everything else shared) instead of deep-copying, which
keeps a million events to seconds. Output files are large: never commit one.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from grove.events import kinds
from grove.events.model import Applied, Event, Listed, Removed
from grove.events.recordings.format import Header
from grove.events.recordings.writer import RecordingWriter
from grove.reducers.derive.pods import GATE
from grove.reducers.fields import HOSTNAME_KEY
from grove.simulate.builders import binding_object, node_ip, node_object, owner_ref, pod_ip
from grove.simulate.event_objects import event_object
from grove.simulate.grove_objects import (
    Member,
    gang_spec,
    grove_pod,
    members_of,
    pclq_object,
    pcs_object,
    podgang_object,
)
from grove.simulate.names import START, Ids, Obj, ts
from grove.simulate.pod_states import gated_status, is_ready, pod_terminating, with_pod_state
from grove.simulate.spec import Clique, Pack, WorkloadSpec, generation_hash, template_hash
from grove.simulate.statuses import PodCounts, pcs_status, pod_counts, podclique_status, podgang_status

TOPOLOGY = "synthetic-topology"
LEVELS = (
    ("zone", "topology.kubernetes.io/zone"),
    ("block", "network.example.com/block"),
    ("rack", "network.example.com/rack"),
    ("host", HOSTNAME_KEY),
)
# More bindings (``bindings`` > 1) for realistic shapes: the same node labels grouped other ways. Workloads name all
# but the last of them, so one binding exists that no workload names (as on a cluster where a topology was retired).
EXTRA_LEVELS = (
    (("zone", "topology.kubernetes.io/zone"), ("rack", "network.example.com/rack"), ("host", HOSTNAME_KEY)),
    (("zone", "topology.kubernetes.io/zone"), ("host", HOSTNAME_KEY)),
)
PACKS = (("block", "rack"), ("zone", "rack"), ("zone", None))  # (required, preferred) per binding
ROLES = ("prefill", "decode", "frontend", "router", "kv-cache")
NODES_PER_RACK = 8
RACKS_PER_BLOCK = 4
BLOCKS_PER_ZONE = 4
GPUS_PER_NODE = 8
PRODUCTS = ("NVIDIA-B200", "NVIDIA-H200", "NVIDIA-H100-80GB-HBM3")
NAMESPACES = 8
STEP = 0.004  # seconds between churn events (250 changes a second)
_WARNINGS = (
    ("BackOff", "Back-off restarting failed container {c} in pod {p}"),
    ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
)
_NORMALS = (
    ("Pulled", 'Container image "{i}" already present on machine'),
    ("Started", "Started container {c}"),
)


def _stamp(obj: Obj, ids: Ids) -> Obj:
    """A fresh object gets its resourceVersion (it is not shared yet, so it may be filled in place)."""
    obj["metadata"]["resourceVersion"] = ids.rv()
    return obj


def _restamped(obj: Obj, ids: Ids, **top: Any) -> Obj:
    """A new version: new top-level dict and metadata, the given top-level fields replaced, the rest shared."""
    return {**obj, **top, "metadata": {**obj["metadata"], "resourceVersion": ids.rv()}}


class _Slot:
    """One pod position of a PodClique (its pod is replaced when deleted)."""

    __slots__ = ("_pod", "busy", "clique", "counts", "hash", "index", "node")

    def __init__(self, clique: int, index: int, pod: Obj, node: int, template_hash: str) -> None:
        self.clique = clique
        self.index = index
        self.node = node  # 1-based node index, 0 when the pod could not be placed
        self.busy = False  # being replaced
        self.hash = template_hash
        self.pod = pod

    @property
    def pod(self) -> Obj:
        return self._pod

    @pod.setter
    def pod(self, pod: Obj) -> None:
        self._pod = pod
        self.counts: PodCounts = pod_counts(pod, self.hash)  # summed for PodClique status without rescanning


class _Clique:
    __slots__ = ("member", "obj", "slots", "spec")

    def __init__(self, spec: WorkloadSpec, member: Member, obj: Obj) -> None:
        self.spec = spec
        self.member = member
        self.obj = obj
        self.slots: list[int] = []


class SyntheticCluster:
    """The objects of a synthetic cluster and a churn generator over them."""

    def __init__(
        self,
        nodes: int,
        pcs_count: int,
        pods: int,
        seed: int = 1,
        *,
        cliques: int = 2,
        replicas: int = 1,
        bindings: int = 1,
        events: int = 0,
    ) -> None:
        """``cliques`` per PCS replica (prefill and decode, then frontend, router, kv-cache), ``replicas`` per PCS
        (one PodGang each), ``bindings`` ClusterTopologyBindings (up to 3), ``events`` Events listed at the start.
        The defaults are the original shape, object for object."""
        if min(nodes, pcs_count, pods, events) < 0 or (pods and not pcs_count):
            raise ValueError("nodes, pcs_count and pods must be >= 0, and pods need at least one PodCliqueSet")
        if not 2 <= cliques <= len(ROLES) or replicas < 1 or not 1 <= bindings <= len(PACKS):
            raise ValueError(f"cliques must be 2..{len(ROLES)}, replicas >= 1, bindings 1..{len(PACKS)}")
        self.ids = Ids(seed, first_rv=1_000_000)
        self.rng = self.ids.rng
        self.created = START - 86_400.0
        self.nodes: list[Obj] = []
        self.node_names: list[str] = []
        self.pod_ips: list[int] = []
        self.binding = _stamp(binding_object(TOPOLOGY, self.ids.uid(), self.created - 86_400, LEVELS), self.ids)
        self.bindings = [self.binding]
        for k, levels in enumerate(EXTRA_LEVELS[: bindings - 1], start=1):
            extra = binding_object(f"{TOPOLOGY}-{k}", self.ids.uid(), self.created - 86_400, levels)
            self.bindings.append(_stamp(extra, self.ids))
        self._build_nodes(nodes)
        self.pcs: list[Obj] = []
        self.gangs: list[Obj] = []
        self.cliques: list[_Clique] = []
        self.slots: list[_Slot] = []
        self.events: list[Obj] = []
        self._event_seq = 0
        self._pending: deque[tuple[int, str]] = deque()
        self._build_workloads(pcs_count, pods, cliques, replicas)
        while len(self.events) < events:  # some draws repeat an Event already made instead of adding one
            self._event(START - events + self._event_seq)

    # ------------------------------------------------------------------ building

    def _build_nodes(self, count: int) -> None:
        for i in range(count):
            rack = i // NODES_PER_RACK
            block = rack // RACKS_PER_BLOCK
            zone = block // BLOCKS_PER_ZONE
            name = f"gpu-node-{i:05d}"
            labels = {
                "topology.kubernetes.io/zone": f"zone-{zone:02d}",
                "network.example.com/block": f"block-{block:03d}",
                "network.example.com/rack": f"rack-{rack:04d}",
            }
            node = node_object(
                name,
                self.ids.uid(),
                self.created - 86_400,
                labels=labels,
                gpus=GPUS_PER_NODE,
                gpu_product=PRODUCTS[zone % len(PRODUCTS)],
                index=i + 1,
            )
            self.nodes.append(_stamp(node, self.ids))
            self.node_names.append(name)
            self.pod_ips.append(1)

    def _build_workloads(self, pcs_count: int, pods: int, cliques: int = 2, replicas: int = 1) -> None:
        gpu_budget = len(self.nodes) * GPUS_PER_NODE
        gpu_node, gpu_free = 0, GPUS_PER_NODE
        cpu_node = 0
        named = max(1, len(self.bindings) - 1)
        for i in range(pcs_count):
            n_pods = pods // pcs_count + (1 if i < pods % pcs_count else 0)
            gpus = 1 if n_pods <= gpu_budget else 0
            gpu_budget -= n_pods * gpus
            name = f"svc-{i:05d}"
            binding = self.bindings[i % named]
            levels = {lv["domain"]: lv["key"] for lv in binding["spec"]["levels"]}
            required, preferred = PACKS[i % named]
            spec = WorkloadSpec(
                name=name,
                namespace=f"team-{i % NAMESPACES:02d}",
                replicas=replicas,
                pack=Pack(binding["metadata"]["name"], required=required, preferred=preferred),
                cliques=_cliques((n_pods + i % replicas) // replicas, cliques, gpus),  # floor and ceil in turn
                labels={"app": name},
            )
            created = self.created + i
            pcs = pcs_object(spec, uid=self.ids.uid(), created=created)
            pcs["metadata"]["finalizers"] = ["grove.io/podcliqueset.grove.io"]
            gen_hash = generation_hash(spec)
            available = 0
            for r in range(replicas):
                members = members_of(spec, r)
                refs: dict[str, list[str]] = {}
                replica_available = True
                for m in members:
                    pclq = pclq_object(spec, m, uid=self.ids.uid(), created=created, owner=owner_ref(pcs))
                    clique = _Clique(spec, m, pclq)
                    pod_objs: list[Obj] = []
                    for index in range(m.clique.replicas):
                        if gpus and self.nodes:
                            if gpu_free < gpus:
                                gpu_node, gpu_free = gpu_node + 1, GPUS_PER_NODE
                            node = gpu_node % len(self.nodes)
                            gpu_free -= gpus
                        else:
                            node = cpu_node % len(self.nodes) if self.nodes else -1
                            cpu_node += 1
                        pod = self._new_pod(spec, m, pclq, index, created + 1)
                        if node >= 0:
                            pod = self._place(pod, node + 1, created + 2, ready=self.rng.random() > 0.02)
                        pod_objs.append(pod)
                        clique.slots.append(len(self.slots))
                        tpl = pclq["metadata"]["labels"]["grove.io/pod-template-hash"]
                        self.slots.append(_Slot(len(self.cliques), index, _stamp(pod, self.ids), node + 1, tpl))
                    refs[m.pclq] = [p["metadata"]["name"] for p in pod_objs]
                    status = podclique_status(
                        pods=pod_objs,
                        min_available=m.clique.minimum,
                        replicas_spec=m.clique.replicas,
                        target_hash=template_hash(spec, m.clique.name),
                        pcs_hash=gen_hash,
                        observed=1,
                        prev=None,
                        at=created + 2,
                    )
                    replica_available = replica_available and status["readyReplicas"] >= m.clique.minimum
                    clique.obj = _stamp({**pclq, "status": status}, self.ids)
                    self.cliques.append(clique)
                available += int(replica_available)
                gang = podgang_object(
                    spec,
                    f"{name}-{r}",
                    gang_spec(spec, r, f"{name}-{r}", members, refs, levels),
                    uid=self.ids.uid(),
                    created=created,
                    owner=owner_ref(pcs),
                )
                self.gangs.append(_stamp({**gang, "status": podgang_status(True, created + 1)}, self.ids))
            status = pcs_status(
                spec,
                generation=1,
                gen_hash=gen_hash,
                available=available,
                updated=available,
                prev=None,
                at=created,
            )
            self.pcs.append(_stamp({**pcs, "status": status}, self.ids))

    def _new_pod(self, spec: WorkloadSpec, m: Member, pclq: Obj, index: int, at: float) -> Obj:
        name = f"{m.pclq}-{self.ids.suffix()}"
        return grove_pod(spec, m, pclq, index=index, name=name, uid=self.ids.uid(), created=at)

    def _place(self, pod: Obj, node: int, at: float, *, ready: bool = True) -> Obj:
        """Bound to the node and running (ready or not), in one step."""
        self.pod_ips[node - 1] = self.pod_ips[node - 1] % 250 + 1
        bound = with_pod_state(pod, "bound", at, node=self.node_names[node - 1])
        return with_pod_state(
            bound,
            "ready" if ready else "unready",
            at + 1,
            host_ip=node_ip(node),
            pod_ip=pod_ip(node, self.pod_ips[node - 1] + 1),
        )

    # ------------------------------------------------------------------ events

    def listed(self) -> Iterator[Event]:
        """One ``Listed`` per kind, objects ordered by (namespace, name) as the API server lists them."""
        by_kind: dict[str, list[Obj]] = {
            kinds.PODCLIQUESET: self.pcs,
            kinds.PODCLIQUESCALINGGROUP: [],
            kinds.PODCLIQUE: [c.obj for c in self.cliques],
            kinds.PODGANG: self.gangs,
            kinds.CLUSTERTOPOLOGYBINDING: self.bindings,
            kinds.POD: [s.pod for s in self.slots],
            kinds.NODE: self.nodes,
            kinds.EVENT: list(self.events),
        }
        for kind in kinds.ALL_KINDS:
            objects = sorted(by_kind[kind], key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            yield Listed(START, kind, tuple(objects))

    def churn(self, count: int) -> Iterator[Event]:
        """Exactly ``count`` events, ``STEP`` seconds apart."""
        rng = self.rng
        for n in range(count):
            at = START + 1.0 + n * STEP
            event: Event | None = None
            if self._pending and rng.random() < 0.3:
                event = self._advance(at)
            if event is None:
                r = rng.random()
                if r < 0.55:
                    event = self._flip(at)
                elif r < 0.62:
                    event = self._delete(at)
                elif r >= 0.82:
                    event = self._clique_status(at)
            yield event if event is not None else self._event(at)  # 20 %, and whenever the pick was a no-op

    def _random_slot(self) -> _Slot | None:
        if not self.slots:
            return None
        slot = self.slots[self.rng.randrange(len(self.slots))]
        return None if slot.busy or slot.node <= 0 else slot

    def _flip(self, at: float) -> Event | None:
        slot = self._random_slot()
        if slot is None:
            return None
        state = "unready" if is_ready(slot.pod) else "ready"
        pod = with_pod_state(slot.pod, state, at)
        slot.pod = {**pod, "metadata": {**pod["metadata"], "resourceVersion": self.ids.rv()}}
        return Applied(at, kinds.POD, slot.pod)

    def _delete(self, at: float) -> Event | None:
        slot = self._random_slot()
        if slot is None:
            return None
        slot.busy = True
        pod = pod_terminating(slot.pod, at)
        slot.pod = {**pod, "metadata": {**pod["metadata"], "resourceVersion": self.ids.rv()}}
        self._pending.append((self._slot_id(slot), "remove"))
        return Applied(at, kinds.POD, slot.pod)

    def _slot_id(self, slot: _Slot) -> int:
        return self.cliques[slot.clique].slots[slot.index]

    def _advance(self, at: float) -> Event | None:
        """The next step of a pod replacement: gone → recreated (gated) → bound and running."""
        slot_id, stage = self._pending.popleft()
        slot = self.slots[slot_id]
        if stage == "remove":
            gone = _restamped(slot.pod, self.ids)
            self._pending.append((slot_id, "create"))
            return Removed(at, kinds.POD, gone)
        clique = self.cliques[slot.clique]
        if stage == "create":
            slot.pod = self._recreated(slot.pod, clique.member.pclq, at)
            self._pending.append((slot_id, "start"))
            return Applied(at, kinds.POD, slot.pod)
        slot.pod = _stamp(self._place(slot.pod, slot.node, at), self.ids)
        slot.busy = False
        return Applied(at, kinds.POD, slot.pod)

    def _recreated(self, old: Obj, pclq: str, at: float) -> Obj:
        """The replacement pod: what ``grove_pod`` builds, derived from the deleted one without deep copies
        (same template, same pod index and hostname)."""
        meta = {
            k: v for k, v in old["metadata"].items() if k not in ("deletionTimestamp", "deletionGracePeriodSeconds")
        }
        meta.update(
            name=f"{pclq}-{self.ids.suffix()}",
            uid=self.ids.uid(),
            resourceVersion=self.ids.rv(),
            generation=1,
            creationTimestamp=ts(at),
        )
        spec = {k: v for k, v in old["spec"].items() if k != "nodeName"}
        spec["schedulingGates"] = [{"name": GATE}]
        return {**old, "metadata": meta, "spec": spec, "status": gated_status(spec, at)}

    def _clique_status(self, at: float) -> Event | None:
        """A PodClique's status recomputed from its pods (None when nothing changed)."""
        if not self.cliques:
            return None
        clique = self.cliques[self.rng.randrange(len(self.cliques))]
        obj = clique.obj
        totals = [0] * 7
        for s in clique.slots:
            for n, v in enumerate(self.slots[s].counts):
                totals[n] += v
        status = podclique_status(
            counts=(totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6]),
            min_available=clique.member.clique.minimum,
            replicas_spec=clique.member.clique.replicas,
            target_hash=obj["metadata"]["labels"]["grove.io/pod-template-hash"],
            pcs_hash=obj["status"].get("currentPodCliqueSetGenerationHash", ""),
            observed=1,
            prev=obj["status"],
            at=at,
        )
        if status == obj["status"]:
            return None
        clique.obj = _restamped(obj, self.ids, status=status)
        return Applied(at, kinds.PODCLIQUE, clique.obj)

    def _event(self, at: float) -> Event:
        """A new Event about a pod, or a repeat of a recent one (count and lastTimestamp move)."""
        rng = self.rng
        if self.events and rng.random() < 0.6:
            i = len(self.events) - 1 - rng.randrange(min(len(self.events), 2000))
            old = self.events[i]
            self.events[i] = _restamped(old, self.ids, count=old["count"] + 1, lastTimestamp=ts(at))
            return Applied(at, kinds.EVENT, self.events[i])
        slot = self.slots[rng.randrange(len(self.slots))] if self.slots else None
        involved = slot.pod if slot is not None else self.nodes[0] if self.nodes else self.binding
        warning = not is_ready(involved) if slot is not None else False
        reason, template = rng.choice(_WARNINGS if warning else _NORMALS)
        container = involved.get("spec", {}).get("containers", [{"name": "main", "image": ""}])[0]
        message = template.format(
            c=container.get("name", ""), i=container.get("image", ""), p=involved["metadata"]["name"]
        )
        self._event_seq += 1
        host = self.node_names[slot.node - 1] if slot is not None and slot.node > 0 else None
        obj = event_object(
            involved,
            reason,
            message,
            at,
            uid=self.ids.uid(),
            seq=self._event_seq,
            type_="Warning" if warning else "Normal",
            component="kubelet",
            host=host,
        )
        self.events.append(_stamp(obj, self.ids))
        return Applied(at, kinds.EVENT, self.events[-1])


def _cliques(pods: int, count: int, gpus: int) -> tuple[Clique, ...]:
    """A replica's cliques: a third of its pods prefill, the rest decode (two cliques), or the pods shared evenly
    beyond prefill and decode (the first ones a pod more)."""
    if count == 2:
        shares = [pods // 3, pods - pods // 3]
    else:
        shares = [pods // count + (1 if k < pods % count else 0) for k in range(count)]
    return tuple(
        Clique(role, share, gpus=gpus, role=role, cpu="8", memory="64Gi")
        for role, share in zip(ROLES, shares, strict=False)
    )


def synthetic_events(
    nodes: int, pcs_count: int, pods: int, churn_events: int, seed: int = 1, **shape: int
) -> Iterator[Event]:
    """A listed synthetic cluster followed by exactly ``churn_events`` changes (deterministic for a seed); ``shape``:
    ``cliques``, ``replicas``, ``bindings``, ``events`` (see ``SyntheticCluster``)."""
    cluster = SyntheticCluster(nodes, pcs_count, pods, seed, **shape)
    yield from cluster.listed()
    yield from cluster.churn(churn_events)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grove.simulate.synthetic", description="Write a synthetic recording for benchmarks."
    )
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--pcs", type=int, default=None, help="PodCliqueSets (default: one per 40 pods)")
    parser.add_argument("--events", type=int, default=1_000_000, help="churn events after the initial lists")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", required=True, help="recording to write (.jsonl)")
    args = parser.parse_args(argv)
    pcs = args.pcs if args.pcs is not None else max(1, args.pods // 40)
    note = (
        f"synthetic: {args.nodes} nodes, {pcs} PodCliqueSets, {args.pods} pods, "
        f"{args.events} churn events, seed {args.seed}"
    )
    header = Header(
        start=START,
        tool="kubectl-grove grove.simulate.synthetic",
        context="synthetic",
        kinds=kinds.ALL_KINDS,
        note=note,
    )
    began = time.perf_counter()
    with RecordingWriter(args.output, header) as writer:
        for event in synthetic_events(args.nodes, pcs, args.pods, args.events, args.seed):
            writer.write(event)
        count = writer.count
    took = time.perf_counter() - began
    print(f"{args.output}: {count} events in {took:.1f} s ({note})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
