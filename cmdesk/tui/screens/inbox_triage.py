"""The queue's own triage: done, reopen, snooze, label. Each changes the list at once
(the item leaves the view, the cursor moves on), notes what `u` can put back, and
writes to the store in the write worker; a failed write is reported and the view
reloaded from the store, so what is shown is what is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from cmdesk.model import Item, Status, now_ms
from cmdesk.store import StoreError
from cmdesk.tui.screens.label import LabelScreen
from cmdesk.tui.screens.snooze import SnoozeScreen
from cmdesk.tui.widgets.inbox_list import UNDO_DEPTH

if TYPE_CHECKING:
    from cmdesk.tui.screens.inbox import InboxScreen


def items_noun(count: int) -> str:
    """How the status bar counts what an action touched: "item", "3 items"."""
    return "item" if count == 1 else f"{count} items"


class TriageActions:
    """Mixed into `InboxScreen`, whose list, status bar, view and reload they use."""

    def _targets(self: InboxScreen) -> list[tuple[int, Item]]:
        found = []
        for rowid in self.inbox.targets():
            item = self.inbox.cached(rowid)
            if item is not None:
                found.append((rowid, item))
        return found

    def _apply(
        self: InboxScreen,
        verb: str,
        status: Status | None,
        write: Callable[[list[str]], Any],
        *,
        read: bool = False,
    ) -> None:
        targets = self._targets()
        if len(targets) < len(self.inbox.targets()) and not read:
            self._apply_once_read(verb, status, write)
            return
        if not targets:
            self.notify("Nothing to act on here.", severity="warning")
            return
        rowids = {rowid for rowid, _ in targets}
        leaving: set[int] = set()
        if status is not None:
            leaving = {
                rowid
                for rowid, item in targets
                if not self.view.matches(status, item.network, item.brand)
            }
            self.inbox.remove(leaving)
            self.inbox.forget(rowids - leaving)
            if not leaving and len(targets) == 1:
                self.inbox.action_cursor(1)  # it stays in this view: still move on
        self.undo_stack.append(frozenset(leaving))
        del self.undo_stack[:-UNDO_DEPTH]
        self.inbox.clear_selection()
        self._refresh_status()
        self._write(verb, [item.id for _, item in targets], rowids, write)

    @work(group="write")
    async def _apply_once_read(
        self: InboxScreen, verb: str, status: Status | None, write: Callable[[list[str]], Any]
    ) -> None:
        """The key came before its rows were read (just after a reload): read, then act."""
        try:
            await self.inbox.load(self.inbox.targets())
        except StoreError as exc:
            self.app.report_error(f"{verb} failed: {exc}")
            return
        self._apply(verb, status, write, read=True)

    @work(group="write")
    async def _write(
        self: InboxScreen,
        verb: str,
        item_ids: list[str],
        rowids: set[int],
        write: Callable[[list[str]], Any],
    ) -> None:
        backend = self.app.backend
        try:
            await backend.write(write, item_ids)
            counts = await backend.read_bulk(backend.bulk.status_counts)
        except StoreError as exc:
            self.app.report_error(f"{verb} failed: {exc}")
            self.undo_stack.clear()  # no longer this session's batches, one for one
            self.reload()
            return
        self.inbox.forget(rowids)
        self.status.counts = counts
        self._refresh_status()
        self.status.say(f"{verb}: {items_noun(len(item_ids))} (u undoes)")

    def action_done(self: InboxScreen) -> None:
        store, actor = self.app.backend.writer, self.app.agent
        self._apply("Done", Status.DONE, lambda ids: store.mark_done(ids, actor, now_ms()))

    def action_reopen(self: InboxScreen) -> None:
        store, actor = self.app.backend.writer, self.app.agent
        self._apply("Reopened", Status.OPEN, lambda ids: store.reopen(ids, actor, now_ms()))

    def action_snooze(self: InboxScreen) -> None:
        count = len(self.inbox.targets())
        if not count:
            return

        def chosen(until: int | None) -> None:
            if until is not None:
                store, actor = self.app.backend.writer, self.app.agent
                self._apply(
                    "Snoozed", Status.SNOOZED, lambda ids: store.snooze(ids, until, actor, now_ms())
                )

        self.app.push_screen(SnoozeScreen(count), chosen)

    def action_label(self: InboxScreen) -> None:
        if not self.inbox.targets():
            return
        self._ask_label()

    @work(group="label")
    async def _ask_label(self: InboxScreen) -> None:
        backend = self.app.backend
        known = await backend.read(backend.reader.labels)
        targets = self._targets()
        current = targets[0][1].labels if len(targets) == 1 else ()
        label = await self.app.push_screen_wait(LabelScreen(known, current))
        if not label:
            return
        remove = bool(targets) and all(label in item.labels for _, item in targets)
        store, actor = backend.writer, self.app.agent

        def write(ids: list[str]) -> int:
            return store.set_label(ids, label, actor, now_ms(), remove=remove)

        self._apply("Unlabelled" if remove else f"Labelled #{label}", None, write)
