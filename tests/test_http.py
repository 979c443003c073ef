"""`Http`: each platform's rate-limit headers, 429 storms, and one readable line per failure."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from cmdesk.connectors.base import AuthError, ConnectorError, NotFound, RateLimited
from cmdesk.connectors.http import Http, retry_after_seconds

NOW = 1_800_000_000.0  # the fake clock: 2027-01-15T08:00:00Z
URL = "https://example.social/api/v1/notifications"


@dataclass
class Rig:
    """An `Http` over a scripted server, with a fake clock and a sleep that only records."""

    http: Http
    answers: list[httpx.Response]
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)


def rig(*answers: httpx.Response, max_wait: float = 60.0) -> Rig:
    script = list(answers)
    made = Rig(http=None, answers=script)  # type: ignore[arg-type]

    def handle(request: httpx.Request) -> httpx.Response:
        made.requests.append(request)
        return script.pop(0) if len(script) > 1 else script[0]

    async def sleep(seconds: float) -> None:
        made.sleeps.append(seconds)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    made.http = Http(
        client, account="brioche-masto", max_wait=max_wait, sleep=sleep, clock=lambda: NOW
    )
    return made


def ok(**headers: str) -> httpx.Response:
    return httpx.Response(200, json={"ok": True}, headers=headers)


@pytest.fixture
async def close_clients() -> AsyncIterator[list[Rig]]:
    rigs: list[Rig] = []
    yield rigs
    for made in rigs:
        await made.http.client.aclose()


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


HEADER_STYLES: dict[str, tuple[dict[str, str], float]] = {
    # Mastodon: X-RateLimit-Reset is an ISO 8601 time.
    "mastodon": ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": iso(NOW + 30)}, 30.0),
    # Reddit: X-Ratelimit-Remaining is a float, X-Ratelimit-Reset seconds to wait.
    "reddit": ({"X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "12"}, 12.0),
    # Bluesky: RateLimit-Reset is epoch seconds.
    "bluesky": ({"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(NOW + 45))}, 45.0),
}


@pytest.mark.parametrize("style", HEADER_STYLES, ids=HEADER_STYLES.keys())
async def test_a_used_up_quota_waits_for_its_reset_before_the_next_call(
    style: str, close_clients: list[Rig]
) -> None:
    headers, wait = HEADER_STYLES[style]
    made = rig(ok(**headers), ok())
    close_clients.append(made)
    await made.http.get_json(URL)
    assert made.sleeps == []  # the answer that used the quota up is not delayed
    await made.http.get_json(URL)
    assert made.sleeps == [pytest.approx(wait, abs=0.01)]
    await made.http.get_json(URL)
    assert len(made.sleeps) == 1  # the next answer had no headers: nothing to wait for


async def test_quota_left_means_no_wait(close_clients: list[Rig]) -> None:
    made = rig(ok(**{"X-RateLimit-Remaining": "297", "X-RateLimit-Reset": iso(NOW + 300)}))
    close_clients.append(made)
    for _ in range(3):
        await made.http.get_json(URL)
    assert made.sleeps == []


async def test_a_reset_beyond_max_wait_gives_up_without_calling(close_clients: list[Rig]) -> None:
    headers = {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "600"}
    made = rig(ok(**headers), max_wait=60)
    close_clients.append(made)
    await made.http.get_json(URL)
    with pytest.raises(RateLimited, match=r"rate limit used up on example.social: resets in 600s"):
        await made.http.get_json(URL)
    assert len(made.requests) == 1 and made.sleeps == []


async def test_discourse_retry_after_on_429(close_clients: list[Rig]) -> None:
    body = {"errors": ["You’ve performed this action too many times."], "error_type": "rate_limit"}
    made = rig(httpx.Response(429, json=body, headers={"Retry-After": "10"}), ok())
    close_clients.append(made)
    assert await made.http.get_json(URL) == {"ok": True}
    assert made.sleeps == [10.0]


async def test_a_429_storm_waits_each_time_then_names_the_limit(close_clients: list[Rig]) -> None:
    made = rig(httpx.Response(429, headers={"Retry-After": "5"}))
    close_clients.append(made)
    with pytest.raises(RateLimited) as caught:
        await made.http.get_json(URL)
    assert made.sleeps == [5.0, 5.0, 5.0]
    assert len(made.requests) == 4
    assert str(caught.value) == (
        "still rate limited on GET /api/v1/notifications (after 4 attempts)"
    )


async def test_a_429_storm_stops_when_the_waits_add_up_past_max_wait(
    close_clients: list[Rig],
) -> None:
    made = rig(httpx.Response(429, headers={"Retry-After": "25"}), max_wait=60)
    close_clients.append(made)
    with pytest.raises(RateLimited, match="rate limited on GET /api/v1/notifications for 25s"):
        await made.http.get_json(URL)
    assert made.sleeps == [25.0, 25.0]


async def test_a_429_without_headers_backs_off(close_clients: list[Rig]) -> None:
    made = rig(httpx.Response(429), ok())
    close_clients.append(made)
    await made.http.get_json(URL)
    assert len(made.sleeps) == 1 and 0 < made.sleeps[0] < 1


def test_reset_header_styles_parse() -> None:
    def wait(**headers: str) -> float | None:
        return retry_after_seconds(httpx.Response(429, headers=headers), NOW)

    assert wait(**{"Retry-After": "7"}) == 7.0
    assert wait(**{"X-RateLimit-Reset": iso(NOW + 90)}) == pytest.approx(90, abs=0.01)
    assert wait(**{"X-Ratelimit-Reset": "412"}) == 412.0
    assert wait(**{"RateLimit-Reset": str(int(NOW + 20))}) == 20.0
    assert wait() is None


AUTH_FAILURES: dict[str, tuple[httpx.Response, str]] = {
    "mastodon 401": (
        httpx.Response(401, json={"error": "The access token is invalid"}),
        "brioche-masto: token expired or revoked (HTTP 401 on GET /api/v1/notifications): "
        "run `cmdesk accounts add brioche-masto` again",
    ),
    "bluesky ExpiredToken": (
        httpx.Response(400, json={"error": "ExpiredToken", "message": "Token has expired"}),
        "brioche-masto: token expired or revoked (HTTP 400 on GET /api/v1/notifications): "
        "run `cmdesk accounts add brioche-masto` again",
    ),
    "bluesky InvalidToken": (
        httpx.Response(
            400, json={"error": "InvalidToken", "message": "Token could not be verified"}
        ),
        "brioche-masto: token expired or revoked (HTTP 400 on GET /api/v1/notifications): "
        "run `cmdesk accounts add brioche-masto` again",
    ),
    "discourse 403": (
        httpx.Response(
            403,
            json={
                "errors": ["You are not permitted to view the requested resource."],
                "error_type": "invalid_access",
            },
        ),
        "brioche-masto: refused (HTTP 403 on GET /api/v1/notifications: You are not permitted "
        "to view the requested resource.): the account lacks this permission, or its token was "
        "revoked (run `cmdesk accounts add brioche-masto` again)",
    ),
}


@pytest.mark.parametrize("case", AUTH_FAILURES, ids=AUTH_FAILURES.keys())
async def test_refused_credentials_say_which_account_and_what_to_do(
    case: str, close_clients: list[Rig]
) -> None:
    response, message = AUTH_FAILURES[case]
    made = rig(response)
    close_clients.append(made)
    with pytest.raises(AuthError) as caught:
        await made.http.get_json(URL)
    assert str(caught.value) == message
    assert len(made.requests) == 1  # never retried


async def test_gone_things_raise_not_found(close_clients: list[Rig]) -> None:
    made = rig(
        httpx.Response(404, json={"error": "Record not found"}),
        httpx.Response(400, json={"error": "RecordNotFound", "message": "Could not locate record"}),
    )
    close_clients.append(made)
    with pytest.raises(NotFound, match="HTTP 404 on GET /api/v1/notifications: not found"):
        await made.http.get_json(URL)
    with pytest.raises(NotFound, match="RecordNotFound: Could not locate record"):
        await made.http.get_json(URL)


async def test_a_write_without_idempotency_is_not_retried(close_clients: list[Rig]) -> None:
    made = rig(httpx.Response(502), ok())
    close_clients.append(made)
    with pytest.raises(ConnectorError, match=r"HTTP 502 on POST /posts\.json, not retried"):
        await made.http.request_json("POST", "https://forum.example/posts.json", json_body={})
    assert len(made.requests) == 1


async def test_a_write_with_an_idempotency_key_is_retried(close_clients: list[Rig]) -> None:
    made = rig(httpx.Response(502), ok())
    close_clients.append(made)
    headers = {"Idempotency-Key": "k-1"}
    await made.http.request_json("POST", URL, json_body={}, headers=headers)
    assert len(made.requests) == 2 and len(made.sleeps) == 1


async def test_a_secret_echoed_by_the_platform_is_blanked(close_clients: list[Rig]) -> None:
    made = rig(httpx.Response(400, json={"error": "bad key sk-live-12345 for this user"}))
    close_clients.append(made)
    made.http.add_secret("sk-live-12345")
    with pytest.raises(ConnectorError) as caught:
        await made.http.get_json(URL)
    assert "sk-live-12345" not in str(caught.value) and "[token]" in str(caught.value)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_instance_that_is_down_is_one_clear_line() -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with httpx.AsyncClient() as client:
        http = Http(client, account="a", sleep=sleep)
        with pytest.raises(ConnectorError) as caught:
            await http.get_json(f"http://127.0.0.1:{closed_port()}/api/v1/notifications")
    assert str(caught.value) == (
        "cannot reach 127.0.0.1 (connection refused) on GET /api/v1/notifications "
        "(after 2 attempts)"
    )
    assert len(sleeps) == 1


async def test_the_used_up_quota_is_remembered_by_the_next_pass(close_clients: list[Rig]) -> None:
    """Each sync pass builds a new connector on the account's client: the quota outlives it."""
    made = rig(ok(**{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "20"}), ok())
    close_clients.append(made)
    await made.http.get_json(URL)
    next_pass = Http(made.http.client, sleep=made.http._sleep, clock=lambda: NOW)
    await next_pass.get_json(URL)
    assert made.sleeps == [20.0]
