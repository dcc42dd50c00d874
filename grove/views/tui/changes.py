"""What the scale and restart dialogs show, and the desk that builds and writes changes for them.

The app changes nothing itself: ``grove.commands.tui`` hands in a ``ChangeDesk`` (``grove.commands.lifecycle.desk``)
that builds a change with the CLI's own builders, previews it with the CLI's simulation, and writes it through the
CLI's write path (server dry run first, the resourceVersion read as precondition, the CLI's one-line refusals). On a
recording the desk previews and writes nothing. Here: the plan as data, and its summary as lines (pure).
"""

from __future__ import annotations

from typing import Protocol

import attrs
from rich.text import Text

from grove.reducers.state import State
from grove.simulate.fit import GangVerdict
from grove.simulate.gang_scheduler import DOES_NOT_FIT, FITS, FITS_MISSING_PREFERRED
from grove.simulate.preview import Preview
from grove.views.common import duration
from grove.views.tui.rows import Ref

SCALE = "scale"
RESTART = "restart"
MAX_NODES = 4  # nodes named for a gang placed without a pack constraint
MAX_DIPS = 3  # dips below minAvailable listed in the summary (the step table below lists them all)


@attrs.frozen(eq=False)
class ChangePlan:
    """One change as previewed on one state; ``token`` is the desk's own (what it writes), opaque to the views."""

    verb: str  # SCALE | RESTART
    target: Ref
    title: str
    lines: tuple[str, ...] = ()  # what changes and through which endpoint
    warnings: tuple[str, ...] = ()
    current: int | None = None  # scale: replicas now
    replicas: int | None = None  # scale: replicas asked
    preview: Preview | None = None
    no_preview: str = ""  # why there is no preview
    new_gangs: tuple[GangVerdict, ...] = ()  # gangs the change creates, and whether and where each fits
    nothing: str | None = None  # nothing to do (said; nothing to confirm)
    error: str | None = None  # the change cannot be made (one line; nothing to confirm)
    token: object = None

    @property
    def confirmable(self) -> bool:
        return self.error is None and self.nothing is None and self.token is not None


@attrs.frozen
class Outcome:
    written: bool
    lines: tuple[str, ...]  # what was written, or the one line that says why not
    conflict: bool = False  # 409: the object moved since it was read; preview again and ask again


class ChangeDesk(Protocol):
    @property
    def read_only(self) -> str | None:
        """None when the desk can write; else the one line that says why it cannot (e.g. on a recording)."""

    def scale(self, state: State, target: Ref, replicas: int) -> ChangePlan:
        """Scale ``target`` (a PodCliqueSet, a scaling group or a standalone PodClique) to ``replicas``."""

    def restart(self, state: State, pcs: Ref, role: str | None) -> ChangePlan:
        """Restart PodCliqueSet ``pcs`` (every role, or ``role``)."""

    def write(self, plan: ChangePlan) -> Outcome:
        """Server dry run, then the write; never raises for what the server answers."""


# ------------------------------------------------------------------------------------------------------ summary

_VERDICT = {FITS: ("fits", "green"), FITS_MISSING_PREFERRED: ("fits, preferred pack missed", "yellow"),
            DOES_NOT_FIT: ("does not fit", "bold red")}  # fmt: skip


def _arrow(before: object, after: object) -> str:
    return f"{before} → {after}" if before != after else f"{before} (unchanged)"


def _score(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


def gang_line(gang: GangVerdict) -> Text:
    text, style = _VERDICT.get(gang.fit.verdict, (gang.fit.verdict, ""))
    product = f" {gang.fit.product}" if gang.fit.product else ""
    line = Text(f"  {gang.gang} ({'base' if gang.base else 'scaled'} gang, {gang.pods} pods, "
                f"{gang.fit.needed}{product} GPUs): ")  # fmt: skip
    line.append(text, style=style)
    if gang.fit.best_domain:
        where = "in" if gang.fit.placed else "best"
        line.append(f" {where} {gang.fit.level} {gang.fit.best_domain} ({gang.fit.free_there} free there)")
    elif gang.fit.placed and gang.fit.nodes:
        nodes = sorted(set(gang.fit.nodes.values()))
        shown = ", ".join(nodes[:MAX_NODES]) + (f" +{len(nodes) - MAX_NODES}" if len(nodes) > MAX_NODES else "")
        line.append(f" on {shown}")
    elif not gang.fit.placed and gang.fit.message:
        line.append(f": {gang.fit.message}", style="red")
    elif not gang.fit.placed:
        line.append(f" ({gang.fit.free_there} GPUs free)")
    return line


def summary_lines(plan: ChangePlan) -> list[Text]:
    """The change and what its preview predicts: GPUs, placement score, new gangs, dips below minAvailable."""
    out: list[Text] = []
    if plan.error is not None:
        return [Text(plan.error, style="bold red")]
    if plan.nothing is not None:
        return [Text(plan.nothing, style="dim")]
    out += [Text(line) for line in plan.lines]
    out += [Text(f"warning: {w}", style="yellow") for w in plan.warnings]
    preview = plan.preview
    if preview is None:
        if plan.no_preview:
            out.append(Text(f"({plan.no_preview})", style="dim"))
        return out
    first, last = preview.steps[0].main, preview.steps[-1].main
    out.append(
        Text(
            f"GPUs in use {_arrow(first.gpus_in_use, last.gpus_in_use)} · placement score "
            f"{_arrow(_score(first.placement_score), _score(last.placement_score))} · available replicas "
            f"{_arrow(f'{first.available_replicas}/{first.replicas}', f'{last.available_replicas}/{last.replicas}')}"
        )
    )
    out.append(Text(f"{len(preview.steps)} steps over {duration(preview.duration)}; pods Ready "
                    f"{preview.pod_start:g}s after scheduling", style="dim"))  # fmt: skip
    if plan.new_gangs:
        out.append(Text("New gangs:", style="bold"))
        out += [gang_line(g) for g in plan.new_gangs]
    dips = preview.min_dips
    if dips:
        out.append(Text(f"Below minAvailable ({len(dips)}):", style="bold red"))
        out += [Text(f"  {d}", style="red") for d in dips[:MAX_DIPS]]
        if len(dips) > MAX_DIPS:
            out.append(Text(f"  +{len(dips) - MAX_DIPS} more (in the steps below)", style="red"))
    else:
        out.append(Text("No clique drops below minAvailable.", style="green"))
    return out
