"""Response-time metrics from the event log: what `cmdesk report` and the TUI show.

Pure functions over rows the store streams; no SQL here and no Textual. The rules
are in `compute.py` and, for people, in docs/metrics.md.

- `report_from_store(store, config, by=..., since=..., until=..., now=...)` -> `Report`
- `sla_state(item, now, config, since=None)` -> `SlaState | None`, for a row's badge
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cmdesk.config import Config
from cmdesk.metrics.compute import (
    DIMENSIONS,
    GroupStats,
    MemorySource,
    Report,
    ReportSource,
    compute_report,
    percentile,
)
from cmdesk.metrics.rules import BUSINESS_HOURS, MIXED, WALL_CLOCK, Rules
from cmdesk.metrics.sla import SlaState, sla_deadline, sla_state

if TYPE_CHECKING:
    from cmdesk.store import Store

__all__ = [
    "BUSINESS_HOURS",
    "DIMENSIONS",
    "MIXED",
    "WALL_CLOCK",
    "GroupStats",
    "MemorySource",
    "Report",
    "ReportSource",
    "Rules",
    "SlaState",
    "compute_report",
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
) -> Report:
    """The report over the whole store, in one pass (blocking: run it in a worker)."""
    rules = Rules(config, wall_clock=wall_clock)
    moment = int(time.time() * 1000) if now is None else now
    return store.fold_report(
        lambda reader: compute_report(reader, rules, by=by, since=since, until=until, now=moment)
    )
