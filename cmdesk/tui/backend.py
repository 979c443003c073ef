"""Store calls off the UI thread: reads and writes each on their own connection and thread.

Writes go through one thread, in the order the CM pressed the keys (done, then
undo); reads never queue behind a write thanks to WAL and their own connection.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from cmdesk.store import Store

T = TypeVar("T")


class Backend:
    def __init__(self, path: Path) -> None:
        self.writer = Store(path)
        self.reader = Store(path)
        #: Reads that scan much of the store (a view's whole order, the counts, usage
        #: stats: up to a second at a million items) have their own connection and
        #: thread, so a page of rows or the detail pane never queues behind them.
        self.bulk = Store(path)
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="cmdesk-write")
        self._reads = ThreadPoolExecutor(1, thread_name_prefix="cmdesk-read")
        self._bulk_reads = ThreadPoolExecutor(1, thread_name_prefix="cmdesk-bulk")

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._reads, call)

    async def read_bulk(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._bulk_reads, call)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._writes, call)

    def close(self) -> None:
        self._writes.shutdown(wait=True)
        self._reads.shutdown(wait=True)
        self._bulk_reads.shutdown(wait=True)
        self.writer.close()
        self.reader.close()
        self.bulk.close()


class LoopThread:
    """An event loop in its own thread, for sync and sends: parsing hundreds of
    platform responses is CPU work that must not stall a keypress."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the thread's loop and await its result from the caller's loop."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return await asyncio.wrap_future(future)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
