"""The forest navigation: every PCS → PCS replicas → scaling groups and standalone cliques → scaling-group replicas →
PodCliques → pods, plus the gang path (a PCS replica's ``gangs`` → a PodGang → its PodGroups → pods).

A position is a path of row keys. ``level(state, request)`` resolves it against the state and returns the rows of the
level below it; an object that went away truncates the path to its deepest surviving ancestor, so the breadcrumb
never names something that is not there. Pure: a function of the state (ages from ``state.now``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs
from rich.text import Text

from grove.events import kinds
from grove.reducers.carryover import CarryOver
from grove.reducers.derivation import derivation
from grove.reducers.derive.gpu import NodeFacts, node_facts
from grove.reducers.derive.health import AT_RISK, TERMINATING, ReplicaHealth, pcs_state, replica_health_for, worst
from grove.reducers.derive.hierarchy import (
    CliqueNode,
    GangNode,
    PcsgNode,
    PcsgReplicaNode,
    PcsNode,
    PcsReplicaNode,
    PodNode,
    build_forest,
    build_pcs,
    pcs_names,
)
from grove.reducers.derive.placement import Finding, PcsPlacement, placement_for
from grove.reducers.derive.rollout import Rollout, rollout_for
from grove.reducers.listing import still_loading
from grove.reducers.state import State
from grove.views.common import age, badge
from grove.views.loading import loading_line
from grove.views.tui.cells import (
    clique_state,
    count_text,
    counts_text,
    finding_cell,
    gpu_counts,
    gpu_text,
    health_cell,
    pod_status_cell,
    ready_cell,
    score_cell,
    worst_severity,
)
from grove.views.tui.rolling import update_cells, with_update_column
from grove.views.tui.rows import Column, Ref, Row, dim, filtered, plain

FOREST_LEVEL = derivation(
    "tui.forest", reads_clock=True, about="the rows of one level of Arborist's forest (ages and countdowns)"
)

ROOT, PCS, REPLICA, PCSG, SG_REPLICA, CLIQUE, GANGS, GANG = (
    "root",
    "pcs",
    "replica",
    "pcsg",
    "sg-replica",
    "clique",
    "gangs",
    "gang",
)

PCS_COLUMNS = (
    Column("name", "PODCLIQUESET", 16, flex=1),
    Column("namespace", "NAMESPACE", 12, 6),
    Column("replicas", "AVAIL", 5, 4),
    Column("pods", "READY", 9),
    Column("gpus", "GPUS", 10, 3, most=24),
    Column("score", "PLACEMENT", 9),
    Column("health", "HEALTH", 14),
    Column("update", "UPDATE", 9, 5),
    Column("age", "AGE", 5, 2),
)
TREE_COLUMNS = (
    Column("name", "NAME", 16, flex=2),
    Column("kind", "KIND", 11, 6),
    Column("role", "ROLE", 10, 4, flex=1),
    Column("pods", "READY", 7),
    Column("scheduled", "SCHED", 7, 5),
    Column("gang", "GANG", 20, 3),
    Column("gpus", "GPUS", 9, 2, most=24),
    Column("score", "PLACE", 6),
    Column("health", "HEALTH", 14),
    Column("age", "AGE", 5, 7),
)
POD_COLUMNS = (
    Column("name", "POD", 27, flex=1),
    Column("role", "", 3, 7),
    Column("status", "STATUS", 13, flex=1),
    Column("node", "NODE", 12, 1),
    Column("gpus", "GPUS", 7, 6, most=16),
    Column("note", "NOTE", 12, 5, flex=2),
    Column("restarts", "RST", 3, 8),
    Column("age", "AGE", 5, 6),
    Column("gang", "GANG", 16, 9),
)


@attrs.frozen
class Step:
    """One drill-down: the key of the row that was entered; ``auto`` when entered because it was the only child."""

    key: str
    auto: bool = False


@attrs.frozen
class ForestRequest:
    namespace: str | None  # None: all namespaces
    path: tuple[Step, ...] = ()
    filter: str = ""


@attrs.frozen
class Crumb:
    label: str
    auto: bool = False


@attrs.frozen(eq=False)
class Level:
    path: tuple[Step, ...]  # the path as resolved
    kind: str
    crumbs: tuple[Crumb, ...]
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]  # after the filter
    total: int  # rows before the filter
    subject: Ref | None  # the object the level itself shows
    pcs: tuple[str, str] | None  # (namespace, name) of the PCS the level is inside


@attrs.frozen
class _Ctx:
    kind: str
    pcs: PcsNode | None = None
    replica: PcsReplicaNode | None = None
    pcsg: PcsgNode | None = None
    sg_replica: PcsgReplicaNode | None = None
    clique: CliqueNode | None = None
    gang: GangNode | None = None


# ------------------------------------------------------------------------------------------------ resolution


def _child(state: State, namespace: str | None, ctx: _Ctx, key: str) -> _Ctx | None:
    prefix, _, rest = key.partition(":")
    if ctx.kind == ROOT and prefix == "pcs":
        ns, _, name = rest.partition("/")
        if (ns, name) not in pcs_names(state, namespace):
            return None
        return _Ctx(PCS, pcs=build_pcs(state, ns, name))
    pcs = ctx.pcs
    if pcs is None:
        return None
    if ctx.kind == PCS and prefix == "replica":
        replica = next((r for r in pcs.replica_nodes if str(r.index) == rest), None)
        return attrs.evolve(ctx, kind=REPLICA, replica=replica) if replica is not None else None
    if ctx.kind == REPLICA and ctx.replica is not None:
        if prefix == "clique":
            clique = next((c for c in ctx.replica.cliques if c.name == rest), None)
            return attrs.evolve(ctx, kind=CLIQUE, clique=clique) if clique is not None else None
        if prefix == "pcsg":
            group = next((g for g in ctx.replica.groups if g.name == rest), None)
            return attrs.evolve(ctx, kind=PCSG, pcsg=group) if group is not None else None
        if key == "gangs":
            return attrs.evolve(ctx, kind=GANGS)
    if ctx.kind == PCSG and ctx.pcsg is not None and prefix == "sgr":
        sub = next((r for r in ctx.pcsg.replica_nodes if str(r.index) == rest), None)
        return attrs.evolve(ctx, kind=SG_REPLICA, sg_replica=sub) if sub is not None else None
    if ctx.kind == SG_REPLICA and ctx.sg_replica is not None and prefix == "clique":
        clique = next((c for c in ctx.sg_replica.cliques if c.name == rest), None)
        return attrs.evolve(ctx, kind=CLIQUE, clique=clique) if clique is not None else None
    if ctx.kind == GANGS and prefix == "gang":
        gang = next((g for g in _replica_gangs(ctx) if g.name == rest), None)
        return attrs.evolve(ctx, kind=GANG, gang=gang) if gang is not None else None
    if ctx.kind == GANG and ctx.gang is not None and prefix == "clique":
        if rest not in {g.name for g in ctx.gang.podgroups}:
            return None
        clique = next((c for c in pcs.cliques() if c.name == rest), None)
        return attrs.evolve(ctx, kind=CLIQUE, clique=clique) if clique is not None else None
    return None


def _resolve(state: State, request: ForestRequest) -> tuple[_Ctx, tuple[Step, ...], list[_Ctx]]:
    ctx = _Ctx(ROOT)
    chain = [ctx]
    kept: list[Step] = []
    for step in request.path:
        nxt = _child(state, request.namespace, ctx, step.key)
        if nxt is None:
            break
        ctx = nxt
        chain.append(ctx)
        kept.append(step)
    return ctx, tuple(kept), chain


def _replica_gangs(ctx: _Ctx) -> list[GangNode]:
    if ctx.pcs is None or ctx.replica is None:
        return []
    return [g for g in ctx.pcs.gangs if g.pcs_replica == ctx.replica.index or g.name in ctx.replica.gangs]


# ------------------------------------------------------------------------------------------------ labels


def _crumb(ctx: _Ctx, namespace: str | None) -> str:
    if ctx.kind == PCS and ctx.pcs is not None:
        return ctx.pcs.name if namespace else f"{ctx.pcs.namespace}/{ctx.pcs.name}"
    if ctx.kind == REPLICA and ctx.replica is not None:
        return f"replica {ctx.replica.index}"
    if ctx.kind == PCSG and ctx.pcsg is not None:
        return f"{ctx.pcsg.group} (scaling group)"
    if ctx.kind == SG_REPLICA and ctx.sg_replica is not None:
        return f"{ctx.pcsg.group if ctx.pcsg else ''} replica {ctx.sg_replica.index}".strip()
    if ctx.kind == CLIQUE and ctx.clique is not None:
        return ctx.clique.clique if ctx.clique.exists else ctx.clique.name
    if ctx.kind == GANGS:
        return "gangs"
    if ctx.kind == GANG and ctx.gang is not None:
        return f"gang {ctx.gang.name}"
    return "PodCliqueSets"


def _title(ctx: _Ctx, total: int, shown: int) -> str:
    noun = {
        ROOT: "PodCliqueSets",
        PCS: "replicas",
        REPLICA: "cliques, scaling groups and gangs",
        PCSG: "scaling-group replicas",
        SG_REPLICA: "cliques",
        CLIQUE: "pods",
        GANGS: "PodGangs",
        GANG: "PodGroups",
    }[ctx.kind]
    count = f"{shown} of {total}" if shown != total else str(total)
    return f"{noun.capitalize() if ctx.kind != ROOT else noun} ({count})"


def _subject(ctx: _Ctx) -> Ref | None:
    if ctx.kind == PCS and ctx.pcs is not None:
        return Ref(kinds.PODCLIQUESET, ctx.pcs.namespace, ctx.pcs.name)
    if ctx.kind == PCSG and ctx.pcsg is not None:
        return Ref(kinds.PODCLIQUESCALINGGROUP, ctx.pcsg.namespace, ctx.pcsg.name)
    if ctx.kind == CLIQUE and ctx.clique is not None:
        return Ref(kinds.PODCLIQUE, ctx.clique.namespace, ctx.clique.name)
    if ctx.kind == GANG and ctx.gang is not None:
        return Ref(kinds.PODGANG, ctx.gang.namespace, ctx.gang.name)
    if ctx.kind == REPLICA and ctx.pcs is not None and ctx.replica is not None:
        return _replica_ref(ctx.pcs, ctx.replica)
    return None


def _replica_ref(pcs: PcsNode, replica: PcsReplicaNode) -> Ref | None:
    """A PCS replica is not an object; its base PodGang (``<pcs>-<i>``) is the nearest one."""
    base = next((g for g in pcs.gangs if g.pcs_replica == replica.index and g.base and g.exists), None)
    return Ref(kinds.PODGANG, base.namespace, base.name) if base is not None else None


# ------------------------------------------------------------------------------------------------ rows


@attrs.frozen(eq=False)
class _Facts:
    """What the rows of one PCS read: placement, health, GPU products per node."""

    state: State
    pcs: PcsNode
    placement: PcsPlacement
    nodes: Mapping[str, NodeFacts]  # visible nodes (a missing one is unknown)
    pod_severity: dict[str, str]
    pod_finding: dict[str, Finding]  # the most severe finding naming each pod
    gang_score: dict[str, float | None]
    gang_gpus: dict[str, int]

    @property
    def replica_health(self) -> tuple[ReplicaHealth, ...]:
        """Computed when a row shows it (pod rows do not), memoised on the state; without the Events."""
        return replica_health_for(self.state, self.pcs.namespace, self.pcs.name)

    def severity(self, pods: Iterable[PodNode]) -> str | None:
        return worst_severity(s for p in pods if (s := self.pod_severity.get(p.facts.name)) is not None)

    def score(self, gangs: Iterable[str]) -> float | None:
        best = total = 0.0
        for gang in gangs:
            score = self.gang_score.get(gang)
            if score is None:
                continue
            weight = float(self.gang_gpus.get(gang) or 1)
            best += score * weight
            total += weight
        return best / total if total else None


_FINDINGS_BY_POD: CarryOver[tuple[dict[str, str], dict[str, Finding]]] = CarryOver()


def _findings_by_pod(placement: PcsPlacement) -> tuple[dict[str, str], dict[str, Finding]]:
    """Each pod's most severe finding (findings come most severe first), reused while the placement is."""

    def compute() -> tuple[dict[str, str], dict[str, Finding]]:
        severity: dict[str, str] = {}
        first: dict[str, Finding] = {}
        for finding in placement.findings:
            for pod in finding.pods:
                if pod not in first:
                    first[pod] = finding
                    severity[pod] = finding.severity
        return severity, first

    return _FINDINGS_BY_POD.get((placement.namespace, placement.name), (placement,), compute)


def _facts(state: State, pcs: PcsNode) -> _Facts:
    placement = placement_for(state, pcs.namespace, pcs.name)
    severity, first = _findings_by_pod(placement)
    return _Facts(
        state=state,
        pcs=pcs,
        placement=placement,
        nodes=node_facts(state),
        pod_severity=severity,
        pod_finding=first,
        gang_score={g.name: g.score for g in placement.gangs},
        gang_gpus={g.name: g.gpus for g in placement.gangs},
    )


@attrs.frozen
class _CliqueSums:
    """What a PCS row adds up over one clique: pods not finished, those ready, GPUs per product and not placed."""

    live: int
    ready: int
    placed: Mapping[str, int]
    unplaced: int


_CLIQUE_SUMS: CarryOver[_CliqueSums] = CarryOver(max_entries=65_536)


def _clique_sums(clique: CliqueNode, nodes: Mapping[str, NodeFacts]) -> _CliqueSums:
    """Reused while the clique node and the Node objects are the same, so a PCS row adds up cliques, not pods."""

    def compute() -> _CliqueSums:
        live = _live(clique.pods)
        placed, unplaced = gpu_counts(live, nodes)
        return _CliqueSums(len(live), sum(1 for p in live if p.facts.ready), placed, unplaced)

    return _CLIQUE_SUMS.get((clique.namespace, clique.name), (clique, nodes), compute)


def _pcs_sums(pcs: PcsNode, nodes: Mapping[str, NodeFacts]) -> tuple[int, int, Text]:
    """(pods not finished, ready pods, GPU cell) of a PCS row."""
    live = ready = unplaced = 0
    placed: dict[str, int] = {}
    for clique in pcs.cliques():
        sums = _clique_sums(clique, nodes)
        live += sums.live
        ready += sums.ready
        unplaced += sums.unplaced
        for product, count in sums.placed.items():
            placed[product] = placed.get(product, 0) + count
    return live, ready, counts_text(placed, unplaced)


def _live(pods: Iterable[PodNode]) -> list[PodNode]:
    return [p for p in pods if not p.facts.finished]


def _search(*parts: str) -> str:
    return " ".join(p for p in parts if p).lower()


def _pcs_rows(state: State, namespace: str | None) -> list[Row]:
    return [_pcs_row(state, pcs) for pcs in build_forest(state, namespace)]


@attrs.frozen(eq=False)
class _PcsRow:
    """A PCS's row as computed, and what of it moves with the clock: a replica counting down to gang termination."""

    row: Row
    now: float  # the clock it was computed at
    since: tuple[float, ...]  # when each child counting down had its minimum breached (empty: clock-free)
    delay: float  # the PCS's termination delay


_PCS_ROWS: CarryOver[_PcsRow] = CarryOver()
_TICKING_ROWS: CarryOver[Row] = CarryOver()


def _pcs_row(state: State, pcs: PcsNode) -> Row:
    """A PCS's row, carried over while what it shows is computed from the same objects: the PCS's hierarchy and
    placement (identical objects while nothing they read changed, see ``carryover``) and the Node facts, and by
    value its rollout and its age. At the forest root an event then costs the rows of the workloads it touched, not
    the health and sums of every workload.

    Of the health, only a countdown reads the clock; a child counting down is at risk, or terminating once its
    countdown is over, and either is worse than any other state, so the row's verdict and countdown follow from
    the clock alone (the same arithmetic as ``health``), without the replicas' health computed again."""
    placement = placement_for(state, pcs.namespace, pcs.name)
    nodes = node_facts(state)
    rollout = rollout_for(state, pcs.namespace, pcs.name)
    shown_age = age(state.now, pcs.created)
    key = (state.lineage, pcs.namespace, pcs.name)
    carried = _PCS_ROWS.get(
        key, (pcs, placement, nodes), lambda: _fresh_pcs_row(state, pcs, rollout, shown_age), (shown_age, rollout)
    )
    if not carried.since or carried.now == state.now:
        return carried.row
    countdown = min(carried.delay - (state.now - since) for since in carried.since)
    verdict = TERMINATING if countdown <= 0 else AT_RISK
    health = health_cell(verdict, countdown)

    def ticked() -> Row:
        cells = list(carried.row.cells)
        cells[_HEALTH_CELL] = health
        return attrs.evolve(carried.row, cells=tuple(cells), search=_search(pcs.name, pcs.namespace, verdict))

    return _TICKING_ROWS.get(key, (carried,), ticked, (verdict, health.plain))


_HEALTH_CELL = next(i for i, column in enumerate(PCS_COLUMNS) if column.key == "health")


def _fresh_pcs_row(state: State, pcs: PcsNode, rollout: Rollout | None, shown_age: str) -> _PcsRow:
    facts = _facts(state, pcs)
    live, ready, gpus = _pcs_sums(pcs, facts.nodes)
    desired = sum(c.replicas for c in pcs.cliques())
    replica_health = facts.replica_health
    countdowns = [r.countdown for r in replica_health if r.countdown is not None]
    health_state = pcs_state(replica_health)
    if rollout is not None and rollout.in_progress:
        update = Text(f"↻ {rollout.updated_replicas}/{rollout.replicas}", style="blue")
    else:
        update = dim("-")
    severity = worst_severity(f.severity for f in facts.placement.findings)
    name = Text(pcs.name, style="bold")
    if not pcs.exists:
        name.append(" (object not visible)", style="yellow")
    row = Row(
        key=f"pcs:{pcs.namespace}/{pcs.name}",
        cells=(
            name,
            plain(pcs.namespace),
            plain(f"{pcs.available}/{pcs.replicas}"),
            ready_cell(ready, max(desired, live)),
            gpus,
            score_cell(facts.placement.score, severity),
            health_cell(health_state, min(countdowns) if countdowns else None),
            update,
            plain(shown_age),
        ),
        ref=Ref(kinds.PODCLIQUESET, pcs.namespace, pcs.name),
        drill=True,
        search=_search(pcs.name, pcs.namespace, health_state),
    )
    since = tuple(
        child.breached.since
        for replica in replica_health
        for child in replica.children
        if child.countdown is not None and child.breached is not None and child.breached.since is not None
    )
    return _PcsRow(row, state.now, since, pcs.termination_delay)


def _tree_row(
    key: str,
    name: Text,
    kind: str,
    roles: Sequence[str],
    pods: Sequence[PodNode],
    desired: int,
    gang: str,
    score: Text,
    health: Text,
    created: float | None,
    now: float,
    facts: _Facts,
    ref: Ref | None,
    drill: bool,
    search: str,
) -> Row:
    live = _live(pods)
    ready = sum(1 for p in live if p.facts.ready)
    scheduled = sum(1 for p in live if p.facts.scheduled)
    gated = sum(1 for p in live if p.facts.gated)
    unique_roles = list(dict.fromkeys(r for r in roles if r))
    if len(unique_roles) == 1:
        role = Text(f"{badge(unique_roles[0])} {unique_roles[0]}")
    else:
        role = Text(" ".join(dict.fromkeys(badge(r) for r in unique_roles)))
    sched = ready_cell(scheduled, desired)
    if gated:
        sched.append(f" ⧗{gated}", style="yellow")
    return Row(
        key=key,
        cells=(
            name,
            dim(kind),
            role,
            ready_cell(ready, max(desired, len(live))),
            sched,
            dim(gang) if gang else dim("-"),
            gpu_text(live, facts.nodes),
            score,
            health,
            plain(age(now, created)) if created is not None else dim("-"),
        ),
        ref=ref,
        drill=drill,
        search=search,
    )


def _replica_rows(state: State, pcs: PcsNode, facts: _Facts) -> list[Row]:
    health = {r.index: r for r in facts.replica_health}
    rows = []
    for replica in pcs.replica_nodes:
        cliques = list(replica.all_cliques())
        pods = [p for c in cliques for p in c.pods]
        rh = health.get(replica.index)
        gangs = list(replica.gangs)
        rows.append(
            _tree_row(
                key=f"replica:{replica.index}",
                name=Text(f"replica {replica.index}", style="bold"),
                kind="replica",
                roles=[c.role for c in cliques],
                pods=pods,
                desired=sum(c.replicas for c in cliques),
                gang=gangs[0] if len(gangs) == 1 else count_text(len(gangs), "gang"),
                score=score_cell(facts.score(gangs), facts.severity(pods)),
                health=health_cell(rh.state, rh.countdown) if rh is not None else dim("-"),
                created=min((c.created for c in cliques if c.created is not None), default=None),
                now=state.now,
                facts=facts,
                ref=_replica_ref(pcs, replica),
                drill=True,
                search=_search(f"replica {replica.index}", *gangs),
            )
        )
    return rows


def _clique_row(state: State, clique: CliqueNode, facts: _Facts, standalone: bool, kind: str = "clique") -> Row:
    child = next(
        (c for r in facts.replica_health for c in r.children if c.name == clique.name),
        None,
    )
    if standalone and child is not None:
        health = health_cell(child.state, child.countdown)
    else:
        health = health_cell(clique_state(clique))
    name = Text(clique.clique if clique.exists else clique.name)
    if not clique.exists:
        name.append(" (PodClique not visible)", style="yellow")
    return _tree_row(
        key=f"clique:{clique.name}",
        name=name,
        kind=kind,
        roles=[clique.role],
        pods=clique.pods,
        desired=clique.replicas,
        gang=clique.gang or "",
        score=score_cell(facts.score([clique.gang] if clique.gang else []), facts.severity(clique.pods)),
        health=health,
        created=clique.created,
        now=state.now,
        facts=facts,
        ref=Ref(kinds.PODCLIQUE, clique.namespace, clique.name) if clique.exists else None,
        drill=True,
        search=_search(clique.name, clique.role, clique.gang or ""),
    )


def _pcsg_row(state: State, group: PcsgNode, facts: _Facts) -> Row:
    cliques = list(group.cliques())
    child = next((c for r in facts.replica_health for c in r.children if c.name == group.name), None)
    gangs = list(dict.fromkeys(r.gang for r in group.replica_nodes if r.gang))
    pods = [p for c in cliques for p in c.pods]
    return _tree_row(
        key=f"pcsg:{group.name}",
        name=Text.assemble((group.group, "bold"), (" scaling group", "dim")),
        kind=f"PCSG {group.available}/{group.replicas}",
        roles=[c.role for c in cliques],
        pods=pods,
        desired=sum(c.replicas for c in cliques),
        gang=gangs[0] if len(gangs) == 1 else count_text(len(gangs), "gang"),
        score=score_cell(facts.score(gangs), facts.severity(pods)),
        health=health_cell(child.state, child.countdown) if child is not None else dim("-"),
        created=group.created,
        now=state.now,
        facts=facts,
        ref=Ref(kinds.PODCLIQUESCALINGGROUP, group.namespace, group.name),
        drill=True,
        search=_search(group.name, *(c.role for c in cliques)),
    )


def _gangs_row(state: State, ctx: _Ctx, facts: _Facts) -> Row:
    gangs = _replica_gangs(ctx)
    names = {g.name for g in gangs}
    pods = [p for p in (ctx.pcs.pods() if ctx.pcs else ()) if p.facts.gang in names]
    gang_health = [g for r in facts.replica_health for g in r.gangs if g.name in names]
    return _tree_row(
        key="gangs",
        name=Text("gangs", style="bold magenta"),
        kind="PodGangs",
        roles=[p.role for p in pods],
        pods=pods,
        desired=len(pods),
        gang=count_text(len(gangs), "gang"),
        score=score_cell(facts.score(names), facts.severity(pods)),
        health=health_cell(worst(g.state for g in gang_health)) if gang_health else dim("-"),
        created=None,
        now=state.now,
        facts=facts,
        ref=None,
        drill=bool(gangs),
        search="gangs podgangs " + " ".join(sorted(names)).lower(),
    )


def _sg_replica_rows(state: State, group: PcsgNode, facts: _Facts) -> list[Row]:
    rows = []
    for sub in group.replica_nodes:
        pods = [p for c in sub.cliques for p in c.pods]
        states = [clique_state(c) for c in sub.cliques]
        rows.append(
            _tree_row(
                key=f"sgr:{sub.index}",
                name=Text(f"replica {sub.index}", style="bold"),
                kind="base gang" if sub.base else "scaled gang",
                roles=[c.role for c in sub.cliques],
                pods=pods,
                desired=sum(c.replicas for c in sub.cliques),
                gang=sub.gang or "",
                score=score_cell(facts.score([sub.gang] if sub.gang else []), facts.severity(pods)),
                health=health_cell(worst(states)) if states else dim("-"),
                created=min((c.created for c in sub.cliques if c.created is not None), default=None),
                now=state.now,
                facts=facts,
                ref=None,
                drill=bool(sub.cliques),
                search=_search(f"replica {sub.index}", sub.gang or ""),
            )
        )
    return rows


def _gang_rows(state: State, ctx: _Ctx, facts: _Facts) -> list[Row]:
    assert ctx.pcs is not None
    cliques = {c.name: c for c in ctx.pcs.cliques()}
    health = {g.name: g for r in facts.replica_health for g in r.gangs}
    rows = []
    for gang in _replica_gangs(ctx):
        members = [cliques[g.name] for g in gang.podgroups if g.name in cliques]
        pods = [p for c in members for p in c.pods]
        gh = health.get(gang.name)
        kind = "base" if gang.base else "scaled"
        rows.append(
            _tree_row(
                key=f"gang:{gang.name}",
                name=Text(gang.name, style="bold"),
                kind=kind + ("" if gang.exists else " (?)"),
                roles=[c.role for c in members],
                pods=pods,
                desired=sum(c.replicas for c in members),
                gang=count_text(len(gang.podgroups), "podgroup"),
                score=score_cell(facts.score([gang.name]), facts.severity(pods)),
                health=health_cell(gh.state) if gh is not None else dim("-"),
                created=None,
                now=state.now,
                facts=facts,
                ref=Ref(kinds.PODGANG, gang.namespace, gang.name) if gang.exists else None,
                drill=bool(gang.podgroups),
                search=_search(gang.name, kind),
            )
        )
    return rows


def _podgroup_rows(state: State, ctx: _Ctx, facts: _Facts) -> list[Row]:
    assert ctx.pcs is not None and ctx.gang is not None
    cliques = {c.name: c for c in ctx.pcs.cliques()}
    rows = []
    for group in ctx.gang.podgroups:
        clique = cliques.get(group.name)
        if clique is None:
            continue
        row = _clique_row(state, clique, facts, standalone=clique.pcsg is None, kind=f"min {group.min_replicas}")
        rows.append(attrs.evolve(row, cells=(Text(clique.name), *row.cells[1:])))
    return rows


_POD_ROWS: CarryOver[Row] = CarryOver(max_entries=65_536)


def _pod_rows(state: State, clique: CliqueNode, facts: _Facts) -> list[Row]:
    """One row per pod: the very same ``Row`` as before while what it shows is the same, so the table skips it."""
    rows = []
    for pod in clique.pods:
        pf = pod.facts
        finding = facts.pod_finding.get(pf.name)
        mark = (finding.code, finding.severity) if finding is not None and finding.code != "pods-pending" else None
        shown_age = age(state.now, pf.created)
        rows.append(
            _POD_ROWS.get(
                (pf.namespace, pf.name),
                (pf, facts.nodes),
                lambda: _pod_row(pod, mark, facts.nodes, shown_age),  # noqa: B023 (called right away)
                values=(pod.role, pod.outdated, mark, shown_age),
            )
        )
    return rows


def _pod_row(pod: PodNode, mark: tuple[str, str] | None, nodes: Mapping[str, NodeFacts], shown_age: str) -> Row:
    """``mark``: (code, severity) of the most severe finding naming the pod, if the row shows one."""
    pf = pod.facts
    note = Text()
    if mark is not None:
        note.append_text(finding_cell(*mark))
    if pf.pending_reason:
        note.append("  " if note else "")
        note.append(pf.pending_reason, style="yellow")
    elif pod.outdated:
        note.append("  " if note else "")
        note.append("↻ outdated template", style="blue")
    return Row(
        key=f"pod:{pf.name}",
        cells=(
            Text(pf.name),
            Text(badge(pod.role), style="bold"),
            pod_status_cell(pod),
            nodes_short(pf.node, nodes),
            gpu_text([pod], nodes),
            note,
            plain(pf.restarts) if pf.restarts else dim("0"),
            plain(shown_age),
            dim(pf.gang or "-"),
        ),
        ref=Ref(kinds.POD, pf.namespace, pf.name),
        drill=False,
        search=_search(pf.name, pod.role, pf.status, pf.node, pf.gang or ""),
    )


def nodes_short(node: str, nodes: Mapping[str, NodeFacts]) -> Text:
    if not node:
        return dim("-")
    known = nodes.get(node)
    text = Text(node)
    if known is not None and not known.ready:
        text.append(" NotReady", style="bold red")
    return text


def _rows(state: State, ctx: _Ctx, namespace: str | None) -> tuple[tuple[Column, ...], list[Row]]:
    if ctx.kind == ROOT or ctx.pcs is None:
        return PCS_COLUMNS, _pcs_rows(state, namespace)
    facts = _facts(state, ctx.pcs)
    if ctx.kind == PCS:
        return TREE_COLUMNS, _replica_rows(state, ctx.pcs, facts)
    if ctx.kind == REPLICA and ctx.replica is not None:
        rows = [_clique_row(state, c, facts, standalone=True) for c in ctx.replica.cliques]
        rows += [_pcsg_row(state, g, facts) for g in ctx.replica.groups]
        rows.append(_gangs_row(state, ctx, facts))
        return TREE_COLUMNS, rows
    if ctx.kind == PCSG and ctx.pcsg is not None:
        return TREE_COLUMNS, _sg_replica_rows(state, ctx.pcsg, facts)
    if ctx.kind == SG_REPLICA and ctx.sg_replica is not None:
        return TREE_COLUMNS, [_clique_row(state, c, facts, standalone=False) for c in ctx.sg_replica.cliques]
    if ctx.kind == GANGS:
        return TREE_COLUMNS, _gang_rows(state, ctx, facts)
    if ctx.kind == GANG:
        return TREE_COLUMNS, _podgroup_rows(state, ctx, facts)
    if ctx.kind == CLIQUE and ctx.clique is not None:
        return POD_COLUMNS, _pod_rows(state, ctx.clique, facts)
    return TREE_COLUMNS, []


# ------------------------------------------------------------------------------------------------ public


def level(state: State, request: ForestRequest) -> Level:
    """The rows below ``request.path`` (memoised on the state, so the replay/live thread can compute it first)."""
    return state.memoised(FOREST_LEVEL, str(request), state.revision, lambda: _level(state, request))


def _level(state: State, request: ForestRequest) -> Level:
    ctx, path, chain = _resolve(state, request)
    if still_loading(state):
        # Rows derived from half the lists would claim what is not known yet (healthy, 0/0, "not visible").
        waiting: tuple[Column, ...] = (
            PCS_COLUMNS if ctx.kind == ROOT or ctx.pcs is None else POD_COLUMNS if ctx.kind == CLIQUE else TREE_COLUMNS
        )
        return Level(path, ctx.kind, (Crumb("PodCliqueSets"),), loading_line(state), waiting, (), 0, None, None)
    columns, rows = _rows(state, ctx, request.namespace)
    if ctx.pcs is not None and columns is TREE_COLUMNS:
        rollout = rollout_for(state, ctx.pcs.namespace, ctx.pcs.name)
        if rollout is not None and rollout.in_progress:
            columns, rows = with_update_column(columns, rows, update_cells(ctx.pcs, rollout))
    shown = filtered(rows, request.filter)
    crumbs = [Crumb("PodCliqueSets")]
    for step, link in zip(path, chain[1:], strict=True):
        crumbs.append(Crumb(_crumb(link, request.namespace), step.auto))
    pcs = (ctx.pcs.namespace, ctx.pcs.name) if ctx.pcs is not None else None
    return Level(
        path=path,
        kind=ctx.kind,
        crumbs=tuple(crumbs),
        title=_title(ctx, len(rows), len(shown)),
        columns=columns,
        rows=shown,
        total=len(rows),
        subject=_subject(ctx),
        pcs=pcs,
    )


def drill(state: State, request: ForestRequest, key: str) -> tuple[Step, ...]:
    """The path after entering row ``key``, skipping levels that hold a single row that can be entered."""
    path = (*request.path, Step(key))
    for _ in range(8):
        below = level(state, attrs.evolve(request, path=path, filter=""))  # memoised: shown right after
        if len(below.path) < len(path) or below.total != 1 or not below.rows[0].drill:
            break
        path = (*path, Step(below.rows[0].key, auto=True))
    return path


def back(path: tuple[Step, ...]) -> tuple[tuple[Step, ...], str | None]:
    """The path one level up (over levels entered automatically) and the row key to put the cursor on."""
    steps = list(path)
    while steps and steps[-1].auto:
        steps.pop()
    if not steps:
        return (), None
    left = steps.pop()
    return tuple(steps), left.key


def subjects(state: State, request: ForestRequest, key: str | None) -> list[tuple[str, str, str]]:
    """(kind, namespace, name) of the row ``key`` (or of the level itself) and everything under it, for events."""
    ctx, _, _ = _resolve(state, request)
    if key is not None:
        below = _child(state, request.namespace, ctx, key)
        if below is not None:
            ctx = below
        elif key.startswith("pod:") and ctx.clique is not None:
            return [(kinds.POD, ctx.clique.namespace, key[4:])]
        elif key.startswith("pcs:"):
            ns, _, name = key[4:].partition("/")
            ctx = _Ctx(PCS, pcs=build_pcs(state, ns, name))
    return _subjects_of(ctx, state, request.namespace)


def _subjects_of(ctx: _Ctx, state: State, namespace: str | None) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []

    def cliques(items: Iterable[CliqueNode]) -> None:
        for clique in items:
            out.append((kinds.PODCLIQUE, clique.namespace, clique.name))
            out.extend((kinds.POD, p.facts.namespace, p.facts.name) for p in clique.pods)

    pcs = ctx.pcs
    if ctx.kind == ROOT or pcs is None:
        for node in build_forest(state, namespace):
            out.extend(_subjects_of(_Ctx(PCS, pcs=node), state, namespace))
        return out
    ns = pcs.namespace
    if ctx.kind == PCS:
        out.append((kinds.PODCLIQUESET, ns, pcs.name))
        cliques(pcs.cliques())
        for replica in pcs.replica_nodes:
            out.extend((kinds.PODCLIQUESCALINGGROUP, ns, g.name) for g in replica.groups)
        out.extend((kinds.PODGANG, ns, g.name) for g in pcs.gangs)
    elif ctx.kind == REPLICA and ctx.replica is not None:
        cliques(ctx.replica.all_cliques())
        out.extend((kinds.PODCLIQUESCALINGGROUP, ns, g.name) for g in ctx.replica.groups)
        out.extend((kinds.PODGANG, ns, g.name) for g in _replica_gangs(ctx))
    elif ctx.kind == PCSG and ctx.pcsg is not None:
        out.append((kinds.PODCLIQUESCALINGGROUP, ns, ctx.pcsg.name))
        cliques(ctx.pcsg.cliques())
    elif ctx.kind == SG_REPLICA and ctx.sg_replica is not None:
        cliques(ctx.sg_replica.cliques)
    elif ctx.kind == GANGS:
        gangs = _replica_gangs(ctx)
        out.extend((kinds.PODGANG, ns, g.name) for g in gangs)
        out.extend((kinds.POD, ns, p) for g in gangs for p in g.pods)
    elif ctx.kind == GANG and ctx.gang is not None:
        out.append((kinds.PODGANG, ns, ctx.gang.name))
        names = {g.name for g in ctx.gang.podgroups}
        cliques(c for c in pcs.cliques() if c.name in names)
        out.extend((kinds.POD, ns, p) for p in ctx.gang.pods)
    elif ctx.kind == CLIQUE and ctx.clique is not None:
        cliques([ctx.clique])
    return out
