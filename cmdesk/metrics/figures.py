"""What a report says: running tallies while folding, then the figures of each group.

The fold (`compute.py`) only counts and collects; turning a tally into medians,
ratios and modes happens once per group here, after the last row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from cmdesk.metrics.hours import date_to_day, day_to_date
from cmdesk.metrics.rules import BUSINESS_HOURS, MIXED, WALL_CLOCK


def percentile(ordered: Sequence[Any], p: int) -> Any:
    """Nearest-rank percentile of sorted values: the smallest value with at least p% at or
    below it. None for no values; with one value, that value; the median of two is the lower.
    """
    if not ordered:
        return None
    rank = max(1, -(-p * len(ordered) // 100))  # ceil(p * n / 100) in integers
    return ordered[rank - 1]


def counted_percentile(counted: Sequence[tuple[Any, int]], p: int) -> Any:
    """`percentile` of values given sorted, each with how many times it occurs."""
    rank = max(1, -(-p * sum(n for _, n in counted) // 100))
    for value, n in counted:
        rank -= n
        if rank <= 0:
            return value
    return None


@dataclass(slots=True)
class Tally:
    """Running figures of one group while folding."""

    received: int = 0
    reopened: int = 0
    replied: int = 0
    closed_without_reply: int = 0
    done_without_reply: int = 0
    waiting: int = 0
    business: int = 0
    #: The mode of a group seeded from the config, shown while it has no opportunity.
    mode_hint: str = WALL_CLOCK
    sla_applicable: int = 0
    sla_breaches: int = 0
    first_response: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    #: Each reply's personalisation as the store writes it ("12.5,-1,...", -1 for a reply
    #: typed from scratch; see `cmdesk.store.summaries`), parsed once, at the end: most
    #: opportunities add their whole summary string, and a million small parses would
    #: cost more than the rest of their counting.
    replies: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        """Add `other`'s counts and times (not its replies: `assemble` parses each group's
        once, and sums those)."""
        for f in fields(self):
            if f.name in ("mode_hint", "replies"):
                continue
            mine = getattr(self, f.name)
            if isinstance(mine, list):
                mine.extend(getattr(other, f.name))
            else:
                setattr(self, f.name, mine + getattr(other, f.name))


@dataclass(frozen=True, slots=True)
class GroupStats:
    """The figures of one group. Times in ms; None where there is nothing to measure."""

    key: tuple[str | None, ...]
    by: tuple[str, ...]
    mode: str
    received: int
    reopened: int
    replied: int
    closed_without_reply: int
    done_without_reply: int
    waiting: int
    answered_ratio: float | None
    first_response_ms_median: int | None
    first_response_ms_p90: int | None
    done_ms_median: int | None
    done_ms_p90: int | None
    sla_applicable: int
    sla_breaches: int
    replies: int
    template_replies: int
    personalisation_median: float | None
    unedited_ratio: float | None

    @property
    def group(self) -> dict[str, str | None]:
        return dict(zip(self.by, self.key, strict=True))

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape: `group` as an object, then every figure."""
        data: dict[str, Any] = {"group": self.group}
        for f in fields(self):
            if f.name not in ("key", "by"):
                data[f.name] = getattr(self, f.name)
        return data


@dataclass(frozen=True, slots=True)
class DayCount:
    """Opportunities that started on one local day, and how many of them got a reply."""

    date: dt.date
    received: int
    replied: int


@dataclass(frozen=True, slots=True)
class Series:
    """What the report screen plots, folded in the same pass as the figures."""

    #: Every day of the period in order (days with nothing are there, with zeros).
    days: tuple[DayCount, ...]
    #: Every first response of the report, sorted (ms; open time under business hours).
    first_response_ms: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Report:
    by: tuple[str, ...]
    mode: str
    since: dt.date | None
    until: dt.date | None
    now: int
    groups: tuple[GroupStats, ...]
    total: GroupStats
    #: Only when asked for (`series=True`): a CLI table does not pay for it.
    series: Series | None = None


def stats(
    key: tuple[str | None, ...], by: tuple[str, ...], g: Tally, replies: Counter[float]
) -> GroupStats:
    """A tally's figures, with its replies' personalisation counted (`count_replies`).
    Sorts its lists in place."""
    g.first_response.sort()
    g.done.sort()
    personalisation = sorted((value, n) for value, n in replies.items() if value >= 0)
    asked = g.received - g.closed_without_reply
    templates = sum(n for _, n in personalisation)
    if g.received == 0:
        mode = g.mode_hint
    else:
        mode = {0: WALL_CLOCK, g.received: BUSINESS_HOURS}.get(g.business, MIXED)
    median_personalisation = counted_percentile(personalisation, 50)
    return GroupStats(
        key=key,
        by=by,
        mode=mode,
        received=g.received,
        reopened=g.reopened,
        replied=g.replied,
        closed_without_reply=g.closed_without_reply,
        done_without_reply=g.done_without_reply,
        waiting=g.waiting,
        answered_ratio=round(g.replied / asked, 4) if asked else None,
        first_response_ms_median=percentile(g.first_response, 50),
        first_response_ms_p90=percentile(g.first_response, 90),
        done_ms_median=percentile(g.done, 50),
        done_ms_p90=percentile(g.done, 90),
        sla_applicable=g.sla_applicable,
        sla_breaches=g.sla_breaches,
        replies=replies.total(),
        template_replies=templates,
        personalisation_median=(
            float(median_personalisation) if median_personalisation is not None else None
        ),
        unedited_ratio=(round(replies[0.0] / templates, 4) if templates else None),
    )


def assemble(
    groups: dict[tuple[Any, ...], Tally],
    by: tuple[str, ...],
    since: dt.date | None,
    until: dt.date | None,
    now: int,
    *,
    total_mode_hint: str,
    daily: dict[int, list[int]] | None,
) -> Report:
    """The report of folded tallies: groups in order, the total, and the series if
    `daily` (per local day, [received, replied]) was kept."""
    total = Tally(mode_hint=total_mode_hint)
    all_replies: Counter[float] = Counter()
    shown_groups = []
    for key in sorted(groups, key=_sort_key):
        g = groups[key]
        replies = count_replies(g.replies)
        shown = tuple(_show(name, value) for name, value in zip(by, key, strict=True))
        shown_groups.append(stats(shown, by, g, replies))
        # After `stats`: the total's times are then sorted runs, which sort in one merge.
        total.merge(g)
        all_replies.update(replies)
    overall = stats((), (), total, all_replies)  # sorts total.first_response in place
    series = None
    if daily is not None:
        series = _series(daily, since, until, tuple(total.first_response))
    return Report(by, overall.mode, since, until, now, tuple(shown_groups), overall, series)


def count_replies(texts: list[str]) -> Counter[float]:
    """How many replies had each personalisation, from `Tally.replies`. Counted as text
    first: a few hundred distinct values, a few hundred thousand replies."""
    counted: Counter[float] = Counter()
    if texts:
        for text, n in Counter(",".join(texts).split(",")).items():
            counted[float(text)] += n
    return counted


def _series(
    daily: dict[int, list[int]],
    since: dt.date | None,
    until: dt.date | None,
    first_response: tuple[int, ...],
) -> Series:
    """The plots' data. `first_response` comes sorted; the days run from `since` (or the
    first day seen) to `until` (or the last), days without anything included as zeros."""
    first = date_to_day(since) if since else min(daily, default=None)
    last = date_to_day(until) if until else max(daily, default=None)
    days: list[DayCount] = []
    if first is not None and last is not None:
        for day in range(first, last + 1):
            received, replied = daily.get(day, (0, 0))
            days.append(DayCount(day_to_date(day), received, replied))
    return Series(tuple(days), first_response)


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, value if value is not None else "") for value in key)


def _show(name: str, value: Any) -> str | None:
    if name == "day":
        return day_to_date(value).isoformat()
    return value
