"""The status bar: counts per view and the sync state of every account."""

from __future__ import annotations

import time

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from cmdesk.model import Status, SyncState
from cmdesk.text import one_line
from cmdesk.tui.widgets.inbox_row import age

_SHOWN = (
    ("Open", (Status.NEW, Status.OPEN)),
    ("Snoozed", (Status.SNOOZED,)),
    ("Replied", (Status.REPLIED,)),
    ("Done", (Status.DONE,)),
)


#: How long an action's confirmation stays in the status bar.
SAID_FOR_S = 3.0


class StatusBar(Static):
    """One line under the inbox; the sync part names the account that failed and why.

    It also confirms each action ("Done: item (u undoes)"): a toast per key would
    mount and unmount a widget, two layouts of the screen, for every item triaged.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[Status, int] = {}
        self.states: dict[str, SyncState] = {}
        self.syncing: set[str] = set()
        self.view_title = "Open"
        self.view_size = 0
        self.selected = 0
        self.outbox_problem = ""
        self.said = ""
        self._said_timer: Timer | None = None

    def say(self, message: str) -> None:
        """Show `message` first in the bar for a few seconds."""
        self.said = message
        if self._said_timer is not None:
            self._said_timer.stop()
        self._said_timer = self.set_timer(SAID_FOR_S, self._unsay)
        self.redraw()

    def _unsay(self) -> None:
        self.said = ""
        self.redraw()

    def redraw(self) -> None:
        now = int(time.time() * 1000)
        text = Text()
        if self.said:
            text.append(f" ✓ {one_line(self.said)} ", style="reverse")
        text.append(f" {one_line(self.view_title)}: {self.view_size:,}", style="bold")
        if self.selected:
            text.append(f" · {self.selected} selected", style="bold reverse")
        text.append("  │ ")
        text.append(
            " · ".join(
                f"{name} {sum(self.counts.get(s, 0) for s in statuses):,}"
                for name, statuses in _SHOWN
            )
        )
        if self.outbox_problem:
            text.append(f"  │ ✗ outbox: {one_line(self.outbox_problem)}", style="bold red")
        text.append("  │ ")
        for name in sorted({*self.states, *self.syncing}):
            if name in self.syncing:
                text.append(f"⟳ {name} ", style="yellow")
                continue
            state = self.states[name]
            if state.ok:
                text.append(f"✓ {name} {age(state.at, now)} ", style="green")
            else:
                text.append(f"✗ {name}: {one_line(state.message)} ", style="bold red")
        self.update(text, layout=False)  # one line, always: no reflow of the screen
