"""Fuzzing each connector's parsing: whatever a platform answers, only `ConnectorError` escapes.

Each example runs the real connector (`fetch` with random saved cursors, or `check`)
over an `httpx.MockTransport` serving a small recorded platform, one route of which
answers something broken (see `fuzz_platforms.py`). The connector either raises a
`ConnectorError` whose message is one line, or returns items the store accepts as
they are (every string encodable, every number an SQLite integer).
CI runs `FUZZ_EXAMPLES` per connector; `CMDESK_ROBUSTNESS=nightly` runs 10,000.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from cmdesk.connectors.base import ConnectorError, ResponseShapeError
from cmdesk.connectors.http import Http
from cmdesk.connectors.registry import connector_class
from cmdesk.model import Item
from cmdesk.store import Store

from .fuzz_platforms import PLATFORMS, Case, MiniPlatform, cases, platform
from .profile import FUZZ_EXAMPLES

TOKEN = "fuzz-token-0c1d2e3f"


async def _no_sleep(seconds: float) -> None:
    return None


async def exercise(made: MiniPlatform, case: Case) -> tuple[list[Item], dict[str, str]]:
    transport = httpx.MockTransport(lambda request: case.answer(made, request))
    async with httpx.AsyncClient(transport=transport) as client:
        connector = connector_class(made.network)(made.account, client, TOKEN)
        connector.http = Http(client, account=made.account.name, sleep=_no_sleep)
        connector.http.add_secret(TOKEN)
        if case.operation == "check":
            line = await connector.check()
            assert isinstance(line, str)
            return [], {}
        result = await connector.fetch(case.cursors)
        return result.items, result.cursors


def test_the_recorded_mini_platforms_parse_cleanly() -> None:
    """The unbroken platforms give items: the fuzz breaks something that worked."""
    for network in PLATFORMS:
        made = platform(network)
        items, cursors = asyncio.run(exercise(made, Case(target=0)))
        assert len([i for i in items if not i.context_only]) >= 2, network
        assert cursors, network


def _edited(made: MiniPlatform, route: str, edit: Callable[[Any], None]) -> bytes:
    (body,) = [copy.deepcopy(r.body) for r in made.routes if r.name == route]
    edit(body)
    return json.dumps(body).encode()


def _set(path: str, value: Any) -> Callable[[Any], None]:
    """An edit that sets `a.0.b` (dict keys and list indexes) to `value`."""

    def edit(body: Any) -> None:
        *steps, last = [int(step) if step.isdigit() else step for step in path.split(".")]
        for step in steps:
            body = body[step]
        body[last] = value

    return edit


#: Escapes the fuzz found, pinned: (network, route, body edit or raw body, headers, outcome).
#: The outcome is a text the items must hold, or the ConnectorError class raised.
FOUND: dict[str, tuple[str, str, Any, dict[str, str], Any]] = {
    "unknown HTML marked section": (
        "mastodon", "notifications", _set("0.status.content", "<p>a <![foo[ x ]]></p>"), {},
        "a <![foo[ x ]]>",
    ),
    "marked section in a forum post": (
        "discourse", "latest posts", _set("latest_posts.0.cooked", "<p>y <![bar[ z ]]></p>"), {},
        "y <![bar[ z ]]>",
    ),
    "an infinite creation time": (
        "reddit", "inbox", _set("data.children.0.data.created_utc", float("inf")), {},
        ResponseShapeError,
    ),
    "a creation time past year 9999": (
        "reddit", "inbox", _set("data.children.0.data.created_utc", 10**30), {},
        ResponseShapeError,
    ),
    "an unreadable pagination link": (
        "mastodon", "notifications", None, {"link": '<http://[::1>; rel="next"'},
        ResponseShapeError,
    ),
    "a session token HTTP cannot carry": (
        "bluesky", "createSession", _set("accessJwt", "jwt-\u00e9t\u00e9"), {}, ConnectorError,
    ),
    "a lone surrogate escape": (
        "mastodon", "notifications", _set("0.status.content", "<p>half \ud83d emoji</p>"), {},
        "half \ufffd emoji",
    ),
    "an id no URL can hold (nightly fuzz)": (
        "mastodon", "notifications", _set("1.status.id", "1\u0000"), {},
        "La vendeuse de Nantes ce matin",
    ),
    "JSON nested 100,000 deep": (
        "discourse", "latest posts", b"[" * 100_000 + b"]" * 100_000, {}, ResponseShapeError,
    ),
    "JSON that is not UTF-8": (
        "reddit", "access_token", b'{"access_token": "\xff"}', {}, ResponseShapeError,
    ),
}  # fmt: skip


@pytest.mark.parametrize("found", FOUND, ids=FOUND.keys())
def test_the_escapes_the_fuzz_found_stay_fixed(found: str, tmp_path: Path) -> None:
    network, route, change, headers, outcome = FOUND[found]
    made = platform(network)
    target = next(i for i, r in enumerate(made.routes) if r.name == route)
    if isinstance(change, bytes):
        body = change
    elif change is None:
        body = json.dumps(made.routes[target].body).encode()
    else:
        body = _edited(made, route, change)
    case = Case(target=target, body=body, headers=headers)
    if isinstance(outcome, type):
        with pytest.raises(outcome) as caught:
            asyncio.run(exercise(made, case))
        assert "\n" not in str(caught.value)
        return
    items, cursors = asyncio.run(exercise(made, case))
    assert any(outcome in item.text for item in items), [item.text for item in items]
    store = Store(tmp_path / "found.db")
    store.ingest(made.account.name, items, cursors, 1)
    store.close()


@pytest.mark.parametrize("network", PLATFORMS)
def test_only_connector_errors_escape_and_items_are_storable(network: str, tmp_path: Path) -> None:
    made = platform(network)
    store = Store(tmp_path / "fuzz.db")

    @settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=cases(made))
    def run(case: Case) -> None:
        try:
            items, cursors = asyncio.run(exercise(made, case))
        except ConnectorError as exc:
            message = str(exc)
            assert message and "\n" not in message and TOKEN not in message
            return
        for item in items:
            assert isinstance(item, Item) and isinstance(item.text, str)
            assert item.id.startswith(f"{made.account.name}/")
        assert all(isinstance(value, str) for value in cursors.values())
        store.ingest(made.account.name, items, cursors, int(time.time() * 1000))

    try:
        run()
    finally:
        store.close()
