"""The status bar: counts per view and the sync state of every account."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from cmdesk.model import Status, SyncState
from cmdesk.text import one_line
from cmdesk.tui.widgets.inbox_list import age

_SHOWN = (
    ("Open", (Status.NEW, Status.OPEN)),
    ("Snoozed", (Status.SNOOZED,)),
    ("Replied", (Status.REPLIED,)),
    ("Done", (Status.DONE,)),
)


class StatusBar(Static):
    """One line under the inbox; the sync part names the account that failed and why."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[Status, int] = {}
        self.states: dict[str, SyncState] = {}
        self.syncing: set[str] = set()
        self.view_title = "Open"
        self.view_size = 0
        self.selected = 0
        self.outbox_problem = ""

    def redraw(self) -> None:
        now = int(time.time() * 1000)
        text = Text()
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
