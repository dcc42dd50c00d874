"""``kubectl grove plan store|show|list|diff``: keep the intended deployment of a PodCliqueSet, look at it later.

A plan is taken from the PCS as it runs now (``grove.views.plan``) and kept in the cluster as an immutable
ControllerRevision owned by the PCS, or in a YAML file with ``--file`` (``grove.commands.plan_store``).
``kubectl grove compare`` holds a plan against what runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from grove.commands.lifecycle.options import add_target_options


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="store, show, list and diff deployment plans of a PodCliqueSet",
        description="A plan records a PodCliqueSet's intended deployment: per role the images, replicas, GPUs per "
        "pod and resources; the topology binding and pack constraints; the domains each gang occupies; the "
        "placement score as a target. Kept as an immutable ControllerRevision owned by the PCS, or as a YAML "
        "file with --file.",
    )
    verbs = parser.add_subparsers(title="verbs", metavar="VERB", parser_class=type(parser))

    store = verbs.add_parser(
        "store",
        help="keep the PodCliqueSet as it runs now as a plan",
        description="Without --file: a ControllerRevision <pcs>-plan-<name> (needs create on controllerrevisions). "
        "With --file: a YAML file only (works on --replay and for read-only users). Exit codes: 0 stored, 1 "
        "refused, 2 usage.",
    )
    store.add_argument("name", metavar="PCS")
    store.add_argument("--name", dest="plan_name", metavar="NAME", help="the plan's name (default v1, v2, …)")
    store.add_argument("--file", metavar="FILE", help="write the plan to FILE (YAML) instead of the cluster")
    add_target_options(store)
    store.set_defaults(run="grove.commands.plan:run_store")

    show = verbs.add_parser("show", help="one plan (default: the newest)", description="Exit codes: 0, 1, 2.")
    show.add_argument("name", metavar="PCS")
    show.add_argument("plan", nargs="?", metavar="PLAN", help="plan name or number (default: the newest)")
    show.add_argument("--file", metavar="FILE", help="read the plan from FILE instead of the cluster")
    show.add_argument("-o", "--output", choices=("json", "yaml"), help="the plan document")
    add_target_options(show)
    show.set_defaults(run="grove.commands.plan:run_show")

    listing = verbs.add_parser(
        "list", help="the plans stored in a namespace (of one PCS, when named)", description="Exit codes: 0, 1, 2."
    )
    listing.add_argument("name", nargs="?", metavar="PCS")
    add_target_options(listing)
    listing.set_defaults(run="grove.commands.plan:run_list")

    diff = verbs.add_parser(
        "diff",
        help="a plan against the PodCliqueSet now (or against another plan)",
        description="Field by field: what changed from the plan to now (or to plan --against). Exit codes: 0 "
        "the same, 1 they differ (or an error, said on stderr), 2 usage.",
    )
    diff.add_argument("name", metavar="PCS")
    diff.add_argument("plan", nargs="?", metavar="PLAN", help="plan name or number (default: the newest)")
    diff.add_argument("--against", metavar="PLAN", help="compare with this stored plan instead of the PCS now")
    diff.add_argument("--file", metavar="FILE", help="the plan from FILE instead of the cluster")
    add_target_options(diff)
    diff.set_defaults(run="grove.commands.plan:run_diff")


# ------------------------------------------------------------------------------------------------------ the cluster


@contextmanager
def cluster_writer(args: argparse.Namespace, what: str) -> Iterator[Any]:
    """A ``Writer`` on the cluster; its failures as one line each (a 403 names the permission)."""
    from grove.commands.cluster import access_from_args, explain
    from grove.commands.errors import UserError
    from grove.events.kube.errors import ApiError, Forbidden, TransportError
    from grove.events.kube.http import Http
    from grove.events.kube.writing import Writer

    if getattr(args, "replay", None):
        raise UserError(f"{what}: stored plans are ControllerRevisions on the cluster, a recording holds none "
                        "(use --file PLAN.yaml, or drop --replay)")  # fmt: skip
    access = access_from_args(args)
    http = Http(access)
    try:
        yield Writer(http)
    except Forbidden as exc:
        raise UserError(f"not allowed: {exc.message} ({what} needs that permission; or keep plans in a file with "
                        "--file)") from None  # fmt: skip
    except (ApiError, TransportError) as exc:
        raise explain(exc, access) from None
    finally:
        http.close()


def _namespace(args: argparse.Namespace) -> str:
    from grove.commands.cluster import access_from_args

    return getattr(args, "namespace", None) or access_from_args(args).namespace or "default"


def _pcs(args: argparse.Namespace) -> tuple[Any, Any]:
    """(state, the PCS object) from the cluster or ``--replay``."""
    from grove.commands.lifecycle.flow import find_pcs, read_state

    state, namespace = read_state(args)
    return state, find_pcs(state, namespace, args.name)


def _uid(pcs: Any) -> str:
    from grove.reducers import fields as f

    return f.text(f.get(pcs, "metadata", "uid"))


def chosen_plan(args: argparse.Namespace, pcs: Any, ref: str | None) -> Any:
    """The plan the user means: ``--file``, else the stored one named ``ref`` (the newest without it)."""
    from grove.commands import plan_store
    from grove.reducers import fields as f

    if getattr(args, "file", None):
        return plan_store.read_file(args.file)
    with cluster_writer(args, "reading plans") as writer:
        plans = plan_store.list_plans(writer, f.namespace(pcs), f.name(pcs), _uid(pcs))
    return plan_store.pick(plans, ref, f.name(pcs)).plan


def _print(lines: Any) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))


# ------------------------------------------------------------------------------------------------------ verbs


def run_store(args: argparse.Namespace) -> int:
    from grove.commands import plan_store
    from grove.commands.errors import UserError
    from grove.reducers import fields as f
    from grove.views.plan import plan_of, show_lines

    state, pcs = _pcs(args)
    name = f.name(pcs)
    if args.plan_name:
        plan_store.check_name(args.plan_name, name)
    if args.file:
        plan = plan_of(state, pcs, args.plan_name or "v1")
        plan_store.write_file(args.file, plan)
        _print([*show_lines(plan), f"written to {args.file}"])
        return 0
    with cluster_writer(args, "plan store (create controllerrevisions)") as writer:
        existing = plan_store.list_plans(writer, f.namespace(pcs), name, _uid(pcs))
        plan_name = args.plan_name or _next_name(existing)
        if any(p.plan.name == plan_name for p in existing):
            raise UserError(f"plan {plan_name!r} of {name} already exists and plans cannot be changed: choose "
                            "another --name")  # fmt: skip
        stored = plan_store.store(writer, plan_of(state, pcs, plan_name), _uid(pcs), existing)
    _print([*show_lines(stored.plan), f"stored as ControllerRevision {stored.object_name} (plan {stored.number})"])
    return 0


def _next_name(existing: list[Any]) -> str:
    taken = {p.plan.name for p in existing}
    number = len(existing) + 1
    while f"v{number}" in taken:
        number += 1
    return f"v{number}"


def run_show(args: argparse.Namespace) -> int:
    from grove.views.plan import plan_document, show_lines
    from grove.views.serialize import dumps

    if args.file and args.plan:
        from grove.commands.errors import UsageError

        raise UsageError("give a plan name or --file, not both")
    if args.file:
        plan = chosen_plan(args, None, None)
    else:
        _, pcs = _pcs(args)
        plan = chosen_plan(args, pcs, args.plan)
    if args.output:
        sys.stdout.write(dumps(plan_document(plan), args.output))
    else:
        _print(show_lines(plan))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from grove.commands import plan_store
    from grove.views.plan import domains_per_gang, when_text

    namespace = _namespace(args) if not getattr(args, "replay", None) else ""
    with cluster_writer(args, "plan list (list controllerrevisions)") as writer:
        plans = plan_store.list_plans(writer, namespace, args.name)
    if not plans:
        whose = f"{args.name}" if args.name else f"namespace {namespace}"
        _print([f"no plans stored for {whose} (kubectl grove plan store PCS keeps one)"])
        return 0
    rows = [("PCS", "PLAN", "#", "TAKEN", "SCORE", "PER GANG", "ROLES")]
    for stored in plans:
        p = stored.plan
        per_gang = domains_per_gang(p)
        spans = "/".join(f"{n} {level}" for (_, level), n in per_gang.items()) or "-"
        rows.append(
            (
                p.pcs,
                p.name,
                str(stored.number),
                when_text(p.created) if p.created else "-",
                "-" if p.score is None else f"{p.score:.2f}",
                spans,
                ",".join(p.role_label(r) for r in p.roles),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    _print("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows)
    return 0


def run_diff(args: argparse.Namespace) -> int:
    from grove.commands import plan_store
    from grove.commands.errors import UsageError
    from grove.reducers import fields as f
    from grove.views.compare import compare, diff_lines
    from grove.views.plan import plan_of

    if args.file and (args.plan or args.against):
        raise UsageError("--file names the plan: do not also give a plan name or --against")
    state, pcs = _pcs(args)
    if args.against:
        with cluster_writer(args, "reading plans") as writer:
            plans = plan_store.list_plans(writer, f.namespace(pcs), f.name(pcs), _uid(pcs))
        before = plan_store.pick(plans, args.plan, f.name(pcs)).plan
        after = plan_store.pick(plans, args.against, f.name(pcs)).plan
        label_after = f"plan {after.name}"
    else:
        before, after = chosen_plan(args, pcs, args.plan), plan_of(state, pcs)
        label_after = "now"
    label_before = f"plan {before.name}" if not args.file else args.file
    comparison = compare(before, after)
    _print(diff_lines(comparison, label_before, label_after))
    return 1 if any(d.planned != d.actual for d in comparison.fields) else 0
