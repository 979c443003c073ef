"""Response-time figures folded from the event log, one item at a time, in one pass.

The rules (docs/metrics.md says them for people):

- A response opportunity starts at an item's `received` event, and again at a
  `reopened` event once the previous one was handled (replied, done, hidden or
  spam); a reopen of an item still waiting changes nothing (its clock runs on).
- It is answered by its first `replied`; it is *closed without reply* when hidden
  or marked spam before any reply, *done without reply* when done before any.
- An `undone` event cancels every event of the batch it undoes, as if never written.
- Context-only items, items written from the account's own handle, and bots'
  items are left out. Snoozed time counts: the customer was waiting.
- With business hours (and without `wall_clock`), only open time counts.
- Percentiles are nearest-rank: always a wait some customer really had.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import groupby
from operator import itemgetter
from typing import Any, Protocol

from cmdesk.metrics.hours import DAY_MS, date_to_day, day_to_date
from cmdesk.metrics.rules import BUSINESS_HOURS, MIXED, WALL_CLOCK, Rules, Segment
from cmdesk.model import Event, Item
from cmdesk.store.reporting import KEY_SEP, METRIC_KINDS, EventRow, SummaryRow

DIMENSIONS = ("network", "brand", "day", "agent")
RECEIVED, REOPENED, REPLIED, DONE, HIDDEN, SPAM, UNDONE = range(len(METRIC_KINDS))
_BATCHED = (REOPENED, DONE, HIDDEN, SPAM)
_ORDER = itemgetter(1, 2, 3, 4)  # at, kind code, actor, value: a total order, import-proof


def percentile(ordered: Sequence[Any], p: int) -> Any:
    """Nearest-rank percentile of sorted values: the smallest value with at least p% at or
    below it. None for no values; with one value, that value; the median of two is the lower.
    """
    if not ordered:
        return None
    rank = max(1, -(-p * len(ordered) // 100))  # ceil(p * n / 100) in integers
    return ordered[rank - 1]


@dataclass(slots=True)
class _Group:
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
    replies: int = 0
    first_response: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    personalisation: list[float] = field(default_factory=list)

    def merge(self, other: _Group) -> None:
        for f in fields(self):
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


def _stats(key: tuple[str | None, ...], by: tuple[str, ...], g: _Group) -> GroupStats:
    g.first_response.sort()
    g.done.sort()
    g.personalisation.sort()
    asked = g.received - g.closed_without_reply
    templates = len(g.personalisation)
    if g.received == 0:
        mode = g.mode_hint
    else:
        mode = {0: WALL_CLOCK, g.received: BUSINESS_HOURS}.get(g.business, MIXED)
    median_personalisation = percentile(g.personalisation, 50)
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
        replies=g.replies,
        template_replies=templates,
        personalisation_median=(
            float(median_personalisation) if median_personalisation is not None else None
        ),
        unedited_ratio=(
            round(sum(1 for p in g.personalisation if p == 0) / templates, 4) if templates else None
        ),
    )


class _Folder:
    """Folds one item's events into opportunities and adds them to their groups."""

    def __init__(
        self,
        rules: Rules,
        by: tuple[str, ...],
        now: int,
        first_day: int | None,
        last_day: int | None,
        *,
        series: bool = False,
    ) -> None:
        self.rules = rules
        self.by = by
        self.now = now
        #: The local days counted, both inclusive (epoch days; unlimited: all of them).
        self.first_day = -(2**63) if first_day is None else first_day
        self.last_day = 2**63 - 1 if last_day is None else last_day
        self.groups: dict[tuple[Any, ...], _Group] = {}
        self._by_agent = "agent" in by
        self._by_day = "day" in by
        self._need_day = self._by_day or first_day is not None or last_day is not None or series
        #: Per local day, [received, replied]: only for `Series`.
        self.daily: dict[int, list[int]] | None = {} if series else None
        self._picks = tuple(DIMENSIONS.index(name) for name in by)
        #: Without day or agent, a segment's opportunities all go to one group.
        self._per_segment = not (self._by_day or self._by_agent)
        self._segment_group: dict[int, _Group] = {}
        #: When an opportunity of the period can start (None: any time), a day wider on
        #: each side than the UTC days, for every timezone: the store reads only the
        #: items that have one.
        self.starts: tuple[int, int] | None = None
        if first_day is not None or last_day is not None:
            self.starts = (
                -(2**63) if first_day is None else (first_day - 1) * DAY_MS,
                2**63 - 1 if last_day is None else (last_day + 2) * DAY_MS,
            )

    def key(self, segment: Segment, day: int, agent: str | None) -> tuple[Any, ...]:
        values = (segment.network, segment.brand, day, agent)
        return tuple([values[pick] for pick in self._picks])

    def group(self, key: tuple[Any, ...]) -> _Group:
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = _Group()
        return found

    def _group_of(self, segment: Segment, day: int, agent: str | None) -> _Group:
        if not self._per_segment:
            return self.group(self.key(segment, day, agent))
        found = self._segment_group.get(id(segment))
        if found is None:
            found = self._segment_group[id(segment)] = self.group(self.key(segment, day, agent))
        return found

    def item(self, segment: Segment, rows: list[EventRow]) -> None:
        if len(rows) > 1:
            rows.sort(key=_ORDER)
            if any(row[2] == UNDONE for row in rows):
                rows = _without_undone(rows)
        start = -1  # the open opportunity's start, -1 when none is open
        again = False  # started by a reopen or a follow-up receipt
        reply_at = done_at = closed_at = -1
        agent: str | None = None
        replies: list[tuple[str | None, float]] = []
        started = False
        for _, at, code, actor, value in rows:
            if code == REPLIED:
                if start < 0:
                    continue
                replies.append((actor, value))
                if reply_at < 0:
                    reply_at = at
                    if closed_at < 0:
                        agent = actor
            elif code <= REOPENED:  # received or reopened
                if code == RECEIVED and started:
                    continue  # an item is received once; a merged store may say it twice
                if start >= 0:
                    if reply_at < 0 and done_at < 0 and closed_at < 0:
                        continue  # still waiting: its clock runs on
                    outcome = (reply_at, done_at, closed_at, agent)
                    self.add(segment, start, again, outcome, replies, rows[0][0])
                started = True
                start, again = at, code == REOPENED or bool(value)
                reply_at = done_at = closed_at = -1
                agent, replies = None, []
            elif start < 0:
                continue
            elif code == DONE:
                if done_at < 0:
                    done_at = at
                    if reply_at < 0 and closed_at < 0:
                        agent = actor
            elif closed_at < 0 and reply_at < 0:  # hidden or spam, before any reply
                closed_at = at
                agent = actor
        if start >= 0:
            outcome = (reply_at, done_at, closed_at, agent)
            self.add(segment, start, again, outcome, replies, rows[0][0])

    def add(
        self,
        segment: Segment,
        start: int,
        reopened: bool,
        outcome: tuple[int, int, int, str | None],
        replies: Sequence[tuple[str | None, float]],
        item_id: str | None = None,
    ) -> None:
        """Count one opportunity; `outcome` is (reply, done, closed) times (-1: none), agent.

        `item_id` is only known when the source was asked for ids (a drill-down, which
        overrides this method); counting does not need it.
        """
        reply_at, done_at, closed_at, agent = outcome
        day = 0
        if self._need_day:
            day = segment.days.day(start)
            if not self.first_day <= day <= self.last_day:
                return
        g = self._segment_group.get(id(segment)) if self._per_segment else None
        if g is None:
            g = self._group_of(segment, day, agent)
        g.received += 1
        if self.daily is not None:
            _count_day(self.daily, day, replied=reply_at >= 0 and closed_at < 0)
        if reopened:
            g.reopened += 1
        calendar = segment.calendar
        if calendar is not None:
            g.business += 1
        if closed_at >= 0:
            g.closed_without_reply += 1
        else:
            first_response = done = -1
            if reply_at >= 0:
                g.replied += 1
                first_response = (
                    reply_at - start if calendar is None else calendar.open_ms(start, reply_at)
                )
                g.first_response.append(first_response)
            elif done_at >= 0:
                g.done_without_reply += 1
            else:
                g.waiting += 1
            if done_at >= 0:
                done = done_at - start if calendar is None else calendar.open_ms(start, done_at)
                g.done.append(done)
            sla = segment.sla_ms
            if sla is not None:
                g.sla_applicable += 1
                # Waited until the first reply or done (already measured), else until now.
                if reply_at >= 0 and (done_at < 0 or reply_at < done_at):
                    waited = first_response
                elif done_at >= 0:
                    waited = done
                else:
                    now = self.now
                    waited = now - start if calendar is None else calendar.open_ms(start, now)
                if waited > sla:
                    g.sla_breaches += 1
        if not replies:
            return
        if self._by_agent:
            self._count_replies(g, segment, day, agent, replies)
        else:
            g.replies += len(replies)
            g.personalisation += [value for _, value in replies if value >= 0]

    def _count_replies(
        self,
        g: _Group,
        segment: Segment,
        day: int,
        agent: str | None,
        replies: Sequence[tuple[str | None, float]],
    ) -> None:
        """By agent, each reply counts for who sent it, in the opportunity's group."""
        for actor, value in replies:
            target = g if actor == agent else self._group_of(segment, day, actor)
            target.replies += 1
            if value >= 0:
                target.personalisation.append(value)

    def seed(self, accounts: Iterable[tuple[str, str, str]]) -> None:
        """Show configured (network, brand) groups even when nothing happened in them."""
        if self._by_day or self._by_agent:
            return
        for account, network, brand in accounts:
            segment = self.rules.segment(account, network, brand)
            g = self.group(self.key(segment, 0, None))
            if g.received == 0 and segment.calendar is not None:
                g.mode_hint = BUSINESS_HOURS


def _count_day(daily: dict[int, list[int]], day: int, *, replied: bool) -> None:
    counts = daily.get(day)
    if counts is None:
        counts = daily[day] = [0, 0]
    counts[0] += 1
    if replied:
        counts[1] += 1


def _without_undone(rows: list[EventRow]) -> list[EventRow]:
    undone = {row[4] for row in rows if row[2] == UNDONE}
    return [
        row
        for row in rows
        if row[2] != UNDONE and not (row[2] in _BATCHED and row[4] in undone and row[4] >= 0)
    ]


class ReportSource(Protocol):
    """Where the rows come from: `cmdesk.store.reporting.ReportReader`, or `MemorySource`."""

    def summaries(
        self,
        *,
        with_actors: bool,
        with_ids: bool = False,
        starts: tuple[int, int] | None = None,
    ) -> Iterable[SummaryRow]:
        """A row per item; with `starts`, items without an opportunity starting in that
        window may be left out (a hint: the fold still checks each opportunity's day)."""
        ...

    def events_for(self, item_ids: Sequence[str]) -> Iterable[EventRow]: ...


def compute_report(
    source: ReportSource,
    rules: Rules,
    *,
    by: Sequence[str] = ("network",),
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: int,
    series: bool = False,
) -> Report:
    """Per-group figures from `source`. An opportunity is kept when its start's local day
    (in the brand's timezone, else UTC) is within [since, until], both inclusive.

    Most items come as one summary row and are counted directly; items with a reopen,
    an undo, or events before their receipt come back as events and are folded one by
    one (`_Folder.item`). Both paths end in `_Folder.add`; tests check they agree.
    """
    by = check_dimensions(by)
    folder = _Folder(
        rules,
        by,
        now,
        date_to_day(since) if since else None,
        date_to_day(until) if until else None,
        series=series,
    )
    folder.seed((a.name, a.network, a.brand) for a in rules.config.accounts)
    fold(source, folder)
    return _report(folder, by, since, until, now)


def check_dimensions(by: Sequence[str]) -> tuple[str, ...]:
    by = tuple(by)
    for name in by:
        if name not in DIMENSIONS:
            raise ValueError(f"unknown grouping {name!r} (known: {', '.join(DIMENSIONS)})")
    return by


def fold(source: ReportSource, folder: _Folder, *, with_ids: bool = False) -> None:
    """Pass every opportunity of `source` to `folder.add`; with ids, each with its item id.

    One streamed pass over the summaries, unpacked straight from the row tuples (at a
    million events, every attribute lookup and call per row shows), then the events of
    the items that need the full fold.
    """
    with_actors = "agent" in folder.by
    segments: dict[str, Segment] = {}
    folded: dict[str, Segment] = {}
    add = folder.add
    plain = not (with_actors or with_ids)  # rows of exactly 9 values: unpacked as they are
    for row in source.summaries(with_actors=with_actors, with_ids=with_ids, starts=folder.starts):
        key, handle, folded_id, start, follow_up, reply_at, done_at, closed_at, replies = (
            row if plain else row[:9]
        )
        segment = segments.get(key)
        if segment is None:
            segment = segments[key] = folder.rules.by_key(key)
        if segment.excludes(handle):
            continue  # our own post, or a bot's
        if folded_id is not None:
            folded[folded_id] = segment
            continue
        if closed_at is not None and reply_at is not None and reply_at <= closed_at:
            closed_at = None  # answered first: the later moderation does not un-answer it
        agent = None
        if with_actors:
            replier, closer, moderator = row[9:12]
            if closed_at is not None:
                agent = moderator[16:]
            elif reply_at is not None:
                agent = replier[15:]
            elif done_at is not None:
                agent = closer[15:]
        outcome = (
            -1 if reply_at is None else reply_at,
            -1 if done_at is None else done_at,
            -1 if closed_at is None else closed_at,
            agent,
        )
        item_id = row[-1] if with_ids else None
        add(segment, start, follow_up == 1, outcome, _replies(replies, with_actors), item_id)
    ids = sorted(folded)
    for item_id, events in groupby(source.events_for(ids), key=itemgetter(0)):
        folder.item(folded[item_id], list(events))


_NO_REPLIES: tuple[tuple[str | None, float], ...] = ()


def _replies(text: str | None, with_actors: bool) -> Sequence[tuple[str | None, float]]:
    if text is None:
        return _NO_REPLIES
    if not with_actors:
        return [(None, float(value)) for value in text.split(",")]
    pairs = (entry.rsplit(KEY_SEP, 1) for entry in text.split("\x1e"))
    return [(actor, float(value)) for actor, value in pairs]


def _report(
    folder: _Folder, by: tuple[str, ...], since: dt.date | None, until: dt.date | None, now: int
) -> Report:
    total = _Group()
    groups = []
    for key in sorted(folder.groups, key=_sort_key):
        g = folder.groups[key]
        total.merge(g)
        shown = tuple(_show(name, value) for name, value in zip(by, key, strict=True))
        groups.append(_stats(shown, by, g))
    rules = folder.rules
    if not rules.wall_clock and any(b.business_hours for b in rules.config.brands.values()):
        total.mode_hint = BUSINESS_HOURS
    overall = _stats((), (), total)  # sorts total.first_response in place
    series = None
    if folder.daily is not None:
        series = _series(folder.daily, since, until, tuple(total.first_response))
    return Report(by, overall.mode, since, until, now, tuple(groups), overall, series)


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


class MemorySource:
    """A `ReportSource` over `Item`s and `Event`s in memory, for callers without a store
    and for tests: every item goes through the full fold, the reference the store's
    summary path must agree with."""

    def __init__(self, items: Iterable[Item], events: Iterable[Event]) -> None:
        self._items = {item.id: item for item in items}
        rows = [row for row in map(_event_row, events) if row[2] >= 0]
        rows.sort(key=itemgetter(0, 1))
        self._events = {item_id: list(group) for item_id, group in groupby(rows, key=itemgetter(0))}

    def summaries(
        self,
        *,
        with_actors: bool,
        with_ids: bool = False,
        starts: tuple[int, int] | None = None,
    ) -> Iterator[SummaryRow]:
        """Every item goes to the full fold, which knows its id and checks every start's
        day: `with_ids` and `starts` change nothing."""
        for item in self._items.values():
            if item.context_only or item.id not in self._events:
                continue
            key = KEY_SEP.join((item.account, item.network, item.brand))
            extra = (None,) * (3 * with_actors + with_ids)
            yield (key, item.author.handle, item.id, *(None,) * 6, *extra)

    def events_for(self, item_ids: Sequence[str]) -> Iterator[EventRow]:
        for item_id in item_ids:
            yield from self._events.get(item_id, ())


def _event_row(event: Event) -> EventRow:
    """One `Event` reduced as the store's SQL reduces it (see `EventRow`)."""
    kind = str(event.kind)
    payload: Mapping[str, Any] = event.payload or {}
    value: float
    if kind == "replied":
        pers = payload.get("personalisation")
        value = float(pers) if payload.get("reply_id") is not None and pers is not None else -1
    elif kind == "undone":
        value = payload.get("undoes", -1)
    elif kind == "received":
        value = int(payload.get("reopens") is not None)
    else:
        value = payload.get("batch", -1)
    code = METRIC_KINDS.index(kind) if kind in METRIC_KINDS else -1
    return (event.item_id, event.at, code, event.actor, value)
