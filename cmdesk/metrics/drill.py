"""The opportunities behind one figure of a report: what a CM sees on drilling down.

A report keeps no item ids: at a million opportunities they would cost more than the
figures. A drill-down folds the same rows again with ids, for one group only, and
keeps the `limit` longest waits (a bounded heap), so any figure can be audited item
by item while memory stays flat. `tests/test_metrics_drill.py` checks that each
figure's count here equals the report's.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cmdesk.metrics.compute import ReportSource, _Folder, check_dimensions, fold
from cmdesk.metrics.hours import date_to_day
from cmdesk.metrics.rules import Rules, Segment
from cmdesk.store.reporting import SummaryRow

REPLIED = "replied"
DONE_WITHOUT_REPLY = "done_without_reply"
CLOSED_WITHOUT_REPLY = "closed_without_reply"
WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class Opportunity:
    """One response opportunity, as the report counted it. Times in ms."""

    item_id: str
    start: int
    #: replied, done_without_reply, closed_without_reply or waiting.
    outcome: str
    reopened: bool
    first_response_ms: int | None
    done_ms: int | None
    #: Until the first reply or done, or until now while waiting (open time under
    #: business hours); None when closed without reply (out of every time figure).
    wait_ms: int | None
    #: None when no SLA applies to it.
    sla_breached: bool | None


def _wait(o: Opportunity) -> int:
    return -1 if o.wait_ms is None else o.wait_ms


def _first(o: Opportunity) -> int:
    return -1 if o.first_response_ms is None else o.first_response_ms


def _done(o: Opportunity) -> int:
    return -1 if o.done_ms is None else o.done_ms


Rule = tuple[Callable[[Opportunity], bool], Callable[[Opportunity], int]]
_REPLIED: Rule = (lambda o: o.outcome == REPLIED, _first)
_DONE: Rule = (lambda o: o.done_ms is not None, _done)
#: For each figure (a `GroupStats` field): which opportunities it counts, and the time
#: its list is sorted by, longest first (the ones that make a p90 or a breach).
FIGURE_RULES: dict[str, Rule] = {
    "received": (lambda o: True, _wait),
    "reopened": (lambda o: o.reopened, _wait),
    "replied": _REPLIED,
    "answered_ratio": (lambda o: o.outcome != CLOSED_WITHOUT_REPLY, _wait),
    "first_response_ms_median": _REPLIED,
    "first_response_ms_p90": _REPLIED,
    "done_ms_median": _DONE,
    "done_ms_p90": _DONE,
    "sla_applicable": (lambda o: o.sla_breached is not None, _wait),
    "sla_breaches": (lambda o: bool(o.sla_breached), _wait),
    "closed_without_reply": (lambda o: o.outcome == CLOSED_WITHOUT_REPLY, lambda o: -o.start),
    "done_without_reply": (lambda o: o.outcome == DONE_WITHOUT_REPLY, _wait),
    "waiting": (lambda o: o.outcome == WAITING, _wait),
    "replies": _REPLIED,
    "template_replies": _REPLIED,
    "personalisation_median": _REPLIED,
    "unedited_ratio": _REPLIED,
}


@dataclass(frozen=True, slots=True)
class Drill:
    figure: str
    #: How many opportunities the figure counts in this group (all of them, not only shown).
    count: int
    #: The first `limit` of them, longest first by the figure's time.
    opportunities: tuple[Opportunity, ...]


class _Collector(_Folder):
    """A `_Folder` that keeps the opportunities of one group and figure instead of counting."""

    def __init__(
        self,
        rules: Rules,
        by: tuple[str, ...],
        now: int,
        first_day: int | None,
        last_day: int | None,
        wanted: tuple[object, ...] | None,
        rule: Rule,
        limit: int,
    ) -> None:
        super().__init__(rules, by, now, first_day, last_day)
        self.wanted = wanted
        self.keep, self.order = rule
        self.limit = limit
        self.detailed = True  # the item ids
        #: How many opportunities the figure counts in the group (not only the kept ones).
        self.found = 0
        self._heap: list[tuple[int, int, str, Opportunity]] = []

    def count(self, segment: Segment, rows: Iterable[SummaryRow]) -> None:
        for row in rows:
            start, reopened, reply_at, done_at, closed_at = row[4:9]
            agent, item_id = row[11], row[12]
            day = 0
            if self._need_day:
                day = segment.days.day(start)
                if not self.first_day <= day <= self.last_day:
                    continue
            if self.wanted is not None and self.key(segment, day, agent) != self.wanted:
                continue
            outcome = (reply_at, done_at, closed_at)
            found = _opportunity(segment, start, bool(reopened), outcome, item_id, self.now)
            if not self.keep(found):
                continue
            self.found += 1
            entry = (self.order(found), found.start, found.item_id, found)
            if len(self._heap) < self.limit:
                heapq.heappush(self._heap, entry)
            elif self.limit:
                heapq.heappushpop(self._heap, entry)

    def result(self, figure: str) -> Drill:
        ordered = sorted(self._heap, key=lambda entry: entry[:3], reverse=True)
        return Drill(figure, self.found, tuple(entry[3] for entry in ordered))


def _opportunity(
    segment: Segment,
    start: int,
    reopened: bool,
    outcome: tuple[int, int, int],
    item_id: str,
    now: int,
) -> Opportunity:
    """The same rules as `_Folder.add` (`outcome`: reply, done, closed times, -1 for none),
    kept per opportunity instead of summed."""
    reply_at, done_at, closed_at = outcome
    calendar = segment.calendar

    def span(end: int) -> int:
        return end - start if calendar is None else calendar.open_ms(start, end)

    if closed_at >= 0:
        return Opportunity(item_id, start, CLOSED_WITHOUT_REPLY, reopened, None, None, None, None)
    if reply_at >= 0:
        kind = REPLIED
        handled = reply_at if done_at < 0 or reply_at < done_at else done_at
    elif done_at >= 0:
        kind, handled = DONE_WITHOUT_REPLY, done_at
    else:
        kind, handled = WAITING, now
    wait = span(handled)
    return Opportunity(
        item_id=item_id,
        start=start,
        outcome=kind,
        reopened=reopened,
        first_response_ms=span(reply_at) if reply_at >= 0 else None,
        done_ms=span(done_at) if done_at >= 0 else None,
        wait_ms=wait,
        sla_breached=None if segment.sla_ms is None else wait > segment.sla_ms,
    )


def drill_down(
    source: ReportSource,
    rules: Rules,
    *,
    by: Sequence[str],
    key: Sequence[str | None] | None,
    figure: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: int,
    limit: int = 500,
) -> Drill:
    """The opportunities `figure` counts in the group `key` (a `GroupStats.key`; None for
    the total) of the report with these `by`, `since`, `until` and `now`."""
    by = check_dimensions(by)
    if figure not in FIGURE_RULES:
        raise ValueError(f"no drill-down for {figure!r} (known: {', '.join(FIGURE_RULES)})")
    wanted = None
    if key is not None:
        wanted = tuple(
            date_to_day(dt.date.fromisoformat(value)) if name == "day" and value else value
            for name, value in zip(by, key, strict=True)
        )
    collector = _Collector(
        rules,
        by,
        now,
        date_to_day(since) if since else None,
        date_to_day(until) if until else None,
        wanted,
        FIGURE_RULES[figure],
        limit,
    )
    fold(source, collector)
    return collector.result(figure)
