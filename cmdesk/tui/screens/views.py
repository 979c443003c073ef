"""The view switcher: open, snoozed, replied, done, hidden, all, per network, per brand."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from cmdesk.store.views import View
from cmdesk.text import one_line


class ViewsScreen(ModalScreen[View | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, views: list[View], current: View) -> None:
        super().__init__()
        self.views = views
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Switch view", classes="dialog-title")
            options = OptionList(
                *(
                    Option(("▸ " if v == self.current else "  ") + one_line(v.title), id=str(i))
                    for i, v in enumerate(self.views)
                )
            )
            yield options

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.views:
            options.highlighted = self.views.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.views[int(event.option.id or 0)])
