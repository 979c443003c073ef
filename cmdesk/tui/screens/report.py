"""The report screen: response times per group for a period, with two plots (`R`).

Every figure comes from `cmdesk.metrics` (the rules of docs/metrics.md), folded in
a thread on a store connection of its own: at a million events the fold reads for
seconds, and the inbox's reader and writer must not queue behind it. One thread
serves the screen, so keys pressed in a row queue their folds instead of running
them side by side on a small machine, and a fold already superseded is skipped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from cmdesk.config import Config
from cmdesk.metrics.figures import GroupStats, Report
from cmdesk.metrics.render import EMPTY, MODE_NOTES, duration
from cmdesk.metrics.report import drill_down_from_store, report_from_store
from cmdesk.metrics.rules import BUSINESS_HOURS, MIXED
from cmdesk.store import Store, StoreError
from cmdesk.text import one_line
from cmdesk.tui.period import MONTH, TODAY, WEEK, Period, last_days, parse_custom
from cmdesk.tui.screens.drill import DrillPage, DrillScreen
from cmdesk.tui.screens.grouping import GroupingScreen
from cmdesk.tui.widgets.report_plots import DailyPlot, FirstResponsePlot

T = TypeVar("T")
#: What `g` steps through; `G` picks any combination.
GROUPINGS: tuple[tuple[str, ...], ...] = (
    ("network",),
    ("brand",),
    ("network", "brand"),
    ("day",),
    ("agent",),
)
#: The longest opportunities a drill-down lists (the count says how many there are).
DRILL_LIMIT = 500
MODE_SHORT = {BUSINESS_HOURS: "hours", MIXED: "mixed"}
#: How the plotted waits were counted, said in the plot's title.
CLOCKS = {BUSINESS_HOURS: "open time", MIXED: "open time where brands set hours"}


def _ratio(value: float | None) -> str:
    return EMPTY if value is None else f"{value * 100:.0f}%"


def _number(value: float | None) -> str:
    return EMPTY if value is None else f"{value:.1f}"


def _breaches(g: GroupStats) -> str:
    return f"{g.sla_breaches}/{g.sla_applicable}" if g.sla_applicable else EMPTY


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    #: The `GroupStats` field it shows, which is also what Enter on it lists.
    figure: str
    cell: Callable[[GroupStats], str]


COLUMNS = (
    Column("received", "received", lambda g: str(g.received)),
    Column("answered", "answered_ratio", lambda g: _ratio(g.answered_ratio)),
    Column(
        "1st reply p50", "first_response_ms_median", lambda g: duration(g.first_response_ms_median)
    ),
    Column("p90", "first_response_ms_p90", lambda g: duration(g.first_response_ms_p90)),
    Column("done p50", "done_ms_median", lambda g: duration(g.done_ms_median)),
    Column("SLA breaches", "sla_breaches", _breaches),
    Column("personal. p50", "personalisation_median", lambda g: _number(g.personalisation_median)),
    Column("unedited", "unedited_ratio", lambda g: _ratio(g.unedited_ratio)),
    Column("closed w/o reply", "closed_without_reply", lambda g: str(g.closed_without_reply)),
    Column("waiting", "waiting", lambda g: str(g.waiting)),
)


class _Folds:
    """The screen's one thread, each fold on a store connection opened for it alone.

    `run` returns None for a fold superseded by a newer one of the same kind: skipped
    if it had not started, interrupted if it had (at a million events, the CM who
    pressed `3` after `2` does not wait for the 7-day fold to end first).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cmdesk-report")
        self._latest: dict[str, int] = {}
        self._running: tuple[str, Store] | None = None
        self._closed = False
        self._lock = threading.Lock()

    async def run(self, kind: str, use: Callable[[Store], T]) -> T | None:
        with self._lock:
            ticket = self._latest[kind] = self._latest.get(kind, 0) + 1
            if self._running is not None and self._running[0] == kind:
                self._running[1].interrupt()

        def stale() -> bool:
            return self._closed or self._latest[kind] != ticket

        def job() -> T | None:
            with self._lock:
                if stale():
                    return None
                store = Store(self._path, create=False)
                self._running = (kind, store)
            try:
                return use(store)
            except StoreError:
                if stale():
                    return None  # interrupted on purpose
                raise
            finally:
                with self._lock:
                    self._running = None
                store.close()

        return await asyncio.get_running_loop().run_in_executor(self._pool, job)

    def cancel(self, kind: str) -> None:
        """Nobody waits for folds of this kind any more: skip or interrupt them."""
        with self._lock:
            self._latest[kind] = self._latest.get(kind, 0) + 1
            if self._running is not None and self._running[0] == kind:
                self._running[1].interrupt()

    def close(self) -> None:
        """Stop the running fold (quitting must not wait for it) and drop queued ones."""
        with self._lock:
            self._closed = True
            if self._running is not None:
                self._running[1].interrupt()
        self._pool.shutdown(wait=False, cancel_futures=True)


class ReportTable(DataTable[Text]):
    BINDINGS = [Binding("enter", "select_cursor", "Items behind it")]


class ReportScreen(Screen[str | None]):
    """Answers the id of an item chosen in a drill-down, or None on Esc."""

    DEFAULT_CSS = """
    ReportScreen #report-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    ReportScreen #report-mode { height: 1; padding: 0 1; color: $text-muted; }
    ReportScreen #report-dates { height: 1; border: none; padding: 0 1; background: $boost; }
    ReportScreen #report-table { height: auto; max-height: 50%; }
    ReportScreen #report-plots { height: 1fr; min-height: 10; }
    """

    BINDINGS = [
        Binding("1,t", f"period('{TODAY}')", "Today", key_display="1/t"),
        Binding("2,w", f"period('{WEEK}')", "7 days", key_display="2/w"),
        Binding("3,m", f"period('{MONTH}')", "30 days", key_display="3/m"),
        Binding("4,c", "custom", "Dates…", key_display="4/c"),
        Binding("g", "cycle_grouping", "Grouping"),
        Binding("G", "pick_grouping", "Group by…", show=False),
        Binding("h", "toggle_hours", "Hours/wall clock"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, db_path: Path, config: Config, *, clock: Callable[[], int]) -> None:
        super().__init__()
        self.db_path = db_path
        self.config = config
        self.clock = clock
        self.period = last_days(WEEK, self._today())
        self.by: tuple[str, ...] = GROUPINGS[0]
        self.wall_clock = False
        self.report: Report | None = None
        #: The clock and period `report` was folded with (the keys may have moved on).
        self._report_options: tuple[bool, Period] = (False, self.period)
        self._folds = _Folds(db_path)

    def _today(self) -> dt.date:
        """The CM's local date (the machine's timezone), from the injectable clock."""
        return dt.datetime.fromtimestamp(self.clock() / 1000).date()

    def compose(self) -> ComposeResult:
        yield Static("", id="report-title", markup=False)
        yield Static("", id="report-mode", markup=False)
        yield Input(placeholder="YYYY-MM-DD..YYYY-MM-DD, Enter applies", id="report-dates")
        yield ReportTable(id="report-table", cursor_type="cell")
        with Horizontal(id="report-plots"):
            yield FirstResponsePlot(id="plot-first-response")
            yield DailyPlot(id="plot-daily")
        yield Footer()

    @property
    def table(self) -> ReportTable:
        return self.query_one(ReportTable)

    def on_mount(self) -> None:
        self.query_one("#report-dates", Input).display = False
        self.table.focus()
        self.compute()

    def on_unmount(self) -> None:
        self._folds.close()

    # -- computing ------------------------------------------------------------

    @work(exclusive=True, group="report")
    async def compute(self) -> None:
        by, period, wall_clock, now = self.by, self.period, self.wall_clock, self.clock()
        self._show_heading(computing=True)

        def fold(store: Store) -> Report:
            return report_from_store(
                store,
                self.config,
                by=by,
                since=period.since,
                until=period.until,
                now=now,
                wall_clock=wall_clock,
                series=True,
            )

        try:
            report = await self._folds.run("report", fold)
        except StoreError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            self._show_heading()
            return
        if report is None:
            return
        self.report, self._report_options = report, (wall_clock, period)
        self._show(report)

    def _show(self, report: Report) -> None:
        self._show_heading()
        table = self.table
        keep = table.cursor_coordinate
        table.clear(columns=True)
        rows = [
            [Text(EMPTY if value is None else one_line(value)) for value in group.key]
            + _figures(group)
            for group in report.groups
        ]
        label = [Text("total", style="bold"), *[Text("")] * len(report.by)][: len(report.by)]
        rows.append(label + _figures(report.total, style="bold"))
        # Widths given, not left to the table: it sizes them when idle, so a busy moment
        # showed the columns at their titles' width, the brands cut to five letters.
        for index, title in enumerate((*report.by, *(c.title for c in COLUMNS), "mode")):
            width = max(cell_len(title), *(row[index].cell_len for row in rows))
            table.add_column(title, width=width)
        for index, row in enumerate(rows[:-1]):
            table.add_row(*row, key=str(index))
        table.add_row(*rows[-1], key="total")
        if keep.row < table.row_count and keep.column < len(table.columns):
            table.cursor_coordinate = keep
        series = report.series
        if series is not None:
            clock = CLOCKS.get(report.mode, "wall clock")
            self.query_one(FirstResponsePlot).show(series.first_response_ms, clock=clock)
            self.query_one(DailyPlot).show(series.days)

    def _show_heading(self, *, computing: bool = False) -> None:
        by = ", ".join(self.by) or "nothing (total only)"
        busy = " · computing…" if computing else ""
        title = f"Response times by {by} · {self.period.label}{busy}"
        self.query_one("#report-title", Static).update(title)
        mode = self.report.mode if self.report is not None else None
        note = f"mode: {MODE_NOTES[mode]}" if mode else "mode: …"
        if self.wall_clock:
            note += " (forced with h)"
        self.query_one("#report-mode", Static).update(note)

    # -- keys -----------------------------------------------------------------

    def action_period(self, name: str) -> None:
        self.period = last_days(name, self._today())
        self._hide_dates()
        self.compute()

    def action_custom(self) -> None:
        dates = self.query_one("#report-dates", Input)
        dates.display = True
        since, until = self.period.since, self.period.until
        dates.value = f"{since or ''}..{until or ''}"
        dates.focus()

    @on(Input.Submitted, "#report-dates")
    def _dates(self, event: Input.Submitted) -> None:
        try:
            self.period = parse_custom(event.value)
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        self._hide_dates()
        self.compute()

    def _hide_dates(self) -> None:
        self.query_one("#report-dates", Input).display = False
        self.table.focus()

    def action_cycle_grouping(self) -> None:
        position = GROUPINGS.index(self.by) + 1 if self.by in GROUPINGS else 0
        self.by = GROUPINGS[position % len(GROUPINGS)]
        self.compute()

    def action_pick_grouping(self) -> None:
        def picked(by: tuple[str, ...] | None) -> None:
            if by is not None:
                self.by = by
                self.compute()

        self.app.push_screen(GroupingScreen(self.by), picked)

    def action_toggle_hours(self) -> None:
        self.wall_clock = not self.wall_clock
        self.compute()

    def action_back(self) -> None:
        if self.query_one("#report-dates", Input).display:
            self._hide_dates()
        else:
            self.dismiss(None)

    # -- drill-down -----------------------------------------------------------

    @on(DataTable.CellSelected, "#report-table")
    def _drill(self, event: DataTable.CellSelected) -> None:
        report = self.report
        if report is None:
            return
        self.open_drill(report, event.coordinate)

    def open_drill(self, report: Report, at: Coordinate) -> None:
        """List what the figure under the cursor counts (a grouping cell: every opportunity)."""
        dims = len(report.by)
        column = at.column - dims
        chosen = COLUMNS[column] if 0 <= column < len(COLUMNS) else COLUMNS[0]
        total = at.row >= len(report.groups)
        group = report.total if total else report.groups[at.row]
        key = None if total else group.key
        where = " · ".join(f"{k}={EMPTY if v is None else v}" for k, v in group.group.items())
        if total or not where:
            where = "all"
        wall_clock, period = self._report_options
        title = f"{chosen.title} · {where} · {period.label}"
        config = self.config

        def fold(store: Store) -> DrillPage:
            drill = drill_down_from_store(
                store,
                config,
                by=report.by,
                key=key,
                figure=chosen.figure,
                since=report.since,
                until=report.until,
                now=report.now,
                wall_clock=wall_clock,
                limit=DRILL_LIMIT,
            )
            rows = [(o, store.item(o.item_id)) for o in drill.opportunities]
            return DrillPage(drill.count, rows)

        async def load() -> DrillPage | None:
            return await self._folds.run("drill", fold)

        self.app.push_screen(DrillScreen(one_line(title), load), self._drilled)

    def _drilled(self, item_id: str | None) -> None:
        self._folds.cancel("drill")  # left before its list came: stop reading for it
        if item_id is not None:
            self.dismiss(item_id)


def _figures(group: GroupStats, style: str = "") -> list[Text]:
    cells = [Text(column.cell(group), style=style) for column in COLUMNS]
    return [*cells, Text(MODE_SHORT.get(group.mode, "wall"), style=style)]
