"""``fit``: can each gang of a PodCliqueSet be placed in the cluster as it is now?

Per PodGang (base and scaled), the gang's pods are placed from scratch by the same gang scheduler the previews use,
against the GPUs every other pod holds (the gang's own pods are set aside): its pack level, the best domain there,
GPUs needed against GPUs free there, and one verdict. With intents (a scale, a new template) the gangs are those the
preview ends with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from grove.events import kinds
from grove.reducers import fields as f
from grove.reducers.derive.topology import resolve
from grove.reducers.state import State
from grove.simulate.capacity import Ledger
from grove.simulate.gang_scheduler import GangFit, GangScheduler, Pack, pack_of
from grove.simulate.intent import Intent
from grove.simulate.preview import PreviewError, preview


@attrs.frozen
class GangVerdict:
    gang: str
    base: bool
    pods: int
    fit: GangFit


@attrs.frozen
class FitReport:
    namespace: str
    pcs: str
    gangs: tuple[GangVerdict, ...]

    @property
    def fits(self) -> bool:
        return all(g.fit.placed for g in self.gangs)


def _verdicts(
    state: State, gangs: Sequence[tuple[str, bool, Pack, list[Mapping[str, Any]]]]
) -> tuple[GangVerdict, ...]:
    out: list[GangVerdict] = []
    for name, base, pack, pods in gangs:
        ledger = Ledger.from_state(state)
        for pod in pods:
            if f.text(f.get(pod, "spec", "nodeName")):
                ledger.release(pod)
        out.append(GangVerdict(name, base, len(pods), GangScheduler(ledger).place(pods, pack)))
    return tuple(out)


def fit(state: State, namespace: str, pcs: str, intents: Sequence[Intent] = ()) -> FitReport:
    if state.get(kinds.PODCLIQUESET, namespace, pcs) is None:
        raise PreviewError(f"PodCliqueSet {namespace}/{pcs} not found")
    if intents:
        state = preview(state, intents).final_state
    gangs: list[tuple[str, bool, Pack, list[Mapping[str, Any]]]] = []
    for (ns, name), gang in sorted(state.of_kind(kinds.PODGANG).items()):
        if ns != namespace or f.label(gang, f.PART_OF) != pcs:
            continue
        topo = resolve(state, f.text(f.annotations_of(gang).get(f.TOPOLOGY_NAME_ANNOTATION)) or None)
        pods = [
            p
            for p in state.iter_kind(kinds.POD, namespace)
            if f.label(p, f.PODGANG_LABEL) == name and "deletionTimestamp" not in f.mapping(p.get("metadata"))
        ]
        base = f.label(gang, f.BASE_PODGANG) is None and not any(f.label(p, f.BASE_PODGANG) for p in pods)
        gangs.append((name, base, pack_of(f.mapping(gang.get("spec")), topo.domain_of), pods))
    return FitReport(namespace, pcs, _verdicts(state, gangs))


def _pseudo_pods(name: str, clique: Mapping[str, Any], count: int) -> list[Mapping[str, Any]]:
    spec = f.mapping(f.get(clique, "spec", "podSpec"))
    return [{"metadata": {"name": f"{name}-{i}"}, "spec": spec} for i in range(count)]


def fit_manifest(state: State, pcs_object: Mapping[str, Any]) -> FitReport:
    """``fit -f PCS.yaml``: the gangs Grove would create for this PodCliqueSet (base gang per replica with its
    standalone cliques and the scaling groups' first minAvailable replicas; one scaled gang per further replica)."""
    name = f.name(pcs_object) or "pcs"
    namespace = f.namespace(pcs_object) or "default"
    spec = f.mapping(pcs_object.get("spec"))
    template = f.mapping(spec.get("template"))
    cliques = {f.text(f.mapping(c).get("name")): f.mapping(c) for c in f.seq(template.get("cliques"))}
    groups = [f.mapping(g) for g in f.seq(template.get("podCliqueScalingGroups"))]
    grouped = {f.text(c) for g in groups for c in f.seq(g.get("cliqueNames"))}
    constraint = f.mapping(template.get("topologyConstraint"))
    topo = resolve(state, f.text(constraint.get("topologyName")) or None)

    def pack(raw: Mapping[str, Any]) -> Pack:
        p = f.mapping(raw.get("pack"))
        required, preferred = f.text(p.get("required")) or None, f.text(p.get("preferred")) or None
        return Pack(
            topo.key_of(required) if required else None,
            topo.key_of(preferred) if preferred else None,
            required or "",
            preferred or "",
        )

    gangs: list[tuple[str, bool, Pack, list[Mapping[str, Any]]]] = []
    for i in range(f.integer(spec.get("replicas"), 1)):
        base = f"{name}-{i}"
        pods: list[Mapping[str, Any]] = []
        for cname, clique in cliques.items():
            if cname not in grouped:
                pods += _pseudo_pods(f"{base}-{cname}", clique, f.integer(f.get(clique, "spec", "replicas"), 1))
        scaled: list[tuple[str, bool, Pack, list[Mapping[str, Any]]]] = []
        for g in groups:
            gname = f.text(g.get("name"))
            minimum = f.integer(g.get("minAvailable"), 1)
            for k in range(f.integer(g.get("replicas"), 1)):
                members: list[Mapping[str, Any]] = []
                for cname in f.seq(g.get("cliqueNames")):
                    clique = cliques.get(f.text(cname), {})
                    count = f.integer(f.get(clique, "spec", "replicas"), 1)
                    members += _pseudo_pods(f"{base}-{gname}-{k}-{cname}", clique, count)
                if k < minimum:
                    pods += members
                else:
                    group_pack = pack(f.mapping(g.get("topologyConstraint")) or constraint)
                    scaled.append((f"{base}-{gname}-{k - minimum}", False, group_pack, members))
        gangs.append((base, True, pack(constraint), pods))
        gangs += scaled
    return FitReport(namespace, name, _verdicts(state, gangs))


def gpus_needed(report: FitReport) -> int:
    return sum(g.fit.needed for g in report.gangs)
