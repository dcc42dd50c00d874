"""The one loop every mutating command runs: read → build the change → preview → server dry run → confirm → write.

A change is built from the state just read, so its preconditions (the resourceVersions read) and its preview agree.
Every write is first sent with ``dryRun=All``: the server's validation (422 with the field path) and RBAC (403) show
before anything changes. A 409 (the object moved since it was read) is never retried blindly: the state is read
again, the change and its preview are built again, and the user is asked again. Ctrl+C at the prompt writes nothing.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from grove.commands.errors import UserError
from grove.commands.lifecycle.revisions import TemplateChange, record_revision
from grove.events import kinds
from grove.events.kinds import ALL_KINDS
from grove.events.kube.errors import ApiError, Conflict, Forbidden, Invalid, TransportError
from grove.events.kube.writing import Writer
from grove.events.model import KubeObject
from grove.reducers import fields as f
from grove.reducers.state import State
from grove.simulate.intent import Intent

READ_KINDS = ALL_KINDS  # the preview needs the hierarchy, nodes, bindings, and events (pod start times)
ATTEMPTS = 3  # reads of the state when the object keeps moving under the change (409)


@attrs.frozen
class Write:
    """One request of a change; ``send(writer, dry_run)`` makes it and returns the server's answer."""

    what: str
    send: Callable[[Writer, bool], Any]


@attrs.frozen
class Change:
    """What a command will do, built from one state."""

    title: str  # e.g. "scale PodCliqueSet prod/llm-serve"
    lines: tuple[str, ...]  # one per object changed: what changes and through which endpoint
    intents: tuple[Intent, ...]
    writes: tuple[Write, ...]
    warnings: tuple[str, ...] = ()
    template: TemplateChange | None = None  # a template change: recorded as a ControllerRevision once written
    nothing: str | None = None  # set when there is nothing to do (said, exit 0)


Builder = Callable[[State, "str | None", "Session"], Change]


@attrs.define
class Session:
    """What a builder may need besides the state: the writer (None on a replay) and the command line."""

    args: argparse.Namespace
    writer: Writer | None
    command_line: str

    @property
    def live(self) -> bool:
        return self.writer is not None


def command_line(args: argparse.Namespace) -> str:
    argv = getattr(args, "argv", None)
    words = list(argv) if argv is not None else sys.argv[1:]
    return "kubectl grove " + " ".join(shlex.quote(w) for w in words)


# ------------------------------------------------------------------------------------------------------ reading


def read_state(args: argparse.Namespace) -> tuple[State, str | None]:
    """The state (live or from ``--replay``) and the namespace asked for (None: not said, on a replay)."""
    from grove.commands.source import load_state

    state, scope = load_state(args, READ_KINDS, cluster_wide=(kinds.POD,))
    if getattr(args, "replay", None):
        return state, getattr(args, "namespace", None)
    return state, scope.namespace


def find_pcs(state: State, namespace: str | None, name: str) -> KubeObject:
    """The PodCliqueSet ``name`` (in ``namespace``, or the only one of that name on a replay)."""
    if namespace is not None:
        obj = state.get(kinds.PODCLIQUESET, namespace, name)
        if obj is None:
            raise UserError(f'PodCliqueSet "{name}" not found in namespace "{namespace}"')
        return obj
    found = [obj for (_, n), obj in state.of_kind(kinds.PODCLIQUESET).items() if n == name]
    if not found:
        raise UserError(f'PodCliqueSet "{name}" not found in the recording')
    if len(found) > 1:
        spaces = ", ".join(sorted(f.namespace(o) for o in found))
        raise UserError(f'PodCliqueSet "{name}" exists in several namespaces ({spaces}): pass -n NAMESPACE')
    return found[0]


# ------------------------------------------------------------------------------------------------------ errors


def refusal(exc: ApiError | TransportError, what: str) -> UserError:
    """One line for a refused write."""
    if isinstance(exc, Forbidden):
        return UserError(f"not allowed: {exc.message} (ask for that permission, or preview with --dry-run)")
    if isinstance(exc, Invalid):
        if exc.causes:
            fields = "; ".join(f"{c.field}: {c.message}" if c.field else c.message for c in exc.causes)
            return UserError(f"the server refused {what} (422 Invalid): {fields}")
        return UserError(f"the server refused {what} (422 Invalid): {exc.message}")
    if isinstance(exc, ApiError):
        return UserError(f"the server refused {what} ({exc.status} {exc.reason}): {exc.message}")
    return UserError(f"{exc.message}; nothing more was written")


# ------------------------------------------------------------------------------------------------------ asking


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def ask(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline()


def confirm(args: argparse.Namespace) -> None:
    """Return when the user agreed; raise otherwise (nothing has been written yet)."""
    if getattr(args, "yes", False):
        return
    if not stdin_is_terminal():
        raise UserError("not a terminal: pass --yes to write without asking, or --dry-run to only preview")
    try:
        answer = ask("Proceed? [y/N] ")
    except (KeyboardInterrupt, EOFError):
        sys.stderr.write("\n")
        raise UserError("interrupted: nothing written", exit_code=130) from None
    if answer.strip().lower() not in ("y", "yes"):
        raise UserError("not confirmed: nothing written")


# ------------------------------------------------------------------------------------------------------ the loop


def run_change(args: argparse.Namespace, build: Builder) -> int:
    """Preview, validate, confirm and write the change ``build`` makes from the current state."""
    from grove.commands.lifecycle.render import emit, note

    session = Session(args, None, command_line(args))
    http = None
    if not getattr(args, "replay", None):
        from grove.commands.cluster import access_from_args
        from grove.events.kube.http import Http

        http = Http(access_from_args(args))
        session.writer = Writer(http)
    try:
        for attempt in range(1, ATTEMPTS + 1):
            state, namespace = read_state(args)
            change = build(state, namespace, session)
            if change.nothing is not None:
                note(args, change.nothing)
                return 0
            emit(args, state, change)
            if session.writer is None:
                note(args, f"replay: previewed on {args.replay}; nothing written (there is no cluster to write to)")
                return 0
            try:
                server_dry_run(change, session.writer)
            except Conflict:
                if attempt == ATTEMPTS:
                    raise UserError("the object keeps changing under this change: try again later") from None
                note(args, "changed on the server since it was read (409): reading again and previewing again")
                continue
            except Forbidden as exc:
                if args.dry_run:
                    note(args, f"dry run: the server's validation could not run: {exc.message}; nothing written")
                    return 0
                raise refusal(exc, change.title) from None
            except (ApiError, TransportError) as exc:
                raise refusal(exc, change.title) from None
            if args.dry_run:
                note(args, "dry run: the server validated the change (dryRun=All); nothing written")
                return 0
            confirm(args)
            try:
                written = write_change(change, session)
            except Partial as partial:
                if isinstance(partial.error, Conflict) and attempt < ATTEMPTS:
                    # the builder skips what is already as asked, so a re-read after a partial write is safe
                    if partial.done:
                        note(args, *partial.done, prefix="written: ")
                    note(args, "changed on the server since the preview (409): reading again and previewing again")
                    continue
                raise partial_refusal(partial, change) from None
            note(args, *written)
            return 0
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        if http is not None:
            http.close()


def server_dry_run(change: Change, writer: Writer) -> None:
    """Every write of the change with ``dryRun=All``: the server's validation and RBAC, nothing changed.

    Raises ``Conflict`` (re-read and preview again), ``Forbidden``, other ``ApiError`` or ``TransportError``."""
    _send_all(change, writer, dry_run=True)


def write_change(change: Change, session: Session) -> tuple[str, ...]:
    """The real writes (after ``server_dry_run`` and the user's yes), and the revision of a template change.

    Returns what was done, one line each; raises ``Partial`` when a write is refused (what went before it stays)."""
    assert session.writer is not None
    answers = _send_all(change, session.writer, dry_run=False)
    lines = tuple(f"written: {w.what}" for w in change.writes)
    if change.template is not None:
        lines += (record_revision(session.writer, change.template, answers[-1], session.command_line),)
    return lines


def partial_refusal(partial: Partial, change: Change) -> UserError:
    done = "; ".join(partial.done) if partial.done else "nothing"
    return UserError(f"{refusal(partial.error, change.title)} (written before it: {done})")


class Partial(Exception):
    """A real write was refused after ``done`` (the writes before it) went through."""

    def __init__(self, error: ApiError | TransportError, done: Sequence[str]) -> None:
        super().__init__(str(error))
        self.error = error
        self.done = tuple(done)


def _send_all(change: Change, writer: Writer, *, dry_run: bool) -> list[Any]:
    answers: list[Any] = []
    done: list[str] = []
    for write in change.writes:
        try:
            answers.append(write.send(writer, dry_run))
        except (ApiError, TransportError) as exc:
            if dry_run:
                raise
            raise Partial(exc, done) from exc
        done.append(write.what)
    return answers


def resource_version(obj: Mapping[str, Any]) -> str:
    return str(f.get(obj, "metadata", "resourceVersion") or "")
