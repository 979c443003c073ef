"""`cmdesk bench-data`: a realistic generated store that the app opens like any other."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner

from cmdesk.benchdata import generate, generate_in_background
from cmdesk.benchtext import COMMON_WORD, rare_words
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


def test_the_child_process_sends_the_same_batches() -> None:
    """Batches cross the pipe as marshal bytes: nothing may change on the way."""
    sent = list(generate_in_background(41_000, seed=5, now_ms=1_800_000_000_000))
    assert len(sent) == 3
    assert sent == list(generate(41_000, seed=5, now_ms=1_800_000_000_000))


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
