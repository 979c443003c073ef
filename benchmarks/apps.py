"""One benchmark process: an inbox app on a store, timed from inside.

    python benchmarks/apps.py MODE DB [--keys] [--views] [--rounds N]

MODE is `cmdesk` (the real app), or one of the baselines in `baselines.py` showing
the same open queue. Prints one JSON object on stdout:

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

Frames are timed by `probe.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from baselines import MODES, baseline_app
from probe import KEY_GAP_S, READ_GAP_S, SIZE, Probe, move_keys, paint_probe, rss_mb, summary
from textual.app import App


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
            await move_keys(timed, rounds, "end", "home")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("cmdesk", *MODES))
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
