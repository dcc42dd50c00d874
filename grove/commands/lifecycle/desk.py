"""Arborist's change desk: ``s`` (scale) and ``R`` (restart) through the very code paths of the CLI.

A plan is built by ``build_scale`` / ``build_restart`` from the state the app shows (so its preconditions are the
resourceVersions on screen), previewed by the CLI's simulation, and written as ``run_change`` writes: every request
first with ``dryRun=All``, then for real, each refusal in the CLI's one line. A 409 is never retried here: the
dialog previews again from the newest state and asks again. Without a writer (a recording) plans are previewed and
nothing is written.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import Any

import attrs

from grove.commands.errors import UserError
from grove.commands.lifecycle.flow import (
    Change,
    Partial,
    Session,
    partial_refusal,
    refusal,
    server_dry_run,
    write_change,
)
from grove.commands.lifecycle.render import simulate
from grove.commands.lifecycle.restart import build_restart, recording_stamp, restart_stamp
from grove.commands.lifecycle.scale import build_scale
from grove.events import kinds
from grove.events.kube.errors import ApiError, Conflict, TransportError
from grove.events.kube.writing import Writer
from grove.reducers.state import State
from grove.views.tui.changes import RESTART, SCALE, ChangePlan, Outcome
from grove.views.tui.rows import Ref

ON_A_RECORDING = "a recording cannot be written to: previewed only, nothing written"
CONFLICT = "changed on the server since it was read (409): nothing written; previewed again, confirm again"


@attrs.frozen
class _Token:
    change: Change
    session: Session


def _args(**values: Any) -> argparse.Namespace:
    """What the CLI's builders and preview read from the command line, as ``scale``/``restart`` would set it."""
    base: dict[str, Any] = {"replicas": None, "role": [], "group": [], "replica": None, "dry_run": False,
                            "pod_start": None, "output": None, "replay": None, "preview_record": None}  # fmt: skip
    base.update(values)
    return argparse.Namespace(**base)


_PREFIX = {kinds.PODCLIQUESET: "", kinds.PODCLIQUESCALINGGROUP: "pcsg/", kinds.PODCLIQUE: "pclq/"}


class ChangeDesk:
    def __init__(self, writer: Writer | None, stamp: Callable[[], str] = restart_stamp) -> None:
        self.writer = writer
        self.stamp = stamp  # the restart annotation's value when writing: now (a test fixes it)

    @property
    def read_only(self) -> str | None:
        return None if self.writer is not None else ON_A_RECORDING

    def scale(self, state: State, target: Ref, replicas: int) -> ChangePlan:
        words = ["scale", _PREFIX.get(target.kind, "") + target.name, "-n", target.namespace, "--replicas",
                 str(replicas)]  # fmt: skip
        session = Session(_args(replicas=replicas), self.writer, _command_line(words))
        title = f"scale {target.kind} {target.label.split(' ', 1)[1]}"
        obj = state.get(target.kind, target.namespace, target.name)
        current = _replicas(obj)
        try:
            change = build_scale(state, target.namespace, session, target.kind, target.name)
        except UserError as exc:
            return ChangePlan(SCALE, target, title, current=current, replicas=replicas, error=str(exc))
        return self._plan(SCALE, target, state, change, session, current=current, replicas=replicas)

    def restart(self, state: State, pcs: Ref, role: str | None) -> ChangePlan:
        words = ["restart", pcs.name, "-n", pcs.namespace, *(["--role", role] if role else [])]
        session = Session(_args(name=pcs.name, role=role), self.writer, _command_line(words))
        try:
            stamp = recording_stamp(state) if self.writer is None else self.stamp()  # as `restart --replay`
            change = build_restart(state, pcs.namespace, pcs.name, role, stamp)
        except UserError as exc:
            return ChangePlan(RESTART, pcs, f"restart PodCliqueSet {pcs.namespace}/{pcs.name}", error=str(exc))
        return self._plan(RESTART, pcs, state, change, session)

    def _plan(self, verb: str, target: Ref, state: State, change: Change, session: Session, **extra: Any) -> ChangePlan:
        if change.nothing is not None:
            return ChangePlan(verb, target, change.title, nothing=change.nothing, **extra)
        predicted, why = simulate(session.args, state, change) if change.intents else (None, "")
        new_gangs: tuple[Any, ...] = ()
        if predicted is not None and predicted.targets:
            from grove.simulate.fit import fit

            namespace, pcs = predicted.targets[0]
            report = fit(predicted.final_state, namespace, pcs)
            new_gangs = tuple(g for g in report.gangs if state.get(kinds.PODGANG, namespace, g.gang) is None)
        return ChangePlan(
            verb,
            target,
            change.title,
            lines=change.lines,
            warnings=change.warnings,
            preview=predicted,
            no_preview=why,
            new_gangs=new_gangs,
            token=_Token(change, session),
            **extra,
        )

    def write(self, plan: ChangePlan) -> Outcome:
        token = plan.token
        if not isinstance(token, _Token) or not plan.confirmable:
            return Outcome(False, (plan.error or plan.nothing or "nothing to write",))
        if self.writer is None:
            return Outcome(False, (ON_A_RECORDING,))
        change = token.change
        try:
            server_dry_run(change, self.writer)
        except Conflict:
            return Outcome(False, (CONFLICT,), conflict=True)
        except (ApiError, TransportError) as exc:
            return Outcome(False, (str(refusal(exc, change.title)),))
        try:
            lines = write_change(change, token.session)
        except Partial as partial:
            if isinstance(partial.error, Conflict):
                done = tuple(f"written: {what}" for what in partial.done)
                return Outcome(bool(done), (*done, CONFLICT), conflict=True)
            return Outcome(bool(partial.done), (str(partial_refusal(partial, change)),))
        return Outcome(True, lines)


def _replicas(obj: Any) -> int | None:
    from grove.reducers import fields as f

    if obj is None:
        return None
    return f.integer(f.get(obj, "spec", "replicas"), 1)


def _command_line(words: list[str]) -> str:
    """The change-cause a revision records: the CLI command that makes the same change."""
    return "kubectl grove " + " ".join(shlex.quote(w) for w in words) + "  # from Arborist"
