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
from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any, Protocol

from cmdesk.metrics.figures import Report, Tally, assemble
from cmdesk.metrics.hours import DAY_MS, date_to_day
from cmdesk.metrics.rules import BUSINESS_HOURS, WALL_CLOCK, Rules, Segment
from cmdesk.store.reporting import METRIC_KINDS, EventRow, SummaryRow

DIMENSIONS = ("network", "brand", "day", "agent")
RECEIVED, REOPENED, REPLIED, DONE, HIDDEN, SPAM, UNDONE = range(len(METRIC_KINDS))
_BATCHED = (REOPENED, DONE, HIDDEN, SPAM)
_ORDER = itemgetter(1, 2, 3, 4)  # at, kind code, actor, value: a total order, import-proof
#: Summary rows held per segment before they are counted: batches large enough that
#: per-batch lookups vanish, small enough that memory stays flat.
_BATCH = 4096
#: Separates the repliers of one opportunity (as in `cmdesk.store.summaries`).
REPLIER_SEP = "\x1e"


class _Folder:
    """Counts opportunities into their groups."""

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
        self.groups: dict[tuple[Any, ...], Tally] = {}
        self.by_agent = "agent" in by
        #: Whether rows carry repliers, agent and item id (see `SummaryRow`).
        self.detailed = self.by_agent
        self._by_day = "day" in by
        self._need_day = self._by_day or first_day is not None or last_day is not None or series
        #: Per local day, [received, replied]: only for `Series`.
        self.daily: dict[int, list[int]] | None = {} if series else None
        self._picks = tuple(DIMENSIONS.index(name) for name in by)
        #: Without day or agent, a segment's opportunities all go to one group.
        self._per_segment = not (self._by_day or self.by_agent)
        self._segment_group: dict[int, Tally] = {}
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

    def group(self, key: tuple[Any, ...]) -> Tally:
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = Tally()
        return found

    def _group_of(self, segment: Segment, day: int, agent: str | None) -> Tally:
        if not self._per_segment:
            return self.group(self.key(segment, day, agent))
        found = self._segment_group.get(id(segment))
        if found is None:
            found = self._segment_group[id(segment)] = self.group(self.key(segment, day, agent))
        return found

    def count(self, segment: Segment, rows: Iterable[SummaryRow]) -> None:
        """Count opportunities of one segment, each given as its summary row (see
        `SummaryRow`; `opportunities` makes them from events): the one place where an
        outcome, a wait and the SLA are counted. A segment's rows come in batches, so
        what the segment and the report share is looked up once per batch, not per row.
        """
        calendar = segment.calendar
        sla = segment.sla_ms
        now = self.now
        daily = self.daily
        day_of = segment.days.day if self._need_day else None
        first_day, last_day = self.first_day, self.last_day
        detailed = self.detailed
        by_agent = self.by_agent
        fixed = self._group_of(segment, 0, None) if self._per_segment else None
        repliers = agent = None
        for row in rows:
            _, _, _, _, start, reopened, reply_at, done_at, closed_at, replies = (
                row[:10] if detailed else row
            )
            if detailed:
                repliers, agent = row[10], row[11]
            day = 0
            if day_of is not None:
                day = day_of(start)
                if not first_day <= day <= last_day:
                    continue
            g = fixed if fixed is not None else self._group_of(segment, day, agent)
            g.received += 1
            if daily is not None:
                counts = daily.get(day)
                if counts is None:
                    counts = daily[day] = [0, 0]
                counts[0] += 1
                if reply_at >= 0 and closed_at < 0:
                    counts[1] += 1
            if reopened:
                g.reopened += 1
            if calendar is not None:
                g.business += 1
            if closed_at >= 0:
                g.closed_without_reply += 1
            else:
                if calendar is None:
                    first_response, done = reply_at - start, done_at - start
                else:
                    first_response, done = calendar.open_ms_both(start, reply_at, done_at)
                if reply_at >= 0:
                    g.replied += 1
                    g.first_response.append(first_response)
                elif done_at >= 0:
                    g.done_without_reply += 1
                else:
                    g.waiting += 1
                if done_at >= 0:
                    g.done.append(done)
                if sla is not None:
                    g.sla_applicable += 1
                    # Waited until the first reply or done (already measured), else until now.
                    if reply_at >= 0 and (done_at < 0 or reply_at < done_at):
                        waited = first_response
                    elif done_at >= 0:
                        waited = done
                    else:
                        waited = now - start if calendar is None else calendar.open_ms(start, now)
                    if waited > sla:
                        g.sla_breaches += 1
            if replies is not None:
                if by_agent and repliers != agent:
                    self._count_replies(g, segment, day, agent, replies, repliers or "")
                else:
                    g.replies.append(replies)

    def _count_replies(
        self, g: Tally, segment: Segment, day: int, agent: str | None, replies: str, repliers: str
    ) -> None:
        """By agent, each reply counts for who sent it, in the opportunity's group."""
        for actor, value in zip(repliers.split(REPLIER_SEP), replies.split(","), strict=True):
            target = g if actor == agent else self._group_of(segment, day, actor)
            target.replies.append(value)

    def seed(self, accounts: Iterable[tuple[str, str, str]]) -> None:
        """Show configured (network, brand) groups even when nothing happened in them."""
        if self._by_day or self.by_agent:
            return
        for account, network, brand in accounts:
            segment = self.rules.segment(account, network, brand)
            g = self.group(self.key(segment, 0, None))
            if g.received == 0 and segment.calendar is not None:
                g.mode_hint = BUSINESS_HOURS


def opportunities(rows: list[EventRow], *, detailed: bool) -> list[SummaryRow]:
    """One item's metric events (all of them, in any order) folded into its
    opportunities, each as the summary row the store writes for an item that has only
    that one (`SummaryRow`; with `detailed`, with repliers, agent and item id)."""
    item_id = rows[0][0]
    if len(rows) > 1:
        rows.sort(key=_ORDER)
        if any(row[2] == UNDONE for row in rows):
            rows = _without_undone(rows)
    found: list[SummaryRow] = []

    def close() -> None:
        replies = ",".join(values) if values else None
        row = (None, None, None, None, start, again, reply_at, done_at, closed_at, replies)
        if detailed:
            row += (REPLIER_SEP.join(actors) if actors else None, agent, item_id)
        found.append(row)

    start = -1  # the open opportunity's start, -1 when none is open
    again = False  # started by a reopen or a follow-up receipt
    reply_at = done_at = closed_at = -1
    agent: str | None = None
    values: list[str] = []  # each reply's personalisation, as the store writes them
    actors: list[str] = []
    started = False
    for _, at, code, actor, value in rows:
        if code == REPLIED:
            if start < 0:
                continue
            values.append(str(value))
            actors.append(actor)
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
                close()
            started = True
            start, again = at, code == REOPENED or bool(value)
            reply_at = done_at = closed_at = -1
            agent, values, actors = None, [], []
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
        close()
    return found


def _without_undone(rows: list[EventRow]) -> list[EventRow]:
    undone = {row[4] for row in rows if row[2] == UNDONE}
    return [
        row
        for row in rows
        if row[2] != UNDONE and not (row[2] in _BATCHED and row[4] in undone and row[4] >= 0)
    ]


class ReportSource(Protocol):
    """Where the rows come from: `cmdesk.store.reporting.ReportReader`, or
    `cmdesk.metrics.memory.MemorySource`."""

    def summaries(
        self, *, detailed: bool, starts: tuple[int, int] | None = None
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
    one (`opportunities`) into rows of the same shape. Both are counted by
    `_Folder.count`; tests check the two paths agree.
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
    business = not rules.wall_clock and any(b.business_hours for b in rules.config.brands.values())
    return assemble(
        folder.groups,
        by,
        since,
        until,
        now,
        total_mode_hint=BUSINESS_HOURS if business else WALL_CLOCK,
        daily=folder.daily,
    )


def check_dimensions(by: Sequence[str]) -> tuple[str, ...]:
    by = tuple(by)
    for name in by:
        if name not in DIMENSIONS:
            raise ValueError(f"unknown grouping {name!r} (known: {', '.join(DIMENSIONS)})")
    return by


def fold(source: ReportSource, folder: _Folder) -> None:
    """Pass every opportunity of `source` to `folder.count`, a segment at a time.

    One streamed pass over the summaries; each row is only sorted into its segment's
    batch here (at a million events, every lookup and call per row shows): an ASCII
    author comes normalised by the store, so leaving out our own posts and bots' is a
    set lookup. Then the items that need the full fold: their events, into
    opportunities.
    """
    lanes: dict[str, tuple[Segment, frozenset[str], list[SummaryRow]]] = {}
    folded: dict[str, tuple[Segment, frozenset[str], list[SummaryRow]]] = {}
    count = folder.count
    by_key = folder.rules.by_key
    detailed = folder.detailed
    for row in source.summaries(detailed=detailed, starts=folder.starts):
        lane = lanes.get(row[0])
        if lane is None:
            segment = by_key(row[0])
            lane = lanes[row[0]] = (segment, segment.excluded_handles, [])
        segment, excluded, batch = lane
        author = row[1]
        if author is not None:
            if author in excluded:
                continue  # our own post, or a bot's
        elif segment.excludes(row[2]):
            continue  # the same, for a handle the store did not normalise
        if row[3] is not None:
            folded[row[3]] = lane
            continue
        batch.append(row)
        if len(batch) == _BATCH:
            count(segment, batch)
            batch.clear()
    for item_id, events in groupby(source.events_for(sorted(folded)), key=itemgetter(0)):
        folded[item_id][2].extend(opportunities(list(events), detailed=detailed))
    for segment, _, batch in lanes.values():
        count(segment, batch)
