"""Store faults for `cmdesk sync --once`, and two cmdesk processes on one store.

A full disk at the write is one line per account on the CLI's output and stores
nothing; the next sync stores everything. The app and a cron `cmdesk sync --once`
syncing the same accounts into the same store at the same time both succeed, and
the store ends with each item once and one `received` event per item.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from cmdesk.cli import main
from cmdesk.connectors.replay import Replay
from cmdesk.demo import demo_config
from cmdesk.model import EventKind
from cmdesk.store import Store
from cmdesk.store import items as store_items

from ..conftest import FIXTURES
from ..test_e2e_sync import ACCOUNTS, NETWORKS, write_config
from ..tui_helpers import make_app, settle, status_text
from .paced_server import PacedServer

TOKENS = {f"CMDESK_TOKEN_{name.upper().replace('-', '_')}": "cli-token" for name in ACCOUNTS}
#: Actionable items the five demo accounts hold (tests/test_demo.py counts them too).
ACTIONABLE = 405


@pytest.fixture
def server() -> Iterator[PacedServer]:
    with PacedServer(Replay.from_dirs(*(FIXTURES / n for n in NETWORKS)), delay=0.0) as running:
        yield running


def received_once(db: Path) -> int:
    """Actionable items stored; each must have exactly one `received` event."""
    store = Store(db)
    try:
        rows = store.export_rows()
        counts = dict(
            store.db.execute(
                "SELECT item_id, count(*) FROM events WHERE kind = ? GROUP BY item_id",
                [str(EventKind.RECEIVED)],
            ).fetchall()
        )
    finally:
        store.close()
    actionable = [row["id"] for row in rows if not row["context_only"]]
    assert counts == dict.fromkeys(actionable, 1)
    return len(actionable)


def test_a_full_disk_is_one_line_per_account_and_the_next_sync_stores_all(
    server: PacedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, db = write_config(server, tmp_path, only="brioche-reddit"), tmp_path / "full.db"
    args = ["sync", "--once", "--config", str(config), "--db", str(db)]

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store_items, "append_events", full)
    failed = CliRunner().invoke(main, args, env=TOKENS)
    assert failed.exit_code == 2 and "Traceback" not in failed.output
    (line,) = failed.output.splitlines()
    full_line = f"cannot write the database ({db}): database or disk is full"
    assert line == f"brioche-reddit: error: {full_line}"
    assert received_once(db) == 0
    monkeypatch.undo()
    again = CliRunner().invoke(main, args, env=TOKENS)
    assert again.output == "brioche-reddit: ok, 42 new\n"
    assert received_once(db) == 42


async def test_the_app_and_a_cron_sync_on_one_store_both_succeed_once(
    server: PacedServer, tmp_path: Path
) -> None:
    server.delay = 0.02  # the cron sync runs a few seconds: long enough to overlap the app's
    config, db = write_config(server, tmp_path), tmp_path / "shared.db"
    cron = subprocess.Popen(
        [sys.executable, "-c", "from cmdesk.cli import main; main()", "sync", "--once",
         "--config", str(config), "--db", str(db)],
        env={**os.environ, **TOKENS}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    replay = Replay.from_dirs(*(FIXTURES / n for n in NETWORKS))
    app = make_app(
        db,
        demo_config(FIXTURES),
        transport_factory=lambda _store: httpx.MockTransport(replay.handle),
        tokens=lambda _a: "app-token",
    )
    try:
        async with app.run_test(size=(200, 40)) as pilot:
            await settle(pilot)
            shown = status_text(app)
            assert "✗" not in shown, shown
            assert all(f"✓ {name}" in shown for name in ACCOUNTS)
        out, err = cron.communicate(timeout=120)
    finally:
        cron.kill()
    assert cron.returncode == 0, out + err
    assert len(out.splitlines()) == len(ACCOUNTS) and "Traceback" not in err
    assert received_once(db) == ACTIONABLE
