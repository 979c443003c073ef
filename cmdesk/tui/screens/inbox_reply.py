"""The inbox's replies: the suggestions ranked for an item, and `r` / `1`-`5`, which
open the composer on the item's draft or a suggestion and take the row out of the
queue once the reply is queued.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work

from cmdesk.model import Item, Status
from cmdesk.store import StoreError

if TYPE_CHECKING:
    from cmdesk.replies.suggest import Suggestion
    from cmdesk.tui.screens.composer import Queued
    from cmdesk.tui.screens.inbox import InboxScreen

#: Suggestions shown beside an item (and reachable with 1-5).
SUGGESTIONS = 5


class ReplyActions:
    """Mixed into `InboxScreen`, whose list, status bar and app they use."""

    def action_reply(self: InboxScreen, choice: int) -> None:
        """Open the composer on the item under the cursor as the key is read: the keys
        typed before the composer is up are held for it (`InboxList.hold_keys`)."""
        item, rowid = self.inbox.current_item, self.inbox.current_rowid
        if item is None or rowid is None:
            return
        self.inbox.hold_keys()
        self._open_composer(item, rowid, choice)

    @work(group="composer")
    async def _open_composer(self: InboxScreen, item: Item, rowid: int, choice: int) -> None:
        """The composer on `item`: its draft if any, else suggestion `choice` (0 = the best)."""
        try:
            queued = await self._show_composer(item, choice)
        finally:
            self.inbox.release_keys()  # the composer took them, or it never opened
        if queued is None:
            return
        if self.view.matches(Status.REPLIED, item.network, item.brand):
            self.inbox.forget({rowid})
            if self.inbox.current_rowid == rowid:
                self.inbox.action_cursor(1)
        else:
            self.inbox.remove({rowid})
        self.refresh_counts()
        self.status.say("Reply queued.")
        self.app.drain_outbox()

    async def _show_composer(self: InboxScreen, item: Item, choice: int) -> Queued | None:
        """Show the composer and wait for it: what it queued, or None."""
        backend = self.app.backend
        try:
            draft = await backend.read(backend.reader.draft, item.id)
        except StoreError as exc:
            self.app.report_error(str(exc))
            return None
        item_id, ranked = self.suggested
        if item_id != item.id:
            ranked = await asyncio.to_thread(self._suggest, item)
        if choice > len(ranked):
            self.notify(f"No suggestion {choice} for this item.", severity="warning")
            return None
        start = ranked[max(choice, 1) - 1].reply if ranked else None
        if choice and draft is not None:
            draft = None  # an explicit pick wins; the old draft stays in the editor's undo
        from cmdesk.tui.screens.composer import ComposerScreen  # loaded on first use: startup

        composer = ComposerScreen(
            item,
            agent=self.app.agent,
            index=self.app.replies_index,
            suggestions=ranked,
            start=start,
            draft=draft,
            banned=self.app.banned_words(item.brand),
            typed=self.inbox.release_keys,
        )
        return await self.app.push_screen_wait(composer)

    def _suggest(self: InboxScreen, item: Item) -> list[Suggestion]:
        """Runs in a thread: the index is immutable, the usage dict only ever swapped."""
        index = self.app.replies_index
        if index is None:
            return []
        from cmdesk.replies.learning import rerank  # rapidfuzz: loaded with the index

        ranked = index.suggest(
            item.text, lang=item.lang, network=item.network, brand=item.brand, limit=15
        )
        return rerank(ranked, self.app.reply_usage, SUGGESTIONS)
