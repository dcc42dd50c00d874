"""``kubectl grove restart PCS [--role R]``: a rolling restart without a spec change.

Grove has no restart verb, but its pod-template hash covers a clique template's annotations (see
``templates.py``): a new ``kubectl-grove.io/restartedAt`` annotation on the selected cliques makes Grove replace their
pods in its own RollingRecreate order. The change is previewed, written with a precondition and recorded as a revision.
Under ``updateStrategy: OnDelete`` Grove replaces nothing by itself: said as a warning.
"""

from __future__ import annotations

import argparse
from typing import Any

from grove.commands.lifecycle.options import add_change_options


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "restart",
        help="rolling restart of a PodCliqueSet or one role (Grove rolls it; previewed)",
        description="Set the annotation kubectl-grove.io/restartedAt on the clique templates (all, or --role): the "
        "annotation enters Grove's pod-template hash, so Grove replaces those pods by its RollingRecreate. Exit "
        "codes: 0 done (or dry run), 1 refused, 2 usage, 130 interrupted at the prompt.",
    )
    parser.add_argument("name", metavar="PCS", help="PodCliqueSet name")
    parser.add_argument("--role", metavar="ROLE", help="only the cliques of this role (spec.roleName)")
    add_change_options(parser)
    parser.set_defaults(run="grove.commands.lifecycle.restart:run")


def run(args: argparse.Namespace) -> int:
    from grove.commands.lifecycle.flow import run_change

    now = restart_stamp()  # one stamp, however often a 409 re-reads

    def build(state: Any, namespace: str | None, session: Any) -> Any:
        # on a recording the restart happens at the recording's moment, so a preview of it is the same every time
        stamp = recording_stamp(state) if args.replay else now
        return build_restart(state, namespace, args.name, args.role, stamp)

    return run_change(args, build)


def restart_stamp() -> str:
    """The value of the restart annotation: now, to the second (a new value is what makes Grove roll)."""
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recording_stamp(state: Any) -> str:
    """The annotation's value for a restart previewed on a recording: the recording's moment."""
    import datetime as dt

    return dt.datetime.fromtimestamp(int(state.now), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_restart(state: Any, namespace: str | None, name: str, role: str | None, stamp: str) -> Any:
    """The change that restarts PodCliqueSet ``name`` (every role, or ``role``) with annotation value ``stamp``."""
    import attrs

    from grove.commands.lifecycle.flow import find_pcs
    from grove.commands.lifecycle.templates import template_change, with_restart
    from grove.reducers import fields as f

    pcs = find_pcs(state, namespace, name)
    after = with_restart(pcs, role, stamp)
    which = f"role {role}" if role else "every role"
    title = f"restart PodCliqueSet {f.namespace(pcs)}/{f.name(pcs)} ({which})"
    change = template_change(state, pcs, after, title)
    if f.text(f.get(pcs, "spec", "updateStrategy", "type")) == "OnDelete":
        warning = "updateStrategy is OnDelete: Grove replaces no pod by itself; delete the pods to restart them"
        change = attrs.evolve(change, warnings=(*change.warnings, warning))
    return change
