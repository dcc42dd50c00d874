"""The frame every overlay shares: a modal dialog with a title line, a body and a hint line; Esc closes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, cast, runtime_checkable

from textual.binding import BindingType
from textual.screen import ModalScreen
from textual.timer import Timer

from grove.views.tui import frames, keys

if TYPE_CHECKING:
    from grove.views.tui.app import ArboristApp


@runtime_checkable
class ShowsState(Protocol):
    def show_state(self) -> None: ...


class Overlay(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(keys.OVERLAY)

    @property
    def arborist(self) -> ArboristApp:
        return cast("ArboristApp", self.app)

    @property
    def _update_timer(self) -> Timer:
        return frames.update_timer(self) or super()._update_timer

    def action_close(self) -> None:
        self.dismiss(None)
