"""The report and its drill-downs over a store: the entry points `cmdesk report` and the
report screen call (blocking: run them in a worker)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cmdesk.config import Config
from cmdesk.metrics.compute import compute_report
from cmdesk.metrics.drill import Drill, drill_down
from cmdesk.metrics.figures import Report
from cmdesk.metrics.rules import Rules

if TYPE_CHECKING:
    from cmdesk.store import Store


def report_from_store(
    store: Store,
    config: Config,
    *,
    by: Sequence[str] = ("network",),
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: int | None = None,
    wall_clock: bool = False,
    series: bool = False,
) -> Report:
    """The report over the whole store, in one pass (blocking: run it in a worker).

    `series=True` also folds what the report screen plots (`Report.series`).
    """
    rules = Rules(config, wall_clock=wall_clock)
    moment = int(time.time() * 1000) if now is None else now
    return store.fold_report(
        lambda reader: compute_report(
            reader, rules, by=by, since=since, until=until, now=moment, series=series
        )
    )


def drill_down_from_store(
    store: Store,
    config: Config,
    *,
    by: Sequence[str],
    key: Sequence[str | None] | None,
    figure: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: int,
    wall_clock: bool = False,
    limit: int = 500,
) -> Drill:
    """What `figure` counts in group `key` (None: the total) of the report made with the
    same `by`, `since`, `until`, `now` and `wall_clock`; blocking, like the report."""
    rules = Rules(config, wall_clock=wall_clock)
    return store.fold_report(
        lambda reader: drill_down(
            reader,
            rules,
            by=by,
            key=key,
            figure=figure,
            since=since,
            until=until,
            now=now,
            limit=limit,
        )
    )
