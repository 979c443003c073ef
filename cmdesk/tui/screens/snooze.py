"""The snooze menu: 1 hour, 4 hours, or tomorrow 9:00 (local time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


def snooze_choices(now: datetime) -> list[tuple[str, datetime]]:
    """The menu's entries for a local `now`."""
    tomorrow = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    return [
        ("1 hour", now + timedelta(hours=1)),
        ("4 hours", now + timedelta(hours=4)),
        (f"Tomorrow 9:00 ({tomorrow:%a %d %b})", tomorrow),
    ]


class SnoozeScreen(ModalScreen[int | None]):
    """Returns the wake-up time in epoch ms, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("1", "pick(0)", "1 hour", show=False),
        Binding("2", "pick(1)", "4 hours", show=False),
        Binding("3", "pick(2)", "Tomorrow", show=False),
    ]

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.choices = snooze_choices(datetime.now().astimezone())

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            noun = "item" if self.count == 1 else f"{self.count} items"
            yield Label(f"Snooze {noun} until…", classes="dialog-title")
            yield OptionList(
                *(
                    Option(f"{n}  {label}", id=str(n - 1))
                    for n, (label, _) in enumerate(self.choices, 1)
                )
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(int(event.option.id or 0))

    def action_pick(self, index: int) -> None:
        self.dismiss(int(self.choices[index][1].timestamp() * 1000))
