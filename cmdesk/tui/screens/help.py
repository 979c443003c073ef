"""Every binding of the inbox, including those the footer has no room for."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


def binding_rows(groups: list[tuple[str, list[BindingType]]]) -> list[tuple[str, str, str]]:
    rows = []
    for where, bindings in groups:
        for binding in bindings:
            if isinstance(binding, Binding) and binding.description:
                keys = ", ".join(k.strip() for k in binding.key.split(","))
                rows.append((where, keys, binding.description))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Where")
        table.add_column("Keys", style="bold")
        table.add_column("Does")
        for where, keys, description in self.rows:
            table.add_row(where, keys, description)
        with VerticalScroll(classes="dialog wide"):
            yield Label("Keys (Esc closes)", classes="dialog-title")
            yield Static(table)
