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
    import datetime as dt

    import attrs

    from grove.commands.lifecycle.flow import find_pcs, run_change
    from grove.commands.lifecycle.templates import template_change, with_restart
    from grove.reducers import fields as f

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # one stamp, however often a 409 re-reads

    def build(state: Any, namespace: str | None, session: Any) -> Any:
        pcs = find_pcs(state, namespace, args.name)
        # on a recording the restart happens at the recording's moment, so a preview of it is the same every time
        stamp = dt.datetime.fromtimestamp(int(state.now), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if args.replay else now
        after = with_restart(pcs, args.role, stamp)
        which = f"role {args.role}" if args.role else "every role"
        title = f"restart PodCliqueSet {f.namespace(pcs)}/{f.name(pcs)} ({which})"
        change = template_change(state, pcs, after, title)
        if f.text(f.get(pcs, "spec", "updateStrategy", "type")) == "OnDelete":
            warning = "updateStrategy is OnDelete: Grove replaces no pod by itself; delete the pods to restart them"
            change = attrs.evolve(change, warnings=(*change.warnings, warning))
        return change

    return run_change(args, build)
