"""The measures that need no terminal: search, view queries, ingest, sync.

Each returns medians in milliseconds (or seconds for sync) with its baseline
measured the same way in the same run. Used by `benchmarks/run.py`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from cmdesk.benchdata import ITEM_COLUMNS, generate
from cmdesk.benchtext import COMMON_WORD, rare_words
from cmdesk.model import Author, Item, Kind, Status
from cmdesk.store import Store
from cmdesk.store.db import connect
from cmdesk.store.events import EVENT_INSERT
from cmdesk.store.views import ALL, DONE, HIDDEN, OPEN, View, view_ids

ROOT = Path(__file__).resolve().parent.parent


def median_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


# -- search -----------------------------------------------------------------------------


def search(db_path: Path, repeats: int, seed: int = 1) -> dict[str, dict[str, float]]:
    """FTS top 200 (newest first, as the app orders) for a common and a rare word, vs LIKE."""
    store = Store(db_path, create=False)
    out: dict[str, dict[str, float]] = {}
    like = (
        "SELECT rowid FROM items WHERE text LIKE ? AND context_only = 0 "
        "ORDER BY rowid DESC LIMIT 200"
    )
    try:
        for label, word in (("common", COMMON_WORD), ("rare", rare_words(seed)[0])):
            view = View("search", statuses=None, search=word)
            fts, hits = median_ms(lambda v=view: view_ids(store.db, v, limit=200), repeats)
            full, every = median_ms(lambda v=view: view_ids(store.db, v), repeats)
            base, _ = median_ms(
                lambda w=word: store.db.execute(like, [f"%{w}%"]).fetchall(), max(1, repeats // 2)
            )
            out[label] = {"word": word, "fts_ms": fts, "app_ms": full, "like_ms": base,
                          "hits": len(hits), "app_hits": len(every)}  # fmt: skip
    finally:
        store.close()
    return out


# -- views --------------------------------------------------------------------------------


def view_queries(db_path: Path, repeats: int) -> dict[str, dict[str, float]]:
    """The query side of a view switch: filter + order into the id array."""
    store = Store(db_path, create=False)
    chosen = [
        OPEN,
        View("Open · mastodon", network="mastodon"),
        View("Open · Nordlys", brand="Nordlys"),
        DONE,
        HIDDEN,
        ALL,
    ]
    out = {}
    try:
        for view in chosen:
            ms, ids = median_ms(lambda v=view: store.view_ids(v), repeats)
            out[view.title] = {"ms": ms, "rows": len(ids)}
        ms, counts = median_ms(store.status_counts, repeats)
        out["status counts"] = {"ms": ms, "rows": sum(counts.values())}
    finally:
        store.close()
    return out


# -- ingest ---------------------------------------------------------------------------------


def _items(count: int, seed: int) -> dict[str, list[Item]]:
    """Generated rows as the connectors hand them over, grouped by account."""
    now = int(time.time() * 1000)
    by_account: dict[str, list[Item]] = defaultdict(list)
    col = {name: n for n, name in enumerate(ITEM_COLUMNS)}
    for batch in generate(count, seed=seed + 1, now_ms=now):
        for row in batch.items:
            by_account[row[col["account"]]].append(
                Item(
                    id=row[0], account=row[1], network=row[2], brand=row[3], kind=Kind(row[4]),
                    remote_id=row[5], thread_id=row[6], parent_id=row[7],
                    author=Author(row[8], row[9], row[10]), text=row[11], lang=row[12],
                    url=row[13], created_at=row[14], status=Status.NEW,
                    context_only=bool(row[20]),
                )
            )  # fmt: skip
    return by_account


def ingest(count: int, repeats: int, page: int = 200, seed: int = 1) -> dict[str, float]:
    """Items per second through `Store.ingest` vs raw `executemany` into the same schema.

    Both write the same rows in pages of `page` items, one transaction per page, with
    the FTS triggers and every index in place, and a `received` event per new item.
    """
    by_account = _items(count, seed)
    pages = [
        (account, items[start : start + page])
        for account, items in by_account.items()
        for start in range(0, len(items), page)
    ]
    total = sum(len(items) for _, items in pages)
    real, raw = [], []
    columns = ", ".join(ITEM_COLUMNS)
    insert = f"INSERT INTO items ({columns}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as scratch:
            store = Store(Path(scratch) / "real.db")
            started = time.perf_counter()
            for n, (account, items) in enumerate(pages):
                store.ingest(account, items, {"mentions": str(n)}, 1_700_000_000_000 + n)
            real.append(time.perf_counter() - started)
            store.close()
            db = connect(Path(scratch) / "raw.db")
            conn = db.conn
            started = time.perf_counter()
            for n, (_, items) in enumerate(pages):
                now = 1_700_000_000_000 + n
                with conn:
                    conn.executemany(insert, [_row(item, now) for item in items])
                    conn.executemany(
                        EVENT_INSERT,
                        [
                            (i.id, "received", now, "sync", "{}")
                            for i in items
                            if not i.context_only
                        ],
                    )
            raw.append(time.perf_counter() - started)
            conn.close()
    real_rate, raw_rate = total / statistics.median(real), total / statistics.median(raw)
    return {"items": total, "real_per_s": real_rate, "raw_per_s": raw_rate}


def _row(item: Item, now: int) -> tuple[Any, ...]:
    return (
        item.id, item.account, item.network, item.brand, str(item.kind), item.remote_id,
        item.thread_id, item.parent_id, item.author.id, item.author.handle,
        item.author.display_name, item.text, item.lang, item.url, item.created_at, now,
        str(item.status), item.snooze_until, "[]", item.assignee, int(item.context_only),
    )  # fmt: skip


# -- sync -----------------------------------------------------------------------------------


class SlowTransport(httpx.AsyncBaseTransport):
    """The demo's recorded responses, each answered after `delay` seconds, like a slow API."""

    def __init__(self, inner: httpx.MockTransport, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        await asyncio.sleep(self.delay)
        return await self.inner.handle_async_request(request)


def sync(repeats: int, delay: float = 0.2) -> dict[str, Any]:
    """Five demo accounts through the real connectors: alone each, then all in one pass."""
    from cmdesk.demo import DEMO_TOKEN, demo_config, demo_transport, fixtures_dir
    from cmdesk.sync import SyncEngine

    fixtures = fixtures_dir()
    config = demo_config(fixtures)

    def one_pass(accounts: list[Any]) -> tuple[float, int]:
        with tempfile.TemporaryDirectory() as scratch:
            store = Store(Path(scratch) / "sync.db")
            transport = SlowTransport(demo_transport(store, fixtures), delay)
            engine = SyncEngine(
                store, accounts, lambda _a: DEMO_TOKEN, transport_factory=lambda _s: transport
            )

            async def run() -> float:
                started = time.perf_counter()
                states = await engine.run_once()
                elapsed = time.perf_counter() - started
                await engine.aclose()
                failed = [s for s in states if not s.ok]
                if failed:
                    raise RuntimeError(f"sync failed: {failed[0].account}: {failed[0].message}")
                return elapsed

            elapsed = asyncio.run(run())
            store.close()
            return elapsed, transport.requests

    alone: dict[str, list[float]] = defaultdict(list)
    together: list[float] = []
    requests: dict[str, int] = {}
    for _ in range(repeats):
        for account in config.accounts:
            elapsed, requests[account.name] = one_pass([account])
            alone[account.name].append(elapsed)
        together.append(one_pass(list(config.accounts))[0])
    medians = {name: statistics.median(times) for name, times in alone.items()}
    return {
        "accounts": len(medians),
        "slowest_s": max(medians.values()),
        "sum_s": sum(medians.values()),
        "wall_s": statistics.median(together),
        "requests": requests,
    }


def sqlite_version() -> str:
    return sqlite3.sqlite_version
