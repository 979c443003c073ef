"""The SLA badge of one inbox row: pure, cheap, safe to call for every visible row.

The clock starts when cmdesk received the item (`Item.received_at`), or at `since`
when the caller knows a later start (the item was reopened: `Store.clock_starts`).
With business hours the deadline is counted in open time; what is shown is the
wall-clock time left until it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cmdesk.config import Config
from cmdesk.metrics.rules import Rules, Segment
from cmdesk.model import WAITING, Item, Status

#: Statuses whose customer still waits for an answer (snoozed time counts).
_CLOCK_RUNS = (*WAITING, Status.SNOOZED)
_cache: tuple[Config, Rules] | None = None


@dataclass(frozen=True, slots=True)
class SlaState:
    deadline: int
    #: Wall-clock ms from now to the deadline; negative once breached.
    remaining_ms: int

    @property
    def breached(self) -> bool:
        return self.remaining_ms < 0


def _rules(config: Config) -> Rules:
    global _cache
    cached = _cache
    if cached is None or cached[0] is not config:
        cached = _cache = (config, Rules(config))
    return cached[1]


def sla_deadline(item: Item, config: Config, *, since: int | None = None) -> int | None:
    """The last instant a first answer is on time, or None (no SLA for this brand and
    network, or an item that never counts: context-only, our own, a bot's)."""
    rules = _rules(config)
    segment = rules.segment(item.account, item.network, item.brand)
    if segment.sla_ms is None or rules.excluded(segment, item.author.handle, item.context_only):
        return None
    start = item.received_at if since is None else since
    if segment.calendar is not None:
        return segment.calendar.deadline(start, segment.sla_ms)
    return start + segment.sla_ms


def sla_state(item: Item, now: int, config: Config, *, since: int | None = None) -> SlaState | None:
    """Time left (or breached) for an item still waiting; None when no badge applies."""
    if item.status not in _CLOCK_RUNS:
        return None
    deadline = sla_deadline(item, config, since=since)
    if deadline is None:
        return None
    return SlaState(deadline=deadline, remaining_ms=deadline - now)


def breach_test(config: Config, now: int) -> Callable[[str, str, str, str, int], bool]:
    """`breached(account, network, brand, author_handle, clock_start)` at `now`, as
    `sla_state` says, cheap enough for every row of a million-item queue.

    A deadline only grows with the clock start, so each segment's breached starts are
    those up to one cutoff, found once per segment: a row costs a lookup and a compare.
    """
    rules = _rules(config)
    cutoffs: dict[tuple[str, str, str], tuple[int, Segment] | None] = {}

    def breached(account: str, network: str, brand: str, author_handle: str, start: int) -> bool:
        key = (account, network, brand)
        try:
            known = cutoffs[key]
        except KeyError:
            segment = rules.segment(account, network, brand)
            cutoff = _last_breached_start(segment, now)
            known = cutoffs[key] = None if cutoff is None else (cutoff, segment)
        if known is None or start > known[0]:
            return False
        return not known[1].excludes(author_handle)

    return breached


def _last_breached_start(segment: Segment, now: int) -> int | None:
    """The latest clock start whose deadline is before `now`; None without an SLA."""
    if segment.sla_ms is None:
        return None
    if segment.calendar is None:
        return now - segment.sla_ms - 1
    calendar, sla_ms = segment.calendar, segment.sla_ms
    low, high = now - sla_ms - 366 * 86_400_000, now  # deadline(low) < now <= deadline(high)
    if calendar.deadline(low, sla_ms) >= now:
        return low - 1
    while high - low > 1:
        middle = (low + high) // 2
        if calendar.deadline(middle, sla_ms) < now:
            low = middle
        else:
            high = middle
    return low
