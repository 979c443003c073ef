"""The store as the rest of cmdesk uses it: ingest, views, search, triage, undo, errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cmdesk.model import EventKind, Status
from cmdesk.store import Store, StoreError, View
from cmdesk.store.db import MIGRATIONS
from cmdesk.store.views import ALL, DONE, OPEN, SNOOZED

from .conftest import make_item


def ids_of(store: Store, view: View) -> list[str]:
    rows = store.items_by_rowid(list(store.view_ids(view)))
    return [rows[rowid].id for rowid in store.view_ids(view)]


def test_ingest_is_idempotent_and_saves_cursors_with_items(store: Store) -> None:
    items = [make_item(n) for n in range(5)]
    assert store.ingest("acct", items, {"notifications": "5"}, 1000) == [i.id for i in items]
    assert store.ingest("acct", items, {"notifications": "5"}, 2000) == []
    assert store.cursors("acct") == {"notifications": "5"}
    assert store.status_counts() == {Status.NEW: 5}
    received = [e for e in store.events("acct/0") if e.kind == EventKind.RECEIVED]
    assert len(received) == 1 and received[0].at == 1000


def test_sync_refreshes_content_but_never_triage_state(store: Store) -> None:
    store.ingest("acct", [make_item(1)], {}, 1000)
    store.mark_done(["acct/1"], "cm", 1500)
    store.ingest("acct", [make_item(1, text="edited text")], {}, 2000)
    item = store.item("acct/1")
    assert item is not None and item.text == "edited text" and item.status == Status.DONE


def test_context_item_becomes_actionable_but_never_back(store: Store) -> None:
    store.ingest("acct", [make_item(1, context_only=True)], {}, 1000)
    assert ids_of(store, OPEN) == []
    assert store.ingest("acct", [make_item(1)], {}, 2000) == ["acct/1"]
    store.ingest("acct", [make_item(1, context_only=True)], {}, 3000)
    assert ids_of(store, OPEN) == ["acct/1"]


def test_open_view_is_longest_waiting_first(store: Store) -> None:
    store.ingest("acct", [make_item(3), make_item(1), make_item(2)], {}, 1000)
    assert ids_of(store, OPEN) == ["acct/1", "acct/2", "acct/3"]


def test_network_and_brand_views(store: Store) -> None:
    store.ingest(
        "acct",
        [make_item(1, network="bluesky"), make_item(2, brand="Nordlys"), make_item(3)],
        {},
        1000,
    )
    views = {view.title: view for view in store.views()}
    assert ids_of(store, views["Open · bluesky"]) == ["acct/1"]
    assert ids_of(store, views["Open · Nordlys"]) == ["acct/2"]


def test_full_text_search_follows_updates(store: Store) -> None:
    store.ingest("acct", [make_item(1, text="Où est ma commande ?"), make_item(2)], {}, 1000)
    assert ids_of(store, View("s", None, search="commande")) == ["acct/1"]
    assert ids_of(store, View("s", None, search="comm")) == ["acct/1"]
    store.ingest("acct", [make_item(1, text="refund please")], {}, 2000)
    assert ids_of(store, View("s", None, search="commande")) == []
    assert ids_of(store, View("s", None, search="refund")) == ["acct/1"]
    assert ids_of(store, View("s", None, search='" OR * ( [bold]')) == []


def test_every_triage_action_logs_an_event_and_undo_restores(store: Store) -> None:
    store.ingest("acct", [make_item(n) for n in range(3)], {}, 1000)
    store.mark_done(["acct/0", "acct/1"], "cm", 2000)
    store.snooze(["acct/2"], 10_000, "cm", 2100)
    store.set_label(["acct/2"], "vip", "cm", 2200)
    assert ids_of(store, DONE) == ["acct/0", "acct/1"]
    assert ids_of(store, SNOOZED) == ["acct/2"]

    assert store.undo_last("cm", 3000).item_ids == ["acct/2"]  # the label
    assert store.item("acct/2").labels == ()  # type: ignore[union-attr]
    assert store.undo_last("cm", 3100).item_ids == ["acct/2"]  # the snooze
    assert sorted(store.undo_last("cm", 3200).item_ids) == ["acct/0", "acct/1"]  # the bulk done
    assert store.undo_last("cm", 3300).item_ids == []
    assert ids_of(store, OPEN) == ["acct/0", "acct/1", "acct/2"]
    kinds = [e.kind for e in store.events("acct/2")]
    assert kinds == [
        EventKind.RECEIVED,
        EventKind.SNOOZED,
        EventKind.LABELLED,
        EventKind.UNDONE,
        EventKind.UNDONE,
    ]


def test_snoozed_items_wake_up(store: Store) -> None:
    store.ingest("acct", [make_item(1)], {}, 1000)
    store.snooze(["acct/1"], 5000, "cm", 2000)
    assert store.wake_snoozed(4999) == []
    assert store.wake_snoozed(5000) == ["acct/1"]
    assert ids_of(store, OPEN) == ["acct/1"]
    assert store.events("acct/1")[-1].kind == EventKind.WOKEN


def test_opening_logs_and_turns_new_into_open(store: Store) -> None:
    store.ingest("acct", [make_item(1)], {}, 1000)
    store.mark_opened("acct/1", "cm", 2000)
    assert store.item("acct/1").status == Status.OPEN  # type: ignore[union-attr]
    assert store.events("acct/1")[-1].kind == EventKind.OPENED
    assert ids_of(store, ALL) == ["acct/1"]


def test_schema_version_is_recorded(store: Store) -> None:
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_corrupt_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="corrupt or not a cmdesk database"):
        Store(path)


def test_missing_file_when_it_must_exist(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no cmdesk database"):
        Store(tmp_path / "nope.db", create=False)


def test_locked_database_is_one_clear_error(store: Store) -> None:
    store.ingest("acct", [make_item(1)], {}, 1000)
    blocker = sqlite3.connect(store.path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        store.db.execute("PRAGMA busy_timeout = 50")
        with pytest.raises(StoreError, match="locked by another program"):
            store.mark_done(["acct/1"], "cm", 1)
    finally:
        blocker.rollback()
        blocker.close()


def test_moderation_is_local_at_once_queued_for_the_platform_and_undoable(store: Store) -> None:
    store.ingest("acct", [make_item(n) for n in range(3)], {}, 1000)
    store.moderate([("acct/0", "acct"), ("acct/1", "acct")], "hide", "cm", 2000)
    assert ids_of(store, OPEN) == ["acct/2"]
    assert [e.action for e in store.outbox_due(2000)] == ["hide", "hide"]
    assert store.events("acct/0")[-1].kind == EventKind.HIDDEN
    undone = store.undo_last("cm", 3000)
    assert sorted(undone.item_ids) == ["acct/0", "acct/1"] and undone.sent == []
    assert store.outbox_due(4000) == []  # the queued hides were cancelled
    assert ids_of(store, OPEN) == ["acct/0", "acct/1", "acct/2"]


def test_undoing_a_sent_moderation_returns_it_for_restoring(store: Store) -> None:
    store.ingest("acct", [make_item(1)], {}, 1000)
    store.moderate([("acct/1", "acct")], "spam", "cm", 2000)
    (entry,) = store.outbox_due(2000)
    store.outbox_sending(entry.id, 2100)
    store.outbox_sent(entry, "", 2200)
    assert store.events("acct/1")[-1].kind == EventKind.MODERATED
    undone = store.undo_last("cm", 3000)
    assert [e.key for e in undone.sent] == [entry.key]
    store.queue_restore(undone.sent, 3100)
    assert [e.action for e in store.outbox_due(3100)] == ["restore"]


def test_lock_keeps_the_item_in_the_queue_is_queued_and_undone_by_an_unlock(
    store: Store,
) -> None:
    store.ingest("acct", [make_item(n) for n in range(2)], {}, 1000)
    store.moderate([("acct/0", "acct")], "lock", "cm", 2000)
    assert ids_of(store, OPEN) == ["acct/0", "acct/1"]  # a lock closes the thread, not the item
    assert store.events("acct/0")[-1].kind == EventKind.LOCKED
    (entry,) = store.outbox_due(2000)
    assert (entry.item_id, entry.account, entry.action) == ("acct/0", "acct", "lock")
    store.outbox_sending(entry.id, 2100)
    store.outbox_sent(entry, "", 2200)
    assert store.events("acct/0")[-1].kind == EventKind.MODERATED
    undone = store.undo_last("cm", 3000)
    assert undone.item_ids == ["acct/0"] and [e.key for e in undone.sent] == [entry.key]
    assert store.events("acct/0")[-1].kind == EventKind.UNDONE
    store.queue_restore(undone.sent, 3100)
    assert [(e.item_id, e.action) for e in store.outbox_due(3100)] == [("acct/0", "unlock")]


def test_undoing_a_sent_block_queues_nothing_for_the_platform(store: Store) -> None:
    store.ingest("acct", [make_item(1)], {}, 1000)
    store.moderate([("acct/1", "acct")], "block", "cm", 2000)
    (entry,) = store.outbox_due(2000)
    store.outbox_sending(entry.id, 2100)
    store.outbox_sent(entry, "", 2200)
    undone = store.undo_last("cm", 3000)
    store.queue_restore(undone.sent, 3100)
    assert store.outbox_due(3100) == []  # approving the comment would not unblock anyone
