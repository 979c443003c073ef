"""End to end: `cmdesk sync --once` over real HTTP to the recorded platforms, then the export.

One account per connector, then all of them with one broken at a time: each failure
is one line naming its account, and the others still sync. And a planted token
never shows up anywhere: config, database bytes, export, CLI output, error text.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from cmdesk.cli import main
from cmdesk.connectors.base import ConnectorError
from cmdesk.connectors.replay import Replay, request_key
from cmdesk.model import Account

from .conftest import FIXTURES
from .replay_server import ReplayServer
from .test_connector_writes import BLUESKY, CLASSES, DISCOURSE, MASTODON, REDDIT

TOKEN = "tok-PLANTED-e2e-7f3a9c"
NETWORKS = ("mastodon", "bluesky", "discourse", "reddit")
HOSTS = ("piaille.fr", "mastodon.social", "bsky.social", "forum.pixelpost.example",
         "oauth.reddit.com", "www.reddit.com")  # fmt: skip
ACCOUNTS = ("brioche-masto", "pixelpost-masto", "nordlys-bsky", "pixelpost-forum",
            "brioche-reddit")  # fmt: skip


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer(Replay.from_dirs(*(FIXTURES / n for n in NETWORKS))) as running:
        yield running


@pytest.fixture
def env_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ACCOUNTS:
        monkeypatch.setenv(f"CMDESK_TOKEN_{name.upper().replace('-', '_')}", TOKEN)


def write_config(server: ReplayServer, tmp_path: Path, only: str | None = None) -> Path:
    """The demo's accounts pointed at the local server; `only` keeps one of them."""
    text = (FIXTURES / "demo.toml").read_text(encoding="utf-8")
    for host in HOSTS:
        text = text.replace(f"https://{host}", server.base_url(host))
    if only is not None:
        text = text.split("\n[brand.")[0]  # brand tables need their brand's accounts
        tables = text.split("\n[[account]]\n")
        text = "\n[[account]]\n".join([tables[0], *(t for t in tables[1:] if f'"{only}"' in t)])
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def sync(config: Path, db: Path) -> Result:
    return CliRunner().invoke(main, ["sync", "--once", "--config", str(config), "--db", str(db)])


def export(db: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["export", "items", "--format", "jsonl", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def row(rows: list[dict[str, Any]], fragment: str) -> dict[str, Any]:
    found = [r for r in rows if fragment in r["text"]]
    assert len(found) == 1, f"{len(found)} rows contain {fragment!r}"
    return found[0]


EXPECTED = {
    # account: (actionable items, a message, its kind, its author, its thread's first words)
    "brioche-masto": (95, "Il y a une version sans gluten", "reply", "lucie_mrt",
                      "🎄 Le calendrier de l'Avent"),
    "nordlys-bsky": (112, "I'm a 42 in Salomon X Ultra", "reply", "ingrid-hikes.bsky.social",
                     "Meet the Fjell GTX"),
    "pixelpost-forum": (111, "Reprint is fine but the wedding", "reply", "grainy_greg",
                        "Since updating to 4.8 on Sunday"),
    "brioche-reddit": (42, "le secret du flan", "reply", "flan_enthousiaste",
                       "On est l'équipe Brioche & Co"),
}  # fmt: skip


@pytest.mark.parametrize("account", EXPECTED)
def test_sync_then_export_one_account(
    account: str, server: ReplayServer, tmp_path: Path, env_tokens: None
) -> None:
    config, db = write_config(server, tmp_path, only=account), tmp_path / "e2e.db"
    result = sync(config, db)
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    assert line.startswith(f"{account}: ok, ") and line.endswith(" new")
    rows = export(db)
    actionable, fragment, kind, author, thread_start = EXPECTED[account]
    assert sum(not r["context_only"] for r in rows) == actionable
    assert {r["account"] for r in rows} == {account}
    assert all(r["id"] == f"{account}/{r['remote_id']}" for r in rows)
    assert all(r["status"] == "new" and r["labels"] == [] for r in rows)
    if fragment is not None:
        message = row(rows, fragment)
        assert (message["kind"], message["author_handle"]) == (kind, author)
        thread = next(r for r in rows if r["id"] == message["thread_id"])
        assert thread_start in thread["text"]
    again = sync(config, db)
    assert again.output.strip().endswith(", 0 new")
    assert len(export(db)) == len(rows)


def test_a_bluesky_and_a_forum_message_land_in_the_export(
    server: ReplayServer, tmp_path: Path, env_tokens: None
) -> None:
    config, db = write_config(server, tmp_path), tmp_path / "all.db"
    assert sync(config, db).exit_code == 0
    rows = export(db)
    assert {r["network"] for r in rows} == set(NETWORKS)
    hostile = [r for r in rows if "[link=https://evil.example]click[/link]" in r["text"]]
    assert hostile  # kept literally through SQLite and JSON
    reddit_dm = [r for r in rows if r["network"] == "reddit" and r["kind"] == "dm"]
    assert len(reddit_dm) == 3 and all(r["remote_id"].startswith("t4_") for r in reddit_dm)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _break(server: ReplayServer, method: str, url: str, status: int, body: Any,
           headers: dict[str, str] | None = None) -> None:  # fmt: skip
    recorded = server.replay.exchanges[request_key(method, url)]
    recorded.status, recorded.body = status, json.dumps(body)
    recorded.headers = headers or {}


def revoked(server: ReplayServer, config: Path) -> None:
    url = "https://bsky.social/xrpc/com.atproto.server.createSession"
    _break(server, "POST", url, 401, {"error": "AuthenticationRequired",
                                     "message": "Invalid identifier or password"})  # fmt: skip


def down(server: ReplayServer, config: Path) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/forum"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(server.base_url("forum.pixelpost.example"), dead))


def storm(server: ReplayServer, config: Path) -> None:
    url = "https://piaille.fr/api/v1/notifications?limit=40&types%5B%5D=mention"
    _break(server, "GET", url, 429, {"error": "Too many requests"}, {"Retry-After": "120"})


def wrong_shape(server: ReplayServer, config: Path) -> None:
    url = "https://oauth.reddit.com/message/inbox?limit=100&mark=false&raw_json=1"
    _break(server, "GET", url, 200, {"kind": "t1", "data": {}})


def deleted_parents(server: ReplayServer, config: Path) -> None:
    for key, recorded in server.replay.exchanges.items():
        if key.startswith("GET https://piaille.fr/api/v1/statuses/") and "/context" in key:
            recorded.status, recorded.body = 404, json.dumps({"error": "Record not found"})


BAD_INPUT = {
    "revoked token": (
        revoked,
        "nordlys-bsky",
        "error: nordlys-bsky: token expired or revoked (HTTP 401 on POST "
        "/bsky.social/xrpc/com.atproto.server.createSession): "
        "run `cmdesk accounts add nordlys-bsky` again",
    ),
    "instance down": (
        down,
        "pixelpost-forum",
        "error: cannot reach 127.0.0.1 (connection refused) on GET /forum/posts.json "
        "(after 2 attempts)",
    ),
    "429 storm": (
        storm,
        "brioche-masto",
        "error: rate limited on GET /piaille.fr/api/v1/notifications for 120s",
    ),
    "wrong shape": (
        wrong_shape,
        "brioche-reddit",
        "error: unexpected Reddit listing shape (TypeError: not a Listing)",
    ),
    "deleted parents": (deleted_parents, None, None),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=BAD_INPUT.keys())
def test_bad_input_is_one_line_for_its_account_and_the_others_sync(
    case: str, server: ReplayServer, tmp_path: Path, env_tokens: None
) -> None:
    breaker, broken, message = BAD_INPUT[case]
    config = write_config(server, tmp_path)
    breaker(server, config)
    result = sync(config, tmp_path / "bad.db")
    assert "Traceback" not in result.output
    states = dict(line.split(": ", 1) for line in result.output.splitlines())
    assert list(states) == list(ACCOUNTS)
    for account, state in states.items():
        if account == broken:
            assert state == message
        else:
            assert state.startswith("ok, "), f"{account}: {state}"
    assert result.exit_code == (2 if broken else 0)
    if broken is None:  # a deleted ancestor costs its context, never the mention
        rows = export(tmp_path / "bad.db")
        masto = [r for r in rows if r["account"] == "brioche-masto" and not r["context_only"]]
        assert len(masto) == 95


# -- the token never leaks --------------------------------------------------------------------


def leak_everywhere(server: ReplayServer) -> None:
    """Make each platform fail while echoing what it was sent, token included."""

    def echo(status: int) -> Any:
        return {"error": f"bad credential {TOKEN}", "message": f"got {TOKEN}"}

    _break(server, "GET", "https://piaille.fr/api/v1/accounts/verify_credentials", 400, echo(400))
    _break(server, "GET", "https://forum.pixelpost.example/posts.json", 422,
           {"errors": [f"API key {TOKEN} is not valid"]})  # fmt: skip
    _break(server, "POST", "https://bsky.social/xrpc/com.atproto.server.createSession", 400,
           echo(400))  # fmt: skip
    _break(server, "POST", "https://www.reddit.com/api/v1/access_token", 400,
           {"error": f"invalid_grant {TOKEN}"})  # fmt: skip


def test_a_planted_token_never_leaks(
    server: ReplayServer, tmp_path: Path, memory_keyring: dict[tuple[str, str], str]
) -> None:
    for name in ACCOUNTS:
        memory_keyring[("cmdesk", name)] = TOKEN
    config, db = write_config(server, tmp_path), tmp_path / "leak.db"
    ok = sync(config, db)
    assert ok.exit_code == 0, ok.output
    exported = CliRunner().invoke(main, ["export", "items", "--format", "jsonl", "--db", str(db)])
    csv_out = CliRunner().invoke(main, ["export", "items", "--format", "csv", "--db", str(db)])
    leak_everywhere(server)
    failing = sync(config, db)
    assert failing.exit_code == 2
    assert failing.output.count(": error: ") == 4  # every account but pixelpost-masto
    tested = CliRunner().invoke(main, ["accounts", "test", "--config", str(config)])
    doctor = CliRunner().invoke(main, ["doctor", "--config", str(config), "--db", str(db)])
    listed = CliRunner().invoke(main, ["accounts", "list", "--config", str(config)])
    texts = [ok.output, exported.output, csv_out.output, failing.output, tested.output,
             doctor.output, listed.output, config.read_text(encoding="utf-8")]  # fmt: skip
    for text in texts:
        assert TOKEN not in text
    stored = [path.read_bytes() for path in tmp_path.iterdir() if path.name.startswith("leak.db")]
    assert stored and not any(TOKEN.encode() in data for data in stored)
    assert "[token]" in failing.output  # the echo was there, and blanked


ACCOUNT_OF = {"mastodon": MASTODON, "bluesky": BLUESKY, "discourse": DISCOURSE, "reddit": REDDIT}


@pytest.mark.parametrize("network", NETWORKS)
async def test_raised_errors_never_carry_the_token(network: str) -> None:
    """A platform that echoes everything it was sent (headers, body) into its error."""

    def echo(request: httpx.Request) -> httpx.Response:
        secret = request.headers.get("authorization", "") + request.headers.get("api-key", "")
        sent = f"{secret} {request.content.decode(errors='replace')}"
        return httpx.Response(400, json={"error": "Bad", "message": sent})

    account: Account = ACCOUNT_OF[network]
    async with httpx.AsyncClient(transport=httpx.MockTransport(echo)) as client:
        connector = CLASSES[network](account, client, TOKEN)
        for call in (connector.fetch({}), connector.check()):
            with pytest.raises(ConnectorError) as caught:
                await call
            assert TOKEN not in str(caught.value)
            assert "[token]" in str(caught.value)  # it was echoed, and blanked
