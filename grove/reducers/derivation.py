"""Derivations declared in one place: each value memoised on a state says what it is and whether it reads the clock.

A state's ``memo`` caches derivations of that very state (``State.memoised``). When only the clock moves (a tick: same
objects, a new revision), Arborist's feed hands the previous state's clock-free derivations to the new state instead
of recomputing the hierarchy of 10,000 pods (``grove.views.tui.feed.carry_over``). Whether a derivation is clock-free
is declared here, next to its name, by the module that computes it; ``tests/reducers/test_derivations.py`` checks each
declaration against the derivation itself (a clock-free one gives the same value an hour later) and that every
declared derivation is exercised.
"""

from __future__ import annotations

import attrs

_DECLARED: dict[str, Derivation] = {}


@attrs.frozen(eq=False)  # one object per declared name: compared and hashed by identity
class Derivation:
    """A value computed from a state and memoised on it under (this derivation, a detail such as ``ns/name``)."""

    name: str
    reads_clock: bool  # whether it reads ``state.now`` (ages, countdowns); clock-free ones survive a tick
    about: str  # one line: what it is


def derivation(name: str, *, reads_clock: bool, about: str) -> Derivation:
    """Declare a derivation (once per name, at import time of the module that computes it)."""
    if name in _DECLARED:
        raise ValueError(f"derivation {name!r} is declared twice")
    declared = Derivation(name, reads_clock, about)
    _DECLARED[name] = declared
    return declared


def declarations() -> tuple[Derivation, ...]:
    """Every derivation declared so far (modules declare theirs when they are imported)."""
    return tuple(_DECLARED.values())
