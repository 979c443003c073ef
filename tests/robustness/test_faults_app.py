"""Faults as the CM sees them in the app: one line in the status bar, nothing lost, still running.

One session syncs nine Mastodon accounts, each behind its own broken server (a
network error on page 2, timeouts, 5xx, 429 storms with and without Retry-After,
truncated JSON, a wrong shape, an HTML page with status 200) and one healthy one.
Each broken account gets its own one-line reason in the status bar, the healthy
one its items; once the servers heal, Ctrl+R brings every account's items. Then
the store fails under the app: locked by another program, then a full disk, for a
sync and for a triage key; each says so in one line, the store keeps what it had,
and everything goes through once the lock or the disk is freed.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cmdesk.config import Config
from cmdesk.model import Account
from cmdesk.store import Store
from cmdesk.tui.widgets.inbox_list import InboxList

from ..tui_helpers import make_app, notifications, settle, status_text
from .fuzz_platforms import mastodon

SIZE = (200, 40)
NOTES = "/api/v1/notifications"
HTML = b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>"
#: Account (= host) -> how its server fails, and the status line that says so.
FAULTS = {
    "healthy": None,
    "midpage": "network error on GET /api/v1/notifications (ReadError) (after 4 attempts)",
    "timeout": "timed out on GET /api/v1/notifications (ReadTimeout) (after 4 attempts)",
    "down5xx": "HTTP 503 on GET /api/v1/notifications (after 4 attempts)",
    "storm-ra": "rate limited on GET /api/v1/notifications for 120s",
    "storm": "still rate limited on GET /api/v1/notifications (after 4 attempts)",
    "truncated": "invalid JSON from /api/v1/notifications: Unterminated string",
    "shape": "unexpected Mastodon notifications page shape (TypeError: expected a list",
    "html200": "got an HTML page instead of JSON from /api/v1/notifications",
}


class Platforms:
    """One Mastodon instance per account, each broken its own way until `heal()`."""

    def __init__(self) -> None:
        self.made = mastodon()
        self.healed = False
        #: Serve long posts (50 kB each), so that storing a page needs new pages on disk.
        self.big = False

    def heal(self) -> None:
        self.healed = True

    def handle(self, request: httpx.Request) -> httpx.Response:
        fault = request.url.host.split(".")[0]
        path = request.url.path
        if not self.healed and path == NOTES:
            broken = self._broken(fault, request)
            if broken is not None:
                return broken
        same = httpx.Request(request.method, request.url.copy_with(host="piaille.fr"))
        index = self.made.route_for(same)
        if index is None:
            return httpx.Response(404, json={"error": "not found"})
        body = self.made.routes[index].body
        if self.big and path == NOTES:
            body = [{**n, "status": {**n["status"], "content": "<p>" + "x" * 50_000}} for n in body]
        return httpx.Response(200, json=body)

    def _broken(self, fault: str, request: httpx.Request) -> httpx.Response | None:
        page = json.dumps(self.made.routes[1].body).encode()
        if fault == "midpage":
            if "max_id" in request.url.params:
                raise httpx.ReadError("connection reset by peer", request=request)
            link = f'<https://{request.url.host}{NOTES}?max_id=1>; rel="next"'
            return httpx.Response(200, content=page, headers={"link": link})
        if fault == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "down5xx":
            return httpx.Response(503, content=HTML, headers={"content-type": "text/html"})
        if fault == "storm-ra":
            return httpx.Response(429, json={"error": "slow down"}, headers={"retry-after": "120"})
        if fault == "storm":
            return httpx.Response(429, json={"error": "slow down"})
        if fault == "truncated":
            return httpx.Response(200, content=page[: len(page) // 2])
        if fault == "shape":
            return httpx.Response(200, json={"notifications": json.loads(page)})
        if fault == "html200":
            return httpx.Response(200, content=HTML, headers={"content-type": "text/html"})
        return None


def account(name: str) -> Account:
    return Account(name, "mastodon", "Brioche & Co", f"https://{name}.example",
                   {"handle": "briocheco"})  # fmt: skip


def actionable(db: Path) -> dict[str, int]:
    store = Store(db)
    rows = store.export_rows()
    store.close()
    counts: dict[str, int] = {}
    for row in rows:
        if not row["context_only"]:
            counts[row["account"]] = counts.get(row["account"], 0) + 1
    return counts


def status_of(app, name: str) -> str:  # type: ignore[no-untyped-def]
    """The status bar's part for one account: `✓ name …` or `✗ name: reason`."""
    text = status_text(app)
    start = text.index(f" {name}", text.index("│ ", text.index("Done")))
    marks = [i for i in (text.find(" ✓ ", start + 1), text.find(" ✗ ", start + 1)) if i > 0]
    return text[start - 1 : min(marks, default=len(text))].strip()


async def test_each_network_fault_is_one_status_line_and_nothing_is_lost(tmp_path: Path) -> None:
    platforms = Platforms()
    config = Config(agent="cm", accounts=tuple(account(name) for name in FAULTS))
    db = tmp_path / "faults.db"
    app = make_app(
        db,
        config,
        transport_factory=lambda _store: httpx.MockTransport(platforms.handle),
        tokens=lambda _a: "token",
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for name, reason in FAULTS.items():
            shown = status_of(app, name)
            if reason is None:
                assert shown.startswith(f"✓ {name} "), shown
            else:
                assert shown.startswith(f"✗ {name}: {reason}"), shown
        assert "\n" not in status_text(app)
        assert actionable(db) == {"healthy": 3}
        assert len(app.screen.query_one(InboxList).ids) == 3
        await pilot.press("j", "k")  # still answering keys
        platforms.heal()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "✗" not in status_text(app)
        assert app.is_running
    assert actionable(db) == dict.fromkeys(FAULTS, 3)  # every account, nothing lost


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[tuple[Path, Platforms, Config]]:
    platforms = Platforms()
    platforms.heal()
    yield tmp_path / "store.db", platforms, Config(agent="cm", accounts=(account("healthy"),))


def app_for(db: Path, platforms: Platforms, config: Config, *, sync: bool):  # type: ignore[no-untyped-def]
    return make_app(
        db,
        config,
        transport_factory=lambda _store: httpx.MockTransport(platforms.handle),
        tokens=lambda _a: "token",
        sync_on_start=sync,
    )


def stored_statuses(db: Path) -> dict[str, str]:
    store = Store(db)
    rows = {row["id"]: row["status"] for row in store.export_rows() if not row["context_only"]}
    store.close()
    return rows


LOCKED = "database is locked by another program"
FULL = "cannot write the database"


async def test_a_locked_store_is_one_line_for_sync_and_keys_and_nothing_is_lost(
    synced: tuple[Path, Platforms, Config],
) -> None:
    db, platforms, config = synced
    Store(db).close()
    blocker = sqlite3.connect(db)
    blocker.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    app = app_for(db, platforms, config, sync=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.backend.writer.db.execute("PRAGMA busy_timeout = 300")  # fail fast
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert status_of(app, "healthy").startswith(f"✗ healthy: {LOCKED}")
            assert stored_statuses(db) == {}
            blocker.rollback()  # the other program is done
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert status_of(app, "healthy").startswith("✓ healthy")
            before = stored_statuses(db)
            assert len(before) == 3
            blocker.execute("BEGIN EXCLUSIVE")
            await pilot.press("e")  # done, while the store is locked
            await settle(pilot)
            assert f"Done failed: {LOCKED}" in notifications(app)
            assert stored_statuses(db) == before  # nothing half-written
            blocker.rollback()
            await pilot.press("e")
            await settle(pilot)
            assert sorted(stored_statuses(db).values()) == ["done", "new", "new"]
            assert app.is_running
    finally:
        blocker.rollback()
        blocker.close()


async def test_after_a_failed_write_the_list_shows_what_the_store_holds(
    synced: tuple[Path, Platforms, Config],
) -> None:
    db, platforms, config = synced
    app = app_for(db, platforms, config, sync=True)
    blocker = sqlite3.connect(db)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.backend.writer.db.execute("PRAGMA busy_timeout = 300")
            blocker.execute("BEGIN EXCLUSIVE")
            await pilot.press("e")
            await settle(pilot)
            assert f"Done failed: {LOCKED}" in notifications(app)
            assert len(app.screen.query_one(InboxList).ids) == len(stored_statuses(db)) == 3
    finally:
        blocker.rollback()
        blocker.close()


def fill_up(writer: sqlite3.Connection) -> None:
    """No page left, and the event log's last page packed: the next event needs a new one."""
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    writer.execute(f"PRAGMA max_page_count = {pages}")
    with contextlib.suppress(sqlite3.OperationalError):
        for _ in range(100_000):
            writer.execute("INSERT INTO events (item_id, kind, at, actor) VALUES ('-', '-', 0, '')")
    writer.commit()


async def test_a_full_disk_is_one_line_for_sync_and_keys_and_nothing_is_lost(
    synced: tuple[Path, Platforms, Config],
) -> None:
    db, platforms, config = synced
    platforms.big = True  # a page of long posts: the store must grow to take it
    app = app_for(db, platforms, config, sync=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        writer = app.backend.writer.db
        pages = writer.execute("PRAGMA page_count").fetchone()[0]
        writer.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
        await pilot.press("ctrl+r")
        await settle(pilot)
        shown = status_of(app, "healthy")
        assert shown.startswith(f"✗ healthy: {FULL}") and "database or disk is full" in shown
        assert stored_statuses(db) == {}
        writer.execute("PRAGMA max_page_count = 1073741823")  # space freed
        await pilot.press("ctrl+r")
        await settle(pilot)
        before = stored_statuses(db)
        assert len(before) == 3
        fill_up(writer.conn)
        await pilot.press("e")
        await settle(pilot)
        assert f"Done failed: {FULL}" in notifications(app)
        assert stored_statuses(db) == before
        writer.execute("PRAGMA max_page_count = 1073741823")
        await pilot.press("e")
        await settle(pilot)
        assert sorted(stored_statuses(db).values()) == ["done", "new", "new"]
        assert app.is_running
