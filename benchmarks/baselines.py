"""The baseline inboxes: the same open queue (same query, same columns) on other widgets.

- `datatable`, `listview`, `fastdatatable`: Textual's `DataTable`, `ListView` and
  textual-fastdatatable's `DataTable`, every row loaded up front as they need;
- `lineapi`: the least a Line-API `ScrollView` over SQLite can do (an array of row
  ids, each visible row read by id when drawn, one plain strip per row);
- `frame`: no data at all. The same Line-API list whose lines are strips made
  before the first frame, so a key costs only what Textual spends on a frame that
  repaints the list: the floor under any Textual inbox on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sqlite3
import time
from pathlib import Path
from typing import Any

from probe import KEY_GAP_S, SIZE, Probe, move_keys, paint_probe, rss_mb
from textual.app import App, ComposeResult
from textual.binding import Binding

#: The open queue, as every app here shows it: which rows, in what order, which columns.
QUEUE_ROWS = "FROM items WHERE status IN ('new', 'open') AND context_only = 0"
QUEUE_ORDER = "ORDER BY created_at, rowid"
ROW_COLUMNS = (
    "status, network, brand, coalesce(nullif(author_name, ''), author_handle), "
    "created_at, replace(substr(text, 1, 160), char(10), ' ')"
)
QUEUE_SQL = f"SELECT rowid, {ROW_COLUMNS} {QUEUE_ROWS} {QUEUE_ORDER}"
COLUMNS = ("", "network", "brand", "author", "age", "text")
MODES = ("lineapi", "frame", "datatable", "listview", "fastdatatable")


def queue_rows(db: Path, limit: int = -1) -> list[tuple[Any, ...]]:
    """The open queue, as the baselines show it: every row (or the first `limit`) up front."""
    from cmdesk.tui.widgets.inbox_row import STATUS_MARKS, age

    now = int(time.time() * 1000)
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(f"{QUEUE_SQL} LIMIT ?", (limit,)).fetchall()
    finally:
        conn.close()
    marks = {str(k): v for k, v in STATUS_MARKS.items()}
    return [
        (marks[s], net, brand, who, age(at, now), text) for _, s, net, brand, who, at, text in rows
    ]


def line_api_rows(db: Path) -> Any:
    """The `lineapi` baseline's widget: the open queue's ids, rows read when drawn."""
    from array import array

    from rich.segment import Segment
    from rich.style import Style
    from textual.geometry import Size
    from textual.scroll_view import ScrollView
    from textual.strip import Strip

    conn = sqlite3.connect(db)
    queue = conn.execute(f"SELECT rowid {QUEUE_ROWS} {QUEUE_ORDER}")
    ids = array("q", (rowid for (rowid,) in queue))
    one_row = f"SELECT rowid, {ROW_COLUMNS} FROM items WHERE rowid = ?"
    cursor_style = Style(reverse=True)

    class Rows(ScrollView, can_focus=True):
        BINDINGS = [
            Binding("down", "move(1)"),
            Binding("pagedown", "move(37)"),
            Binding("ctrl+end", "move(1000000000)"),
            Binding("ctrl+home", "move(-1000000000)"),
        ]
        cursor_row = 0
        rows: dict[int, str] = {}

        @property
        def row_count(self) -> int:
            return len(ids)

        def on_mount(self) -> None:
            self.virtual_size = Size(SIZE[0], len(ids))

        def action_move(self, by: int) -> None:
            self.cursor_row = max(0, min(len(ids) - 1, self.cursor_row + by))
            self.scroll_to_region(
                self.region.__class__(0, self.cursor_row, 1, 1), animate=False, immediate=True
            )
            self.refresh()

        def remove_current(self) -> None:
            del ids[self.cursor_row]
            self.virtual_size = Size(SIZE[0], len(ids))
            self.refresh()

        def render_line(self, y: int) -> Strip:
            index = round(self.scroll_offset.y) + y
            if index >= len(ids):
                return Strip.blank(self.size.width)
            text = self.rows.get(ids[index])
            if text is None:
                row = conn.execute(one_row, (ids[index],)).fetchone()
                text = self.rows[ids[index]] = "  ".join(map(str, row[1:]))
            style = cursor_style if index == self.cursor_row else None
            return Strip([Segment(text, style)]).adjust_cell_length(self.size.width)

    return Rows(id="list")


def ready_made_rows(db: Path) -> Any:
    """The `frame` baseline's widget: `lineapi`'s list, every line a strip made up front.

    Lines cycle through the strips of the queue's first rows, so a key that moves or
    removes rows changes every line of the list, as it does in a real inbox, while
    drawing one costs a dictionary lookup.
    """
    from rich.segment import Segment
    from rich.style import Style
    from textual.strip import Strip

    widget = line_api_rows(db)
    width, cursor_style = SIZE[0], Style(reverse=True)
    rows = queue_rows(db, limit=SIZE[1] * 2)
    plain = ["  ".join(row) for row in rows] or [""]
    strips = [Strip([Segment(t)]).adjust_cell_length(width) for t in plain]
    cursor = [Strip([Segment(t, cursor_style)]).adjust_cell_length(width) for t in plain]

    def render_line(y: int) -> Strip:
        index = round(widget.scroll_offset.y) + y
        if index >= widget.row_count:
            return Strip.blank(width)
        ready = cursor if index == widget.cursor_row else strips
        return ready[index % len(ready)]

    widget.render_line = render_line
    return widget


def baseline_app(mode: str, db: Path, options: argparse.Namespace) -> App[Any]:
    from textual.widgets import DataTable, Label, ListItem, ListView

    class Baseline(App[None]):
        BINDINGS = [Binding("e", "done", "Done")]

        def compose(self) -> ComposeResult:
            if mode in ("lineapi", "frame"):
                yield line_api_rows(db) if mode == "lineapi" else ready_made_rows(db)
                return
            rows = queue_rows(db)
            if mode == "datatable":
                table = DataTable(cursor_type="row", id="list")
                table.add_columns(*COLUMNS)
                table.add_rows(rows)
                yield table
            elif mode == "fastdatatable":
                from textual_fastdatatable import DataTable as FastTable

                yield FastTable(data=rows, column_labels=list(COLUMNS), id="list")
            else:
                yield ListView(*(ListItem(Label(" ".join(row))) for row in rows), id="list")

        def on_mount(self) -> None:
            self.query_one("#list").focus()
            # As cmdesk does once started: a full collection walking what startup built
            # lands on a key now and then (frame at 1M: p99 of down 38 -> 14 ms).
            gc.freeze()

        def action_done(self) -> None:
            widget: Any = self.query_one("#list")
            if mode == "datatable":
                key = widget.coordinate_to_cell_key(widget.cursor_coordinate).row_key
                widget.remove_row(key)
            elif mode == "fastdatatable":
                widget.remove_row(widget.cursor_row)
            elif mode in ("lineapi", "frame"):
                widget.remove_current()
            else:
                widget.pop(widget.index)

    app = paint_probe(Baseline)()

    def widget() -> Any:
        found = app.screen.query("#list")
        return found.first() if found else None

    def ready() -> bool:
        w = widget()
        if w is None:
            return False
        return (len(w.children) if mode == "listview" else w.row_count) > 0

    def state() -> Any:
        w = widget()
        if w is None:
            return None
        if mode == "listview":
            return (w.index, len(w.children), w.scroll_y)
        return (w.cursor_row, w.row_count, w.scroll_y)

    probe = Probe(app, ready, state)
    app.probe = probe  # type: ignore[attr-defined]
    results: dict[str, Any] = {"keys": {}}
    app.bench_results = results  # type: ignore[attr-defined]
    end, home = ("end", "home") if mode == "listview" else ("ctrl+end", "ctrl+home")

    async def timed(name: str, key: str) -> None:
        results["keys"].setdefault(name, []).append(await probe.press(key))
        await asyncio.sleep(KEY_GAP_S)

    async def drive() -> None:
        await asyncio.sleep(0.3)
        rounds = options.rounds
        if options.keys:
            await move_keys(timed, rounds, end, home)
            for _ in range(rounds * 3):
                await timed("done-and-next", "e")
        results["rss_mb"] = rss_mb()
        app.exit()

    probe.drive = drive  # type: ignore[method-assign]
    return app
