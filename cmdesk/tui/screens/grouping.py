"""Pick the report's grouping: any of network, brand, day, agent, in the order ticked.

The order matters as it does for `cmdesk report --by network,brand`: it is the order
of the columns and of the sort. Space ticks, Enter applies, Esc leaves it as it was.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList

from cmdesk.metrics.compute import DIMENSIONS


class GroupingScreen(ModalScreen[tuple[str, ...] | None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("enter", "apply", "Apply", priority=True),
    ]

    def __init__(self, current: tuple[str, ...]) -> None:
        super().__init__()
        self.order: list[str] = list(current)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Group the report by", classes="dialog-title")
            yield SelectionList[str](
                *((name, name, name in self.order) for name in DIMENSIONS), id="grouping"
            )
            yield Label("", id="grouping-order")
            yield Label("Space ticks (in the order you want) · Enter applies · Esc cancels")

    def on_mount(self) -> None:
        self._show_order()

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        name = event.selection.value
        if name in self.order:
            self.order.remove(name)
        else:
            self.order.append(name)
        self._show_order()

    def _show_order(self) -> None:
        shown = ", ".join(self.order) if self.order else "nothing ticked: the total only"
        self.query_one("#grouping-order", Label).update(f"by {shown}")

    def action_apply(self) -> None:
        self.dismiss(tuple(self.order))
