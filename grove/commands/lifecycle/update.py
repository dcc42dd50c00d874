"""``kubectl grove update PCS --image IMG [--role R] [--container C]``: a new image in the matching containers of
``spec.template`` (nothing else), previewed as Grove's rolling update, recorded as a revision."""

from __future__ import annotations

import argparse
from typing import Any

from grove.commands.lifecycle.options import add_change_options


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "update",
        help="set a container image in a PodCliqueSet's template (previewed rolling update)",
        description="Change the image of the matching containers in spec.template: every clique's, a role's "
        "(--role), one container name (--container). Shows the field diff, the pods affected per role and the "
        "simulated rollout, then writes a merge patch with the resourceVersion read as precondition and records a "
        "revision (rollout history). Exit codes: 0 done (or dry run, or nothing to do), 1 refused, 2 usage, "
        "130 interrupted at the prompt.",
    )
    parser.add_argument("name", metavar="PCS", help="PodCliqueSet name")
    parser.add_argument("--image", required=True, metavar="IMAGE", help="the new image")
    parser.add_argument("--role", metavar="ROLE", help="only the cliques of this role (spec.roleName)")
    parser.add_argument("--container", metavar="NAME", help="only containers of this name")
    add_change_options(parser)
    parser.set_defaults(run="grove.commands.lifecycle.update:run")


def run(args: argparse.Namespace) -> int:
    from grove.commands.lifecycle.flow import find_pcs, run_change
    from grove.commands.lifecycle.templates import template_change, with_image
    from grove.reducers import fields as f

    def build(state: Any, namespace: str | None, session: Any) -> Any:
        pcs = find_pcs(state, namespace, args.name)
        after = with_image(pcs, args.image, args.role, args.container)
        title = f"update PodCliqueSet {f.namespace(pcs)}/{f.name(pcs)}: image {args.image}"
        return template_change(state, pcs, after, title, nothing=f"the matching containers already run {args.image}")

    return run_change(args, build)
