"""`cmdesk accounts add|list|test|remove` and `cmdesk doctor`, as a CM runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cmdesk.cli import main
from cmdesk.config import load_config
from cmdesk.connectors.replay import Replay, request_key

from .conftest import FIXTURES
from .replay_server import ReplayServer

TOKEN = "tok-Very-Secret-123456"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def lines(result: Result) -> list[str]:
    return result.output.strip().splitlines()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "config.toml"


def add_masto(config: Path, name: str = "brioche-masto", **extra: str) -> Result:
    args = ["accounts", "add", name, "--network", "mastodon", "--brand", "Brioche & Co"]
    args += ["--base-url", extra.get("base_url", "https://piaille.fr")]
    args += ["--option", "handle=briocheco", "--config", str(config)]
    return run(*args, input=f"{TOKEN}\n")


def test_add_writes_a_table_and_keeps_the_token_in_the_keyring(
    config: Path, memory_keyring: dict[tuple[str, str], str]
) -> None:
    result = add_masto(config)
    assert result.exit_code == 0, result.output
    assert lines(result)[-2:] == [
        f"brioche-masto: added to {config} (mastodon, Brioche & Co, https://piaille.fr)",
        "brioche-masto: token in the keyring; check it with `cmdesk accounts test brioche-masto`",
    ]
    assert config.read_text(encoding="utf-8") == (
        "[[account]]\n"
        'name = "brioche-masto"\n'
        'network = "mastodon"\n'
        'brand = "Brioche & Co"\n'
        'base_url = "https://piaille.fr"\n'
        'handle = "briocheco"\n'
    )
    assert memory_keyring == {("cmdesk", "brioche-masto"): TOKEN}
    assert TOKEN not in result.output  # the hidden prompt does not echo it


def test_add_prompts_for_what_is_missing(
    config: Path, memory_keyring: dict[tuple[str, str], str]
) -> None:
    answers = "\n".join(["reddit", "Brioche & Co", "BriocheEtCo", "Xq3vR8bT2kLm9w", TOKEN]) + "\n"
    result = run("accounts", "add", "brioche-reddit", "--config", str(config), input=answers)
    assert result.exit_code == 0, result.output
    (account,) = load_config(config).accounts
    assert (account.network, account.base_url) == ("reddit", "https://oauth.reddit.com")
    assert account.options["username"] == "BriocheEtCo"
    assert account.options["auth_url"] == "https://www.reddit.com/api/v1/access_token"
    assert memory_keyring[("cmdesk", "brioche-reddit")] == TOKEN


def test_add_appends_below_what_is_there_and_keeps_comments(
    config: Path, memory_keyring: dict[tuple[str, str], str]
) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('# my settings\nagent = "Camille"  # me\n', encoding="utf-8")
    assert add_masto(config).exit_code == 0
    text = config.read_text(encoding="utf-8")
    assert text.startswith('# my settings\nagent = "Camille"  # me\n\n[[account]]\n')
    assert load_config(config).agent == "Camille"


def test_adding_an_existing_account_only_replaces_its_token(
    config: Path, memory_keyring: dict[tuple[str, str], str]
) -> None:
    add_masto(config)
    before = config.read_text(encoding="utf-8")
    result = run("accounts", "add", "brioche-masto", "--config", str(config), input="new-tok\n")
    assert result.exit_code == 0, result.output
    assert lines(result)[-1] == "brioche-masto: token replaced (in the keyring)"
    assert config.read_text(encoding="utf-8") == before
    assert memory_keyring[("cmdesk", "brioche-masto")] == "new-tok"
    other = run("accounts", "add", "brioche-masto", "--network", "bluesky", "--config",
                str(config), input="x\n")  # fmt: skip
    assert other.exit_code == 1
    assert lines(other) == [
        "cmdesk: brioche-masto exists with other settings: "
        "run `cmdesk accounts remove brioche-masto` first"
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--option", "colour=red"], "unknown option 'colour' for mastodon (known: handle)"),
        (["--option", "handle"], "--option 'handle': expected key=value"),
        (["--base-url", "piaille.fr"], "--base-url 'piaille.fr': must start with https://"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(
    config: Path, memory_keyring: dict[tuple[str, str], str], args: list[str], expected: str
) -> None:
    base = ["accounts", "add", "a", "--network", "mastodon", "--brand", "B", "--config"]
    result = run(*base, str(config), "--base-url", "https://x.example",
                 "--option", "handle=h", *args, input="tok\n")  # fmt: skip
    assert result.exit_code == 1
    assert lines(result)[-1].startswith("cmdesk: ") and expected in lines(result)[-1]
    assert not config.exists() and memory_keyring == {}


def test_unknown_network_and_bad_name(config: Path, memory_keyring: dict) -> None:
    result = run("accounts", "add", "a", "--network", "myspace", "--config", str(config))
    assert lines(result)[-1].startswith("cmdesk: unknown network 'myspace' (installed: bluesky,")
    result = run("accounts", "add", "Bad Name", "--network", "mastodon", "--brand", "B",
                 "--base-url", "https://x.example", "--option", "handle=h",
                 "--config", str(config), input="tok\n")  # fmt: skip
    assert lines(result)[-1] == (
        "cmdesk: account name 'Bad Name': use lower-case letters, digits, '-' or '_'"
    )


def test_without_a_keyring_the_environment_variable_is_the_way(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = add_masto(config)
    assert result.exit_code == 1
    assert lines(result)[-1] == (
        "cmdesk: no usable keyring (keyring.backends.fail.Keyring): set "
        "CMDESK_TOKEN_BRIOCHE_MASTO in the environment of cmdesk instead (and keep it out of "
        "shell history), then run this again"
    )
    assert not config.exists()
    monkeypatch.setenv("CMDESK_TOKEN_BRIOCHE_MASTO", TOKEN)
    result = add_masto(config)
    assert result.exit_code == 0
    assert "token in the environment" in result.output
    assert TOKEN not in config.read_text(encoding="utf-8")


CONFIG_WITH_COMMENTS = """\
# cmdesk config
agent = "Camille"

# Brioche on Mastodon
[[account]]
name = "brioche-masto"   # the main one
network = "mastodon"
brand = "Brioche & Co"
base_url = "https://piaille.fr"
handle = "briocheco"

# Nordlys
[[account]]
name = "nordlys-bsky"
network = "bluesky"
brand = "Nordlys"
handle = "nordlys.bsky.social"

[[account]]
name = "pixelpost-forum"
network = "discourse"
brand = "PixelPost"
base_url = "https://forum.pixelpost.example"
username = "pixelpost_team"
"""


def test_remove_cuts_one_table_and_its_token(
    config: Path, memory_keyring: dict[tuple[str, str], str]
) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG_WITH_COMMENTS, encoding="utf-8")
    memory_keyring[("cmdesk", "brioche-masto")] = TOKEN
    memory_keyring[("cmdesk", "nordlys-bsky")] = "other"
    result = run("accounts", "remove", "brioche-masto", "--yes", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert config.read_text(encoding="utf-8") == CONFIG_WITH_COMMENTS.replace(
        '[[account]]\nname = "brioche-masto"   # the main one\nnetwork = "mastodon"\n'
        'brand = "Brioche & Co"\nbase_url = "https://piaille.fr"\nhandle = "briocheco"\n\n',
        "",
    )
    assert memory_keyring == {("cmdesk", "nordlys-bsky"): "other"}
    last = run("accounts", "remove", "pixelpost-forum", "--yes", "--config", str(config))
    assert last.exit_code == 0
    assert config.read_text(encoding="utf-8").endswith('handle = "nordlys.bsky.social"\n')
    assert [a.name for a in load_config(config).accounts] == ["nordlys-bsky"]
    missing = run("accounts", "remove", "nope", "--yes", "--config", str(config))
    assert missing.exit_code == 1 and lines(missing) == [
        f"cmdesk: {config}: no account named 'nope'"
    ]


def test_list_shows_where_each_token_comes_from(
    config: Path, memory_keyring: dict[tuple[str, str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG_WITH_COMMENTS, encoding="utf-8")
    memory_keyring[("cmdesk", "brioche-masto")] = TOKEN
    monkeypatch.setenv("CMDESK_TOKEN_NORDLYS_BSKY", TOKEN)
    result = run("accounts", "list", "--config", str(config))
    assert result.exit_code == 0
    rows = [line.split() for line in lines(result)]
    assert rows[0] == ["NAME", "NETWORK", "BRAND", "BASE", "URL", "TOKEN"]
    assert [(row[0], row[-1]) for row in rows[1:]] == [
        ("brioche-masto", "keyring"),
        ("nordlys-bsky", "env"),
        ("pixelpost-forum", "missing"),
    ]
    assert "https://bsky.social" in lines(result)[2]  # the network's default base URL
    assert TOKEN not in result.output


def test_doctor_says_where_everything_is_and_never_prints_a_token(
    config: Path, memory_keyring: dict[tuple[str, str], str], tmp_path: Path
) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG_WITH_COMMENTS, encoding="utf-8")
    memory_keyring[("cmdesk", "brioche-masto")] = TOKEN
    memory_keyring[("cmdesk", "nordlys-bsky")] = TOKEN
    db = tmp_path / "none.db"
    result = run("doctor", "--config", str(config), "--db", str(db))
    assert result.exit_code == 1  # the forum has no token
    assert lines(result) == [
        f"config: {config} (ok, 3 accounts)",
        f"database: {db} (not created yet: the first sync creates it)",
        "keyring: tests.keyring_memory.MemoryKeyring",
        "  brioche-masto (mastodon): token from the keyring",
        "  nordlys-bsky (bluesky): token from the keyring",
        "  pixelpost-forum (discourse): token missing: run `cmdesk accounts add "
        "pixelpost-forum` or set CMDESK_TOKEN_PIXELPOST_FORUM",
    ]
    assert TOKEN not in result.output


def test_doctor_with_no_keyring_and_a_broken_config(config: Path, tmp_path: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('colour = "red"\n', encoding="utf-8")
    result = run("doctor", "--config", str(config), "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 1
    assert lines(result)[0].startswith(f"config: {config}: error: {config}:1: colour:")
    assert lines(result)[2] == (
        "keyring: keyring.backends.fail.Keyring: no usable keyring, tokens come from "
        "CMDESK_TOKEN_<NAME>"
    )


# -- accounts test, against the recorded platforms --------------------------------------------

HOSTS = ("piaille.fr", "bsky.social", "forum.pixelpost.example", "oauth.reddit.com",
         "www.reddit.com")  # fmt: skip


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    dirs = [FIXTURES / name for name in ("mastodon", "bluesky", "discourse", "reddit")]
    with ReplayServer(Replay.from_dirs(*dirs)) as running:
        yield running


def demo_config(server: ReplayServer, path: Path) -> Path:
    text = (FIXTURES / "demo.toml").read_text(encoding="utf-8")
    for host in HOSTS:
        text = text.replace(f"https://{host}", server.base_url(host))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_accounts_test_proves_each_credential(
    server: ReplayServer, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_config(server, config)
    for name in ("BRIOCHE_MASTO", "NORDLYS_BSKY", "PIXELPOST_FORUM", "BRIOCHE_REDDIT"):
        monkeypatch.setenv(f"CMDESK_TOKEN_{name}", TOKEN)
    names = ["brioche-masto", "nordlys-bsky", "pixelpost-forum", "brioche-reddit"]
    result = run("accounts", "test", *names, "--config", str(config))
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        "brioche-masto: ok — @briocheco on 127.0.0.1, 4812 followers; "
        "may reply, delete own posts, block, mute and report",
        "nordlys-bsky: ok — @nordlys.bsky.social ("
        + server.replay.exchanges[
            request_key("POST", "https://bsky.social/xrpc/com.atproto.server.createSession")
        ]
        .body.split('"did": "')[1]
        .split('"')[0]
        + ") on 127.0.0.1; may reply, delete own posts, mute, block and report",
        "pixelpost-forum: ok — @pixelpost_team on 127.0.0.1 (moderator); "
        "may reply, hide, delete, recover, flag and lock topics",
        "brioche-reddit: ok — u/BriocheEtCo; scopes: edit history identity modposts "
        "privatemessages read report submit account; r/BriocheEtCo: moderator",
    ]
    assert TOKEN not in result.output


def test_accounts_test_names_a_revoked_token_and_exits_1(
    server: ReplayServer, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_config(server, config)
    monkeypatch.setenv("CMDESK_TOKEN_BRIOCHE_MASTO", TOKEN)
    key = request_key("GET", "https://piaille.fr/api/v1/accounts/verify_credentials")
    server.replay.exchanges[key].status = 401
    server.replay.exchanges[key].body = json.dumps({"error": "The access token was revoked"})
    result = run("accounts", "test", "brioche-masto", "pixelpost-forum", "--config", str(config))
    assert result.exit_code == 1
    assert lines(result) == [
        "brioche-masto: error: brioche-masto: token expired or revoked (HTTP 401 on GET "
        "/piaille.fr/api/v1/accounts/verify_credentials): run `cmdesk accounts add "
        "brioche-masto` again",
        "pixelpost-forum: error: pixelpost-forum: a Discourse API key and username are needed",
    ]
    unknown = run("accounts", "test", "nope", "--config", str(config))
    assert unknown.exit_code == 1 and lines(unknown)[-1].startswith("cmdesk: no account named")
