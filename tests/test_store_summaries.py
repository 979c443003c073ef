"""`item_metrics`, the report's per-item summaries kept on write (`cmdesk.store.summaries`).

The oracle: after any writer (sync, triage, replies, undo, import, bulk load, the
migration), the table equals what one GROUP BY over the whole log gives again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cmdesk.cli import main
from cmdesk.model import Author
from cmdesk.store import Store, summaries
from cmdesk.store import db as store_db

from .conftest import make_item


def table(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every row by item id; each opportunity's replies as a multiset of (replier, value):
    the order they were written in is not part of what a row says."""
    cursor = conn.execute("SELECT * FROM item_metrics")
    names = [column[0] for column in cursor.description]
    rows = {}
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        replies, repliers = row.pop("replies"), row.pop("repliers")
        if replies is not None:
            pairs = zip(repliers.split("\x1e"), replies.split(","), strict=True)
            row["replies"] = sorted(pairs)
        rows[row["item_id"]] = row
    return rows


def assert_matches_the_log(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """The maintained table equals a recomputation from the events; returns it."""
    fresh = sqlite3.connect(":memory:")
    conn.backup(fresh)
    summaries.rebuild(fresh)
    expected = table(fresh)
    fresh.close()
    assert table(conn) == expected
    return expected


def test_every_writer_keeps_the_summaries_equal_to_the_log(store: Store) -> None:
    first = [make_item(n, thread_id="t1" if n == 1 else None) for n in range(4)]
    store.ingest("acct", first, {}, 1_000)
    store.mark_done(["acct/1"], "camille", 2_000)
    # A follow-up in a closed thread: a receipt marked `reopens`.
    store.ingest("acct", [make_item(9, thread_id="t1")], {}, 3_000)
    store.ingest("acct", [make_item(5, context_only=True)], {}, 3_000)
    store.ingest("acct", [make_item(5)], {}, 3_500)  # context, then actionable
    key = store.queue_reply(
        "acct/0", "acct", {"reply_id": "thanks", "personalisation": 12.5}, "samir", 4_000
    )
    (entry,) = [e for e in store.outbox_due(4_000) if e.key == key]
    store.outbox_sent(entry, "remote-1", 4_100)
    store.mark_done(["acct/0"], "samir", 4_200)
    store.moderate([("acct/2", "acct")], "spam", "ines", 4_300)
    store.undo_last("ines", 4_400)
    store.moderate([("acct/2", "acct")], "hide", "ines", 4_500)
    store.reopen(["acct/0"], "camille", 5_000)
    # The platform renamed an author: the sync refreshes the handle.
    store.ingest("acct", [make_item(3, author=Author("u3", "@Renamed ", "R"))], {}, 6_000)
    rows = assert_matches_the_log(store.db.conn)
    assert rows["acct/9"]["first"] == 3_000 * 4 + 1  # a follow-up receipt
    assert rows["acct/1"]["done"] == 2_000 and rows["acct/1"]["starts"] == 1
    assert rows["acct/0"]["replies"] == [("samir", "12.5")]
    assert rows["acct/0"]["starts"] == 2  # received, reopened
    assert rows["acct/2"]["starts"] == 2 and rows["acct/2"]["moderator"].endswith("1ines")
    assert (rows["acct/3"]["author_handle"], rows["acct/3"]["author"]) == ("@Renamed ", "renamed")
    assert rows["acct/5"]["context_only"] == 0
    assert "acct/5" in rows and rows["acct/5"]["segment"] == "acct\x1fmastodon\x1fBrioche & Co"


def test_a_handle_that_is_not_ascii_is_left_for_python_to_normalise(store: Store) -> None:
    store.ingest("acct", [make_item(1, author=Author("u", "@Ünïcode", "U"))], {}, 1_000)
    row = assert_matches_the_log(store.db.conn)["acct/1"]
    assert (row["author_handle"], row["author"]) == ("@Ünïcode", None)


def test_events_imported_before_their_items_are_summarised_when_the_items_come(
    store: Store,
) -> None:
    item = make_item(1)
    events = [
        {"item_id": item.id, "kind": "received", "at": 1_000, "actor": "sync", "payload": {}},
        {
            "item_id": item.id,
            "kind": "replied",
            "at": 2_000,
            "actor": "samir",
            "payload": {"reply_id": None, "personalisation": 100.0},
        },
        {
            "item_id": item.id,
            "kind": "replied",
            "at": 1_500,
            "actor": "ines",
            "payload": {"reply_id": "thanks", "personalisation": 0.0},
        },
    ]
    store.import_events(events)
    row = assert_matches_the_log(store.db.conn)[item.id]
    assert (row["segment"], row["replied"], row["replier"]) == (None, 1_500, "000000000001500ines")
    assert row["replies"] == [("ines", "0.0"), ("samir", "-1")]
    store.ingest("acct", [item], {}, 3_000)  # the item arrives (and is received again)
    row = assert_matches_the_log(store.db.conn)[item.id]
    assert row["segment"] is not None and row["first_start"] == 1_000
    assert row["last_start"] == 3_000


def test_a_bulk_load_fills_the_summaries_in_one_pass(tmp_path: Path) -> None:
    """`cmdesk bench-data` loads through `cmdesk.store.bulk`, triggers dropped."""
    path = tmp_path / "bulk.db"
    result = CliRunner().invoke(main, ["bench-data", "--items", "500", "--db", str(path)])
    assert result.exit_code == 0, result.output
    store = Store(path)
    try:
        rows = assert_matches_the_log(store.db.conn)
        received = store.db.execute(
            "SELECT count(DISTINCT item_id) FROM events WHERE kind = 'received'"
        ).fetchone()[0]
        assert len(rows) == received > 0
        # ... and its triggers are back: a new event updates its item's row.
        item_id = next(iter(rows))
        store.mark_done([item_id], "cm", 9_999_999_999_999)
        assert assert_matches_the_log(store.db.conn)[item_id]["done"] is not None
    finally:
        store.close()


def test_a_v5_store_migrates_with_every_summary_filled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v5.db"
    monkeypatch.setattr(store_db, "MIGRATIONS", store_db.MIGRATIONS[:5])
    old = Store(path)
    old.ingest("acct", [make_item(n) for n in range(6)], {}, 1_000)
    old.mark_done(["acct/1", "acct/2"], "camille", 2_000)
    old.undo_last("camille", 2_100)
    old.moderate([("acct/3", "acct")], "hide", "ines", 2_200)
    assert old.db.execute("PRAGMA user_version").fetchone()[0] == 5
    old.close()
    monkeypatch.undo()
    store = Store(path)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == 6
        rows = assert_matches_the_log(store.db.conn)
        assert sorted(rows) == [f"acct/{n}" for n in range(6)]
        assert rows["acct/1"]["starts"] == 2  # received, and the undo
        assert rows["acct/3"]["closed"] == 2_200
    finally:
        store.close()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("account", "other"),
        ("network", "bluesky"),
        ("brand", "Nordlys"),
        ("author_handle", "@Someone"),
        ("context_only", 1),
    ],
)
def test_any_change_to_a_copied_column_of_the_item_follows(
    store: Store, column: str, value: object
) -> None:
    store.ingest("acct", [make_item(1)], {}, 1_000)
    with store.db.conn:
        store.db.execute(f"UPDATE items SET {column} = ? WHERE id = 'acct/1'", [value])
    assert_matches_the_log(store.db.conn)
