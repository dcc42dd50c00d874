"""``kubectl grove apply -f FILE [--diff] [--force-conflicts]``: server-side apply of a PodCliqueSet as field manager
``kubectl-grove``, with the diff the server's own dry run shows and the rollout it will trigger, simulated.

The server's dry run (``dryRun=All``) merges the file with what other managers own, so the diff is the server's
answer, not a local guess. A field another manager owns with another value is a conflict: listed by field and
manager, and taken only with ``--force-conflicts``. On ``--replay`` the merge is done locally (no conflicts known).
"""

from __future__ import annotations

import argparse
from typing import Any

from grove.commands.lifecycle.options import add_change_options


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "apply",
        help="server-side apply of a PodCliqueSet with its diff and simulated rollout",
        description="Server-side apply (field manager kubectl-grove) of one PodCliqueSet. Shows the diff of the "
        "server's dry run and the rollout it triggers; template changes are recorded as revisions. --diff shows "
        "them and writes nothing. Exit codes: 0 done (or dry run/diff), 1 refused (conflicts, forbidden, "
        "invalid, not confirmed), 2 usage, 130 interrupted at the prompt.",
    )
    parser.add_argument("-f", "--filename", required=True, metavar="FILE", help="a YAML or JSON PodCliqueSet")
    parser.add_argument("--diff", action="store_true", help="show the diff and the preview; write nothing")
    parser.add_argument("--force-conflicts", action="store_true", help="take fields other managers own")
    add_change_options(parser)
    parser.set_defaults(run="grove.commands.lifecycle.apply:run")


def load_manifest(path: str) -> dict[str, Any]:
    import yaml

    from grove.commands.errors import UsageError, UserError

    try:
        with open(path, encoding="utf-8") as handle:
            docs = [d for d in yaml.safe_load_all(handle) if d is not None]
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not YAML: {str(exc).splitlines()[0]}") from None
    if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != "PodCliqueSet":
        raise UsageError(f"{path}: apply takes one PodCliqueSet (kind: PodCliqueSet)")
    doc = docs[0]
    if not (doc.get("metadata") or {}).get("name"):
        raise UsageError(f"{path}: the PodCliqueSet has no metadata.name")
    return doc


def run(args: argparse.Namespace) -> int:
    from grove.commands.errors import UsageError
    from grove.commands.lifecycle.flow import run_change

    manifest = load_manifest(args.filename)
    in_file = (manifest.get("metadata") or {}).get("namespace")
    if in_file and args.namespace and in_file != args.namespace:
        raise UsageError(f'the namespace in {args.filename} ("{in_file}") does not match -n "{args.namespace}"')
    args.namespace = args.namespace or in_file  # the state read is that namespace's
    if args.diff:
        args.dry_run = True

    def build(state: Any, namespace: str | None, session: Any) -> Any:
        return build_apply(state, namespace, session, manifest)

    return run_change(args, build)


def build_apply(state: Any, namespace: str | None, session: Any, manifest: dict[str, Any]) -> Any:
    import copy

    from grove.commands.errors import UserError
    from grove.commands.lifecycle.flow import Change, Write, refusal
    from grove.commands.lifecycle.revisions import TemplateChange
    from grove.commands.lifecycle.templates import changed_roles, diff_lines, field_diff, pods_per_role
    from grove.events import kinds
    from grove.events.kinds import KINDS
    from grove.events.kube.errors import ApiError, Conflict, TransportError
    from grove.events.kube.merge import apply_merge_patch
    from grove.reducers import fields as f
    from grove.simulate.intent import ChangeTemplate, ScaleSet

    body = copy.deepcopy(manifest)
    meta = body.setdefault("metadata", {})
    namespace = meta.get("namespace") or namespace or session.args.namespace or "default"
    meta["namespace"] = namespace
    name = meta["name"]
    info = KINDS[kinds.PODCLIQUESET]
    current = state.get(kinds.PODCLIQUESET, namespace, name)
    force = bool(session.args.force_conflicts)
    notes: list[str] = []
    if session.writer is not None:
        try:
            result = session.writer.apply(info, body, force=force, dry_run=True)
        except Conflict as exc:
            owners = "; ".join(f"{c.field} ({c.message})" for c in exc.causes) or exc.message
            raise UserError(
                f"apply conflicts with other field managers: {owners}; pass --force-conflicts to take these fields"
            ) from None
        except (ApiError, TransportError) as exc:
            if session.args.dry_run and getattr(exc, "status", 0) == 403:
                notes.append(f"the server's dry run could not run ({exc.message}): diff merged locally")
                result = apply_merge_patch(current or {}, {"spec": body.get("spec") or {}})
            else:
                raise refusal(exc, f"the apply of PodCliqueSet {name}") from None
    else:
        result = apply_merge_patch(current or {}, {"spec": body.get("spec") or {}})
        notes.append("replay: the file is merged locally (server-side apply conflicts are only known on a cluster)")
    title = f"apply PodCliqueSet {namespace}/{name} (server-side, field manager kubectl-grove)"
    if current is None:
        created = Write(f"PodCliqueSet {name} (server-side apply)", _sender(info, body, force))
        new = ("a new PodCliqueSet: Grove creates its cliques, gangs and pods",)
        return Change(title, new, (), (created,), tuple(notes))
    before_spec, after_spec = f.mapping(current.get("spec")), f.mapping(result.get("spec"))
    diff = field_diff(before_spec, after_spec, "spec")
    if not diff:
        return Change(
            title, (), (), (), nothing=f"nothing to do: PodCliqueSet {name} already matches {session.args.filename}"
        )
    lines = diff_lines(diff)
    intents: list[Any] = []
    before_t, after_t = f.mapping(before_spec.get("template")), f.mapping(after_spec.get("template"))
    template = None
    if before_t != after_t:
        strategy_before = f.text(f.get(before_spec, "updateStrategy", "type"))
        strategy_after = f.text(f.get(after_spec, "updateStrategy", "type"))
        intents.append(
            ChangeTemplate(
                namespace, name, dict(after_t), strategy_after if strategy_after != strategy_before else None
            )
        )
        roles = changed_roles(current, before_t, after_t)
        counts = pods_per_role(state, current, roles)
        if roles:
            lines.append(f"affected pods: {sum(counts.values())} ({', '.join(f'{n} {r}' for r, n in counts.items())})")
        template = TemplateChange(
            namespace,
            name,
            f.text(f.get(current, "metadata", "uid")),
            f.integer(f.get(current, "metadata", "generation"), 1),
            dict(before_t),
            dict(after_t),
        )
    if before_spec.get("replicas") != after_spec.get("replicas"):
        intents.append(ScaleSet(namespace, name, f.integer(after_spec.get("replicas"), 1)))
    write = Write(f"PodCliqueSet {name} (server-side apply{', forced' if force else ''})", _sender(info, body, force))
    return Change(title, tuple(lines), tuple(intents), (write,), tuple(notes), template=template)


def _sender(info: Any, body: dict[str, Any], force: bool) -> Any:
    def send(writer: Any, dry_run: bool) -> Any:
        return writer.apply(info, body, force=force, dry_run=dry_run)

    return send
