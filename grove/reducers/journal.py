"""What each state changed: the objects and index buckets a fold step wrote, so a derivation over hundreds of
workloads can redo only those an event touched (``hierarchy.build_pcs``) instead of checking every one.

Each state holds a ``Journal`` node: the entries of the step that made it and a link to the node of the state it was
folded from. A derivation that saw some earlier state keeps that state's node and asks ``changes_since`` for what
changed in between: the entries of the nodes from the current one back to it (``changes_between``: either way). The
answer is None (unknown: check everything) when the earlier node is not an ancestor (another branch), when a step
did not say what it changed (a large list or batch), or when the history in between was let go.

The links are strong within a *segment* of at most ``SEGMENT`` entries; the first node of the next segment holds its
predecessor only weakly, so a long-lived feed keeps a bounded history. A consumer that is one segment behind sees
"unknown" once and checks everything, as it would without a journal.

A node is made for every step that changes objects or indexes (states with the same node have the same objects and
indexes); steps that change neither (clock, source health, metrics, problems) keep their state's node.
"""

from __future__ import annotations

import weakref
from typing import TypeAlias

Keys: TypeAlias = tuple[tuple[str, ...] | None, ...]
"""An object's index keys, one per index its kind feeds (``indexes.INDEX_KEYS``); None for a kind with none."""

Entry: TypeAlias = tuple[str, tuple[str, str], Keys | None, Keys | None]
"""(kind, (namespace, name), its index keys before, after): None before for a new object, after for a removed one."""

SEGMENT = 4096  # entries held strongly from a state back through its history


class Journal:
    """One fold step's changes and the way back to the steps before it."""

    __slots__ = ("__weakref__", "before", "entries", "parent", "size")

    def __init__(
        self,
        parent: Journal | None,
        before: weakref.ref[Journal] | None,
        entries: tuple[Entry, ...] | None,
        size: int,
    ) -> None:
        self.parent = parent  # the previous step's node; None at a segment's start
        self.before = before  # at a segment's start: the previous step's node, weakly
        self.entries = entries  # None: this step did not say what it changed
        self.size = size  # entries from the segment's start up to this node


def record(journal: Journal | None, entries: tuple[Entry, ...] | None) -> Journal:
    """The node of a step after the one of ``journal`` that made ``entries`` (None: changes unknown)."""
    if entries is None:
        return Journal(None, None, None, 0)
    if journal is None:
        return Journal(None, None, entries, len(entries))
    size = journal.size + len(entries)
    if size > SEGMENT:
        return Journal(None, weakref.ref(journal), entries, len(entries))
    return Journal(journal, None, entries, size)


def changes_between(current: Journal | None, seen: Journal | None) -> list[Entry] | None:
    """What differs between two states of one line, either after the other (an earlier state derived after a later
    one, as a build-ahead thread may): the same objects and buckets changed, whichever came first."""
    changes = changes_since(current, seen)
    return changes if changes is not None else changes_since(seen, current)


def changes_since(current: Journal | None, seen: Journal | None) -> list[Entry] | None:
    """The entries of the steps after ``seen`` up to ``current`` (newest first), or None when they are not known."""
    if current is None or seen is None:
        return None
    out: list[Entry] = []
    node = current
    while node is not seen:
        if node.entries is None:
            return None
        out.extend(node.entries)
        parent = node.parent
        if parent is None:
            return out if node.before is not None and node.before() is seen else None
        node = parent
    return out
