"""A replay of recorded exchanges that logs every request, with faults and answers to add.

Shared by the connector write-path tests: the recorded fixtures answer, and a test
adds what it needs (an answer for one more URL, a fault for the next matching
request, or a live handler for a stateful endpoint).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from cmdesk.connectors.replay import RecordedResponse, Replay, request_key

Handler = Callable[[httpx.Request], httpx.Response | None]


@dataclass
class FakePlatform:
    replay: Replay
    requests: list[httpx.Request] = field(default_factory=list)
    faults: list[tuple[str, httpx.Response]] = field(default_factory=list)
    handlers: list[Handler] = field(default_factory=list)

    @classmethod
    def from_fixtures(cls, *dirs: Path) -> FakePlatform:
        return cls(Replay.from_dirs(*dirs))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for i, (fragment, response) in enumerate(self.faults):
            if fragment in str(request.url):
                del self.faults[i]
                return response
        for handler in self.handlers:
            answer = handler(request)
            if answer is not None:
                return answer
        return self.replay.handle(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def answer(self, method: str, url: str, body: Any, status: int = 200) -> None:
        """Record one more exchange."""
        text = body if isinstance(body, str) else json.dumps(body)
        self.replay.exchanges[request_key(method, url)] = RecordedResponse(status, {}, text)

    def body(self, method: str, url: str) -> Any:
        return json.loads(self.replay.exchanges[request_key(method, url)].body)

    def edit(self, method: str, url: str, change: Callable[[Any], Any]) -> None:
        recorded = self.replay.exchanges[request_key(method, url)]
        recorded.body = json.dumps(change(json.loads(recorded.body)))

    def sent(self, fragment: str = "", method: str | None = None) -> list[httpx.Request]:
        """Requests whose URL contains `fragment` (and of `method`, if given)."""
        return [
            r
            for r in self.requests
            if fragment in str(r.url) and (method is None or r.method == method)
        ]

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every request that is not a GET."""
        return [(r.method, r.url.path) for r in self.requests if r.method != "GET"]


def json_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def form_of(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
