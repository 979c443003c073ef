"""`cmdesk bench-data`: a realistic generated store that the app opens like any other."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmdesk.benchdata import ITEM_COLUMNS, Background, generate
from cmdesk.benchtext import COMMON_WORD, rare_words
from cmdesk.cli import main
from cmdesk.store import Store, summaries
from cmdesk.store.bulk import bulk_load
from cmdesk.store.db import connect
from cmdesk.store.views import OPEN, View
from cmdesk.tui.widgets.inbox_list import InboxList

from .tui_helpers import make_app, settle, status_text


def bench_store(path: Path, items: int = 400, seed: int = 3) -> str:
    result = CliRunner().invoke(
        main, ["bench-data", "--items", str(items), "--db", str(path), "--seed", str(seed)]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_generates_items_with_events_in_the_real_schema(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    assert "400 items" in bench_store(path)
    conn = sqlite3.connect(path)
    count, networks, brands = conn.execute(
        "SELECT count(*), count(DISTINCT network), count(DISTINCT brand) FROM items"
    ).fetchone()
    assert (count, networks) == (400, 4) and brands >= 3
    statuses = dict(conn.execute("SELECT status, count(*) FROM items GROUP BY 1").fetchall())
    assert statuses["new"] + statuses["open"] > count / 2
    assert {"done", "replied"} <= set(statuses)
    # Every actionable item was received once; touched ones carry their triage events.
    missing = conn.execute(
        "SELECT count(*) FROM items WHERE context_only = 0 AND id NOT IN "
        "(SELECT item_id FROM events WHERE kind = 'received')"
    ).fetchone()[0]
    assert missing == 0
    kinds = {r[0] for r in conn.execute("SELECT DISTINCT kind FROM events")}
    assert {"received", "opened", "done", "queued", "replied"} <= kinds
    # The FTS index was rebuilt and its triggers are back, exactly as the store makes them.
    hits = conn.execute(
        "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", [COMMON_WORD]
    ).fetchone()[0]
    assert hits > 0
    conn.close()
    fresh = connect(tmp_path / "fresh.db")
    schema = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    expected = fresh.execute(schema).fetchall()
    fresh.conn.close()
    conn = sqlite3.connect(path)
    assert conn.execute(schema).fetchall() == expected
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_triage_search_and_undo_work_after_a_bulk_load(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    bench_store(path, items=200)
    store = Store(path)
    try:
        ids = store.view_ids(OPEN)
        item = store.items_by_rowid([ids[0]])[ids[0]]
        store.mark_done([item.id], "cm", int(time.time() * 1000))
        assert store.view_ids(View("search", statuses=None, search=item.text.split()[0]))
        undone = store.undo_last("cm", int(time.time() * 1000))
        assert getattr(undone, "item_ids", undone) == [item.id]
        assert store.view_ids(OPEN)[0] == ids[0]
    finally:
        store.close()


def test_refuses_a_store_that_holds_items(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    bench_store(path, items=50)
    result = CliRunner().invoke(main, ["bench-data", "--items", "50", "--db", str(path)])
    assert result.exit_code == 1
    assert "already holds items" in result.output


def test_same_seed_same_rows() -> None:
    first = [b.items for b in generate(300, seed=5, now_ms=1_800_000_000_000)]
    again = [b.items for b in generate(300, seed=5, now_ms=1_800_000_000_000)]
    assert first == again


def test_the_child_process_sends_the_same_batches() -> None:
    """Batches cross the pipe as marshal bytes: nothing may change on the way."""
    with Background(41_000, seed=5, now_ms=1_800_000_000_000) as background:
        sent = list(background)
        background.wait()
    assert len(sent) == 3
    assert sent == list(generate(41_000, seed=5, now_ms=1_800_000_000_000))


FTS_TABLES = ("items_fts_data", "items_fts_idx", "items_fts_docsize", "items_fts_config")


def rows(conn: sqlite3.Connection, table: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


def test_the_fts_index_is_the_one_a_rebuild_or_the_triggers_make(tmp_path: Path) -> None:
    """The loader writes the FTS entries batch by batch: SQLite finds the index sound,
    it is the one a `'rebuild'` makes, byte for byte (41,000 items: three batches, and
    FTS5 flushes its pending terms several times), and searches find what they find
    in a store whose FTS triggers indexed each item as it came."""
    path = tmp_path / "bench.db"
    bench_store(path, items=41_000, seed=4)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO items_fts (items_fts) VALUES ('integrity-check')")
    loaded = {table: rows(conn, table) for table in FTS_TABLES}
    with conn:  # FTS5 writes its last terms on commit
        conn.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")
    assert {table: rows(conn, table) for table in FTS_TABLES} == loaded
    fresh = connect(tmp_path / "fresh.db")  # FTS triggers on, as every ingest writes
    columns = ", ".join(ITEM_COLUMNS)
    with fresh.conn:
        fresh.execute(f"ATTACH DATABASE '{path}' AS bulk")
    with fresh.conn:
        fresh.execute(f"INSERT INTO items ({columns}) SELECT {columns} FROM bulk.items")
    handle, name = conn.execute("SELECT author_handle, author_name FROM items LIMIT 1").fetchone()
    search = "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid"
    words = [COMMON_WORD, *rare_words(4)[:6], "livraison", f'"{handle}"', f'"{name}"']
    for word in words:
        expected = fresh.execute(search, [word]).fetchall()
        assert conn.execute(search, [word]).fetchall() == expected, word
    assert fresh.execute(search, [COMMON_WORD]).fetchall()
    fresh.conn.close()
    conn.close()


def test_the_events_built_in_the_child_are_the_ones_built_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's child builds the events and summaries; `bulk_load` alone builds them in
    its own process: the same rows either way, and the scratch file is gone."""
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)  # the CLI's `now`
    bench_store(tmp_path / "cli.db", items=3_000, seed=6)
    batches = [(b.items, b.events) for b in generate(3_000, seed=6, now_ms=1_800_000_000_000)]
    assert bulk_load(tmp_path / "here.db", batches, ITEM_COLUMNS)[0] == 3_000
    cli, here = sqlite3.connect(tmp_path / "cli.db"), sqlite3.connect(tmp_path / "here.db")
    for table in ("items", "events", "item_metrics"):
        assert rows(cli, table) == rows(here, table)
    assert len(rows(here, "item_metrics")) > 2_000
    cli.close()
    here.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli.db", "here.db"]


def test_a_failing_child_leaves_no_scratch_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(summaries, "rebuild", broken)  # the forked child inherits it
    result = CliRunner().invoke(
        main, ["bench-data", "--items", "300", "--db", str(tmp_path / "bench.db")]
    )
    assert result.exit_code == 1
    assert "cannot write the database" in result.output
    assert [p.name for p in tmp_path.iterdir() if ".events" in p.name] == []


def test_the_data_keeps_its_shape() -> None:
    """The shortcuts that make generation fast (length tables, sentence offsets, status
    slots) still give the documented shape: log-normal lengths, mostly waiting items,
    about two events per item, a common word in a third of texts, rare words in a few."""
    items, events = [], []
    for batch in generate(20_000, seed=5, now_ms=1_800_000_000_000):
        items += batch.items
        events += batch.events
    lengths = sorted(len(row[11]) for row in items)
    assert 90 < lengths[len(lengths) // 2] < 130
    assert 420 < lengths[len(lengths) * 9 // 10] < 620
    assert 1_400 < lengths[len(lengths) * 99 // 100] <= lengths[-1] <= 4_000
    texts = [row[11] for row in items]
    assert all(text and text == text.strip() and "  " not in text for text in texts)
    waiting = [row[16] in ("new", "open") for row in items if not row[20]]
    assert 0.52 < sum(waiting) / len(waiting) < 0.62
    assert 1.9 < len(events) / len(items) < 2.2
    assert 0.25 < sum(COMMON_WORD in text for text in texts) / len(texts) < 0.45
    for word in rare_words(5)[:5]:
        assert 2 <= sum(word in text for text in texts) <= 60


async def test_the_app_opens_a_generated_store_and_moves(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    bench_store(path, items=600)
    store = Store(path)
    waiting = len(store.view_ids(OPEN))
    store.close()
    app = make_app(path, sync_on_start=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert f"Open: {waiting:,}" in status_text(app)
        inbox = app.screen.query_one(InboxList)
        first = inbox.current_item
        assert first is not None
        await pilot.press("j", "j")
        await settle(pilot)
        assert inbox.cursor == 2 and inbox.current_item not in (None, first)
        await pilot.press("G")
        await settle(pilot)
        assert inbox.cursor == waiting - 1 and inbox.current_item is not None
