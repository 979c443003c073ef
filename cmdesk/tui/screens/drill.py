"""The items behind one figure of the report: who waited, on which network, how long.

The list comes whole from the report screen's fold (in its thread, on its own store
connection); this screen only lays it out. Enter answers the item's id, and the
inbox shows that item; Esc goes back to the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from cmdesk.metrics.drill import Opportunity
from cmdesk.metrics.render import EMPTY, duration
from cmdesk.model import Item
from cmdesk.store import StoreError
from cmdesk.text import one_line

OUTCOMES = {
    "replied": "replied",
    "done_without_reply": "done, no reply",
    "closed_without_reply": "hidden/spam",
    "waiting": "waiting",
}
COLUMNS = ("author", "network", "brand", "started", "outcome", "1st reply", "waited", "SLA", "text")


@dataclass(frozen=True, slots=True)
class DrillPage:
    """What the screen shows: how many the figure counts, and the longest of them."""

    count: int
    rows: Sequence[tuple[Opportunity, Item | None]]


class DrillTable(DataTable[Text]):
    BINDINGS = [Binding("enter", "select_cursor", "Show in inbox")]


class DrillScreen(Screen[str | None]):
    DEFAULT_CSS = """
    DrillScreen #drill-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    DrillScreen #drill-count { height: 1; padding: 0 1; color: $text-muted; }
    DrillScreen #drill-table { height: 1fr; }
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Back to the report")]

    def __init__(self, title: str, load: Callable[[], Awaitable[DrillPage | None]]) -> None:
        super().__init__()
        self.heading = title
        self.load = load

    def compose(self) -> ComposeResult:
        yield Static(self.heading, id="drill-title", markup=False)
        yield Static("Folding the event log…", id="drill-count", markup=False)
        yield DrillTable(id="drill-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DrillTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.fill()

    @work(exclusive=True, group="drill")
    async def fill(self) -> None:
        try:
            page = await self.load()
        except StoreError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        if page is None:
            return
        table = self.query_one(DrillTable)
        for opportunity, item in page.rows:
            table.add_row(
                *_cells(opportunity, item), key=f"{opportunity.start}:{opportunity.item_id}"
            )
        shown = len(page.rows)
        more = f", the {shown} longest shown" if shown < page.count else ""
        noun = "opportunity" if page.count == 1 else "opportunities"
        self.query_one("#drill-count", Static).update(
            f"{page.count} {noun}{more} · Enter shows the item in the inbox · Esc back"
        )

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value or ""
        self.dismiss(key.split(":", 1)[1])


def _cells(o: Opportunity, item: Item | None) -> list[Text]:
    """One row, every cell a `Text`: a str cell would be read as markup, and an author
    may well call themselves `[bold]`."""
    started = dt.datetime.fromtimestamp(o.start / 1000).strftime("%Y-%m-%d %H:%M")
    if o.sla_breached is None:
        sla = Text(EMPTY)
    else:
        sla = Text("breached", style="bold red") if o.sla_breached else Text("on time")
    if item is None:
        who, network, brand, text = o.item_id, "", "", "(no longer in the store)"
    else:
        who, network, brand, text = item.author.label, item.network, item.brand, item.text[:200]
    plain = [
        one_line(who)[:24],
        network,
        one_line(brand)[:16],
        started,
        OUTCOMES.get(o.outcome, o.outcome),
        duration(o.first_response_ms),
        duration(o.wait_ms),
    ]
    return [*(Text(cell) for cell in plain), sla, Text(one_line(text)[:80])]
