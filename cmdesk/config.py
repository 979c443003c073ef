"""TOML configuration: where it lives, reading it, the top-level keys and the accounts.

The `[brand."Name"]` tables, the values the metrics read, are parsed in
`cmdesk.config_brands`; errors naming file, line and key come from
`cmdesk.config_errors`. This module reads the file and ties them into one `Config`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from cmdesk.config_brands import BrandConfig, parse_brand, parse_handles
from cmdesk.config_brands import normalise_handle as normalise_handle  # re-exported for metrics
from cmdesk.config_errors import ConfigError, Locator
from cmdesk.model import Account

APP = "cmdesk"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TOP_KEYS = {
    "agent": str,
    "sync_interval": int,
    "replies_dir": str,
    "theme": str,
    "account": list,
    "bots": list,
    "brand": dict,
}
_ACCOUNT_KEYS = {"name": str, "network": str, "brand": str, "base_url": str}


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    agent: str = "me"
    sync_interval: int = 120
    replies_dir: Path | None = None
    theme: str = "cmdesk-dark"
    accounts: tuple[Account, ...] = field(default_factory=tuple)
    #: `[brand."Name"]` tables: SLA, timezone, business hours, banned words, bots.
    brands: dict[str, BrandConfig] = field(default_factory=dict)
    #: Author handles (normalised, see `normalise_handle`) that are bots for every brand.
    bots: frozenset[str] = frozenset()


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
    return _validate(data, Locator(path, text))


def _check_type(loc: Locator, key: str, value: Any, kind: type, index: int | None) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise loc.error(key, f"expected {kind.__name__}, got {type(value).__name__}", index)


def _validate(data: dict[str, Any], loc: Locator) -> Config:
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
    known_brands = {account.brand for account in accounts}
    brands = {
        name: parse_brand(name, table, loc, known_brands)
        for name, table in data.get("brand", {}).items()
    }
    return Config(
        path=loc.path,
        agent=data.get("agent", "me"),
        sync_interval=data.get("sync_interval", 120),
        replies_dir=Path(replies_dir).expanduser() if replies_dir else None,
        theme=data.get("theme", "cmdesk-dark"),
        accounts=accounts,
        brands=brands,
        bots=parse_handles(data.get("bots", []), lambda m: loc.error("bots", m)),
    )


def _account(entry: Any, index: int, loc: Locator) -> Account:
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
