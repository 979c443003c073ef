"""One benchmark process: an inbox app on a store, timed from inside.

    python benchmarks/apps.py MODE DB [--keys] [--views] [--rounds N]

MODE is `cmdesk` (the real app), or a baseline showing the same open queue
(same query, same columns) on Textual's `DataTable`, on `ListView`, on
textual-fastdatatable's `DataTable`, or on `lineapi`: the least a Line-API
`ScrollView` can do (an array of row ids, each visible row read by id from SQLite
when drawn, one plain strip per row, no other widget): the floor of what a frame
costs in Textual on this machine. Prints one JSON object on stdout:

- `first_paint`: seconds from process start (`CMDESK_BENCH_T0`, set by the parent
  just before it spawned us) to the first frame that shows a real row;
- `keys`: per key, the milliseconds from the key event (sent as the terminal
  driver sends it) to the end of the first frame that shows its effect, rendered
  to terminal bytes as a real terminal would get them; for cmdesk also `filled`,
  until the frame where every visible row is drawn from data, not a placeholder;
- `views` (cmdesk): milliseconds from asking for another view to the frame that
  shows its rows, to the whole order being in (and the counts), and the longest
  event-loop stall meanwhile (the UI's responsiveness);
- `rss_mb`: resident memory at the end.

The paint hook overrides the private `App._display` (called once per frame, after
the compositor rendered it): acceptable in a benchmark, never in cmdesk itself.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import sqlite3
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events
from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult
from textual.binding import Binding

SIZE = (120, 40)
#: Pause between movement keys, about a held key's repeat rate.
KEY_GAP_S = 0.035
#: Pause before a triage key once the previous one has settled: the least time a CM
#: spends on the next item (done-and-next, undo).
READ_GAP_S = 0.3
#: The open queue, as every app here shows it: which rows, in what order, which columns.
QUEUE_ROWS = "FROM items WHERE status IN ('new', 'open') AND context_only = 0"
QUEUE_ORDER = "ORDER BY created_at, rowid"
ROW_COLUMNS = (
    "status, network, brand, coalesce(nullif(author_name, ''), author_handle), "
    "created_at, replace(substr(text, 1, 160), char(10), ' ')"
)
QUEUE_SQL = f"SELECT rowid, {ROW_COLUMNS} {QUEUE_ROWS} {QUEUE_ORDER}"
COLUMNS = ("", "network", "brand", "author", "age", "text")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Probe:
    """Timestamps frames; the driver waits on it for the first frame showing a key's effect."""

    def __init__(self, app: App[Any], ready: Callable[[], bool], state: Callable[[], Any]) -> None:
        self.app = app
        self.ready = ready
        self.state = state
        self.first_paint: float | None = None
        self.frames = 0
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []

    def painted(self) -> None:
        self.frames += 1
        now = time.perf_counter()
        if self.first_paint is None and self.ready():
            self.first_paint = time.time() - float(os.environ.get("CMDESK_BENCH_T0", time.time()))
            self.app.call_later(self.app.run_worker, self.drive(), group="bench")  # type: ignore[attr-defined]
        keep = []
        for condition, future in self._waiters:
            if not future.done() and condition():
                future.set_result(now)
            elif not future.done():
                keep.append((condition, future))
        self._waiters = keep

    def frame_where(self, condition: Callable[[], bool]) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((condition, future))
        return future

    async def press(self, key: str, done: Callable[[], bool] | None = None) -> float:
        """Send `key` as the driver would; milliseconds to the first frame showing a change."""
        before = self.state()
        condition = done or (lambda: self.state() != before)
        future = self.frame_where(condition)
        char: str | None
        try:
            char = unicodedata.lookup(key.upper()) if len(key) > 1 else key
        except KeyError:
            char = None
        event = events.Key(key, char)
        event.set_sender(self.app)
        started = time.perf_counter()
        self.app._driver.send_message(event)  # type: ignore[union-attr]
        try:
            painted = await asyncio.wait_for(future, 10)
        except TimeoutError:
            return float("nan")
        return (painted - started) * 1000

    async def drive(self) -> None:
        """Overridden per app: the key plan. The base one just exits."""
        self.app.exit()


def paint_probe(app_class: type[App[Any]]) -> type[App[Any]]:
    """`app_class` with its frames timestamped, rendered to terminal bytes even headless."""

    class Probed(app_class):  # type: ignore[misc,valid-type]
        probe: Probe

        def _display(self, screen: Any, renderable: Any) -> None:
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self.console)
            super()._display(screen, renderable)
            if renderable is not None and getattr(self, "probe", None) is not None:
                self.probe.painted()

    if isinstance(app_class.CSS_PATH, str):  # relative to the app's own module, not ours
        Probed.CSS_PATH = str(Path(inspect.getfile(app_class)).parent / app_class.CSS_PATH)
    Probed.__name__ = f"Probed{app_class.__name__}"
    return Probed


def summary(samples: list[float]) -> dict[str, Any]:
    clean = sorted(s for s in samples if s == s)
    if not clean:
        return {"n": 0}
    p99 = clean[min(len(clean) - 1, round(0.99 * (len(clean) - 1)))]
    return {
        "n": len(clean),
        "p50": statistics.median(clean),
        "p99": p99,
        "max": clean[-1],
        "lost": len(samples) - len(clean),
    }


# -- cmdesk ---------------------------------------------------------------------------------


def cmdesk_app(db: Path, options: argparse.Namespace) -> App[Any]:
    from cmdesk.config import Config
    from cmdesk.store.views import ALL, DONE, OPEN, View
    from cmdesk.tui.app import CmdeskApp
    from cmdesk.tui.widgets.inbox_list import InboxList

    app = paint_probe(CmdeskApp)(
        db, Config(agent="Camille"), transport_factory=None, tokens=lambda _a: None,
        sync_on_start=False,
    )  # fmt: skip

    def inbox() -> InboxList | None:
        found = app.screen.query(InboxList)
        return found.first() if found else None

    def ready() -> bool:
        box = inbox()
        return box is not None and box.current_item is not None

    def state() -> Any:
        box = inbox()
        return None if box is None else (box.cursor, box.current_rowid, len(box.ids), box.scroll_y)

    def filled() -> bool:
        box = inbox()
        if box is None:
            return False
        top = round(box.scroll_offset.y)
        rows = box.ids[top : top + box.size.height]
        return all(box.cached(rowid) is not None for rowid in rows)

    probe = Probe(app, ready, state)
    app.probe = probe  # type: ignore[attr-defined]
    results: dict[str, Any] = {"keys": {}, "filled": {}}
    app.bench_results = results  # type: ignore[attr-defined]

    async def timed(name: str, key: str) -> None:
        before = state()
        started = time.perf_counter()
        shown = probe.frame_where(lambda: state() != before and filled())
        results["keys"].setdefault(name, []).append(await probe.press(key))
        try:
            wait = (await asyncio.wait_for(shown, 10) - started) * 1000
        except TimeoutError:
            wait = float("nan")
        results["filled"].setdefault(name, []).append(wait)
        await asyncio.sleep(KEY_GAP_S)

    async def settle(gap: float = READ_GAP_S) -> None:
        for _ in range(100):
            busy = [w for w in app.workers if not w.is_finished and w.group != "bench"]
            if not busy:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(gap)

    async def drive() -> None:
        await asyncio.sleep(0.3)
        await settle()
        rounds = options.rounds
        if options.keys:
            for _ in range(rounds * 10):
                await timed("down", "down")
            for _ in range(rounds * 4):
                await timed("pagedown", "pagedown")
            for _ in range(rounds):
                await timed("end", "end")
                await timed("home", "home")
            for _ in range(rounds * 3):
                await timed("done-and-next", "e")
                await settle()
            box = inbox()
            for _ in range(rounds * 2):
                gone = box.current_rowid if box else None  # done, then brought back
                await timed("done-and-next", "e")
                await settle()

                def back(rowid: int | None = gone) -> bool:
                    return box is not None and box.current_rowid == rowid

                results["keys"].setdefault("undo", []).append(await probe.press("u", back))
                await settle()
                await probe.press("down")
                await settle()
        if options.views:
            results["views"] = await switch_views()
        results["rss_mb"] = rss_mb()
        app.exit()

    async def switch_views() -> dict[str, Any]:
        from cmdesk.tui.screens.inbox import InboxScreen

        screen = app.screen
        assert isinstance(screen, InboxScreen)
        chosen = [
            View("Open · mastodon", network="mastodon"),
            View("Open · Nordlys", brand="Nordlys"),
            DONE,
            ALL,
            OPEN,
        ]
        out: dict[str, Any] = {}
        for view in chosen * max(1, options.rounds // 2):
            box = inbox()
            assert box is not None
            old = box.ids
            stalls = [0.0]
            stop = asyncio.Event()

            async def ticker(stalls: list[float] = stalls, stop: asyncio.Event = stop) -> None:
                last = time.perf_counter()
                while not stop.is_set():
                    await asyncio.sleep(0.002)
                    now = time.perf_counter()
                    stalls[0] = max(stalls[0], now - last - 0.002)
                    last = now

            tick = asyncio.create_task(ticker())
            started = time.perf_counter()
            future = probe.frame_where(lambda b=box, o=old: b.ids is not o and filled())
            screen.reload(view=view)
            try:
                shown = (await asyncio.wait_for(future, 30) - started) * 1000
            except TimeoutError:
                shown = float("nan")
            while any(w.group == "view" and not w.is_finished for w in app.workers):
                await asyncio.sleep(0.002)
            whole = (time.perf_counter() - started) * 1000
            stop.set()
            await tick
            stall = stalls[0]
            entry = out.setdefault(
                view.title, {"ms": [], "whole_ms": [], "stall_ms": [], "rows": 0}
            )
            entry["ms"].append(shown)
            entry["whole_ms"].append(whole)
            entry["stall_ms"].append(stall * 1000)
            entry["rows"] = len(box.ids)
            await settle()
        return out

    probe.drive = drive  # type: ignore[method-assign]
    return app


# -- baselines ------------------------------------------------------------------------------


def queue_rows(db: Path) -> list[tuple[Any, ...]]:
    """The open queue, as the baselines show it: every row loaded up front."""
    from cmdesk.tui.widgets.inbox_row import STATUS_MARKS, age

    now = int(time.time() * 1000)
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(QUEUE_SQL).fetchall()
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


def baseline_app(mode: str, db: Path, options: argparse.Namespace) -> App[Any]:
    from textual.widgets import DataTable, Label, ListItem, ListView

    class Baseline(App[None]):
        BINDINGS = [Binding("e", "done", "Done")]

        def compose(self) -> ComposeResult:
            if mode == "lineapi":
                yield line_api_rows(db)
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

        def action_done(self) -> None:
            widget: Any = self.query_one("#list")
            if mode == "datatable":
                key = widget.coordinate_to_cell_key(widget.cursor_coordinate).row_key
                widget.remove_row(key)
            elif mode == "fastdatatable":
                widget.remove_row(widget.cursor_row)
            elif mode == "lineapi":
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
            for _ in range(rounds * 10):
                await timed("down", "down")
            for _ in range(rounds * 4):
                await timed("pagedown", "pagedown")
            for _ in range(rounds):
                await timed("end", end)
                await timed("home", home)
            for _ in range(rounds * 3):
                await timed("done-and-next", "e")
        results["rss_mb"] = rss_mb()
        app.exit()

    probe.drive = drive  # type: ignore[method-assign]
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", choices=("cmdesk", "datatable", "listview", "fastdatatable", "lineapi")
    )
    parser.add_argument("db", type=Path)
    parser.add_argument("--keys", action="store_true")
    parser.add_argument("--views", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    if options.mode == "cmdesk":
        app = cmdesk_app(options.db, options)
    else:
        app = baseline_app(options.mode, options.db, options)
    app.run(headless=True, size=SIZE)
    results = app.bench_results  # type: ignore[attr-defined]
    probe: Probe = app.probe  # type: ignore[attr-defined]
    out = {
        "mode": options.mode,
        "first_paint": probe.first_paint,
        "keys": {k: summary(v) for k, v in results["keys"].items()},
        "rss_mb": results.get("rss_mb", rss_mb()),
    }
    if "filled" in results:
        out["filled"] = {k: summary(v) for k, v in results["filled"].items()}
    if "views" in results:
        out["views"] = {
            title: {"ms": statistics.median(v["ms"]), "whole_ms": statistics.median(v["whole_ms"]),
                    "stall_ms": max(v["stall_ms"]), "rows": v["rows"]}
            for title, v in results["views"].items()
        }  # fmt: skip
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
