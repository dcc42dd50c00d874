"""A PodCliqueSet that is rolling: its progress for the header, and ``rollout status``'s figures for its rows.

From ``grove.reducers.derive.rollout`` (Grove's ``updateProgress`` and the children's hashes), as ``rollout status``
reads it: the PCS replica being updated, replicas done, pods on the new template; per clique and scaling group, updated
against total and whether it is the one being replaced now. Pure: a function of the state.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from rich.text import Text

from grove.reducers.derivation import derivation
from grove.reducers.derive.hierarchy import PcsNode, build_pcs, pcs_names
from grove.reducers.derive.rollout import Rollout, rollout_for
from grove.reducers.state import State
from grove.views.tui.rows import Column, Row

UPDATE_COLUMN = Column("update", "UPDATED", 8, 1)
ROLLING = derivation("tui.rolling", reads_clock=False, about="the PodCliqueSets rolling in a scope, for the header")


@attrs.frozen
class Rolling:
    namespace: str
    name: str
    updating: tuple[int, ...]  # PCS replicas being updated now
    replicas_done: int
    replicas: int
    pods_updated: int
    pods: int


def _rolling(state: State, rollout: Rollout) -> Rolling:
    pcs = build_pcs(state, rollout.namespace, rollout.name)
    live = [p for p in pcs.pods() if not p.facts.finished]
    return Rolling(
        namespace=rollout.namespace,
        name=rollout.name,
        updating=tuple(u.index for u in rollout.currently_updating if u.ended is None),
        replicas_done=rollout.updated_replicas,
        replicas=rollout.replicas,
        pods_updated=len(live) - rollout.outdated_pods,
        pods=len(live),
    )


def rolling_in(state: State, namespace: str | None) -> tuple[Rolling, ...]:
    """Every PodCliqueSet in scope whose rolling update is in progress (memoised on the state)."""

    def compute() -> tuple[Rolling, ...]:
        out = []
        for ns, name in pcs_names(state, namespace):
            rollout = rollout_for(state, ns, name)
            if rollout is not None and rollout.in_progress:
                out.append(_rolling(state, rollout))
        return tuple(out)

    return state.memoised(ROLLING, str(namespace), state.revision, compute)


def rolling_text(rolling: Sequence[Rolling], short: bool = False) -> Text | None:
    """``↻ llm-serve rolling: replica 0, 0/2 replicas, 9/14 pods updated`` (+N more), or None; ``short``:
    ``↻ llm-serve replica 0 · 9/14 pods``."""
    if not rolling:
        return None
    first = rolling[0]
    which = ", ".join(str(i) for i in first.updating)
    more = f" (+{len(rolling) - 1} more rolling)" if len(rolling) > 1 else ""
    if short:
        text = Text(f"↻ {first.name}", style="bold blue")
        text.append((f" replica {which}" if which else "") + f" · {first.pods_updated}/{first.pods} pods"
                    + (f" +{len(rolling) - 1}" if more else ""), style="blue")  # fmt: skip
        return text
    text = Text(f"↻ {first.name} rolling: ", style="bold blue")
    if which:
        text.append(f"replica {which}, ", style="blue")
    text.append(f"{first.replicas_done}/{first.replicas} replicas, {first.pods_updated}/{first.pods} pods updated"
                + more, style="blue")  # fmt: skip
    return text


# ------------------------------------------------------------------------------------------------------ rows


def _cell(updated: int, total: int, now: bool) -> Text:
    if now:
        return Text(f"↻ {updated}/{total}", style="bold blue")
    if total and updated >= total:
        return Text(f"✓ {updated}/{total}", style="green")
    return Text(f"{updated}/{total}", style="dim")


def update_cells(pcs: PcsNode, rollout: Rollout) -> dict[str, Text]:
    """Row key → its UPDATED cell: cliques and scaling groups (pods or replicas updated / total, ↻ the one being
    replaced now), PCS replicas (pods updated / pods, ↻ the replica being updated)."""
    figures: dict[str, tuple[int, int, bool]] = {c.name: (c.updated, c.replicas, False) for c in pcs.cliques()}
    for child in rollout.children:
        figures[child.name] = (child.updated, child.total, child.in_progress)
    cells: dict[str, Text] = {}
    for name, (updated, total, now) in figures.items():
        key = "pcsg" if any(g.name == name for r in pcs.replica_nodes for g in r.groups) else "clique"
        cells[f"{key}:{name}"] = _cell(updated, total, now)
    updating = {u.index for u in rollout.currently_updating if u.ended is None}
    for replica in pcs.replica_nodes:  # in pods, over every clique of the replica (scaling groups' too)
        names = [c.name for c in replica.all_cliques()]
        updated = sum(figures[n][0] for n in names)
        total = sum(figures[n][1] for n in names)
        cells[f"replica:{replica.index}"] = _cell(updated, total, replica.index in updating)
    return cells


def with_update_column(
    columns: tuple[Column, ...], rows: Sequence[Row], cells: dict[str, Text]
) -> tuple[tuple[Column, ...], list[Row]]:
    """The UPDATED column before the last one (AGE), and each row's cell (``-`` for rows it does not apply to)."""
    out = []
    for row in rows:
        cell = cells.get(row.key, Text("-", style="dim"))
        out.append(attrs.evolve(row, cells=(*row.cells[:-1], cell, row.cells[-1])))
    return (*columns[:-1], UPDATE_COLUMN, columns[-1]), out
