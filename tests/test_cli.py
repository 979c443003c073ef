"""The command line as a user (or cron) runs it: sync, export, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmdesk.cli import main
from cmdesk.connectors.replay import Replay
from cmdesk.store import Store

from .conftest import FIXTURES, make_item
from .replay_server import ReplayServer

NETWORK_DIRS = [FIXTURES / network for network in ("mastodon", "bluesky", "discourse", "reddit")]
HOSTS = ("piaille.fr", "mastodon.social", "bsky.social", "forum.pixelpost.example")
HOSTS += ("oauth.reddit.com", "www.reddit.com")


def config_for(server: ReplayServer, tmp_path: Path, broken: bool = False) -> Path:
    """The demo's accounts, pointed at the local server (the forum at a dead path if broken)."""
    text = (FIXTURES / "demo.toml").read_text(encoding="utf-8")
    for host in HOSTS:
        text = text.replace(f"https://{host}", server.base_url(host))
    if broken:
        text = text.replace(server.base_url("forum.pixelpost.example"), server.base_url("nowhere"))
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with ReplayServer(Replay.from_dirs(*NETWORK_DIRS)) as running:
        yield running


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BRIOCHE_MASTO",
        "PIXELPOST_MASTO",
        "NORDLYS_BSKY",
        "PIXELPOST_FORUM",
        "BRIOCHE_REDDIT",
    ):
        monkeypatch.setenv(f"CMDESK_TOKEN_{name}", "secret-token")


def test_sync_once_fetches_every_account_then_nothing_new(
    server: ReplayServer, tmp_path: Path, tokens: None
) -> None:
    args = ["sync", "--once", "--config", str(config_for(server, tmp_path))]
    args += ["--db", str(tmp_path / "s.db")]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert len(lines) == 5
    assert all(": ok, " in line for line in lines)
    assert sum(int(line.split(", ")[1].split()[0]) for line in lines) >= 300
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0
    assert all(line.endswith(", 0 new") for line in second.output.splitlines())


def test_one_failing_account_is_named_and_the_others_still_sync(
    server: ReplayServer, tmp_path: Path, tokens: None
) -> None:
    args = ["sync", "--once", "--config", str(config_for(server, tmp_path, broken=True))]
    result = CliRunner().invoke(main, [*args, "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    assert lines["pixelpost-forum"].startswith("error: HTTP 404")
    assert lines["brioche-masto"].startswith("ok, ")
    assert "Traceback" not in result.output


def test_export_items_jsonl_and_csv(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    store = Store(db)
    store.ingest("acct", [make_item(1, text='=HYPERLINK("http://x")'), make_item(2)], {}, 5)
    store.close()
    jsonl = CliRunner().invoke(main, ["export", "items", "--format", "jsonl", "--db", str(db)])
    rows = [json.loads(line) for line in jsonl.output.splitlines()]
    assert [row["id"] for row in rows] == ["acct/1", "acct/2"]
    assert rows[0]["text"] == '=HYPERLINK("http://x")' and rows[0]["labels"] == []
    out = CliRunner().invoke(main, ["export", "items", "--format", "csv", "--db", str(db)])
    table = list(csv.DictReader(io.StringIO(out.output)))
    assert table[0]["text"] == '\'=HYPERLINK("http://x")'
    assert table[1]["status"] == "new"


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("bad_config", "config.toml:1: colour: unknown key"),
        ("corrupt_db", "corrupt or not a cmdesk database"),
        ("missing_db", "no cmdesk database"),
        ("locked_db", "locked by another program"),
    ],
)
def test_bad_input_is_one_line_on_stderr_never_a_traceback(
    tmp_path: Path, setup: str, expected: str
) -> None:
    config = tmp_path / "config.toml"
    db = tmp_path / "x.db"
    args = ["sync", "--once", "--config", str(config), "--db", str(db)]
    config.write_text(
        '[[account]]\nname="a"\nnetwork="mastodon"\nbrand="B"\nhandle="h"\n'
        'base_url="http://127.0.0.1:9"\n'
    )
    blocker = None
    if setup == "bad_config":
        config.write_text('colour = "red"\n')
    elif setup == "corrupt_db":
        db.write_bytes(b"garbage" * 500)
    elif setup == "missing_db":
        args = ["export", "items", "--db", str(db)]
    elif setup == "locked_db":
        Store(db).close()
        blocker = sqlite3.connect(db)
        blocker.execute("PRAGMA journal_mode = DELETE")
        blocker.execute("BEGIN EXCLUSIVE")
    try:
        result = CliRunner().invoke(main, args)
    finally:
        if blocker is not None:
            blocker.rollback()
            blocker.close()
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("cmdesk: ") and expected in line


def test_demo_on_a_corrupt_store_is_one_line_and_exit_1(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.db"
    db.write_bytes(b"not a database" * 300)
    result = CliRunner().invoke(main, ["demo", "--db", str(db)])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("cmdesk: ") and "corrupt or not a cmdesk database" in line


def test_demo_with_a_broken_demo_config_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo config broken by hand (CMDESK_FIXTURES points at a copy): one line naming
    the file and the key, as for any config."""
    (tmp_path / "demo.toml").write_text('agent = "demo"\nbogus = 1\n', encoding="utf-8")
    monkeypatch.setenv("CMDESK_FIXTURES", str(tmp_path))
    result = CliRunner().invoke(main, ["demo", "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("cmdesk: ") and "demo.toml" in line and "bogus" in line
