"""The timing harness every benchmark app runs in: frames timestamped from inside.

The paint hook overrides the private `App._display` (called once per frame, after
the compositor rendered it): acceptable in a benchmark, never in cmdesk itself.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import statistics
import time
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual import events
from textual._compositor import CompositorUpdate
from textual.app import App

SIZE = (120, 40)
#: Pause between movement keys, about a held key's repeat rate.
KEY_GAP_S = 0.035
#: Pause before a triage key once the previous one has settled: the least time a CM
#: spends on the next item (done-and-next, undo).
READ_GAP_S = 0.3


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


async def move_keys(
    timed: Callable[[str, str], Awaitable[None]], rounds: int, end: str, home: str
) -> None:
    """The movement part of every app's key plan, the same for all: down, page down, then
    end and home (each app's own keys for them)."""
    for _ in range(rounds * 10):
        await timed("down", "down")
    for _ in range(rounds * 4):
        await timed("pagedown", "pagedown")
    for _ in range(rounds):
        await timed("end", end)
        await timed("home", home)
