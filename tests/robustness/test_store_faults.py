"""The store under faults: a full disk mid-write, a migration cut short, two writers at once.

Each write the store documents as "one transaction" is all or nothing: a failure at
any statement leaves the store as it was, and says why in one line.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from cmdesk.model import EventKind
from cmdesk.store import Store, StoreError
from cmdesk.store import db as store_db
from cmdesk.store import items as store_items

from ..conftest import make_item

FULL = "database or disk is full"


def snapshot(store: Store) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Everything a sync writes: items, events, cursors."""
    return (
        store.db.execute("SELECT id, text, context_only FROM items ORDER BY id").fetchall(),
        store.db.execute("SELECT item_id, kind FROM events ORDER BY id").fetchall(),
        store.db.execute("SELECT * FROM cursors ORDER BY account, stream").fetchall(),
    )


def received(store: Store, item_id: str) -> int:
    return sum(e.kind == EventKind.RECEIVED for e in store.events(item_id))


def test_a_full_disk_at_the_events_write_stores_none_of_the_page(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ingest("acct", [make_item(1)], {"s": "1"}, 1000)
    before = snapshot(store)

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError(FULL)

    monkeypatch.setattr(store_items, "append_events", full)
    with pytest.raises(StoreError, match=f"cannot write the database .*{FULL}"):
        store.ingest("acct", [make_item(n) for n in range(1, 6)], {"s": "5"}, 2000)
    assert snapshot(store) == before  # not the items without their events or cursor
    monkeypatch.undo()
    assert store.ingest("acct", [make_item(n) for n in range(1, 6)], {"s": "5"}, 3000) == [
        f"acct/{n}" for n in range(2, 6)
    ]
    assert all(received(store, f"acct/{n}") == 1 for n in range(1, 6))
    assert store.cursors("acct") == {"s": "5"}


def test_a_really_full_disk_is_all_or_nothing_and_one_line(store: Store) -> None:
    """SQLite's own SQLITE_FULL (the file may not grow), wherever in the ingest it strikes."""
    store.ingest("acct", [make_item(0)], {"s": "0"}, 1000)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    big = [make_item(n, text=f"message {n} " + "lorem ipsum " * 400) for n in range(1, 40)]
    before = snapshot(store)
    with pytest.raises(StoreError) as caught:
        store.ingest("acct", big, {"s": "39"}, 2000)
    assert FULL in str(caught.value) and "\n" not in str(caught.value)
    assert snapshot(store) == before
    store.db.execute("PRAGMA max_page_count = 1073741823")
    assert len(store.ingest("acct", big, {"s": "39"}, 3000)) == 39
    assert all(received(store, item.id) == 1 for item in big)


def test_a_migration_cut_short_is_redone_whole_on_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = list(store_db.MIGRATIONS)

    def half_then_full(db: object) -> None:
        real[-1](db)  # type: ignore[arg-type]
        raise sqlite3.OperationalError(FULL)

    monkeypatch.setattr(store_db, "MIGRATIONS", [*real[:-1], half_then_full])
    with pytest.raises(StoreError, match=FULL):
        Store(tmp_path / "m.db")
    monkeypatch.undo()
    store = Store(tmp_path / "m.db")  # no "index already exists": the last step left nothing
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(real)
    store.ingest("acct", [make_item(1)], {}, 1)
    store.close()


def test_two_stores_ingesting_the_same_page_at_once_both_succeed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cmdesk processes (the app and a cron `sync --once`) syncing the same account.

    The second one's write starts while the first is between its read of what is
    known and its insert: it must wait its turn, not fail on a duplicate id.
    """
    path = tmp_path / "two.db"
    first, second = Store(path), Store(path)
    page = [make_item(n) for n in range(1, 6)]
    outcome: dict[str, object] = {}
    real_known = store_items._known

    def other_writer_meanwhile(db: object, ids: list[str]) -> dict[str, int]:
        found = real_known(db, ids)  # type: ignore[arg-type]
        if "second" not in outcome:
            outcome["second"] = None

            def run() -> None:
                try:
                    outcome["second"] = second.ingest("acct", page, {"s": "5"}, 2000)
                except StoreError as exc:
                    outcome["second"] = exc

            thread = threading.Thread(target=run)
            thread.start()
            thread.join(0.5)  # it finishes now unless our write holds the lock
            outcome["thread"] = thread
        return found

    monkeypatch.setattr(store_items, "_known", other_writer_meanwhile)
    new_first = first.ingest("acct", page, {"s": "5"}, 1000)
    outcome["thread"].join(10)  # type: ignore[attr-defined]
    monkeypatch.undo()
    new_second = outcome["second"]
    assert not isinstance(new_second, StoreError), new_second
    assert sorted([*new_first, *new_second]) == [item.id for item in page]  # type: ignore[misc]
    assert all(received(first, item.id) == 1 for item in page)
    first.close()
    second.close()
