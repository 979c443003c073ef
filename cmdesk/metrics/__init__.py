"""Response-time metrics from the event log: what `cmdesk report` and the TUI show.

Pure functions over rows the store streams; no SQL here and no Textual. The rules
are in `compute.py` and, for people, in docs/metrics.md.

- `report_from_store(store, config, by=..., since=..., until=..., now=...)` -> `Report`
- `sla_state(item, now, config, since=None)` -> `SlaState | None`, for a row's badge
- `drill_down_from_store(store, config, by=..., key=..., figure=..., ...)` -> `Drill`: the
  opportunities behind one figure of one group, for the report screen's drill-down
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cmdesk.config import Config
from cmdesk.metrics.compute import DIMENSIONS, ReportSource, compute_report
from cmdesk.metrics.drill import FIGURE_RULES, Drill, Opportunity, drill_down
from cmdesk.metrics.figures import DayCount, GroupStats, Report, Series, percentile
from cmdesk.metrics.memory import MemorySource
from cmdesk.metrics.rules import BUSINESS_HOURS, MIXED, WALL_CLOCK, Rules
from cmdesk.metrics.sla import SlaState, sla_deadline, sla_state

if TYPE_CHECKING:
    from cmdesk.store import Store

__all__ = [
    "BUSINESS_HOURS",
    "DIMENSIONS",
    "FIGURE_RULES",
    "MIXED",
    "WALL_CLOCK",
    "DayCount",
    "Drill",
    "GroupStats",
    "MemorySource",
    "Opportunity",
    "Report",
    "ReportSource",
    "Rules",
    "Series",
    "SlaState",
    "compute_report",
    "drill_down",
    "drill_down_from_store",
    "percentile",
    "report_from_store",
    "sla_deadline",
    "sla_state",
]


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
