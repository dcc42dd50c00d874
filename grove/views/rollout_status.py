"""``rollout status`` as lines: per-role progress, the PCS replica updating, and what holds the rollout up (the
clique being replaced and its pod that is not Ready, e.g. in CrashLoopBackOff). Pure: a function of the state."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from grove.reducers.derive.hierarchy import CliqueNode, build_pcs
from grove.reducers.derive.rollout import Rollout, rollout_for
from grove.reducers.state import State
from grove.simulate.preview import Preview
from grove.views.common import duration

BAR = 20


@attrs.frozen
class RolloutStatus:
    done: bool
    lines: tuple[str, ...]
    holdup: str  # what the rollout waits on now ("" when nothing is known to hold it up)


def _bar(done: int, total: int) -> str:
    filled = round(BAR * done / total) if total else BAR
    return "[" + "#" * filled + "-" * (BAR - filled) + "]"


def rollout_status(state: State, namespace: str, name: str) -> RolloutStatus:
    rollout = rollout_for(state, namespace, name)
    pcs = build_pcs(state, namespace, name)
    if rollout is None:
        return RolloutStatus(True, (f"{name}: no update recorded (Grove sets updateProgress at the first one)",), "")
    cliques = list(pcs.cliques())
    roles = _per_role(rollout, cliques)
    done = not rollout.in_progress and rollout.outdated_pods == 0
    head = "rollout complete" if done else "rolling update in progress"
    if not rollout.in_progress and rollout.outdated_pods:
        head = f"update ended with {rollout.outdated_pods} outdated pods ({rollout.strategy}: delete them to replace)"
    lines = [
        f"{name} ({namespace}): {head}; strategy {rollout.strategy}; "
        f"replicas updated {rollout.updated_replicas}/{rollout.replicas}"
    ]
    for update in rollout.currently_updating:
        if update.ended is None:
            lines.append(f"  updating PCS replica {update.index}")
    width = max((len(r) for r in roles), default=0)
    for role, (updated, total) in roles.items():
        lines.append(f"  {role.ljust(width)}  {_bar(updated, total)} {updated}/{total} updated")
    holdup = "" if done else _holdup(rollout, cliques)
    if holdup:
        lines.append(f"  waiting on {holdup}")
    return RolloutStatus(done, tuple(lines), holdup)


def estimate_line(continued: Preview) -> str:
    """What the simulation of the rest of the update (``ContinueUpdate``) says is left."""
    rest = rollout_status(continued.final_state, *continued.targets[0])
    if not rest.done:
        why = f": {rest.holdup}" if rest.holdup else ""
        return f"  estimate: the simulation does not see it finish{why} (the model does not heal crashing pods)"
    return (
        f"  estimate: about {duration(continued.duration)} left (simulated in Grove's order; pods Ready "
        f"{continued.pod_start:g}s after scheduling, {continued.pod_start_source})"
    )


def _per_role(rollout: Rollout, cliques: Iterable[CliqueNode]) -> dict[str, tuple[int, int]]:
    role_of = {c.name: c.role for c in cliques}
    out: dict[str, tuple[int, int]] = {}
    for child in rollout.children:
        key = role_of.get(child.name, child.label)
        updated, total = out.get(key, (0, 0))
        out[key] = (updated + child.updated, total + child.total)
    return out


def _holdup(rollout: Rollout, cliques: Iterable[CliqueNode]) -> str:
    """The clique being replaced and its first pod that is not Ready (its status says why)."""
    replacing = {c.name for c in rollout.children if c.in_progress}
    updating = {u.index for u in rollout.currently_updating if u.ended is None}
    candidates = [c for c in cliques if c.name in replacing or c.pcs_replica in updating]
    for clique in candidates:
        for pod in clique.pods:
            if not pod.facts.ready and not pod.facts.finished:
                restarts = f", {pod.facts.restarts} restarts" if pod.facts.restarts else ""
                return f"PodClique {clique.name}: pod {pod.facts.name} {pod.facts.status}{restarts}"
    for clique in candidates:
        if clique.ready < clique.replicas:
            return f"PodClique {clique.name}: {clique.ready}/{clique.replicas} ready"
    return ""
