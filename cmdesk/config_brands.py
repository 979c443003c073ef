"""The `[brand."Name"]` tables: SLA, per-network SLA, timezone, business hours,
holidays, banned words and bots.

Apart from the file loading and account validation (`cmdesk.config`): these are
the values the metrics read (`BrandConfig`, `BusinessHours`, `normalise_handle`),
and checking them is most of what validating a config does.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cmdesk.config_errors import ConfigError, Locator

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


class _Fail(Protocol):
    """Makes the error for `key` in the brand's table (or its `sub` table)."""

    def __call__(self, key: str, message: str, sub: str | None = None) -> ConfigError: ...


def parse_handles(value: list[Any], error: Callable[[str], ConfigError]) -> frozenset[str]:
    """A `bots` list, as handles compared the way `normalise_handle` does."""
    if not all(isinstance(handle, str) and handle.strip("@ ") for handle in value):
        raise error("expected a list of author handles (strings)")
    return frozenset(normalise_handle(handle) for handle in value)


def parse_brand(name: str, table: Any, loc: Locator, known: set[str]) -> BrandConfig:
    """Validate one `[brand."Name"]` table; `known` are the brands the accounts name."""
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
        bots=parse_handles(table.get("bots", []), lambda m: fail("bots", m)),
    )


def _toml_type(kind: type) -> str:
    return {dict: "table", list: "array", str: "string", int: "integer"}.get(kind, kind.__name__)


def _sla_overrides(table: dict[str, Any], fail: _Fail) -> tuple[tuple[str, int], ...]:
    from cmdesk.connectors.registry import networks

    installed = networks()
    for network, minutes in table.items():
        if network not in installed:
            raise fail(network, f"unknown network (installed: {', '.join(installed)})", "sla")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
            raise fail(network, "expected a number of minutes (at least 1)", "sla")
    return tuple(sorted(table.items()))


def _business_hours(table: dict[str, Any], fail: _Fail) -> BusinessHours:
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


def _holidays(value: list[Any], fail: _Fail) -> frozenset[dt.date]:
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
