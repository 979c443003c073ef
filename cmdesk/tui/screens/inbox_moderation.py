"""The inbox's platform actions: moderation (hide, spam, delete, block, mute, report,
lock) and undo, which cancels what is still queued and restores on the platform what
it can. They decide per item's network what the account may do; the queue's own
triage (done, snooze, label) stays in `inbox.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from cmdesk.connectors.base import Capability
from cmdesk.connectors.registry import connector_class
from cmdesk.model import Item, Kind, Status, now_ms
from cmdesk.store import StoreError
from cmdesk.store.triage import MODERATION, UNDO_ON_PLATFORM
from cmdesk.tui.screens.confirm import ConfirmScreen
from cmdesk.tui.screens.inbox_triage import items_noun

if TYPE_CHECKING:
    from cmdesk.tui.screens.inbox import InboxScreen


class ModerationActions:
    """Mixed into `InboxScreen`, whose list, status bar and `_apply` they use."""

    @work(group="confirm")
    async def action_moderate(self: InboxScreen, action: str) -> None:
        """Hide, spam, delete, block, mute, report or lock: here at once, then on the
        platform via the outbox.

        Items whose account cannot do it are left alone and named; a confirmation is
        asked only when the platform offers no way back.
        """
        wanted = Capability(action)
        targets: list[tuple[int, Item]] = []
        unable: set[str] = set()
        for rowid, item in self._targets():
            if wanted not in connector_class(item.network).capabilities:
                unable.add(item.network)
            elif wanted is Capability.LOCK and item.kind == Kind.DM:
                unable.add("direct messages")  # no thread to lock
            else:
                targets.append((rowid, item))
        if unable:
            where = ", ".join(sorted(unable))
            self.notify(f"{action.capitalize()} is not available on {where}.", severity="warning")
        if not targets:
            return
        way_back = Capability(UNDO_ON_PLATFORM.get(action, Capability.RESTORE))
        irreversible = any(
            way_back not in connector_class(item.network).capabilities
            or action in ("delete", "block")
            for _, item in targets
        )
        if irreversible and action != "mute":
            noun = "this item" if len(targets) == 1 else f"these {len(targets)} items"
            question = f"{action.capitalize()} {noun}? The platform cannot undo it."
            if not await self.app.push_screen_wait(ConfirmScreen(question)):
                return
        store, actor = self.app.backend.writer, self.app.agent
        pairs = [(item.id, item.account) for _, item in targets]
        _kind, status = MODERATION[action]
        self.inbox.selected = {rowid: None for rowid, _ in targets}

        def write(_ids: list[str]) -> int:
            return store.moderate(pairs, action, actor, now_ms())

        self._apply(action.capitalize(), Status(status) if status else None, write)
        self.app.drain_outbox()

    @work(group="write")
    async def action_undo(self: InboxScreen) -> None:
        """Undo the latest batch. When it is this session's latest action and its rows
        left the list, they come back at once, before the store confirms (a write's
        round trip is most of a frame); the store's answer is checked, and a different
        one reloads the view."""
        backend = self.app.backend
        expected = self.undo_stack.pop() if self.undo_stack else frozenset()
        shown = bool(expected) and self.inbox.restore(expected)
        if shown:
            self.status.say(f"Undone: {items_noun(len(expected))}")
        try:
            undone = await backend.write(backend.writer.undo_last, self.app.agent, now_ms())
            restored = undone.item_ids
            networks = {account.name: account.network for account in self.app.config.accounts}
            restorable = [
                entry
                for entry in undone.sent
                if entry.account in networks
                and entry.action in UNDO_ON_PLATFORM
                and Capability(UNDO_ON_PLATFORM[entry.action])
                in connector_class(networks[entry.account]).capabilities
            ]
        except StoreError as exc:
            self.app.report_error(f"Undo failed: {exc}")
            if shown:
                self.reload()
            return
        placed = (
            set(undone.rowids) == expected
            if shown
            else 0 < len(restored) <= 256 and self.inbox.restore(undone.rowids)
        )
        if placed:
            self.refresh_counts()
        elif shown or restored:  # only a reload of the view shows what the store did
            self.inbox.forget_all()
            self.reload(keep=undone.rowids[0] if undone.rowids else None)
        if not restored:
            self.notify("Nothing to undo.", severity="warning")
            return
        if restorable:
            await backend.write(backend.writer.queue_restore, restorable, now_ms())
            self.app.drain_outbox()
        elif undone.sent:
            self.notify("Undone here only: the platform cannot undo it.", severity="warning")
        if not shown:
            self.status.say(f"Undone: {items_noun(len(restored))}")
