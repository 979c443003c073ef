"""Recorded exchanges served through `httpx.MockTransport`.

The demo and the tests run the real connectors over this transport, so the
parsing code they exercise is the code that talks to the platforms. Each
fixture file is one exchange:

    {"request": {"method": "GET", "url": "https://host/path?a=1"},
     "response": {"status": 200, "headers": {...}, "body": <JSON or a string>}}

Timestamps can be shifted so the newest recorded one lands at an anchor time,
which keeps the demo's waiting times realistic on any day.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import httpx

from cmdesk.errors import UserError

_ISO = re.compile(r'"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})"')
#: Epoch-second timestamps (Reddit's `created_utc`, `created`), shifted like ISO ones.
_EPOCH = re.compile(r'("created(?:_utc)?": )(\d{9,11}(?:\.\d+)?)')


class FixtureError(UserError):
    """A fixture file that cannot be read or has the wrong shape."""


def request_key(method: str, url: str | httpx.URL) -> str:
    """Method plus URL with its path decoded and its query sorted, so neither encoding
    nor parameter order matters. (The standard library's parser: httpx's took 0.1 s of
    the demo's start for 450 recorded URLs.)"""
    parts = urlsplit(str(url))
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    base = urlunsplit((parts.scheme, parts.netloc.lower(), unquote(parts.path), "", ""))
    return f"{method.upper()} {base}?{query}"


class RecordedResponse:
    """One recorded answer. Its times are shifted on first read of `body`, not at load:
    a demo serves a fraction of its fixtures, and shifting them all cost 0.2 s of its start."""

    def __init__(self, status: int, headers: dict[str, str], body: str, shift_ms: int = 0):
        self.status = status
        self.headers = headers
        self._body = body
        self._shift_ms = shift_ms

    @property
    def body(self) -> str:
        if self._shift_ms:
            self._body, self._shift_ms = _shift(self._body, self._shift_ms), 0
        return self._body

    @body.setter
    def body(self, text: str) -> None:
        self._body, self._shift_ms = text, 0


@dataclass
class Replay:
    """An in-memory server: answers recorded requests, records what was posted."""

    exchanges: dict[str, RecordedResponse] = field(default_factory=dict)
    posted: list[httpx.Request] = field(default_factory=list)
    shift_ms: int = 0

    @classmethod
    def from_dirs(cls, *dirs: Path, anchor_ms: int | None = None) -> Replay:
        """Load every `*.json` exchange under `dirs`; shift times to `anchor_ms` if given."""
        raw: list[tuple[Path, dict]] = []
        for directory in dirs:
            for path in sorted(directory.rglob("*.json")):
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                    request, response = data["request"], data["response"]
                    raw.append((path, {"request": request, "response": response}))
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    raise FixtureError(f"{path}: not a recorded exchange ({exc})") from exc
        replay = cls()
        bodies = [_body_text(entry["response"].get("body")) for _, entry in raw]
        if anchor_ms is not None:
            newest = _newest_ms("\n".join(bodies))
            if newest is not None:
                replay.shift_ms = anchor_ms - newest
        for (path, entry), body in zip(raw, bodies, strict=True):
            request, response = entry["request"], entry["response"]
            try:
                key = request_key(request["method"], request["url"])
                recorded = RecordedResponse(
                    status=int(response["status"]),
                    headers={str(k): str(v) for k, v in response.get("headers", {}).items()},
                    body=body,
                    shift_ms=replay.shift_ms,
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise FixtureError(f"{path}: not a recorded exchange ({exc})") from exc
            replay.exchanges[key] = recorded
        return replay

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            self.posted.append(request)
        recorded = self.exchanges.get(request_key(request.method, request.url))
        if recorded is None:
            return httpx.Response(
                404,
                json={"error": f"no recorded exchange for {request.method} {request.url}"},
                request=request,
            )
        headers = {"content-type": "application/json", **recorded.headers}
        return httpx.Response(
            recorded.status, headers=headers, content=recorded.body.encode(), request=request
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def _body_text(body: object) -> str:
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


def _newest_ms(body: str) -> int | None:
    """The newest time in `body`, parsing one ISO stamp per time zone, not every one.

    Within one zone, fixed-width ISO stamps sort as text (a fraction sorts after none).
    """
    latest: dict[str, str] = {}
    for stamp, zone in _ISO.findall(body):
        if stamp > latest.get(zone, ""):
            latest[zone] = stamp
    stamps = [_iso_ms(stamp, zone) for zone, stamp in latest.items()]
    epochs = [float(value) for _, value in _EPOCH.findall(body)]
    if epochs:
        stamps.append(int(max(epochs) * 1000))
    return max(stamps) if stamps else None


def _to_ms(match: re.Match[str]) -> int:
    return _iso_ms(match.group(1), match.group(2))


def _iso_ms(stamp: str, zone: str) -> int:
    return int(datetime.fromisoformat(stamp + zone.replace("Z", "+00:00")).timestamp() * 1000)


def _shift(body: str, shift_ms: int) -> str:
    if not shift_ms:
        return body

    def moved(match: re.Match[str]) -> str:
        when = datetime.fromtimestamp((_to_ms(match) + shift_ms) / 1000, tz=UTC)
        return '"' + when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z" + '"'

    def moved_epoch(match: re.Match[str]) -> str:
        return f"{match.group(1)}{(int(float(match.group(2)) * 1000) + shift_ms) // 1000}.0"

    return _EPOCH.sub(moved_epoch, _ISO.sub(moved, body))
