"""``kubectl grove rollout status|history|diff|undo|pause|resume PCS``.

Grove keeps no revisions, has no pause and no rollback (docs/grove-model.md, Rolling updates): history, diff
and undo read the ControllerRevisions the plugin records for its own template changes (``revisions.py``); pause
and resume are refused (see ``PAUSE_REFUSAL``).
"""

from __future__ import annotations

import argparse
from typing import Any

from grove.commands.lifecycle.options import add_change_options, add_target_options

# Grove's PCS controller reads the strategy when an update *starts* (initUpdateProgress: under OnDelete it sets
# updateEndedAt at once). Switching a running RollingRecreate to OnDelete leaves updateProgress open (no
# updateEndedAt), which keeps MinAvailableBreached Unknown and gang termination off for as long as it is "paused".
PAUSE_REFUSAL = (
    "Grove has no pause: switching updateStrategy to OnDelete in the middle of a rolling update leaves "
    "status.updateProgress open, which keeps gang termination off while paused; kubectl-grove will not do that "
    "(let it finish, or `kubectl grove rollout undo`)"
)


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "rollout",
        help="follow, list, compare and undo template changes of a PodCliqueSet",
        description="Rolling updates of a PodCliqueSet. Grove keeps no revisions: history, diff and undo use the "
        "ControllerRevisions kubectl-grove records for its own template changes (update, restart, apply, undo).",
    )
    verbs = parser.add_subparsers(title="verbs", metavar="VERB", parser_class=type(parser))

    status = verbs.add_parser(
        "status",
        help="progress per role, the replica updating and what holds it up",
        description="Exit codes: 0 the rollout is complete, 1 timed out (with the reason) or refused, 2 usage.",
    )
    status.add_argument("name", metavar="PCS")
    status.add_argument("-w", "--watch", action="store_true", help="follow until the rollout completes")
    status.add_argument("--timeout", metavar="DURATION", help="with -w: give up after this long (exit 1)")
    add_target_options(status)
    status.set_defaults(run="grove.commands.lifecycle.rollout:run_status")

    history = verbs.add_parser(
        "history",
        help="the template changes kubectl-grove recorded, and where others changed the PCS",
        description="Exit codes: 0 listed, 1 the revisions cannot be read, 2 usage.",
    )
    history.add_argument("name", metavar="PCS")
    add_target_options(history)
    history.set_defaults(run="grove.commands.lifecycle.rollout:run_history")

    diff = verbs.add_parser("diff", help="the current template against a revision", description="Exit codes: 0, 1, 2.")
    diff.add_argument("name", metavar="PCS")
    diff.add_argument("--revision", type=int, required=True, metavar="N")
    add_target_options(diff)
    diff.set_defaults(run="grove.commands.lifecycle.rollout:run_diff")

    undo = verbs.add_parser(
        "undo",
        help="put back the template before the last recorded change (or revision N's)",
        description="Without --to-revision: the template as it was before the last recorded change. With it: the "
        "template revision N made. Previewed, written with a precondition, recorded as a new revision. Exit "
        "codes: 0 done (or dry run), 1 refused, 2 usage, 130 interrupted at the prompt.",
    )
    undo.add_argument("name", metavar="PCS")
    undo.add_argument("--to-revision", type=int, metavar="N")
    add_change_options(undo)
    undo.set_defaults(run="grove.commands.lifecycle.rollout:run_undo")

    for verb in ("pause", "resume"):
        refused = verbs.add_parser(verb, help="not possible with Grove (says why; exit 1)")
        refused.add_argument("name", metavar="PCS")
        add_target_options(refused)
        refused.set_defaults(run="grove.commands.lifecycle.rollout:run_pause")


# ------------------------------------------------------------------------------------------------------ status


def run_status(args: argparse.Namespace) -> int:
    from grove.commands.errors import UsageError, UserError
    from grove.commands.lifecycle.flow import find_pcs, read_state
    from grove.reducers import fields as f
    from grove.views.rollout_status import rollout_status

    timeout = None
    if args.timeout:
        timeout = f.parse_duration(args.timeout, -1.0)
        if timeout <= 0:
            raise UsageError(f"--timeout {args.timeout!r} is not a duration (e.g. 90s, 10m)")
    state, namespace = read_state(args)
    pcs = find_pcs(state, namespace, args.name)
    namespace, name = f.namespace(pcs), f.name(pcs)
    status = rollout_status(state, namespace, name)
    _print(status.lines)
    if not status.done:
        _print((_estimate(state, namespace, name),))
    if status.done or not args.watch:
        return 0
    if getattr(args, "replay", None):
        status, waited = _follow_replay(args, namespace, name, state.now, timeout)
    else:
        status, waited = _follow_live(args, namespace, name, state, status, timeout)
    if status.done:
        return 0
    reason = status.holdup or "the rollout did not finish"
    raise UserError(f"timed out after {waited:g}s: {reason}")


def _estimate(state: Any, namespace: str, name: str) -> str:
    """The simulated rest of the update under way (Grove's order from where it is; nothing is written)."""
    from grove.simulate.intent import ContinueUpdate
    from grove.simulate.preview import preview
    from grove.views.rollout_status import estimate_line

    return estimate_line(preview(state, [ContinueUpdate(namespace, name)]))


def _print(lines: Any) -> None:
    import sys

    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def _follow_replay(args: argparse.Namespace, namespace: str, name: str, start: float, timeout: float | None) -> Any:
    """The rest of the recording, as if watched (without waiting): a status line whenever progress changes."""
    from grove.commands.source import open_recording
    from grove.reducers.reduce import reduce
    from grove.views.rollout_status import rollout_status

    recording = open_recording(args.replay)
    events = recording.load()
    from grove.reducers.batch import fold

    state = fold(e for e in events if e.at <= start)
    shown = rollout_status(state, namespace, name)
    for event in events:
        if event.at <= start:
            continue
        if timeout is not None and event.at - start > timeout:
            return shown, timeout
        state = reduce(state, event)
        status = rollout_status(state, namespace, name)
        if status.lines != shown.lines:
            _print((f"[+{event.at - start:.0f}s]", *status.lines))
            shown = status
        if status.done:
            return status, event.at - start
    from grove.commands.errors import UserError

    end = (events[-1].at - start) if events else 0.0
    reason = f": {shown.holdup}" if shown.holdup else ""
    raise UserError(f"the recording ends {end:g}s later, before the rollout completes{reason}")


def _follow_live(
    args: argparse.Namespace, namespace: str, name: str, state: Any, shown: Any, timeout: float | None
) -> Any:
    """Watch the cluster until the rollout completes or ``timeout`` passes; a status block whenever it changes.

    The watch's lists fold onto the state just read, so a kind not listed again yet is not mistaken for gone."""
    import queue
    import time

    from grove.commands.lifecycle.flow import READ_KINDS
    from grove.commands.source import live_stream
    from grove.events import kinds
    from grove.reducers.reduce import reduce
    from grove.views.rollout_status import rollout_status

    events, _, close = live_stream(args, READ_KINDS, cluster_wide=(kinds.POD,))
    inbox: queue.Queue[Any] = queue.Queue()
    subscription = events.subscribe(on_next=inbox.put, on_error=inbox.put, on_completed=lambda: inbox.put(None))
    began = time.monotonic()
    try:
        while True:
            left = None if timeout is None else timeout - (time.monotonic() - began)
            if left is not None and left <= 0:
                return shown, timeout
            try:
                item = inbox.get(timeout=left)
            except queue.Empty:
                return shown, timeout
            if item is None or isinstance(item, Exception):
                return shown, time.monotonic() - began
            state = reduce(state, item)
            if not inbox.empty():
                continue  # fold a burst before rendering it
            status = rollout_status(state, namespace, name)
            if status.lines != shown.lines:
                _print(status.lines)
                shown = status
            if status.done:
                return status, time.monotonic() - began
    finally:
        subscription.dispose()
        close()


# ------------------------------------------------------------------------------------------------------ revisions


def _live_revisions(args: argparse.Namespace) -> Any:
    """(state, pcs, writer, http, revisions) — revisions live on the cluster, never in a recording."""
    from grove.commands.cluster import access_from_args, explain
    from grove.commands.errors import UserError
    from grove.commands.lifecycle.flow import find_pcs, read_state
    from grove.commands.lifecycle.revisions import load_revisions
    from grove.events.kube.errors import ApiError, TransportError
    from grove.events.kube.http import Http
    from grove.events.kube.writing import Writer
    from grove.reducers import fields as f

    if getattr(args, "replay", None):
        raise UserError("revisions are ControllerRevisions on the cluster: a recording holds none (drop --replay)")
    state, namespace = read_state(args)
    pcs = find_pcs(state, namespace, args.name)
    access = access_from_args(args)
    http = Http(access)
    writer = Writer(http)
    try:
        revisions = load_revisions(writer, f.namespace(pcs), f.name(pcs), f.text(f.get(pcs, "metadata", "uid")))
    except (ApiError, TransportError) as exc:
        http.close()
        if isinstance(exc, ApiError) and exc.status == 403:
            raise UserError(f"history is unavailable: {exc.message}") from None
        raise explain(exc, access) from None
    return state, pcs, writer, http, revisions


def run_history(args: argparse.Namespace) -> int:
    from grove.commands.lifecycle.revisions import history
    from grove.commands.lifecycle.targeting import template_of
    from grove.events.kube.errors import ApiError, TransportError
    from grove.reducers import fields as f

    _, pcs, writer, http, revisions = _live_revisions(args)
    try:
        namespace, name = f.namespace(pcs), f.name(pcs)
        try:
            allowed, reason = writer.can_i("create", "apps", "controllerrevisions", namespace)
        except (ApiError, TransportError):
            allowed, reason = True, ""
    finally:
        http.close()
    lines = []
    if not revisions:
        lines.append(f"{name}: no revisions (kubectl-grove has recorded no template change; Grove keeps none)")
    else:
        generation = f.integer(f.get(pcs, "metadata", "generation"), 1)
        rows = [("REVISION", "GENERATION", "CREATED", "CHANGE-CAUSE")]
        for entry in history(revisions, template_of(pcs), generation):
            if entry.revision is None:
                rows.append(("-", "", "", entry.note))
            else:
                r = entry.revision
                rows.append((str(r.number), f"{r.generation_before} → {r.generation_after}", r.created, r.cause))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines.extend("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3] for row in rows)
    if not allowed:
        why = f" ({reason})" if reason else ""
        lines.append(
            f"history is incomplete: this user cannot create controllerrevisions in {namespace}{why}, so "
            "kubectl-grove's own changes are not recorded"
        )
    _print(lines)
    return 0


def run_diff(args: argparse.Namespace) -> int:
    from grove.commands.errors import UserError
    from grove.commands.lifecycle.targeting import template_of
    from grove.commands.lifecycle.templates import diff_lines, field_diff

    _, pcs, _, http, revisions = _live_revisions(args)
    http.close()
    chosen = next((r for r in revisions if r.number == args.revision), None)
    if chosen is None:
        known = ", ".join(str(r.number) for r in revisions) or "none"
        raise UserError(f"revision {args.revision} not found (revisions: {known})")
    changes = field_diff(template_of(pcs), chosen.after)
    if not changes:
        _print([f"the current template is revision {chosen.number}'s"])
        return 0
    _print([f"current template → revision {chosen.number} ({chosen.cause}):", *diff_lines(changes)])
    return 0


def run_undo(args: argparse.Namespace) -> int:
    from grove.commands.errors import UserError
    from grove.commands.lifecycle.flow import find_pcs, run_change
    from grove.commands.lifecycle.revisions import load_revisions
    from grove.commands.lifecycle.targeting import template_of
    from grove.commands.lifecycle.templates import template_change
    from grove.reducers import fields as f

    if getattr(args, "replay", None):
        raise UserError("rollout undo needs the cluster's revisions: not available with --replay")

    def build(state: Any, namespace: str | None, session: Any) -> Any:
        pcs = find_pcs(state, namespace, args.name)
        namespace, name = f.namespace(pcs), f.name(pcs)
        revisions = load_revisions(session.writer, namespace, name, f.text(f.get(pcs, "metadata", "uid")))
        if not revisions:
            raise UserError(f"{name} has no revisions to go back to (kubectl-grove has recorded no template change)")
        if args.to_revision is None:
            last = revisions[-1]
            target, what = last.before, f"the template before revision {last.number} ({last.cause})"
        else:
            chosen = next((r for r in revisions if r.number == args.to_revision), None)
            if chosen is None:
                known = ", ".join(str(r.number) for r in revisions)
                raise UserError(f"revision {args.to_revision} not found (revisions: {known})")
            target, what = chosen.after, f"revision {chosen.number}'s template ({chosen.cause})"
        change = template_change(state, pcs, target, f"rollout undo PodCliqueSet {namespace}/{name} to {what}",
                                 nothing=f"the template already is {what}")  # fmt: skip
        if dict(template_of(pcs)) != dict(revisions[-1].after) and change.nothing is None:
            import attrs

            warning = f"the template changed outside kubectl-grove since revision {revisions[-1].number}"
            change = attrs.evolve(change, warnings=(*change.warnings, warning))
        return change

    return run_change(args, build)


def run_pause(args: argparse.Namespace) -> int:
    from grove.commands.errors import UserError

    raise UserError(PAUSE_REFUSAL)
