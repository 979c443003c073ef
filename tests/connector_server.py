"""A recorded platform for connector tests: the replay, a log of requests, injected faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cmdesk.connectors.replay import Replay, request_key


@dataclass
class Server:
    """The recorded exchanges, a log of what was asked, and faults to inject."""

    replay: Replay
    requests: list[httpx.Request] = field(default_factory=list)
    faults: list[tuple[str, httpx.Response]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for i, (fragment, response) in enumerate(self.faults):
            if fragment in str(request.url):
                del self.faults[i]
                return response
        return self.replay.handle(request)

    def urls(self, fragment: str = "") -> list[str]:
        return [str(r.url) for r in self.requests if fragment in str(r.url)]

    def body(self, url: str, method: str = "GET") -> Any:
        return json.loads(self.replay.exchanges[request_key(method, url)].body)

    def edit(self, url: str, change: Callable[[Any], Any], method: str = "GET") -> None:
        """Replace a recorded body with `change(body)`."""
        recorded = self.replay.exchanges[request_key(method, url)]
        recorded.body = json.dumps(change(self.body(url, method)))
