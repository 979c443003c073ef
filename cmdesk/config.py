"""TOML configuration: where it lives, what it may hold, and errors that name file, line and key."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from cmdesk.errors import UserError
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


class ConfigError(UserError):
    """A configuration problem, said in one line: `file:line: key: what is wrong`."""


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When a brand's team works, in its timezone: minutes after local midnight.

    `close_minute <= open_minute` means overnight (22:00-06:00 closes the next day);
    `close_minute == 1440` is "24:00". A window belongs to the day it opens on.
    """

    days: frozenset[int]  # 0 = Monday
    open_minute: int
    close_minute: int

    @property
    def overnight(self) -> bool:
        return self.close_minute <= self.open_minute


@dataclass(frozen=True, slots=True)
class BrandConfig:
    """One `[brand."Name"]` table. Hashable, so per-brand calendars can be cached."""

    name: str
    sla_minutes: int | None = None
    #: `[brand."Name".sla]`: per-network SLA in minutes, overriding `sla_minutes`.
    sla: tuple[tuple[str, int], ...] = ()
    timezone: str | None = None
    business_hours: BusinessHours | None = None
    holidays: frozenset[dt.date] = frozenset()
    banned_words: tuple[str, ...] = ()
    bots: frozenset[str] = frozenset()

    def sla_for(self, network: str) -> int | None:
        """The SLA in minutes for items on `network`, or None when there is none."""
        for name, minutes in self.sla:
            if name == network:
                return minutes
        return self.sla_minutes


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalise_handle(handle: str) -> str:
    """How handles are compared: without surrounding spaces and a leading `@`, ASCII
    lower-cased (exactly as SQLite's `lower(ltrim(trim(h, ' '), '@'))`, which the report
    uses)."""
    return handle.strip(" ").lstrip("@").translate(_ASCII_LOWER)


def parse_clock(text: str, *, allow_24: bool = False) -> int:
    """`"HH:MM"` as minutes after midnight; ValueError if it is not a time of day."""
    match = re.fullmatch(r"([01]\d|2[0-4]):([0-5]\d)", text)
    if not match:
        raise ValueError(f"expected a time as HH:MM, got {text!r}")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > 1440 or (minutes == 1440 and not allow_24):
        raise ValueError(f"{text!r} is not a time of day")
    return minutes


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

    def brand_line(self, brand: str, keys: Sequence[str], sub: str | None = None) -> int:
        """The line of the first of `keys` found in `[brand."Name"]`, its `.sub` table or an
        inline table there; else the table's header."""
        name = re.escape(brand)
        quoted = rf"(?:\"{name}\"|'{name}'|{name})"
        patterns = [rf"brand\s*\.\s*{quoted}"]
        if sub:
            patterns.insert(0, rf"brand\s*\.\s*{quoted}\s*\.\s*{re.escape(sub)}")
        starts = [start for start in map(self._header, patterns) if start is not None]
        for key in keys:
            anywhere = re.compile(rf"(?:^|[\s{{,])[\"']?{re.escape(key)}[\"']?\s*=")
            for start in starts:
                for number in range(start + 1, self._section_end(start)):
                    if anywhere.search(self.lines[number]):
                        return number + 1
        return starts[-1] + 1 if starts else self.line("brand")

    def _header(self, pattern: str) -> int | None:
        compiled = re.compile(rf"^\s*\[\s*{pattern}\s*\]")
        for number, text in enumerate(self.lines):
            if compiled.match(text):
                return number
        return None

    def _section_end(self, start: int) -> int:
        for number in range(start + 1, len(self.lines)):
            if self.lines[number].strip().startswith("["):
                return number
        return len(self.lines)

    def brand_error(
        self, brand: str, key: str, message: str, sub: str | None = None
    ) -> ConfigError:
        nested = sub and not key.startswith(f"{sub}.")
        table = f'[brand."{brand}"{"." + sub if nested else ""}]'
        keys = key.split(".")[::-1] + ([sub] if sub and sub not in key else [])
        line = self.brand_line(brand, keys, sub)
        return ConfigError(f"{self.path}:{line}: {table} {key}: {message}")


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
    known_brands = {account.brand for account in accounts}
    brands = {
        name: _brand(name, table, loc, known_brands)
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
        bots=_handles(data.get("bots", []), lambda m: loc.error("bots", m)),
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


_BRAND_KEYS = {
    "sla_minutes": int,
    "sla": dict,
    "timezone": str,
    "business_hours": dict,
    "holidays": list,
    "banned_words": list,
    "bots": list,
}
_HOURS_KEYS = ("days", "open", "close")


def _handles(value: list[Any], error: Any) -> frozenset[str]:
    if not all(isinstance(handle, str) and handle.strip("@ ") for handle in value):
        raise error("expected a list of author handles (strings)")
    return frozenset(normalise_handle(handle) for handle in value)


def _brand(name: str, table: Any, loc: _Locator, known: set[str]) -> BrandConfig:
    """Validate one `[brand."Name"]` table."""
    if not isinstance(table, dict):
        raise loc.error("brand", f'write brand settings as a [brand."{name}"] table')

    def fail(key: str, message: str, sub: str | None = None) -> ConfigError:
        return loc.brand_error(name, key, message, sub)

    if known and name not in known:
        raise fail("brand", f"no [[account]] has this brand (known: {', '.join(sorted(known))})")
    for key, value in table.items():
        if key not in _BRAND_KEYS:
            raise fail(key, f"unknown key (known: {', '.join(sorted(_BRAND_KEYS))})")
        kind = _BRAND_KEYS[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise fail(key, f"expected {_toml_type(kind)}, got {_toml_type(type(value))}")
    sla_minutes = table.get("sla_minutes")
    if sla_minutes is not None and sla_minutes < 1:
        raise fail("sla_minutes", "must be at least 1 minute")
    timezone = table.get("timezone")
    if timezone is not None:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise fail("timezone", f"unknown timezone {timezone!r} (e.g. Europe/Paris)") from None
    hours = None
    if "business_hours" in table:
        if timezone is None:
            raise fail("business_hours", 'needs timezone, e.g. timezone = "Europe/Paris"')
        hours = _business_hours(table["business_hours"], fail)
    holidays = _holidays(table.get("holidays", []), fail)
    if holidays and hours is None:
        raise fail("holidays", "only count with business_hours")
    words = table.get("banned_words", [])
    if not all(isinstance(word, str) and word.strip() for word in words):
        raise fail("banned_words", "expected a list of non-empty strings")
    return BrandConfig(
        name=name,
        sla_minutes=sla_minutes,
        sla=_sla_overrides(table.get("sla", {}), fail),
        timezone=timezone,
        business_hours=hours,
        holidays=holidays,
        banned_words=tuple(words),
        bots=_handles(table.get("bots", []), lambda m: fail("bots", m)),
    )


def _toml_type(kind: type) -> str:
    return {dict: "table", list: "array", str: "string", int: "integer"}.get(kind, kind.__name__)


def _sla_overrides(table: dict[str, Any], fail: Any) -> tuple[tuple[str, int], ...]:
    from cmdesk.connectors.registry import networks

    installed = networks()
    for network, minutes in table.items():
        if network not in installed:
            raise fail(network, f"unknown network (installed: {', '.join(installed)})", "sla")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
            raise fail(network, "expected a number of minutes (at least 1)", "sla")
    return tuple(sorted(table.items()))


def _business_hours(table: dict[str, Any], fail: Any) -> BusinessHours:
    for key in table:
        if key not in _HOURS_KEYS:
            known = ", ".join(_HOURS_KEYS)
            raise fail(f"business_hours.{key}", f"unknown key (known: {known})", "business_hours")
    for key in _HOURS_KEYS:
        if key not in table:
            raise fail(f"business_hours.{key}", "missing required key", "business_hours")
    days = table["days"]
    if not isinstance(days, list) or not days or not all(d in WEEKDAYS for d in days):
        message = f"expected a non-empty list of {', '.join(WEEKDAYS)}"
        raise fail("business_hours.days", message, "business_hours")
    clocks = {}
    for key in ("open", "close"):
        try:
            if not isinstance(table[key], str):
                raise ValueError(f'expected a time as a "HH:MM" string, got {table[key]!r}')
            clocks[key] = parse_clock(table[key], allow_24=key == "close")
        except ValueError as exc:
            raise fail(f"business_hours.{key}", str(exc), "business_hours") from None
    if clocks["open"] == clocks["close"] % 1440 and clocks["close"] != 1440:
        message = "same as open; for round-the-clock service leave business_hours out"
        raise fail("business_hours.close", message, "business_hours")
    weekdays = frozenset(WEEKDAYS.index(day) for day in days)
    return BusinessHours(weekdays, clocks["open"], clocks["close"])


def _holidays(value: list[Any], fail: Any) -> frozenset[dt.date]:
    found = set()
    for entry in value:
        if isinstance(entry, dt.date) and not isinstance(entry, dt.datetime):
            found.add(entry)
            continue
        try:
            found.add(dt.date.fromisoformat(entry))
        except (TypeError, ValueError):
            raise fail("holidays", f"expected dates as YYYY-MM-DD, got {entry!r}") from None
    return frozenset(found)
