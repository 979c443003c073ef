"""Accounts: add, list, test and remove them, and say where each token comes from.

The logic behind `cmdesk accounts ...` and `cmdesk doctor`, without click. The
config file is edited as text, one `[[account]]` table at a time, so the user's
comments and layout survive; every edit is validated by the config loader
before it replaces the file. Tokens go to the keyring and nowhere else.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import httpx
import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from cmdesk.config import Config, ConfigError, load_config
from cmdesk.connectors.base import ConnectorError
from cmdesk.connectors.registry import ConnectorLoadError, connector_class
from cmdesk.errors import UserError
from cmdesk.model import Account
from cmdesk.secrets import SERVICE, env_name

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HEADER = re.compile(r"^\s*\[\[\s*account\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[")


class AccountError(UserError):
    """A mistake in an accounts command, said in one line."""


class TokenSource(StrEnum):
    KEYRING = "keyring"
    ENV = "env"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Added:
    account: Account
    replaced_token: bool  # True when the account existed and only its token changed
    stored_in: TokenSource


# -- tokens ------------------------------------------------------------------------------------


def keyring_usable() -> bool:
    """False for the fail and null backends (and an empty chain): tokens then come from env."""
    backend = keyring.get_keyring()
    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return False
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        return bool(backend.backends)
    return True


def keyring_name() -> str:
    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def token_source(name: str) -> TokenSource:
    """Where `cmdesk` would find the account's token, without revealing it."""
    with suppress(keyring.errors.KeyringError):
        if keyring.get_password(SERVICE, name):
            return TokenSource.KEYRING
    if os.environ.get(env_name(name)):
        return TokenSource.ENV
    return TokenSource.MISSING


def store_token(name: str, token: str) -> TokenSource:
    """Keep the token in the keyring; with no usable keyring, accept `CMDESK_TOKEN_<NAME>`."""
    if keyring_usable():
        try:
            keyring.set_password(SERVICE, name, token)
            return TokenSource.KEYRING
        except keyring.errors.KeyringError as exc:
            problem = f"the keyring refused the token ({type(exc).__name__})"
    else:
        problem = f"no usable keyring ({keyring_name()})"
    if os.environ.get(env_name(name)) == token:
        return TokenSource.ENV
    raise AccountError(
        f"{problem}: set {env_name(name)} in the environment of cmdesk instead "
        "(and keep it out of shell history), then run this again"
    )


# -- options -----------------------------------------------------------------------------------


def parse_options(pairs: list[str]) -> dict[str, str]:
    """`key=value` strings from `--option`, as a dict."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise AccountError(f"--option {pair!r}: expected key=value")
        options[key.strip()] = value.strip()
    return options


def check_options(network: str, options: Mapping[str, str]) -> dict[str, str]:
    """Options checked against the connector's declared ones; defaults are left to the loader."""
    try:
        connector = connector_class(network)
    except ConnectorLoadError as exc:
        raise AccountError(str(exc)) from exc
    declared = {option.name: option for option in connector.options}
    for key in options:
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise AccountError(f"unknown option {key!r} for {network} (known: {known})")
    missing = [key for key, option in declared.items() if option.required and not options.get(key)]
    if missing:
        raise AccountError(f"{network} needs option {missing[0]!r}: {declared[missing[0]].help}")
    return {key: value for key, value in options.items() if value}


# -- the config file ---------------------------------------------------------------------------


def add_account(
    path: Path,
    *,
    name: str,
    network: str,
    brand: str,
    base_url: str | None,
    options: Mapping[str, str],
    token: str,
) -> Added:
    """Append an `[[account]]` table (creating the file if needed) and store its token.

    Adding an account that exists only replaces its token: that is what an
    expired or revoked token asks for. The token never reaches the file.
    """
    if not _NAME.match(name):
        raise AccountError(f"account name {name!r}: use lower-case letters, digits, '-' or '_'")
    if not token.strip():
        raise AccountError(f"{name}: the token is empty")
    existing = {account.name: account for account in _accounts(path)}
    if name in existing:
        account = existing[name]
        check_unchanged(account, network, base_url, options)
        return Added(account, replaced_token=True, stored_in=store_token(name, token))
    if not brand.strip():
        raise AccountError(f"{name}: a brand is needed (the name the CM answers for)")
    checked = check_options(network, options)
    connector = connector_class(network)
    if not base_url and not connector.default_base_url:
        raise AccountError(f"{network} needs --base-url (the instance or forum address)")
    if base_url and not base_url.startswith(("https://", "http://")):
        raise AccountError(f"--base-url {base_url!r}: must start with https:// or http://")
    table = {"name": name, "network": network, "brand": brand}
    if base_url:
        table["base_url"] = base_url.rstrip("/")
    table.update(checked)
    text = _read(path)
    keys = "".join(f"{key} = {_toml_string(value)}\n" for key, value in table.items())
    block = f"[[account]]\n{keys}"
    if text and not text.endswith("\n"):
        text += "\n"
    new_text = f"{text}\n{block}" if text.strip() else block
    config = _replace_checked(path, new_text)
    account = next(a for a in config.accounts if a.name == name)
    try:
        stored = store_token(name, token)
    except AccountError:
        if text:  # leave no half-added account behind
            path.write_text(text, encoding="utf-8")
        else:
            path.unlink(missing_ok=True)
        raise
    return Added(account, replaced_token=False, stored_in=stored)


def check_unchanged(
    account: Account, network: str | None, base_url: str | None, options: Mapping[str, str]
) -> None:
    """Re-adding an account replaces its token; other settings need a remove first."""
    same = network in (None, account.network) and base_url in (None, "", account.base_url)
    if not same or any(account.options.get(key) != value for key, value in options.items()):
        name = account.name
        raise AccountError(
            f"{name} exists with other settings: run `cmdesk accounts remove {name}` first"
        )


def remove_account(path: Path, name: str) -> bool:
    """Cut the account's table out of the config and forget its token; True if it was there."""
    text = _read(path)
    lines = text.splitlines(keepends=True)
    span = _table_span(lines, name)
    if span is None:
        raise AccountError(f"{path}: no account named {name!r}")
    start, end = span
    kept = lines[:start] + lines[end:]
    while kept and not kept[-1].strip():
        kept.pop()  # no trailing blank lines where the last table was
    _replace_checked(path, "".join(kept))
    with suppress(keyring.errors.KeyringError):  # not in the keyring (env): nothing to forget
        keyring.delete_password(SERVICE, name)
    return True


def _table_span(lines: list[str], name: str) -> tuple[int, int] | None:
    """Line range [start, end) of the `[[account]]` table whose `name` is `name`.

    It runs from its header to its last key, plus the blank lines after it;
    comments just above the next table header introduce that table and stay.
    """
    headers = [i for i, line in enumerate(lines) if _TABLE.match(line)]
    pattern = re.compile(rf"^\s*name\s*=\s*[\"']{re.escape(name)}[\"']\s*(#.*)?$")
    for position, start in enumerate(headers):
        following = headers[position + 1] if position + 1 < len(headers) else len(lines)
        body = lines[start:following]
        if not _HEADER.match(lines[start]) or not any(pattern.match(ln.strip()) for ln in body):
            continue
        end = following
        if following < len(lines):
            while end > start + 1 and (not lines[end - 1].strip() or _comment(lines[end - 1])):
                end -= 1
            while end < following and not lines[end].strip():
                end += 1
        return start, end
    return None


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _accounts(path: Path) -> tuple[Account, ...]:
    if not path.exists():
        return ()
    return load_config(path, missing_ok=False).accounts


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountError(f"{path}: cannot read config ({exc})") from exc


def _replace_checked(path: Path, text: str) -> Config:
    """Validate `text` with the config loader, then swap it in atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    scratch_path = Path(scratch)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            config = load_config(scratch_path, missing_ok=False)
        except ConfigError as exc:
            raise AccountError(str(exc).replace(str(scratch_path), str(path))) from exc
        if path.exists():
            os.chmod(scratch_path, path.stat().st_mode & 0o777)
        os.replace(scratch_path, path)
        return config
    finally:
        scratch_path.unlink(missing_ok=True)


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, bar DEL)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")


# -- test and doctor ---------------------------------------------------------------------------


def check_account(
    account: Account, token: str | None, *, transport: httpx.AsyncBaseTransport | None = None
) -> str:
    """One call that proves the credential; the connector's one-line answer, or `ConnectorError`."""
    from cmdesk.sync import USER_AGENT

    async def run() -> str:
        async with httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(20.0, connect=10.0),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        ) as client:
            connector = connector_class(account.network)(account, client, token)
            try:
                return await connector.check()
            except ConnectorError:
                raise
            except Exception as exc:  # a connector bug: one line, never the token
                message = f"unexpected {type(exc).__name__}: {exc}"
                raise ConnectorError(connector.http.redact(message)) from None

    try:
        return asyncio.run(run())
    except ConnectorLoadError as exc:
        raise ConnectorError(str(exc)) from exc
