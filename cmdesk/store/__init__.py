"""The store: the only code that speaks SQL. Everything it returns is a `cmdesk.model` dataclass.

`Store` wraps one connection behind a lock, so a worker thread at a time uses it,
and turns every SQLite failure into a one-line `StoreError`.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from cmdesk.model import Event, Item, Status
from cmdesk.store import drafts, events, items, outbox, reporting, triage, views
from cmdesk.store.db import StoreError, connect, describe
from cmdesk.store.drafts import Draft
from cmdesk.store.outbox import OutboxEntry
from cmdesk.store.views import View

__all__ = ["Draft", "OutboxEntry", "Store", "StoreError", "View"]

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        store: Store = args[0]  # type: ignore[assignment]
        with store._lock:
            try:
                return method(*args, **kwargs)
            except sqlite3.Error as exc:
                raise StoreError(describe(exc, store.path)) from exc

    return wrapper


class Store:
    """One connection to the cmdesk database, safe to share between worker threads."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self._lock = threading.RLock()
        self.db = connect(path, create=create)

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    def interrupt(self) -> None:
        """Stop what another thread is reading on this connection now (it gets a
        `StoreError`): a report fold the CM no longer waits for. Safe from any thread,
        so it does not take the lock that reader holds."""
        self.db.conn.interrupt()

    @_guarded
    def ingest(
        self, account: str, new: Sequence[Item], cursors: dict[str, str], now: int
    ) -> list[str]:
        return items.ingest(self.db, account, new, cursors, now)

    @_guarded
    def cursors(self, account: str) -> dict[str, str]:
        return items.cursors_for(self.db, account)

    @_guarded
    def view_ids(
        self, view: View, *, limit: int | None = None, first: views.FirstTest | None = None
    ) -> array:
        return views.view_ids(self.db, view, limit=limit, first=first)

    @_guarded
    def views(self) -> list[View]:
        return views.available_views(self.db)

    @_guarded
    def status_counts(self) -> dict[Status, int]:
        return views.status_counts(self.db)

    @_guarded
    def items_by_rowid(self, rowids: Sequence[int]) -> dict[int, Item]:
        return items.items_by_rowid(self.db, rowids)

    @_guarded
    def item(self, item_id: str) -> Item | None:
        return items.get_item(self.db, item_id)

    @_guarded
    def rowid_of(self, item_id: str) -> int | None:
        return items.rowid_of(self.db, item_id)

    @_guarded
    def context(self, item: Item) -> tuple[list[Item], list[Item], list[Item]]:
        """Parent chain (root first), direct replies, and the author's other items."""
        return (
            items.parent_chain(self.db, item),
            items.thread_replies(self.db, item),
            items.author_items(self.db, item),
        )

    @_guarded
    def events(self, item_id: str) -> list[Event]:
        return events.item_events(self.db, item_id)

    @_guarded
    def mark_opened(self, item_id: str, actor: str, now: int) -> None:
        triage.mark_opened(self.db, item_id, actor, now)

    @_guarded
    def mark_done(self, item_ids: Sequence[str], actor: str, now: int) -> int:
        return triage.mark_done(self.db, item_ids, actor, now)

    @_guarded
    def snooze(self, item_ids: Sequence[str], until: int, actor: str, now: int) -> int:
        return triage.snooze(self.db, item_ids, until, actor, now)

    @_guarded
    def reopen(self, item_ids: Sequence[str], actor: str, now: int) -> int:
        return triage.reopen(self.db, item_ids, actor, now)

    @_guarded
    def set_label(
        self, item_ids: Sequence[str], label: str, actor: str, now: int, *, remove: bool = False
    ) -> int:
        return triage.set_label(self.db, item_ids, label, actor, now, remove=remove)

    @_guarded
    def undo_last(self, actor: str, now: int) -> triage.Undone:
        return triage.undo_last(self.db, actor, now)

    @_guarded
    def moderate(
        self, targets: Sequence[tuple[str, str]], action: str, actor: str, now: int
    ) -> int:
        """Hide, spam, delete, block, mute, report, lock: here at once, on the platform via
        the outbox."""
        return triage.moderate(self.db, targets, action, actor, now)

    @_guarded
    def queue_restore(self, entries: Sequence[OutboxEntry], now: int) -> None:
        """After an undo, ask the platform to undo what a sent moderation did: restore what
        it removed, unlock what it locked (`triage.UNDO_ON_PLATFORM`; others are skipped)."""
        with self.db.conn:
            for entry in entries:
                undo = triage.UNDO_ON_PLATFORM.get(entry.action)
                if undo is not None:
                    outbox.queue_action(self.db, [(entry.item_id, entry.account)], undo, 0, now)

    @_guarded
    def wake_snoozed(self, now: int) -> list[str]:
        return triage.wake_snoozed(self.db, now)

    @_guarded
    def labels(self) -> list[str]:
        return triage.all_labels(self.db)

    @_guarded
    def queue_reply(
        self, item_id: str, account: str, payload: dict[str, Any], actor: str, now: int
    ) -> str:
        return outbox.queue_reply(self.db, item_id, account, payload, actor, now)

    @_guarded
    def outbox_due(self, now: int) -> list[OutboxEntry]:
        return outbox.due(self.db, now)

    @_guarded
    def outbox_sending(self, entry_id: int, now: int) -> None:
        outbox.mark_sending(self.db, entry_id, now)

    @_guarded
    def outbox_sent(self, entry: OutboxEntry, remote_id: str, now: int) -> None:
        outbox.mark_sent(self.db, entry, remote_id, now)

    @_guarded
    def outbox_failed(self, entry: OutboxEntry, error: str, now: int, *, retry: bool) -> None:
        outbox.mark_failed(self.db, entry, error, now, retry=retry)

    @_guarded
    def outbox_summary(self) -> dict[str, int]:
        return outbox.pending_summary(self.db)

    @_guarded
    def outbox_for(self, item_id: str) -> list[OutboxEntry]:
        return outbox.entries_for(self.db, item_id)

    @_guarded
    def draft(self, item_id: str) -> Draft | None:
        return drafts.get_draft(self.db, item_id)

    @_guarded
    def save_draft(self, draft: Draft) -> None:
        drafts.save_draft(self.db, draft)

    @_guarded
    def delete_draft(self, item_id: str) -> None:
        drafts.delete_draft(self.db, item_id)

    @_guarded
    def reply_usage(self) -> dict[str, int]:
        """Replies sent per library reply id, since `cmdesk replies forget-usage`."""
        since = self.db.execute("SELECT value FROM meta WHERE key = 'usage_since'").fetchone()
        return events.reply_usage(self.db, int(since[0]) if since else 0)

    @_guarded
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    @_guarded
    def set_meta(self, key: str, value: str) -> None:
        with self.db.conn:
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    @_guarded
    def export_rows(self) -> list[dict[str, Any]]:
        cursor = self.db.execute("SELECT * FROM items ORDER BY created_at, id")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # Reporting and the event archive (cmdesk/store/reporting.py).

    @_guarded
    def fold_report(self, fold: Callable[[reporting.ReportReader], R]) -> R:
        """Run `fold` (the metrics) over the store's rows, holding the connection meanwhile."""
        return fold(reporting.ReportReader(self.db))

    @_guarded
    def clock_starts(self, item_ids: Sequence[str]) -> dict[str, int]:
        """When each item's SLA clock last (re)started: received, or reopened once closed."""
        return reporting.clock_starts(self.db, item_ids)

    @_guarded
    def baseline_first_response_median(self) -> dict[str, int]:
        return reporting.baseline_first_response_median(self.db)

    @_guarded
    def export_events(self, write: Callable[[dict[str, Any]], object]) -> int:
        """Pass every event, oldest first, to `write`; return how many."""
        count = 0
        for entry in reporting.export_events(self.db):
            write(entry)
            count += 1
        return count

    @_guarded
    def import_events(self, entries: Iterable[dict[str, Any]]) -> tuple[int, int]:
        return reporting.import_events(self.db, entries)

    @_guarded
    def import_items(self, rows: Iterable[dict[str, Any]]) -> tuple[int, int]:
        return reporting.import_items(self.db, rows)
