"""A planted token never shows: not on the app's screen, not in a crash's one line, not stored.

tests/test_e2e_sync.py covers the config, the export, the CLI's lines and a platform
echoing the token in its errors. Here: the app (status bar, notifications, the whole
screen) with platforms that echo the token and a connector that crashes with the token
in its message (sync and send), `cmdesk sync --once` and `cmdesk accounts test` with
that crash, and every file the session wrote (the store and its WAL, the data dirs).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from cmdesk.cli import main
from cmdesk.config import Config
from cmdesk.connectors.base import Connector, ConnectorError
from cmdesk.connectors.mastodon import MastodonConnector
from cmdesk.connectors.reddit import RedditConnector
from cmdesk.model import Item
from cmdesk.store import Store
from cmdesk.sync import SyncEngine

from ..conftest import make_item
from ..test_connector_writes import BLUESKY, DISCOURSE, MASTODON, REDDIT
from ..tui_helpers import make_app, notifications, screen_lines, settle, status_text

TOKEN = "tok-PLANTED-robust-5e1f0a"


def echo(request: httpx.Request) -> httpx.Response:
    """A platform that answers every call with an error quoting what it was sent."""
    sent = " ".join(f"{k}={v}" for k, v in request.headers.items())
    body = request.content.decode(errors="replace")
    return httpx.Response(400, json={"error": "Bad", "message": f"{sent} {body}"})


async def crash_fetch(self: Connector, cursors: Any) -> Any:
    raise RuntimeError(f"connector bug while holding {self.token}")


async def crash_check(self: Connector) -> str:
    raise RuntimeError(f"connector bug while holding {self.token}")


async def crash_reply(self: Connector, item: Item, text: str, key: str) -> str:
    raise KeyError(f"Bearer {self.token}")


def shows_token(text: str) -> bool:
    """The token, or any piece of it long enough to matter (six characters)."""
    return any(TOKEN[i : i + 6] in text for i in range(len(TOKEN) - 5))


def files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


async def test_the_app_never_shows_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RedditConnector, "fetch", crash_fetch)
    monkeypatch.setattr(MastodonConnector, "reply", crash_reply)
    db = tmp_path / "secret.db"
    store = Store(db)
    store.ingest(MASTODON.name, [make_item(1, id=f"{MASTODON.name}/1", account=MASTODON.name)],
                 {}, 1)  # fmt: skip
    store.queue_reply(f"{MASTODON.name}/1", MASTODON.name, {"sent": "hello"}, "cm", 2)
    store.close()
    config = Config(agent="cm", accounts=(MASTODON, BLUESKY, DISCOURSE, REDDIT))
    app = make_app(
        db,
        config,
        transport_factory=lambda _store: httpx.MockTransport(echo),
        tokens=lambda _account: TOKEN,
    )
    async with app.run_test(size=(220, 40)) as pilot:
        await settle(pilot)
        shown = status_text(app)
        assert shown.count("✗") == 4 and "[to" in shown  # echoed, blanked, then cut short
        assert "unexpected RuntimeError: connector bug while holding [token]" in shown
        assert "reply failed (gave up; draft kept): 'Bearer [token]'" in notifications(app)
        for text in (shown, notifications(app), "\n".join(screen_lines(app))):
            assert not shows_token(text)
        assert app.is_running
    assert not files_holding(tmp_path, TOKEN)  # store, WAL, data and config dirs


def test_a_connector_crash_on_the_cli_is_one_line_without_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RedditConnector, "fetch", crash_fetch)
    monkeypatch.setattr(RedditConnector, "check", crash_check)
    monkeypatch.setenv("CMDESK_TOKEN_BRIOCHE_REDDIT", TOKEN)
    config = tmp_path / "config.toml"
    options = "\n".join(f'{k} = "{v}"' for k, v in REDDIT.options.items())
    config.write_text(
        f'[[account]]\nname = "{REDDIT.name}"\nnetwork = "reddit"\nbrand = "B"\n'
        f'base_url = "{REDDIT.base_url}"\n{options}\n',
        encoding="utf-8",
    )
    db = tmp_path / "cli.db"
    synced = CliRunner().invoke(main, ["sync", "--once", "--config", str(config), "--db", str(db)])
    tested = CliRunner().invoke(main, ["accounts", "test", "--config", str(config)])
    for result in (synced, tested):
        assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit)
        (line,) = result.output.splitlines()
        assert line == (
            f"{REDDIT.name}: error: unexpected RuntimeError: connector bug while holding [token]"
        )
        assert not shows_token(result.output)
    assert not files_holding(tmp_path, TOKEN)


def test_a_failed_send_stores_its_reason_without_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MastodonConnector, "reply", crash_reply)
    store = Store(tmp_path / "outbox.db")
    item = make_item(1, id=f"{MASTODON.name}/1", account=MASTODON.name)
    store.ingest(MASTODON.name, [item], {}, 1)
    store.queue_reply(item.id, MASTODON.name, {"sent": "hello"}, "cm", 2)
    engine = SyncEngine(store, [MASTODON], lambda _a: TOKEN)

    async def drain() -> list[str]:
        try:
            return await engine.drain_outbox()
        finally:
            await engine.aclose()

    (problem,) = asyncio.run(drain())
    assert "[token]" in problem and not shows_token(problem)
    (entry,) = store.outbox_for(item.id)
    assert entry.last_error is not None and not shows_token(entry.last_error)
    store.close()
    assert not files_holding(tmp_path, TOKEN)


@pytest.mark.parametrize("filler", range(140, 170, 3))
async def test_an_echoed_token_cut_short_leaves_no_piece_of_it(filler: int) -> None:
    """The platform's message is cut at 160 characters: wherever the cut falls in the token."""

    def long_echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"errors": ["x" * filler + " " + TOKEN + " rest"]})

    async with httpx.AsyncClient(transport=httpx.MockTransport(long_echo)) as client:
        connector = MastodonConnector(MASTODON, client, TOKEN)
        with pytest.raises(ConnectorError) as caught:
            await connector.check()
    assert not shows_token(str(caught.value))
