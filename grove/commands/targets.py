"""Which PodCliqueSets a command is about: a name (with a 'did you mean' for typos), or all in scope."""

from __future__ import annotations

from grove.commands.errors import UserError
from grove.commands.source import Scope
from grove.reducers.derive.hierarchy import pcs_names
from grove.reducers.state import State


def resolve_targets(state: State, scope: Scope, name: str | None) -> list[tuple[str, str]]:
    known = pcs_names(state, scope.namespace)
    if name is None:
        return known
    matches = [(ns, n) for ns, n in known if n == name]
    if len(matches) == 1:
        return matches
    if len(matches) > 1:
        spaces = ", ".join(ns for ns, _ in matches)
        raise UserError(f"PodCliqueSet {name!r} exists in several namespaces ({spaces}): pass -n NAMESPACE")
    import difflib

    where = f"namespace {scope.namespace!r}" if scope.namespace else "any namespace"
    close = difflib.get_close_matches(name, sorted({n for _, n in known}), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if not close and known:
        hint = f"; PodCliqueSets there: {', '.join(sorted({n for _, n in known})[:8])}"
    elif not known:
        elsewhere = sorted({ns for ns, n in pcs_names(state, None) if n == name})
        hint = f"; it exists in namespace {', '.join(elsewhere)} (use -n)" if elsewhere else ""
    raise UserError(f"PodCliqueSet {name!r} not found in {where}{hint}")
