"""Drill-down and plot series: the items behind a figure are exactly the ones it counts."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from cmdesk.config import Config
from cmdesk.metrics.drill import drill_down
from cmdesk.metrics.figures import Report, percentile
from cmdesk.metrics.memory import MemorySource
from cmdesk.metrics.report import drill_down_from_store, report_from_store
from cmdesk.metrics.rules import Rules
from cmdesk.model import Event, Item
from cmdesk.store import Store

from .test_metrics import (
    BY,
    MIN,
    NOW,
    PARIS_HOURS,
    T0,
    config,
    fill,
    item,
    logs,
    received,
    replied,
    triage,
)

COUNTED = (
    "received",
    "reopened",
    "replied",
    "closed_without_reply",
    "done_without_reply",
    "waiting",
    "sla_applicable",
    "sla_breaches",
)


def check_drills(where: Path, items: list[Item], events: list[Event], cfg: Config, by: Any) -> None:
    """Every group's (and the total's) counts, through the store and through memory."""
    store = Store(where / "drill.db")
    try:
        fill(store, items, events)
        report = report_from_store(store, cfg, by=by, now=NOW)
        for group in [*report.groups, report.total]:
            key = group.key if group.by else None
            for figure in COUNTED:
                options: dict[str, Any] = {"by": by, "key": key, "figure": figure, "now": NOW}
                via_store = drill_down_from_store(store, cfg, **options)
                memory = MemorySource(items, events)
                via_memory = drill_down(memory, Rules(cfg), **options)
                assert via_store == via_memory
                assert via_store.count == getattr(group, figure), (key, figure)
                assert len({(o.item_id, o.start) for o in via_store.opportunities}) == (
                    via_store.count
                )
            firsts = drill_down_from_store(store, cfg, by=by, key=key, figure="replied", now=NOW)
            times = sorted(o.first_response_ms for o in firsts.opportunities)  # type: ignore[type-var]
            assert percentile(times, 50) == group.first_response_ms_median
            assert percentile(times, 90) == group.first_response_ms_p90
    finally:
        store.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), by=BY)
def test_each_figure_drills_down_to_exactly_what_it_counts(
    log: tuple[list[Item], list[Event]], by: tuple[str, ...]
) -> None:
    items, events = log
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        cfg = config(where, PARIS_HOURS + "[brand.PixelPost]\nsla_minutes = 30\n")
        check_drills(where, items, events, cfg, by)


def test_drill_down_lists_longest_first_up_to_the_limit(tmp_path: Path) -> None:
    waits = [5, 50, 20, 35]
    items = [item(n) for n in range(len(waits))]
    events = [received(i) for i in items]
    events += [replied(i, T0 + wait * MIN) for i, wait in zip(items, waits, strict=True)]
    store = Store(tmp_path / "d.db")
    fill(store, items, events)
    cfg = config(tmp_path)
    drill = drill_down_from_store(
        store, cfg, by=("network",), key=("mastodon",), figure="first_response_ms_p90",
        now=NOW, limit=2,
    )  # fmt: skip
    assert drill.count == 4
    assert [o.first_response_ms for o in drill.opportunities] == [50 * MIN, 35 * MIN]
    assert [o.item_id for o in drill.opportunities] == [items[1].id, items[3].id]
    nothing = drill_down_from_store(
        store, cfg, by=("network",), key=("discourse",), figure="received", now=NOW
    )
    assert (nothing.count, nothing.opportunities) == (0, ())
    store.close()


def test_series_counts_each_day_of_the_period_and_every_first_response(tmp_path: Path) -> None:
    a, b, c = item(1), item(2), item(3)
    day2 = T0 + 24 * 60 * MIN
    events = [
        received(a), replied(a, T0 + 10 * MIN),
        received(b, day2), triage(b, "done", day2 + MIN, 1),
        received(c, day2), replied(c, day2 + 30 * MIN),
    ]  # fmt: skip
    store = Store(tmp_path / "s.db")
    fill(store, [a, b, c], events)
    first = dt.date(2026, 3, 1)
    report: Report = report_from_store(
        store, config(tmp_path), since=first, until=dt.date(2026, 3, 4), now=NOW, series=True
    )
    by_day = report_from_store(store, config(tmp_path), by=("day",), now=NOW)
    store.close()
    assert report.series is not None
    days = [(d.date.isoformat(), d.received, d.replied) for d in report.series.days]
    assert days == [("2026-03-01", 0, 0), ("2026-03-02", 1, 1), ("2026-03-03", 2, 1),
                    ("2026-03-04", 0, 0)]  # fmt: skip
    assert [(g.key[0], g.received, g.replied) for g in by_day.groups] == [
        (date, received_, replied_) for date, received_, replied_ in days if received_
    ]
    assert report.series.first_response_ms == (10 * MIN, 30 * MIN)
    assert by_day.series is None  # only when asked for
