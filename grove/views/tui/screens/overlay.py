"""The frame every overlay shares: a modal dialog with a title line, a body and a hint line; Esc closes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, cast, runtime_checkable

from textual.binding import BindingType
from textual.screen import ModalScreen

from grove.views.tui import keys

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

    def action_close(self) -> None:
        self.dismiss(None)
