"""Business hours: how much of a wait fell in a brand's open hours, and local days.

A `Calendar` turns a brand's weekly hours, timezone and holidays into sorted UTC
intervals with running totals, so the open time between two instants is two
binary searches and a subtraction, whatever the distance between them. Intervals
are built lazily, a year at a time around the instants asked about.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from bisect import bisect_right
from typing import NamedTuple
from zoneinfo import ZoneInfo

from cmdesk.config_brands import BrandConfig, BusinessHours

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_EPOCH = dt.date(1970, 1, 1).toordinal()
#: Lazily built intervals are padded to this many days on each side.
_CHUNK_DAYS = 366


def day_to_date(day: int) -> dt.date:
    """An epoch day number (days since 1970-01-01) as a date."""
    return dt.date.fromordinal(_EPOCH + day)


def date_to_day(date: dt.date) -> int:
    return date.toordinal() - _EPOCH


class LocalDays:
    """Epoch day numbers of instants in one timezone, with UTC offsets cached per hour."""

    def __init__(self, timezone: str | None) -> None:
        self._tz = ZoneInfo(timezone) if timezone else None
        self._offsets: dict[int, int] = {}

    def day(self, at: int) -> int:
        """The local day `at` (epoch ms) falls on, as days since 1970-01-01."""
        if self._tz is None:
            return at // DAY_MS
        hour = at // HOUR_MS
        offset = self._offsets.get(hour)
        if offset is None:
            moment = dt.datetime.fromtimestamp(hour * 3600, tz=self._tz)
            offset = int(moment.utcoffset().total_seconds() * 1000)  # type: ignore[union-attr]
            self._offsets[hour] = offset
        return (at + offset) // DAY_MS


class _Table(NamedTuple):
    """Open intervals covering local days [first, last], with running totals."""

    first: int
    last: int
    starts: list[int]
    ends: list[int]
    before: list[int]  # open ms before each interval
    through: list[int]  # open ms up to the end of each interval

    def open_before(self, at: int) -> int:
        index = bisect_right(self.starts, at) - 1
        if index < 0:
            return 0
        return self.before[index] + min(at, self.ends[index]) - self.starts[index]


class Calendar:
    """A brand's open hours as UTC intervals: open time between instants, SLA deadlines.

    A window belongs to the local day it opens on: with hours 22:00-06:00 and
    `days = ["fri"]`, Friday 22:00 to Saturday 06:00 is open, and a holiday on a
    Friday removes that whole window. Safe to share between threads: a rebuilt
    table is swapped in whole.
    """

    def __init__(self, timezone: str, hours: BusinessHours, holidays: frozenset[dt.date]) -> None:
        if not hours.days:
            raise ValueError("business hours need at least one open day")
        self._tz = ZoneInfo(timezone)
        self._hours = hours
        self._holidays = holidays
        self._lock = threading.Lock()
        self._table = _Table(0, -1, [], [], [], [])

    def open_ms(self, start: int, end: int) -> int:
        """Open milliseconds in [start, end) (0 if end <= start)."""
        if end <= start:
            return 0
        table = self._covering(start, end)
        return table.open_before(end) - table.open_before(start)

    def open_ms_both(self, start: int, first: int, second: int) -> tuple[int, int]:
        """`open_ms` from `start` to `first` and to `second` (-1 for an end that is -1), with
        one lookup of `start`: a reply and a done share their opportunity's start."""
        end = first if first > second else second
        if end < 0:
            return -1, -1
        table = self._table
        if not (table.first <= start // DAY_MS - 2 and end // DAY_MS + 2 <= table.last):
            table = self._covering(start, end)  # as `_covering` checks first, inline
        base = table.open_before(start)
        return (
            -1 if first < 0 else table.open_before(first) - base if first > start else 0,
            -1 if second < 0 else table.open_before(second) - base if second > start else 0,
        )

    def deadline(self, start: int, open_ms: int) -> int:
        """The last instant at which no more than `open_ms` of open time has passed since
        `start`: at any later instant, more has."""
        end = start + open_ms
        while True:
            table = self._covering(start, end)
            target = table.open_before(start) + open_ms
            # bisect_right: when the SLA runs out exactly at a closing time, the deadline is
            # the next opening, the last moment still on time (breached means later than it).
            index = bisect_right(table.through, target)
            if index < len(table.starts):
                return table.starts[index] + target - table.before[index]
            end += _CHUNK_DAYS * DAY_MS  # not enough open time in sight: look further

    def _covering(self, start: int, end: int) -> _Table:
        first, last = start // DAY_MS - 2, end // DAY_MS + 2
        table = self._table
        if table.first <= first and last <= table.last:
            return table
        with self._lock:
            table = self._table
            if not (table.first <= first and last <= table.last):
                if table.last >= table.first:
                    first, last = min(first, table.first), max(last, table.last)
                table = self._table = self._build(first - _CHUNK_DAYS, last + _CHUNK_DAYS)
        return table

    def _build(self, first: int, last: int) -> _Table:
        hours = self._hours
        table = _Table(first, last, [], [], [], [])
        total = 0
        for day in range(first - 1, last + 1):  # a day earlier: its overnight window spills over
            date = day_to_date(day)
            if date.weekday() not in hours.days or date in self._holidays:
                continue
            opens = self._instant(date, hours.open_minute)
            closes = self._instant(date, hours.close_minute + 1440 * hours.overnight)
            if closes <= opens:
                continue  # a DST jump swallowed the whole window
            table.starts.append(opens)
            table.ends.append(closes)
            table.before.append(total)
            total += closes - opens
            table.through.append(total)
        return table

    def _instant(self, date: dt.date, minute: int) -> int:
        date += dt.timedelta(days=minute // 1440)
        clock = dt.time(minute % 1440 // 60, minute % 60)
        return int(dt.datetime.combine(date, clock, tzinfo=self._tz).timestamp() * 1000)


@functools.lru_cache(maxsize=64)
def calendar_for(brand: BrandConfig) -> Calendar | None:
    """The brand's calendar, or None when it has no business hours (wall-clock mode)."""
    if brand.business_hours is None or brand.timezone is None:
        return None
    return Calendar(brand.timezone, brand.business_hours, brand.holidays)
