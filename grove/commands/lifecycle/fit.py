"""``kubectl grove fit -f PCS.yaml`` and ``kubectl grove fit PCS [--replicas N | --role R=N]``: can each gang be
placed now? Reads the live cluster or ``--replay FILE [--at OFFSET]``; writes nothing."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from grove.commands.options import add_read_options
from grove.events.kinds import ALL_KINDS


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "fit",
        help="whether each gang of a PodCliqueSet can be placed now (GPUs needed vs free at its pack level)",
        description="Per PodGang (base and scaled): its pack level, the best domain there, GPUs needed against "
        "GPUs free there, and one verdict: fits / fits only by missing the preferred pack / does not fit. "
        "With --replicas or --role, the gangs after that scale (simulated). Nothing is written.",
    )
    parser.add_argument("name", nargs="?", help="PodCliqueSet name")
    parser.add_argument("-f", "--filename", help="a PodCliqueSet manifest (YAML or JSON) to try instead")
    parser.add_argument("--replicas", type=int, help="as if the PodCliqueSet had N replicas")
    parser.add_argument("--role", action="append", default=[], metavar="R=N", help="as if role R had N pods/replicas")
    add_read_options(parser, watch=False)
    parser.set_defaults(run="grove.commands.lifecycle.fit:run")


def _role_intents(state: Any, namespace: str, pcs: str, roles: list[str]) -> list[Any]:
    from grove.commands.errors import UsageError, UserError
    from grove.events import kinds
    from grove.reducers import fields as f
    from grove.simulate.intent import ScaleClique, ScaleGroup

    out: list[Any] = []
    for item in roles:
        role, _, count = item.partition("=")
        if not count.isdigit():
            raise UsageError(f"--role {item!r}: use ROLE=N, e.g. --role decode=8")
        cliques = [
            c
            for c in state.iter_kind(kinds.PODCLIQUE, namespace)
            if f.label(c, f.PART_OF) == pcs and f.text(f.get(c, "spec", "roleName")) == role
        ]
        if not cliques:
            raise UserError(f"PodCliqueSet {namespace}/{pcs} has no role {role!r}")
        groups = sorted({f.text(f.label(c, f.PCSG_LABEL)) for c in cliques} - {""})
        if groups:
            out += [ScaleGroup(namespace, g, int(count)) for g in groups]
        else:
            out += [ScaleClique(namespace, f.name(c), int(count)) for c in cliques]
    return out


def run(args: argparse.Namespace) -> int:
    import yaml

    from grove.commands.errors import UsageError, UserError
    from grove.commands.output import make_console
    from grove.commands.source import load_state
    from grove.simulate.fit import fit, fit_manifest
    from grove.simulate.intent import ScaleSet
    from grove.simulate.preview import PreviewError
    from grove.views.fit_report import fit_document, render_fit
    from grove.views.serialize import dumps

    if bool(args.filename) == bool(args.name):
        raise UsageError("name a PodCliqueSet or give -f PCS.yaml (one of the two)")
    state, scope = load_state(args, ALL_KINDS, ("Node", "ClusterTopologyBinding"))
    try:
        if args.filename:
            try:
                with open(args.filename, encoding="utf-8") as fh:
                    manifest = yaml.safe_load(fh)
            except (OSError, yaml.YAMLError) as exc:
                raise UserError(f"cannot read {args.filename}: {exc}") from None
            if not isinstance(manifest, dict) or manifest.get("kind") != "PodCliqueSet":
                raise UserError(f"{args.filename} is not a PodCliqueSet manifest")
            report = fit_manifest(state, manifest)
        else:
            namespace = scope.namespace or "default"
            intents: list[Any] = [ScaleSet(namespace, args.name, args.replicas)] if args.replicas is not None else []
            intents += _role_intents(state, namespace, args.name, args.role)
            report = fit(state, namespace, args.name, intents)
    except PreviewError as exc:
        raise UserError(str(exc)) from None
    if args.output in ("json", "yaml"):
        sys.stdout.write(dumps(fit_document(report), args.output))
        return 0
    console = make_console(args)
    console.print(render_fit(report, console.width))
    return 0 if report.fits else 1
