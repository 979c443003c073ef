"""Driving the app as a user does, and reading back what the screen shows."""

from __future__ import annotations

import contextlib
import html
import io
import re
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerCancelled

from cmdesk.config import Config
from cmdesk.model import EventKind, Item, Status
from cmdesk.store import Store
from cmdesk.tui.app import CmdeskApp
from cmdesk.tui.widgets.detail import DetailPane
from cmdesk.tui.widgets.inbox_list import InboxList

#: Worker groups that wait for the user to answer a dialog.
INTERACTIVE = {"label", "views", "composer"}


def make_app(db: Path, config: Config | None = None, **kwargs: object) -> CmdeskApp:
    kwargs.setdefault("transport_factory", None)
    kwargs.setdefault("tokens", lambda _account: None)
    app = CmdeskApp(db, config or Config(agent="cm"), **kwargs)  # type: ignore[arg-type]
    shown: list[str] = []
    notify = app.notify

    def recording(message: str, *args: object, **options: object) -> None:
        shown.append(str(message))
        notify(message, *args, **options)  # type: ignore[arg-type]

    app.notify = recording  # type: ignore[method-assign]
    app.shown_notifications = shown  # type: ignore[attr-defined]
    return app


def notifications(app: CmdeskApp) -> str:
    """Every toast the app showed so far, one per line."""
    return "\n".join(app.shown_notifications)  # type: ignore[attr-defined]


async def settle(pilot: Pilot) -> None:
    """Wait until every worker (and the workers they started) has finished.

    Workers waiting on a dialog the test has yet to answer are left running.
    """
    for _ in range(4):
        busy = [w for w in pilot.app.workers if w.group not in INTERACTIVE and not w.is_finished]
        if busy:  # an empty list would mean "every worker"
            with contextlib.suppress(WorkerCancelled):  # an exclusive worker replaced
                await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()


def current(app: CmdeskApp) -> Item | None:
    """The item under the inbox's cursor."""
    return app.screen.query_one(InboxList).current_item


async def search_to(pilot: Pilot, query: str) -> None:
    """Search the store as the CM does (`/`, the words, Enter) and wait for the result."""
    await pilot.press("slash", *query, "enter")
    await settle(pilot)


def list_lines(app: CmdeskApp) -> list[str]:
    inbox = app.screen.query_one(InboxList)
    return [inbox.render_line(y).text.rstrip() for y in range(inbox.size.height)]


def detail_text(app: CmdeskApp, width: int = 100) -> str:
    """The detail pane's whole content (not only the part scrolled into view)."""
    pane = app.screen.query_one(DetailPane)
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(pane.content)
    return console.export_text()


def status_text(app: CmdeskApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


_SVG_TEXT = re.compile(
    r'<text [^>]*x="([\d.]+)"[^>]*clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>'
)


def screen_lines(app: CmdeskApp) -> list[str]:
    """The screen as the terminal shows it, one string per row, from Textual's screenshot."""
    rows: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for x, line, text in _SVG_TEXT.findall(app.export_screenshot()):
        rows[int(line)].append((float(x), html.unescape(text).replace("\xa0", " ")))
    return ["".join(t for _, t in sorted(rows[n])) for n in range(max(rows, default=-1) + 1)]


def stored(db: Path, item_id: str) -> tuple[Status, list[EventKind]]:
    """What the store holds for an item: its status and its events' kinds, oldest first."""
    store = Store(db)
    try:
        item = store.item(item_id)
        assert item is not None
        return item.status, [event.kind for event in store.events(item_id)]
    finally:
        store.close()
