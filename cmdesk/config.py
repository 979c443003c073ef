"""TOML configuration: where it lives, what it may hold, and errors that name file, line and key."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from cmdesk.model import Account

APP = "cmdesk"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TOP_KEYS = {"agent": str, "sync_interval": int, "replies_dir": str, "theme": str, "account": list}
_ACCOUNT_KEYS = {"name": str, "network": str, "brand": str, "base_url": str}


class ConfigError(Exception):
    """A configuration problem, said in one line: `file:line: key: what is wrong`."""


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    agent: str = "me"
    sync_interval: int = 120
    replies_dir: Path | None = None
    theme: str = "cmdesk-dark"
    accounts: tuple[Account, ...] = field(default_factory=tuple)


def default_config_path() -> Path:
    env = os.environ.get("CMDESK_CONFIG")
    return Path(env) if env else platformdirs.user_config_path(APP) / "config.toml"


def default_db_path() -> Path:
    env = os.environ.get("CMDESK_DB")
    return Path(env) if env else platformdirs.user_data_path(APP) / "cmdesk.db"


def load_config(path: Path | None = None, *, missing_ok: bool = True) -> Config:
    """Read and validate the config; a missing default file is an empty config."""
    path = path or default_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return Config(path=None)
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"{path}:{line.group(1) if line else 1}: invalid TOML: {exc}") from exc
    return _validate(data, _Locator(path, text))


class _Locator:
    """Finds the line of a key, so each error points where the user must look."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line(self, key: str, table_index: int | None = None) -> int:
        start, end = 0, len(self.lines)
        if table_index is not None:
            headers = [i for i, ln in enumerate(self.lines) if ln.strip().startswith("[[account]]")]
            if table_index < len(headers):
                start = headers[table_index]
                later = [
                    i for i, ln in enumerate(self.lines) if i > start and ln.strip().startswith("[")
                ]
                end = later[0] if later else len(self.lines)
        else:
            tables = [i for i, ln in enumerate(self.lines) if ln.strip().startswith("[")]
            end = tables[0] if tables else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                return number + 1
        return start + 1

    def error(self, key: str, message: str, table_index: int | None = None) -> ConfigError:
        where = f"[[account]] #{table_index + 1} " if table_index is not None else ""
        return ConfigError(f"{self.path}:{self.line(key, table_index)}: {where}{key}: {message}")


def _check_type(loc: _Locator, key: str, value: Any, kind: type, index: int | None) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise loc.error(key, f"expected {kind.__name__}, got {type(value).__name__}", index)


def _validate(data: dict[str, Any], loc: _Locator) -> Config:
    for key, value in data.items():
        if key not in _TOP_KEYS:
            raise loc.error(key, f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
        _check_type(loc, key, value, _TOP_KEYS[key], None)
    if data.get("sync_interval", 120) < 10:
        raise loc.error("sync_interval", "must be at least 10 seconds")
    accounts = tuple(
        _account(entry, index, loc) for index, entry in enumerate(data.get("account", []))
    )
    names = [account.name for account in accounts]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise loc.error("name", f"duplicate account name {name!r}", index)
    replies_dir = data.get("replies_dir")
    return Config(
        path=loc.path,
        agent=data.get("agent", "me"),
        sync_interval=data.get("sync_interval", 120),
        replies_dir=Path(replies_dir).expanduser() if replies_dir else None,
        theme=data.get("theme", "cmdesk-dark"),
        accounts=accounts,
    )


def _account(entry: Any, index: int, loc: _Locator) -> Account:
    from cmdesk.connectors.registry import ConnectorLoadError, connector_class

    if not isinstance(entry, dict):
        raise loc.error("account", "must be a [[account]] table")
    for key in ("name", "network", "brand"):
        if key not in entry:
            raise loc.error(key, "missing required key", index)
    for key, kind in _ACCOUNT_KEYS.items():
        if key in entry:
            _check_type(loc, key, entry[key], kind, index)
    if not _NAME.match(entry["name"]):
        raise loc.error("name", "use lower-case letters, digits, '-' or '_'", index)
    try:
        connector = connector_class(entry["network"])
    except ConnectorLoadError as exc:
        raise loc.error("network", str(exc), index) from exc
    declared = {option.name: option for option in connector.options}
    options: dict[str, Any] = {}
    for key, value in entry.items():
        if key in _ACCOUNT_KEYS:
            continue
        if key not in declared:
            known = ", ".join(sorted([*_ACCOUNT_KEYS, *declared]))
            raise loc.error(key, f"unknown key for {entry['network']} (known: {known})", index)
        _check_type(loc, key, value, str, index)
        options[key] = value
    for name, option in declared.items():
        if name not in options:
            if option.required:
                raise loc.error(name, f"missing required key for {entry['network']}", index)
            if option.default is not None:
                options[name] = option.default
    base_url = entry.get("base_url") or connector.default_base_url
    if not base_url:
        raise loc.error("base_url", f"required for {entry['network']}", index)
    if not base_url.startswith(("https://", "http://")):
        raise loc.error("base_url", "must start with https:// or http://", index)
    return Account(entry["name"], entry["network"], entry["brand"], base_url, options)
