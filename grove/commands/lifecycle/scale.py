"""``kubectl grove scale``: the ``/scale`` subresource of a PodCliqueSet, its scaling groups or standalone cliques.

    scale PCS --replicas N                 PCS replicas
    scale PCS --role prefill=6 --role decode=8 [--replica I]
                                           a standalone role: its PodClique in each PCS replica (or replica I);
                                           a role in a scaling group: that group (all of its roles scale together)
    scale PCS --group decode=3 [--replica I]
    scale pcsg/NAME --replicas N, scale pclq/NAME --replicas N   one object (never a scaling-group member clique)

An HPA targeting the object (or Grove's ``autoScalingConfig``/``scaleConfig``, which makes one) will override the
count: said as a warning.
"""

from __future__ import annotations

import argparse
from typing import Any

from grove.commands.lifecycle.options import add_change_options


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "scale",
        help="scale a PodCliqueSet, a role or a scaling group (previewed, then written through /scale)",
        description="Scale through the /scale subresource, with a preview of what Grove will do. TARGET is a "
        "PodCliqueSet name, or pcsg/NAME or pclq/NAME for one object. Exit codes: 0 done (or dry run, or nothing "
        "to do), 1 refused (forbidden, invalid, not confirmed, not a terminal without --yes), 2 usage, 130 "
        "interrupted at the prompt.",
    )
    parser.add_argument("target", metavar="TARGET", help="PodCliqueSet name, or pcsg/NAME, pclq/NAME")
    parser.add_argument("--replicas", type=int, metavar="N", help="replicas of the PodCliqueSet (or of TARGET)")
    parser.add_argument("--role", action="append", default=[], metavar="ROLE=N", help="replicas of a role")
    parser.add_argument("--group", action="append", default=[], metavar="GROUP=N", help="replicas of a scaling group")
    parser.add_argument("--replica", type=int, metavar="I", help="with --role/--group: only PCS replica I")
    add_change_options(parser)
    parser.set_defaults(run="grove.commands.lifecycle.scale:run")


_KIND_PREFIXES = {
    "pcs": "PodCliqueSet",
    "podcliqueset": "PodCliqueSet",
    "pcsg": "PodCliqueScalingGroup",
    "podcliquescalinggroup": "PodCliqueScalingGroup",
    "pclq": "PodClique",
    "podclique": "PodClique",
}


def run(args: argparse.Namespace) -> int:
    from grove.commands.errors import UsageError
    from grove.commands.lifecycle.flow import run_change

    kind, name = "PodCliqueSet", args.target
    if "/" in args.target:
        prefix, _, name = args.target.partition("/")
        if prefix.lower() not in _KIND_PREFIXES or not name:
            raise UsageError(f"TARGET {args.target!r}: use NAME (a PodCliqueSet), pcsg/NAME or pclq/NAME")
        kind = _KIND_PREFIXES[prefix.lower()]
    forms = sum(1 for x in (args.replicas is not None, bool(args.role), bool(args.group)) if x)
    if forms != 1:
        raise UsageError("say what to scale: exactly one of --replicas N, --role ROLE=N (repeatable), --group G=N")
    if kind != "PodCliqueSet" and args.replicas is None:
        raise UsageError(f"{args.target}: scale one object with --replicas N")
    if args.replicas is not None and args.replicas < 0:
        raise UsageError(f"--replicas {args.replicas}: replicas cannot be negative")
    if args.replica is not None and not (args.role or args.group):
        raise UsageError("--replica I goes with --role or --group")

    def build(state: Any, namespace: str | None, session: Any) -> Any:
        return build_scale(state, namespace, session, kind, name)

    return run_change(args, build)


def build_scale(state: Any, namespace: str | None, session: Any, kind: str, name: str) -> Any:
    from grove.commands.errors import UserError
    from grove.commands.lifecycle import targeting as t
    from grove.commands.lifecycle.flow import find_pcs
    from grove.events import kinds
    from grove.reducers import fields as f

    args = session.args
    targets: list[t.ScaleTarget] = []
    notes: list[str] = []
    if kind == "PodCliqueSet":
        pcs = find_pcs(state, namespace, name)
        namespace = f.namespace(pcs)
        if args.replicas is not None:
            targets.append(t.set_target(pcs, args.replicas))
        for text in args.role:
            role, count = t.parse_assignment(text, "--role")
            found = t.role_targets(state, pcs, role, count, args.replica)
            group = t.role_group(pcs, role)
            if found and group is not None:
                notes.append(
                    f"role {role} is in scaling group {group}, whose unit of scale carries roles "
                    f"{', '.join(found[0].roles)}: they scale together"
                )
            targets.extend(found)
        for text in args.group:
            group, count = t.parse_assignment(text, "--group")
            targets.extend(t.group_targets(state, pcs, group, count, args.replica))
        title = f"scale PodCliqueSet {namespace}/{name}"
    else:
        if namespace is None:
            matches = [k for k in state.of_kind(kind) if k[1] == name]
            if len(matches) != 1:
                raise UserError(f'{kind} "{name}": pass -n NAMESPACE' if matches else f'{kind} "{name}" not found')
            namespace = matches[0][0]
        obj = state.get(kind, namespace, name)
        if obj is None:
            raise UserError(f'{kind} "{name}" not found in namespace "{namespace}"')
        if kind == kinds.PODCLIQUE:
            t.refuse_group_member(obj)
        targets.append(t.object_target(state, kind, obj, args.replicas))
        title = f"scale {kind} {namespace}/{name}"
    return scale_change(state, namespace, session, title, targets, notes)


def scale_change(state: Any, namespace: str, session: Any, title: str, targets: list[Any], notes: list[str]) -> Any:
    from grove.commands.lifecycle.flow import Change, Write
    from grove.events import kinds
    from grove.events.kinds import KINDS
    from grove.simulate.intent import ScaleClique, ScaleGroup, ScaleSet

    unique = list({(x.kind, x.name): x for x in targets}.values())
    moving = [x for x in unique if x.current != x.target]
    if not moving:
        said = ", ".join(f"{x.kind} {x.name} has {x.target}" for x in unique)
        return Change(title, (), (), (), nothing=f"nothing to do: {said} replicas already")
    lines = []
    intents: list[Any] = []
    writes = []
    for x in moving:
        label = "role" if len(x.roles) == 1 else "roles"
        roles = f" ({label} {', '.join(x.roles)})" if x.roles and x.kind != kinds.PODCLIQUESET else ""
        lines.append(f"{x.kind} {x.name}: replicas {x.current} → {x.target}{roles}")
        if x.kind == kinds.PODCLIQUESET:
            intents.append(ScaleSet(namespace, x.name, x.target))
        elif x.kind == kinds.PODCLIQUESCALINGGROUP:
            intents.append(ScaleGroup(namespace, x.name, x.target))
        else:
            intents.append(ScaleClique(namespace, x.name, x.target))
        info = KINDS[x.kind]

        def send(writer: Any, dry_run: bool, info: Any = info, x: Any = x) -> Any:
            return writer.put_scale(info, namespace, x.name, x.target, x.resource_version, dry_run=dry_run)

        writes.append(Write(f"{x.kind} {x.name} /scale replicas={x.target} (resourceVersion {x.resource_version})",
                            send))  # fmt: skip
    warnings = [*notes, *autoscaler_warnings(state, namespace, session, moving)]
    return Change(title, tuple(lines), tuple(intents), tuple(writes), tuple(warnings))


def autoscaler_warnings(state: Any, namespace: str, session: Any, targets: list[Any]) -> list[str]:
    """HPAs that target one of the objects (live), and Grove's own autoscaling settings (which create HPAs)."""
    from grove.events.kube.errors import ApiError, TransportError
    from grove.reducers import fields as f

    out: list[str] = []
    wanted = {(x.kind, x.name) for x in targets}
    hpa_named: set[tuple[str, str]] = set()
    if session.writer is not None:
        try:
            hpas = session.writer.list_hpas(namespace)
        except (ApiError, TransportError) as exc:
            out.append(f"could not check for HorizontalPodAutoscalers ({exc.message})")
            hpas = []
        for hpa in hpas:
            ref = f.mapping(f.get(hpa, "spec", "scaleTargetRef"))
            key = (f.text(ref.get("kind")), f.text(ref.get("name")))
            if key in wanted:
                hpa_named.add(key)
                low, high = (
                    f.integer(f.get(hpa, "spec", "minReplicas"), 1),
                    f.integer(f.get(hpa, "spec", "maxReplicas")),
                )
                out.append(
                    f"HorizontalPodAutoscaler {f.name(hpa)} targets {key[0]} {key[1]} ({low}..{high} replicas): "
                    "it will override this count"
                )
    for x in targets:
        if x.autoscale and (x.kind, x.name) not in hpa_named:
            out.append(
                f"{x.kind} {x.name} has Grove autoscaling ({x.autoscale} replicas): the HPA Grove makes for it will "
                "override this count"
            )
    return out
