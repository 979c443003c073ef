"""Who counts and which clock runs: exclusions, SLA, business hours per segment.

A segment is one account (so one network and one brand): every item of it shares
the same SLA, calendar and local days, resolved once rather than per event.
"""

from __future__ import annotations

from dataclasses import dataclass

from cmdesk.config import Config, normalise_handle
from cmdesk.metrics.hours import Calendar, LocalDays, calendar_for
from cmdesk.store.summaries import KEY_SEP

WALL_CLOCK = "wall-clock"
BUSINESS_HOURS = "business-hours"
MIXED = "mixed"
#: The options of the connectors that name the account's own handle.
_OWN_HANDLE_OPTIONS = ("handle", "username")


@dataclass(slots=True)
class Segment:
    account: str
    network: str
    brand: str
    #: The SLA in ms (wall-clock or open time, as the calendar says), None if none applies.
    sla_ms: int | None
    calendar: Calendar | None
    days: LocalDays
    excluded_handles: frozenset[str]

    def excludes(self, author_handle: str | None) -> bool:
        """Whether an item by this author never counts here (our own account, a bot)."""
        handle = author_handle or ""
        if handle.isascii():  # `normalise_handle`, 10x faster: ASCII is all it lower-cases
            return handle.strip(" ").lstrip("@").lower() in self.excluded_handles
        return normalise_handle(handle) in self.excluded_handles


class Rules:
    """The config, reduced to what the metrics and the SLA badge ask per item."""

    def __init__(self, config: Config, *, wall_clock: bool = False) -> None:
        self.config = config
        self.wall_clock = wall_clock
        self._own: dict[str, frozenset[str]] = {}
        for account in config.accounts:
            handles = set()
            for option in _OWN_HANDLE_OPTIONS:
                value = account.options.get(option)
                if isinstance(value, str) and value.strip("@ "):
                    own = normalise_handle(value)
                    handles |= {own, own.split("@")[0]}
            self._own[account.name] = frozenset(handles)
        self._segments: dict[tuple[str, str, str], Segment] = {}
        self._days: dict[str | None, LocalDays] = {}
        self._keys: dict[str, Segment] = {}

    def segment(self, account: str, network: str, brand: str) -> Segment:
        key = (account, network, brand)
        found = self._segments.get(key)
        if found is None:
            found = self._segments[key] = self._resolve(account, network, brand)
        return found

    def by_key(self, key: str) -> Segment:
        """The segment of a store summary key (account, network, brand joined by `KEY_SEP`)."""
        found = self._keys.get(key)
        if found is None:
            account, network, brand = key.split(KEY_SEP, 2)
            found = self._keys[key] = self.segment(account, network, brand)
        return found

    def _resolve(self, account: str, network: str, brand: str) -> Segment:
        settings = self.config.brands.get(brand)
        calendar = None
        sla_minutes = timezone = None
        bots = self.config.bots
        if settings is not None:
            sla_minutes = settings.sla_for(network)
            timezone = settings.timezone
            bots = bots | settings.bots
            if not self.wall_clock:
                calendar = calendar_for(settings)
        days = self._days.get(timezone)
        if days is None:
            days = self._days[timezone] = LocalDays(timezone)
        return Segment(
            account=account,
            network=network,
            brand=brand,
            sla_ms=sla_minutes * 60_000 if sla_minutes is not None else None,
            calendar=calendar,
            days=days,
            excluded_handles=bots | self._own.get(account, frozenset()),
        )

    def excluded(self, segment: Segment, author_handle: str, context_only: bool) -> bool:
        """Own posts (context-only, or written from the account's handle) and bots never count."""
        return bool(context_only) or segment.excludes(author_handle)
