"""Small recorded platforms to fuzz each connector's parsing, and the hypothesis strategies.

Each `MiniPlatform` answers a connector's read calls by route (method, host, path
pattern) with a body taken from the recorded fixtures, trimmed to a few entries and
without paging (so one fetch is a handful of requests). A `Case` then breaks one
route's answer: a mutated body (fields deleted, retyped, replaced with huge or
hostile values), a broken body (truncated JSON, an HTML page, a 100,000-deep array),
another status or odd rate-limit and paging headers.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import strategies as st

from cmdesk.model import Account

from ..conftest import FIXTURES, REPO

JsonPath = tuple[str | int, ...]


@dataclass
class Route:
    method: str
    host: str
    path: re.Pattern[str]
    body: Any
    name: str


@dataclass
class MiniPlatform:
    network: str
    account: Account
    routes: list[Route]
    streams: tuple[str, ...]
    #: Keys the connector's source names: mutations aim at these most of the time.
    read_keys: frozenset[str] = frozenset()

    def route_for(self, request: httpx.Request) -> int | None:
        for index, route in enumerate(self.routes):
            if (
                route.method == request.method
                and route.host == request.url.host
                and route.path.fullmatch(request.url.path)
            ):
                return index
        return None


def _body(network: str, name: str) -> Any:
    exchange = json.loads((FIXTURES / network / name).read_text(encoding="utf-8"))
    return exchange["response"]["body"]


def _first(network: str, pattern: str, good: Any = None) -> Any:
    """The body of the first fixture whose name matches `pattern` (and `good(body)`)."""
    for path in sorted((FIXTURES / network).glob("*.json")):
        if re.fullmatch(pattern, path.name):
            body = _body(network, path.name)
            if good is None or good(body):
                return body
    raise LookupError(pattern)


def _source_keys(network: str) -> frozenset[str]:
    """Keys named in the connector's modules: `reddit.py`, and `reddit_listings.py`..."""
    paths = sorted((REPO / "cmdesk" / "connectors").glob(f"{network}*.py"))
    source = "\n".join(path.read_text(encoding="utf-8") for path in paths)
    return frozenset(re.findall(r"[\"']([A-Za-z_$][\w$]*)[\"']", source))


def _r(method: str, host: str, path: str, body: Any, name: str) -> Route:
    return Route(method, host, re.compile(path), body, name)


def mastodon() -> MiniPlatform:
    host = "piaille.fr"
    page = _body("mastodon", "brioche-masto-notifications-1.json")[:3]
    context = _first("mastodon", r"brioche-masto-context-.*", lambda b: len(b["ancestors"]) >= 2)
    routes = [
        _r("GET", host, "/api/v1/accounts/verify_credentials",
           _body("mastodon", "brioche-masto-verify-credentials.json"), "verify_credentials"),
        _r("GET", host, "/api/v1/notifications", page, "notifications"),
        _r("GET", host, r"/api/v1/statuses/[^/]+/context", context, "context"),
    ]  # fmt: skip
    account = Account("brioche-masto", "mastodon", "Brioche & Co", f"https://{host}",
                      {"handle": "briocheco"})  # fmt: skip
    return MiniPlatform("mastodon", account, routes, ("notifications",))


def bluesky() -> MiniPlatform:
    host = "bsky.social"
    page = _body("bluesky", "nordlys-bsky-notifications-1.json")
    wanted = [n for n in page["notifications"] if n["reason"] in ("mention", "reply", "quote")]
    other = [n for n in page["notifications"] if n not in wanted]
    page = {"notifications": [*wanted[:3], *other[:1]]}
    thread = _first("bluesky", r"nordlys-bsky-thread-.*",
                    lambda b: isinstance(b["thread"].get("parent"), dict))  # fmt: skip
    xrpc = "/xrpc/"
    routes = [
        _r("POST", host, xrpc + "com.atproto.server.createSession",
           _body("bluesky", "nordlys-bsky-create-session.json"), "createSession"),
        _r("GET", host, xrpc + "app.bsky.notification.listNotifications", page,
           "listNotifications"),
        _r("GET", host, xrpc + "app.bsky.feed.getPostThread", thread, "getPostThread"),
    ]  # fmt: skip
    account = Account("nordlys-bsky", "bluesky", "Nordlys", f"https://{host}",
                      {"handle": "nordlys.bsky.social"})  # fmt: skip
    return MiniPlatform("bluesky", account, routes, ("notifications",))


def discourse() -> MiniPlatform:
    host = "forum.pixelpost.example"
    page = _body("discourse", "pixelpost-forum-posts-1.json")
    page = {**page, "latest_posts": page["latest_posts"][:3]}
    topic = _first("discourse", r"pixelpost-forum-topic-.*")
    routes = [
        _r("GET", host, "/posts.json", page, "latest posts"),
        _r("GET", host, r"/t/\d+\.json", topic, "topic"),
        _r("GET", host, "/session/current.json",
           _body("discourse", "pixelpost-forum-session-current.json"), "current user"),
    ]  # fmt: skip
    account = Account("pixelpost-forum", "discourse", "PixelPost", f"https://{host}",
                      {"username": "pixelpost_team"})  # fmt: skip
    return MiniPlatform("discourse", account, routes, ("posts",))


def _listing(name: str) -> Any:
    body = _body("reddit", name)
    data = {**body["data"], "children": body["data"]["children"][:3], "after": None}
    return {**body, "data": data}


def reddit() -> MiniPlatform:
    api = "oauth.reddit.com"
    routes = [
        _r("POST", "www.reddit.com", "/api/v1/access_token",
           _body("reddit", "brioche-reddit-access-token.json"), "access_token"),
        _r("GET", api, "/r/BriocheEtCo/comments", _listing("brioche-reddit-comments-1.json"),
           "subreddit comments"),
        _r("GET", api, "/message/mentions", _listing("brioche-reddit-mentions-1.json"),
           "mentions"),
        _r("GET", api, "/message/inbox", _listing("brioche-reddit-inbox-1.json"), "inbox"),
        _r("GET", api, "/api/info", _listing("brioche-reddit-info-1.json"), "info"),
        _r("GET", api, "/api/v1/me", _body("reddit", "brioche-reddit-me.json"), "me"),
        _r("GET", api, "/r/BriocheEtCo/about", _body("reddit", "brioche-reddit-about.json"),
           "about"),
    ]  # fmt: skip
    account = Account(
        "brioche-reddit", "reddit", "Brioche & Co", f"https://{api}",
        {"username": "BriocheEtCo", "subreddit": "BriocheEtCo", "client_id": "Xq3vR8bT2kLm9w",
         "auth_url": "https://www.reddit.com/api/v1/access_token"},
    )  # fmt: skip
    return MiniPlatform("reddit", account, routes, ("inbox", "mentions", "subreddit"))


PLATFORMS = {"mastodon": mastodon, "bluesky": bluesky, "discourse": discourse, "reddit": reddit}


def platform(network: str) -> MiniPlatform:
    made = PLATFORMS[network]()
    made.read_keys = _source_keys(network)
    return made


# -- what a broken platform sends ----------------------------------------------------------------

#: Strings that have broken parsers before: odd numbers and times, hostile markup and
#: HTML, control and bidi characters, lone surrogates, huge values.
EDGE_STRINGS = [
    "", " ", "\x00", "\ud800", "\udfff", "\ud83d", "9" * 5000, "-1", "0", "1e309", "NaN",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "2026-11-24T10:00:00",
    "2026-13-45T99:99:99Z", "2026-11-24T10:00:00.000Z", "at://", "at://did:plc:x/y/",
    "t1_", "t3_", "t4_abc", "t2_", "/r/x/comments/", "<![foo[ x ]]>", "<![CDATA[x]]>",
    "<p>" * 40, "&#x110000;", "&#0;", "<a href='javascript:x'>", "\u202e\u2066x", "👩‍💻" * 50,
    "مرحبا" * 20, "[bold]x[/]", "[@click=app.quit]q[/]", "\x1b]52;c;ZXZpbA==\x07",
    "\x1b[2J\x1b[H", "https://evil.example/", "http://[::1", "a" * 100_000, "did:plc:",
]  # fmt: skip
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(EDGE_STRINGS),
)
JSON_VALUES = st.recursive(
    _LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
#: What a store may hold as a saved cursor: anything a connector once returned, or garbage.
SAVED_CURSORS = [
    "",
    " ",
    "\x00",
    "9" * 5000,
    "-1",
    "0",
    "1e309",
    "NaN",
    "76213395",
    "0001-01-01T00:00:00+01:00",
    "2026-11-24T10:00:00",
    "1795000000000",
    "t1_x",
]
HEADER_VALUES = st.sampled_from(
    ["", "0", "-1", "0.0", "nan", "inf", "-inf", "1e309", "99999999999999999999", "5",
     "Mon, 99 Foo 2026", "Wed, 21 Oct 2015 07:28:00 GMT", "2026-11-24T10:00:00Z", "garbage"]
)  # fmt: skip
HEADER_NAMES = st.sampled_from(
    ["retry-after", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-remaining",
     "ratelimit-reset", "link", "content-type"]
)  # fmt: skip
LINKS = st.sampled_from(
    ['<https://evil.example/api/v1/notifications?max_id=1>; rel="next"',
     '<https://piaille.fr/api/v1/notifications?max_id=1>; rel="next"',
     '<>; rel="next"', "<; rel=next", 'rel="next"', "<http://[::1>; rel=\"next\"", ",,,"]
)  # fmt: skip
STATUSES = st.sampled_from([200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 410, 422, 429, 500])


def json_paths(value: Any, prefix: JsonPath = ()) -> Iterator[JsonPath]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from json_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from json_paths(child, (*prefix, index))


def _parent(value: Any, path: JsonPath) -> Any:
    for step in path[:-1]:
        value = value[step]
    return value


EDGE_NUMBERS = [0, -1, 1, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**30, 1.5, -0.0, 1e308,
                float("inf"), float("-inf"), float("nan"), True, False, "1", "0", None]  # fmt: skip


def _replacement(draw: st.DrawFn, old: Any) -> Any:
    """A new value for a field: mostly a hostile one of the same type, sometimes any JSON."""
    choice = draw(st.integers(0, 9))
    if choice < 2:
        return draw(JSON_VALUES)
    if isinstance(old, str):
        return draw(st.sampled_from(EDGE_STRINGS)) if choice < 8 else draw(st.text(max_size=30))
    if isinstance(old, int | float):
        return draw(st.sampled_from(EDGE_NUMBERS))
    if isinstance(old, list):
        return [] if choice < 5 else old * draw(st.integers(2, 4))
    if isinstance(old, dict):
        return {} if choice < 5 else [old]
    return draw(st.sampled_from([*EDGE_STRINGS[:12], *EDGE_NUMBERS, {}, []]))


def _pattern(path: JsonPath) -> JsonPath:
    return tuple("*" if isinstance(step, int) else step for step in path)


@st.composite
def mutated(draw: st.DrawFn, body: Any, read_keys: frozenset[str]) -> Any:
    """`body` with fields the connector reads (and others) deleted or replaced.

    Either a few targeted changes, each to one field (every field the connector names
    equally likely, however many entries repeat it), or a sprinkle: each such field
    of every entry replaced with a small probability.
    """
    body = copy.deepcopy(body)
    paths = [p for p in json_paths(body) if p]
    aimed = [p for p in paths if isinstance(p[-1], str) and p[-1] in read_keys]
    if not aimed or draw(st.integers(0, 9)) == 0:
        aimed = paths
    if not aimed:
        return draw(JSON_VALUES)
    fields: dict[JsonPath, list[JsonPath]] = {}
    for path in aimed:
        fields.setdefault(_pattern(path), []).append(path)
    if draw(st.integers(0, 3)) == 0:  # sprinkle
        percent = draw(st.sampled_from([3, 10, 30]))
        chosen = [p for p in aimed if draw(st.integers(0, 99)) < percent]
    else:
        chosen = []
        for _ in range(draw(st.integers(1, 3))):
            instances = fields[draw(st.sampled_from(sorted(fields, key=repr)))]
            chosen += instances if draw(st.booleans()) else [draw(st.sampled_from(instances))]
    for path in sorted(set(chosen), key=len, reverse=True):  # deepest first
        try:
            holder = _parent(body, path)
            old = holder[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or retyped what held it
        if isinstance(holder, dict) and draw(st.integers(0, 5)) == 0:
            del holder[path[-1]]
        else:
            holder[path[-1]] = _replacement(draw, old)
    return body


@dataclass
class Case:
    """What the platform answers: route `target` breaks as said; the others answer as recorded."""

    target: int
    body: bytes | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)
    operation: str = "fetch"

    def __repr__(self) -> str:
        body = self.body if self.body is None or len(self.body) < 300 else self.body[:300] + b"..."
        return (
            f"Case(target={self.target}, body={body!r}, status={self.status}, "
            f"headers={self.headers!r}, cursors={self.cursors!r}, operation={self.operation!r})"
        )

    def answer(self, made: MiniPlatform, request: httpx.Request) -> httpx.Response:
        index = made.route_for(request)
        if index is None:
            return httpx.Response(404, json={"error": "not found"})
        if index != self.target or self.body is None:
            return httpx.Response(200, content=json.dumps(made.routes[index].body).encode(),
                                  headers={"content-type": "application/json"})  # fmt: skip
        headers = {"content-type": "application/json", **self.headers}
        return httpx.Response(self.status, content=self.body, headers=headers)


def _raw_bodies(body: Any) -> st.SearchStrategy[bytes]:
    text = json.dumps(body, ensure_ascii=False)
    return st.one_of(
        st.integers(0, max(0, len(text) - 1)).map(lambda cut: text[:cut].encode()),
        st.just(b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"),
        st.just(b""),
        st.just(b"\xff\xfe\x00garbage"),
        st.just(b'{"a": "\xff"}'),
        st.just(b"[" * 100_000 + b"]" * 100_000),
        st.just(b'{"a": ' * 50_000 + b"1" + b"}" * 50_000),
        st.just(b"null"),
        st.just(json.dumps("\ud800").encode()),
    )


@st.composite
def cases(draw: st.DrawFn, made: MiniPlatform) -> Case:
    operation = draw(st.sampled_from(["fetch", "fetch", "fetch", "check"]))
    target = draw(st.integers(0, len(made.routes) - 1))
    route = made.routes[target]
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "raw", "status", "headers"]))
    case = Case(target=target, operation=operation)
    if kind == "raw":
        case.body = draw(_raw_bodies(route.body))
    else:
        body = draw(mutated(route.body, made.read_keys)) if kind == "mutated" else route.body
        case.body = json.dumps(body).encode("utf-8", "surrogatepass")
    if kind == "status":
        case.status = draw(STATUSES)
    if kind == "headers" or draw(st.integers(0, 9)) == 0:
        names = draw(st.lists(HEADER_NAMES, min_size=1, max_size=3))
        case.headers = {n: draw(LINKS if n == "link" else HEADER_VALUES) for n in names}
    if draw(st.booleans()):
        case.cursors = {
            stream: draw(st.one_of(st.sampled_from(SAVED_CURSORS), st.text(max_size=12)))
            for stream in made.streams
        }
    return case
