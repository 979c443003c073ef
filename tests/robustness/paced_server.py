"""The replay server, slowed down and counted, so a test can kill a client at a chosen point.

Each request takes `delay` seconds more; `wait_until(predicate)` returns once what
has been served so far (in total and per host) satisfies the predicate.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from cmdesk.connectors.replay import Replay

from ..replay_server import ReplayServer


class PacedServer(ReplayServer):
    def __init__(self, replay: Replay, delay: float = 0.01) -> None:
        self.delay = delay
        self.served = 0
        self.per_host: Counter[str] = Counter()
        self._changed = threading.Condition()
        super().__init__(replay)

    def reset_counts(self) -> None:
        with self._changed:
            self.served = 0
            self.per_host.clear()
            self.requests.clear()

    def wait_until(self, done: Callable[[PacedServer], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: done(self), timeout)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self
        base = super()._handler_class()

        class Paced(base):  # type: ignore[valid-type, misc]
            def _answer(self) -> None:
                time.sleep(server.delay)
                super()._answer()
                self.wfile.flush()
                host = self.path.lstrip("/").partition("/")[0]
                with server._changed:
                    server.served += 1
                    server.per_host[host] += 1
                    server._changed.notify_all()

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        return Paced
