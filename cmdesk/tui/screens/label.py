"""The label prompt: type a label or pick one in use; a label the item has is removed."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

_LABEL = re.compile(r"^[\w][\w\-/.]{0,39}$")


class LabelScreen(ModalScreen[str | None]):
    """Returns the label to toggle, or None when cancelled."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, known: list[str], current: tuple[str, ...]) -> None:
        super().__init__()
        self.known = known
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Label (Enter toggles; ↓ picks a label in use)", classes="dialog-title")
            yield Input(placeholder="e.g. bug, urgent, vip", id="label-input")
            yield OptionList(*self._choices(""), id="label-known")
            yield Label("", id="label-error", classes="error")

    def _choices(self, prefix: str) -> list[str]:
        marked = [f"{'✓ ' if name in self.current else '  '}{name}" for name in self.known]
        return [m for m in marked if m[2:].startswith(prefix)] or []

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._choices(event.value.strip().lower()))

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip().lower()
        if not _LABEL.match(value):
            self.query_one("#label-error", Label).update(
                "Letters, digits, '-', '/', '.' only (up to 40)."
            )
            return
        self.dismiss(value)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.prompt)[2:])

    def key_down(self) -> None:
        if self.focused is self.query_one(Input):
            self.query_one(OptionList).focus()
