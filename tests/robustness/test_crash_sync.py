"""`cmdesk sync --once` killed with SIGKILL mid-run, at seeded points: nothing lost, nothing twice.

A real `cmdesk sync --once` process syncs the five demo accounts from the replay
server over HTTP on 127.0.0.1. The server takes a little longer per request and
counts what it served, so the kill lands at a chosen point: while the process
starts or creates the store, after k requests, or just as one account's last page
arrived (its write to the store follows). After each kill:

- the store opens and passes `PRAGMA integrity_check`;
- each account is all or nothing: none of its items and no cursor, or every item
  it was fetching with its cursor (a cursor is never ahead of the stored items);
- every stored actionable item has exactly one `received` event.

Then a clean `cmdesk sync --once` must end with exactly what the server holds: the
same items (content and threading) and cursors as a sync that was never killed,
no item twice and one `received` event each.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cmdesk.cli import main
from cmdesk.connectors.replay import Replay
from cmdesk.model import EventKind
from cmdesk.store import Store

from ..conftest import FIXTURES
from ..test_e2e_sync import ACCOUNTS, NETWORKS, write_config
from .paced_server import PacedServer
from .profile import CRASH_TRIALS, SEED

TOKENS = {f"CMDESK_TOKEN_{name.upper().replace('-', '_')}": "crash-token" for name in ACCOUNTS}
#: The hosts each account's requests go to, as the replay server names them.
HOSTS_OF = {
    "brioche-masto": ("piaille.fr",),
    "pixelpost-masto": ("mastodon.social",),
    "nordlys-bsky": ("bsky.social",),
    "pixelpost-forum": ("forum.pixelpost.example",),
    "brioche-reddit": ("www.reddit.com", "oauth.reddit.com"),
}
#: What a row is, without when this store happened to receive it.
CONTENT = ("id", "account", "network", "brand", "kind", "remote_id", "thread_id", "parent_id",
           "author_id", "author_handle", "author_name", "text", "lang", "url", "created_at",
           "status", "labels", "context_only")  # fmt: skip


@dataclass(frozen=True)
class KillPoint:
    """Kill `delay_ms` after: the start (`startup`), `count` requests served, or an account's
    last request served (`after` = its name)."""

    after: str
    count: int
    delay_ms: int

    def __str__(self) -> str:
        what = {"startup": "start", "requests": f"{self.count}-requests"}.get(self.after)
        return f"{what or self.after + '-fetched'}+{self.delay_ms}ms"


def kill_points(trials: int, seed: int) -> list[KillPoint]:
    rng = random.Random(seed)
    points = [KillPoint("startup", 0, rng.randint(300, 1500))]
    while len(points) < trials:
        if len(points) % 2:
            points.append(KillPoint(rng.choice(ACCOUNTS), 0, rng.randint(0, 60)))
        else:
            points.append(KillPoint("requests", rng.randint(1, 110), rng.randint(0, 40)))
    return points


@dataclass
class Snapshot:
    rows: dict[str, dict[str, Any]]
    cursors: dict[str, dict[str, str]]
    received: dict[str, int]


def snapshot(db: Path) -> Snapshot:
    store = Store(db)
    try:
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        exported = store.export_rows()
        rows = {row["id"]: {key: row[key] for key in CONTENT} for row in exported}
        assert len(rows) == len(exported), "an item stored twice"
        counts = store.db.execute(
            "SELECT item_id, count(*) FROM events WHERE kind = ? GROUP BY item_id",
            [str(EventKind.RECEIVED)],
        ).fetchall()
        cursors = {account: store.cursors(account) for account in ACCOUNTS}
    finally:
        store.close()
    return Snapshot(rows, cursors, dict(counts))


def sync_args(config: Path, db: Path) -> list[str]:
    return ["sync", "--once", "--config", str(config), "--db", str(db)]


@pytest.fixture(scope="module")
def server() -> Iterator[PacedServer]:
    with PacedServer(Replay.from_dirs(*(FIXTURES / n for n in NETWORKS))) as running:
        yield running


@pytest.fixture(scope="module")
def config(server: PacedServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(server, tmp_path_factory.mktemp("crash-config"))


@pytest.fixture(scope="module")
def reference(
    server: PacedServer, config: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Snapshot, dict[str, int]]:
    """A sync never killed, and the requests it took per host."""
    db = tmp_path_factory.mktemp("crash-reference") / "reference.db"
    server.reset_counts()
    result = CliRunner().invoke(main, sync_args(config, db), env=TOKENS)
    assert result.exit_code == 0, result.output
    return snapshot(db), dict(server.per_host)


def check_after_kill(db: Path, expected: Snapshot) -> None:
    if not db.exists():
        return  # killed before the store was created
    found = snapshot(db)
    for account in ACCOUNTS:
        want = {i for i, row in expected.rows.items() if row["account"] == account}
        have = {i for i, row in found.rows.items() if row["account"] == account}
        assert have in (set(), want), f"{account}: {len(have)} of {len(want)} items stored"
        if have:
            assert found.cursors[account] == expected.cursors[account]
            assert all(found.rows[i] == expected.rows[i] for i in have)
        else:
            assert found.cursors[account] == {}, f"{account}: a cursor without its items"
    actionable = {i for i, row in found.rows.items() if not row["context_only"]}
    assert found.received == dict.fromkeys(actionable, 1)


def fetched(account: str, served: dict[str, int]) -> Any:
    return lambda server: all(server.per_host[h] >= served[h] for h in HOSTS_OF[account])


@pytest.mark.parametrize("point", kill_points(CRASH_TRIALS, SEED), ids=str)
def test_killed_mid_sync_then_a_clean_sync_holds_exactly_what_the_server_holds(
    point: KillPoint,
    server: PacedServer,
    config: Path,
    reference: tuple[Snapshot, dict[str, int]],
    tmp_path: Path,
) -> None:
    expected, served = reference
    db = tmp_path / "crash.db"
    server.reset_counts()
    child = subprocess.Popen(
        [sys.executable, "-c", "from cmdesk.cli import main; main()", *sync_args(config, db)],
        env={**os.environ, **TOKENS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if point.after == "requests":
            reached = lambda s: s.served >= point.count  # noqa: E731
        elif point.after in HOSTS_OF:
            reached = fetched(point.after, served)
        else:
            reached = lambda s: True  # noqa: E731
        deadline = time.monotonic() + 120
        while not server.wait_until(reached, 0.05) and child.poll() is None:
            assert time.monotonic() < deadline, "the sync never got there"
        time.sleep(point.delay_ms / 1000)
    finally:
        child.send_signal(signal.SIGKILL)
        _, err = child.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode(errors="replace")
    if child.returncode != -signal.SIGKILL:
        # It finished first: only a kill after an account's last page may come too late.
        assert point.after in HOSTS_OF and child.returncode == 0, child.returncode
    check_after_kill(db, expected)
    clean = CliRunner().invoke(main, sync_args(config, db), env=TOKENS)
    assert clean.exit_code == 0, clean.output
    after = snapshot(db)
    assert after.rows == expected.rows
    assert after.cursors == expected.cursors
    actionable = {i for i, row in after.rows.items() if not row["context_only"]}
    assert after.received == dict.fromkeys(actionable, 1)
