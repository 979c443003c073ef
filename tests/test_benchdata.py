"""`cmdesk bench-data`: a realistic generated store that the app opens like any other."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner

from cmdesk.benchdata import COMMON_WORD, generate
from cmdesk.cli import main
from cmdesk.store import Store
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
