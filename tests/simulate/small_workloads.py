"""Small running PodCliqueSets for property tests: a hypothesis strategy of workload shapes, and the state of a
cluster where one has been brought up and every pod is Ready.

The state is built by the scripted actors the bundled recordings use (``bring_up`` with a first-fit placement), not
by the simulator under test, so a preview starts from pods that Grove and a scheduler could have produced.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from hypothesis import strategies as st

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.batch import fold
from grove.reducers.state import State
from grove.simulate.cluster import Cluster
from grove.simulate.grove_objects import members_of
from grove.simulate.runner import run
from grove.simulate.scripted import bring_up
from grove.simulate.spec import Clique, ScalingGroup, WorkloadSpec
from grove.simulate.workload import Workload

NAMESPACE = "props"
NAME = "svc"
GPUS_PER_NODE = 8
NEW_IMAGE = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:9.9.9"


@attrs.frozen
class Shape:
    """A workload and the cluster it runs on."""

    spec: WorkloadSpec
    nodes: int
    seed: int
    crashing: tuple[tuple[str, int], ...] = ()  # (PodClique, pod index) whose pod crash-loops when the state is taken

    def total_gpus(self) -> int:
        return sum(
            m.clique.gpus * m.clique.replicas for i in range(self.spec.replicas) for m in members_of(self.spec, i)
        )


@st.composite
def cliques(draw: st.DrawFn, name: str) -> Clique:
    replicas = draw(st.integers(1, 4))
    return Clique(
        name,
        replicas,
        gpus=draw(st.integers(0, 2)),
        role=name,
        min_available=draw(st.integers(1, replicas)),
        cpu="4",
        memory="16Gi",
    )


@st.composite
def shapes(draw: st.DrawFn, *, groups: int | None = None, headroom: bool = False, crashes: bool = False) -> Shape:
    """1–3 PCS replicas, 1–2 standalone cliques and 0–1 scaling groups of 1–2 cliques (``groups`` forces the count),
    on enough 8-GPU nodes to hold it plus 1–2 spare (on a full cluster replacements can fragment the free GPUs so
    that a 2-GPU pod fits nowhere: a real outcome, the preview says so, but not what these properties are about);
    ``headroom``: enough for 3 PCS replicas whose scaling groups have 2 more replicas each (scale-out tests);
    ``crashes``: up to 3 pods crash-loop."""
    standalone = [draw(cliques(name)) for name in ("frontend", "prefill")[: draw(st.integers(1, 2))]]
    group_count = draw(st.integers(0, 1)) if groups is None else groups
    members: list[Clique] = []
    scaling: list[ScalingGroup] = []
    for g in range(group_count):
        names = tuple(f"{role}{g}" for role in ("decode", "kv")[: draw(st.integers(1, 2))])
        members += [draw(cliques(n)) for n in names]
        replicas = draw(st.integers(1, 3))
        scaling.append(
            ScalingGroup(f"workers{g}", names, replicas=replicas, min_available=draw(st.integers(1, replicas)))
        )
    spec = WorkloadSpec(
        name=NAME,
        namespace=NAMESPACE,
        cliques=(*standalone, *members),
        replicas=draw(st.integers(1, 3)),
        groups=tuple(scaling),
    )
    crashing: tuple[tuple[str, int], ...] = ()
    if crashes:
        pods = [
            (m.pclq, k) for i in range(spec.replicas) for m in members_of(spec, i) for k in range(m.clique.replicas)
        ]
        crashing = tuple(draw(st.lists(st.sampled_from(pods), min_size=1, max_size=3, unique=True)))
    shape = Shape(spec, nodes=1, seed=draw(st.sampled_from((11, 7, 2026))), crashing=crashing)
    room = shape
    if headroom:
        bigger = tuple(attrs.evolve(g, replicas=g.replicas + 2) for g in spec.groups)
        room = attrs.evolve(shape, spec=attrs.evolve(spec, replicas=3, groups=bigger))
    needed = -(-room.total_gpus() // GPUS_PER_NODE) + (1 if headroom else 0)
    return attrs.evolve(shape, nodes=max(1, needed) + draw(st.integers(1, 2)))


def _first_fit(shape: Shape, wl: Workload, nodes: list[str]) -> dict[str, list[str | None]]:
    """Pods in PodGang order onto the first node with room (every pod fits: 2 GPUs at most on 8-GPU nodes)."""
    free = dict.fromkeys(nodes, GPUS_PER_NODE)
    placement: dict[str, list[str | None]] = {}
    for i in range(shape.spec.replicas):
        for m in wl.members(i):
            row: list[str | None] = []
            for _ in range(m.clique.replicas):
                node = next(n for n in nodes if free[n] >= m.clique.gpus)
                free[node] -= m.clique.gpus
                row.append(node)
            placement[m.pclq] = row
    return placement


def running_state(shape: Shape) -> State:
    """The cluster an hour after the workload was applied: every pod bound and Ready (but those ``crashing``, which
    crash-loop since two minutes), recorded as lists."""
    c = Cluster(seed=shape.seed, history=7200.0, first_rv=10_000)
    nodes = [f"node-{n:02d}" for n in range(1, shape.nodes + 1)]
    for node in nodes:
        c.add_node(node, labels={"topology.kubernetes.io/zone": "zone-a"}, gpus=GPUS_PER_NODE, product="NVIDIA-B200")
    wl = Workload(c, shape.spec)
    run(c, [bring_up(c, wl, -3600.0, _first_fit(shape, wl, nodes))], until=-120.0)
    for pclq, index in shape.crashing:
        c.kubelet(wl.pods(pclq)[index], "crashloop", restarts=4)
    c.sync()
    c.at(0.0)
    c.begin()
    return fold(c.events)


# ------------------------------------------------------------------------------------------------- reading states


def pods_of(state: State) -> list[Mapping[str, Any]]:
    return [p for p in state.iter_kind(kinds.POD, NAMESPACE) if f.label(p, f.PART_OF) == NAME]


def live(pod: Mapping[str, Any]) -> bool:
    return "deletionTimestamp" not in f.mapping(pod.get("metadata"))


def ready(pod: Mapping[str, Any]) -> bool:
    return live(pod) and f.get(f.condition(pod, "Ready"), "status") == "True"


def by_clique(pods: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for pod in pods:
        out.setdefault(f.text(f.label(pod, f.PODCLIQUE_LABEL)), []).append(pod)
    return out


def new_image_template(state: State, only: str | None = None) -> dict[str, Any]:
    """The PCS's template with ``NEW_IMAGE`` in every container (of the clique template ``only`` when given)."""
    pcs = state.get(kinds.PODCLIQUESET, NAMESPACE, NAME)
    assert pcs is not None
    template: dict[str, Any] = copy.deepcopy(dict(pcs["spec"]["template"]))
    for clique in template["cliques"]:
        if only is None or clique["name"] == only:
            for container in clique["spec"]["podSpec"]["containers"]:
                container["image"] = NEW_IMAGE
    return template
