"""The inbox screen: the queue, the detail pane, search, views, and the keys that
open, reply and jump. Triage (done, snooze, label) is in `inbox_triage.py`,
moderation and undo in `inbox_moderation.py`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input

from cmdesk.metrics.sla import breach_test, sla_state
from cmdesk.model import WAITING, Item, Status, now_ms
from cmdesk.store import StoreError, View
from cmdesk.store.views import ALL, OPEN, FirstTest
from cmdesk.tui.screens.help import HelpScreen, binding_rows
from cmdesk.tui.screens.inbox_moderation import ModerationActions
from cmdesk.tui.screens.inbox_reply import ReplyActions
from cmdesk.tui.screens.inbox_triage import TriageActions
from cmdesk.tui.screens.views import ViewsScreen
from cmdesk.tui.widgets.detail import DetailPane, render_detail
from cmdesk.tui.widgets.inbox_list import InboxList
from cmdesk.tui.widgets.inbox_reading import CACHE_SIZE
from cmdesk.tui.widgets.key_bar import KeyBar
from cmdesk.tui.widgets.sla_badge import badge_text
from cmdesk.tui.widgets.status_bar import StatusBar
from cmdesk.tui.widgets.suggestions import SuggestionsPanel

if TYPE_CHECKING:
    from array import array

    from cmdesk.replies.suggest import Suggestion
    from cmdesk.tui.app import CmdeskApp


#: The detail pane follows the cursor once it rests this long: its update reads the
#: item's context, ranks the replies and wraps the text, work a held key (30 a second)
#: or a burst of keys must not pay on every row.
DETAIL_DELAY_S = 0.1
#: A view switch shows this many first rows while the whole order is read.
HEAD_ROWS = 200


class InboxScreen(TriageActions, ModerationActions, ReplyActions, Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "Open"),
        # Priority (`r` and `/`): they act when the app reads the key, before the keys
        # typed after it in the same burst are passed on; those then go where these
        # lead. Not the digits: `s` then `1` in one burst must still snooze for an hour.
        Binding("r", "reply(0)", "Reply", priority=True),
        Binding("1", "reply(1)", "Reply with suggestion 1", show=False),
        Binding("2", "reply(2)", "Reply with suggestion 2", show=False),
        Binding("3", "reply(3)", "Reply with suggestion 3", show=False),
        Binding("4", "reply(4)", "Reply with suggestion 4", show=False),
        Binding("5", "reply(5)", "Reply with suggestion 5", show=False),
        Binding("e", "done", "Done"),
        Binding("s", "snooze", "Snooze"),
        Binding("l", "label", "Label"),
        Binding("u", "undo", "Undo"),
        Binding("x,space", "select", "Select"),
        Binding("slash", "search", "Search", priority=True),
        Binding("f", "views", "Views"),
        Binding("R", "report", "Report"),
        Binding("o", "reopen", "Reopen", show=False),
        Binding("H", "moderate('hide')", "Hide", show=False),
        Binding("exclamation_mark", "moderate('spam')", "Spam", show=False),
        Binding("d", "moderate('delete')", "Delete", show=False),
        Binding("b", "moderate('block')", "Block author", show=False),
        Binding("m", "moderate('mute')", "Mute author", show=False),
        Binding("X", "moderate('report')", "Report to the platform", show=False),
        Binding("L", "moderate('lock')", "Lock thread", show=False),
        Binding("ctrl+r", "sync", "Sync", show=False),
        Binding("escape", "back", "Back", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    #: The queue has the keys from the first frame, whatever mounts first (the search
    #: box is earlier in the focus chain, and under load could take the first key).
    AUTO_FOCUS = "#inbox"
    app: CmdeskApp
    inbox: InboxList
    status: StatusBar
    detail: DetailPane
    suggestions: SuggestionsPanel

    def __init__(self) -> None:
        super().__init__()
        self.view: View = OPEN
        self.previous_view: View = OPEN
        self.suggested: tuple[str, list[Suggestion]] = ("", [])
        #: When each fetched row's SLA clock last started (`Store.clock_starts`), read
        #: with its page; bounded like the list's own cache.
        self._clock_starts: OrderedDict[str, int] = OrderedDict()
        #: Per triage action of this session, newest last: the rows it took out of the
        #: list (empty if none), which `u` puts back before the store confirms.
        self.undo_stack: list[frozenset[int]] = []
        #: Items landed while a reload ran: it runs again when done (`items_landed`).
        self._landed_meanwhile = False

    def compose(self) -> ComposeResult:
        # Held, not queried: a worker that resumes while the app quits finds its widgets
        # (detached, harmless to update) where a query would raise and print a traceback.
        self.inbox = InboxList(self._load_rows, id="inbox", badge=self._badge())
        self.status = StatusBar(id="status")
        self.detail = DetailPane(id="detail")
        self.suggestions = SuggestionsPanel(id="suggestions")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(
                    placeholder="/ search every item (Enter runs, Esc goes back)", id="search"
                )
                yield self.inbox
            with Vertical(id="right"):
                yield self.detail
                yield self.suggestions
        yield self.status
        yield KeyBar()

    def on_mount(self) -> None:
        self.inbox.focus()
        self.reload()
        if self._has_sla():
            self.set_interval(30, self.inbox.refresh)  # the countdowns move on

    async def _load_rows(self, rowids: Any) -> dict[int, Item]:
        """A page of rows, with their SLA clock starts when a brand has an SLA (one read)."""
        reader = self.app.backend.reader
        if not self._has_sla():
            return await self.app.backend.read(reader.items_by_rowid, rowids)

        def page() -> tuple[dict[int, Item], dict[str, int]]:
            rows = reader.items_by_rowid(rowids)
            return rows, reader.clock_starts([item.id for item in rows.values()])

        rows, starts = await self.app.backend.read(page)
        self._clock_starts.update(starts)
        for item_id in starts:
            self._clock_starts.move_to_end(item_id)
        while len(self._clock_starts) > 2 * CACHE_SIZE:
            self._clock_starts.popitem(last=False)
        return rows

    def _has_sla(self) -> bool:
        return any(b.sla_minutes or b.sla for b in self.app.config.brands.values())

    def _badge(self) -> Callable[[Item], tuple[str, bool] | None] | None:
        """The rows' SLA badge (`sla_state`, the report's rule), when any brand has an SLA."""
        if not self._has_sla():
            return None
        config, clock, starts = self.app.config, self.app.clock, self._clock_starts

        def badge(item: Item) -> tuple[str, bool] | None:
            state = sla_state(item, clock(), config, since=starts.get(item.id))
            return None if state is None else (badge_text(state), state.breached)

        return badge

    def _breached(self, view: View) -> FirstTest | None:
        """Breached items go first in a queue of waiting items, when any brand has an SLA."""
        if view.search is not None or view.statuses != WAITING or not self._has_sla():
            return None
        return breach_test(self.app.config, self.app.clock())

    # -- loading ------------------------------------------------------------

    def items_landed(self) -> None:
        """A sync pass stored new items: show them. A reload in flight finishes first and
        then runs again: restarting it at each account that lands (the demo's five land
        together) kept the list empty until the last one did."""
        if any(w.node is self and w.group == "view" and w.is_running for w in self.workers):
            self._landed_meanwhile = True
        else:
            self.reload()

    @work(exclusive=True, group="view")
    async def reload(self, keep: int | None = None, view: View | None = None) -> None:
        """Rebuild the view's id array off the UI thread and swap it in whole.

        A new view (or the first) shows its first rows as soon as they are read (a few
        ms), then its whole order (a million ids take most of a second; none to read when
        the first rows were all of it); counts come last. Snoozes that ended are woken
        before the whole order is read, so it shows them.
        """
        view = view or self.view
        backend, first = self.app.backend, self._breached(view)
        self._landed_meanwhile = False
        whole: array | None = None
        landed: int | None = None
        try:
            if (view != self.view or not self.inbox.ids) and keep is None:
                head = await backend.read(
                    backend.reader.view_ids, view, limit=HEAD_ROWS, first=first
                )
                was = self.inbox.current_rowid
                self.view = view
                self.inbox.set_ids(head, keep=was)
                self._refresh_status()
                await self.inbox.fill()  # now, not when the next frame asks for them
                if len(head) < HEAD_ROWS:
                    whole = head
                else:
                    landed = self.inbox.current_rowid
                    keep = was if was is not None else landed
            if await self._wake_snoozed() or whole is None:
                whole = await backend.read_bulk(backend.bulk.view_ids, view, first=first)
                self.view = view
                if landed is not None and self.inbox.current_rowid != landed:
                    keep = self.inbox.current_rowid  # the CM moved meanwhile: stay there
                if keep is None and self.inbox.chosen:
                    keep = self.inbox.current_rowid
                self.inbox.set_ids(whole, keep=keep)
                self._refresh_status()
            self.status.counts = await backend.read_bulk(backend.bulk.status_counts)
        except StoreError as exc:
            self.app.report_error(str(exc))
            return
        self._refresh_status()
        if self._landed_meanwhile:
            self.call_later(self.reload)

    async def _wake_snoozed(self) -> bool:
        """Bring back the items whose snooze ended; whether any came back."""
        backend = self.app.backend
        try:
            return bool(await backend.write(backend.writer.wake_snoozed, now_ms()))
        except StoreError as exc:  # say so, but still show what the store holds
            self.app.report_error(str(exc))
            return False

    def _refresh_status(self) -> None:
        self.status.view_title = self.view.title
        self.status.view_size = len(self.inbox.ids)
        self.status.selected = len(self.inbox.selected)
        self.status.redraw()

    @on(InboxList.Highlighted)
    def _highlighted(self, event: InboxList.Highlighted) -> None:
        self.show_detail(event.item)

    def refresh_detail(self) -> None:
        self.show_detail(self.inbox.current_item)

    @work(exclusive=True, group="detail")
    async def show_detail(self, item: Item | None) -> None:
        pane = self.detail
        if item is None:
            return
        await asyncio.sleep(DETAIL_DELAY_S)  # a newer highlight cancels this one meanwhile
        backend = self.app.backend
        try:
            parents, replies, others = await backend.read(backend.reader.context, item)
        except StoreError as exc:
            self.app.report_error(str(exc))
            return
        ranked = await asyncio.to_thread(self._suggest, item)
        self.suggested = (item.id, ranked)
        await pane.show(render_detail(item, parents, replies, others))
        self.suggestions.show(ranked, item, self.app.agent)

    def refresh_counts(self) -> None:
        self._refresh_counts()

    @work(group="counts", exclusive=True)
    async def _refresh_counts(self) -> None:
        backend = self.app.backend
        try:
            self.status.counts = await backend.read_bulk(backend.bulk.status_counts)
        except StoreError as exc:
            self.app.report_error(str(exc))
            return
        self._refresh_status()

    # -- actions ------------------------------------------------------------

    def action_select(self) -> None:
        self.inbox.toggle_selected()
        self.inbox.action_cursor(1)
        self._refresh_status()

    @work(group="write")
    async def action_open(self) -> None:
        item = self.inbox.current_item
        if item is None:
            return
        self.inbox.chosen = True
        self.detail.focus()
        backend = self.app.backend
        try:
            await backend.write(backend.writer.mark_opened, item.id, self.app.agent, now_ms())
        except StoreError as exc:
            self.app.report_error(str(exc))
            return
        if item.status == Status.NEW and self.inbox.current_rowid is not None:
            self.inbox.forget({self.inbox.current_rowid})

    def action_back(self) -> None:
        if self.focused is not self.inbox:
            self.inbox.focus()
        elif self.inbox.selected:
            self.inbox.clear_selection()
            self._refresh_status()
        elif self.view.search is not None:
            self.query_one("#search", Input).value = ""
            self.reload(view=self.previous_view)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The priority keys type into the search box when it has the focus, and into
        the composer while it opens (an `r` in the words typed ahead is a letter)."""
        if action not in ("search", "reply"):
            return True
        return not (isinstance(self.focused, Input) or self.inbox.holding_keys)

    def action_search(self) -> None:
        """Focus the search bar; it is always laid out, so keys typed next land in it."""
        self.set_focus(self.query_one("#search", Input))

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        self.inbox.focus()
        if not query:
            return
        if self.view.search is None:
            self.previous_view = self.view
        self.reload(view=View(f"Search “{query}”", statuses=None, search=query))

    @work(group="views")
    async def action_views(self) -> None:
        backend = self.app.backend
        views = await backend.read(backend.reader.views)
        chosen = await self.app.push_screen_wait(ViewsScreen(views, self.view))
        if chosen is not None:
            self.inbox.clear_selection()
            self.reload(view=chosen)

    def action_report(self) -> None:
        """The report screen, on a store connection of its own; a drill-down's Enter
        comes back here with the item to show."""
        from cmdesk.tui.screens.report import ReportScreen  # loaded on first use: startup

        report = ReportScreen(self.app.backend.reader.path, self.app.config, clock=self.app.clock)
        self.app.push_screen(report, self._from_report)

    def _from_report(self, item_id: str | None) -> None:
        if item_id is not None:
            self.show_item(item_id)

    @work(group="jump")
    async def show_item(self, item_id: str) -> None:
        """Put the cursor on `item_id`: in this view if it is there, else in All."""
        backend = self.app.backend
        try:
            rowid = await backend.read(backend.reader.rowid_of, item_id)
        except StoreError as exc:
            self.app.report_error(str(exc))
            return
        if rowid is None:
            self.notify(f"{item_id} is no longer in the store.", severity="warning")
            return
        self.inbox.focus()
        try:
            index = self.inbox.ids.index(rowid)
        except ValueError:
            self.inbox.clear_selection()
            self.reload(keep=rowid, view=ALL)
            self.notify(f"Not in {self.view.title}: shown in {ALL.title}.", timeout=3)
            return
        self.inbox.move_to(index)

    def action_help(self) -> None:
        rows = binding_rows(
            [("Inbox", self.BINDINGS), ("List", InboxList.BINDINGS), ("App", self.app.BINDINGS)]
        )
        self.app.push_screen(HelpScreen(rows))

    def action_sync(self) -> None:
        self.app.sync_now()

    async def action_quit(self) -> None:
        await self.app.action_quit()
