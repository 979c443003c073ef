"""HTTP for connectors: one shared `httpx.AsyncClient` per account, with retries,
backoff, rate limits, and one readable line per failure.

Apart from the contract (`cmdesk.connectors.base`) so that reading a connector's
declaration (config validation, the UI's start) does not import httpx: it loads
when a connector is built.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import httpx

from cmdesk.connectors.base import (
    AuthError,
    ConnectorError,
    NotFound,
    RateLimited,
    ResponseShapeError,
    parse_time_ms,
)

Sleep = Callable[[float], Awaitable[None]]


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """How long the platform asks us to wait, from `Retry-After` or a reset header.

    `Retry-After` is seconds or an HTTP date (Discourse, and any 429); the reset
    headers come in three styles: an ISO 8601 time (Mastodon `X-RateLimit-Reset`),
    seconds to wait (Reddit `X-Ratelimit-Reset`) or epoch seconds (Bluesky `RateLimit-Reset`).
    """
    now = time.time() if now is None else now
    header = response.headers.get("retry-after")
    if header:
        if header.strip().isdigit():
            return float(header)
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = response.headers.get(name)
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                return max(0.0, parse_time_ms(value) / 1000 - now)
            except ValueError:
                continue
        # Epoch seconds when large, else seconds to wait (Reddit, Bluesky send both styles).
        return max(0.0, number - now) if number > 1e9 else max(0.0, number)
    return None


def quota_remaining(response: httpx.Response) -> float | None:
    """Requests left in the window (`X-RateLimit-Remaining`, `RateLimit-Remaining`), if told."""
    for name in ("x-ratelimit-remaining", "ratelimit-remaining"):
        value = response.headers.get(name)
        if value:
            try:
                return float(value)
            except ValueError:
                return None
    return None


#: XRPC error names (Bluesky) that mean the session token is dead, or the record gone.
_XRPC_AUTH = {"ExpiredToken", "InvalidToken", "AuthenticationRequired"}
_XRPC_GONE = {"NotFound", "RecordNotFound"}
_SAFE_METHODS = {"GET", "HEAD", "PUT", "DELETE"}
_QUOTAS: weakref.WeakKeyDictionary[httpx.AsyncClient, dict[str, float]] = (
    weakref.WeakKeyDictionary()
)
_MAYBE = "it may have gone through"


class Http:
    """JSON over one shared `httpx.AsyncClient`, with retries, backoff and rate limits.

    Retries network errors and 5xx with exponential backoff and jitter, but only
    for requests that are safe to repeat (GET, PUT, DELETE, or a write the caller
    marks `idempotent`: an idempotency key, a fixed record key); a refused
    connection is always safe, as nothing was sent. On 429 it waits what the
    platform asks; when a response says the quota is used up (remaining 0), the
    next call first waits for the reset. Any wait beyond `max_wait` in total
    gives up with `RateLimited`, so one slow platform never stalls the others.
    Errors name the account, never the token.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        account: str = "",
        attempts: int = 4,
        base_delay: float = 0.5,
        max_wait: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.account = account
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        # host -> epoch seconds when its used-up quota resets; kept per client, so a new
        # connector on the same account's client (the next sync pass) still knows it.
        self._reset_at = _QUOTAS.setdefault(client, {})
        self._secrets: set[str] = set()

    def add_secret(self, secret: str | None) -> None:
        """A value (token, session JWT) to blank out of any error message."""
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    async def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> tuple[Any, httpx.Response]:
        """Send a request and decode its JSON body; raise `ConnectorError` otherwise."""
        method = method.upper()
        try:
            httpx.URL(url)
        except httpx.InvalidURL as exc:  # built from an id the platform sent (a NUL in it)
            raise ConnectorError(self._say(f"cannot send {method} {url!r}: {exc}")) from None
        if idempotent is None:
            keyed = any(name.lower() == "idempotency-key" for name in headers or {})
            idempotent = method in _SAFE_METHODS or keyed
        where = f"{method} {_path(url)}"
        last, limited, waited = "no attempt made", False, 0.0
        attempts, attempt = self.attempts, 0
        while attempt < attempts:
            attempt += 1
            waited += await self._respect_quota(url, waited)
            try:
                response = await self.client.request(
                    method, url, params=params, json=json_body, data=data, headers=headers,
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                )  # fmt: skip
            except (UnicodeError, httpx.InvalidURL) as exc:
                # A header or URL HTTP cannot carry (a non-ASCII token or username, a
                # broken link from the platform): no attempt can succeed.
                why = f"{type(exc).__name__}: a header or the URL holds what HTTP cannot carry"
                raise ConnectorError(self._say(f"cannot send {where} ({why})")) from None
            except httpx.ConnectError as exc:
                # Nothing was sent: safe to retry, but a host that refuses now will refuse
                # in two seconds too (the next sync pass tries again).
                last, limited = (
                    f"cannot reach {httpx.URL(url).host} ({_reason(exc)}) on {where}",
                    False,
                )
                attempts = min(attempts, 2)
            except httpx.TransportError as exc:
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "network error"
                last, limited = f"{kind} on {where} ({type(exc).__name__})", False
                if not idempotent:
                    raise ConnectorError(self._say(f"{last}, not retried: {_MAYBE}")) from None
            else:
                self._note_quota(response)
                if response.status_code == 429:
                    wait = retry_after_seconds(response, self._clock())
                    wait = self._backoff(attempt - 1) if wait is None else wait
                    if waited + wait > self.max_wait:
                        raise RateLimited(self._say(f"rate limited on {where} for {wait:.0f}s"))
                    last, limited = f"still rate limited on {where}", True
                    self._reset_at.pop(response.request.url.host, None)  # this wait covers it
                    if attempt < attempts:
                        waited += wait
                        await self._sleep(wait)
                    continue
                if response.status_code < 500:
                    return self._answer(response, url, where), response
                last, limited = f"HTTP {response.status_code} on {where}", False
                if not idempotent:
                    detail = _detail(response, self._secrets)
                    raise ConnectorError(self._say(f"{last}{detail}, not retried: {_MAYBE}"))
            if attempt < attempts:
                await self._sleep(self._backoff(attempt - 1))
        error = RateLimited if limited else ConnectorError
        raise error(self._say(f"{last} (after {attempts} attempts)"))

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        body, _ = await self.request_json("GET", url, **kwargs)
        return body

    def _answer(self, response: httpx.Response, url: str, where: str) -> Any:
        """The decoded body of a non-5xx, non-429 answer, or the error it stands for."""
        status = response.status_code
        if status < 400:
            return _decode(response, url)
        error_name = _xrpc_error(response)
        account = self.account or "this account"
        again = f"run `cmdesk accounts add {account}` again"
        detail = _detail(response, self._secrets)
        if status == 401 or error_name in _XRPC_AUTH:
            message = f"{account}: token expired or revoked (HTTP {status} on {where}): {again}"
            raise AuthError(self._say(message))
        if status == 403:
            message = (
                f"{account}: refused (HTTP 403 on {where}{detail}): the account "
                f"lacks this permission, or its token was revoked ({again})"
            )
            raise AuthError(self._say(message))
        if status == 404 or error_name in _XRPC_GONE:
            raise NotFound(self._say(f"HTTP {status} on {where}: not found{detail}"))
        raise ConnectorError(self._say(f"HTTP {status} on {where}{detail}"))

    def _note_quota(self, response: httpx.Response) -> None:
        """Remember when a used-up quota resets, so the next call waits instead of failing."""
        remaining = quota_remaining(response)
        if remaining is None:
            return
        host = response.request.url.host
        if remaining >= 1:
            self._reset_at.pop(host, None)
            return
        now = self._clock()
        wait = retry_after_seconds(response, now)
        if wait:
            self._reset_at[host] = now + wait

    async def _respect_quota(self, url: str, waited: float) -> float:
        """Wait for the quota of `url`'s host to reset, if the last answer used it up."""
        host = httpx.URL(url).host
        reset = self._reset_at.get(host)
        if reset is None:
            return 0.0
        wait = reset - self._clock()
        if wait <= 0:
            del self._reset_at[host]
            return 0.0
        if waited + wait > self.max_wait:
            raise RateLimited(self._say(f"rate limit used up on {host}: resets in {wait:.0f}s"))
        del self._reset_at[host]
        await self._sleep(wait)
        return wait

    def _backoff(self, attempt: int) -> float:
        return self.base_delay * (2**attempt) * (0.5 + random.random())

    def redact(self, text: str) -> str:
        """`text` in one line with every known secret blanked: for any error shown or stored."""
        return self._say(text)

    def _say(self, message: str) -> str:
        """One line, with any known secret blanked out."""
        for secret in self._secrets:
            message = message.replace(secret, "[token]")
        return " ".join(message.split())


def _path(url: str) -> str:
    return httpx.URL(url).path or url


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in words: the cause is a few exceptions down the chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        text = str(seen).lower()
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            return "unknown host"
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


def _error_body(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _xrpc_error(response: httpx.Response) -> str | None:
    """An XRPC error name (`{"error": "ExpiredToken", "message": ...}`), if the body has one."""
    body = _error_body(response)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    return None


def _detail(response: httpx.Response, secrets: Iterable[str] = ()) -> str:
    """The platform's own short explanation of an error, when it gives one.

    Secrets it echoes are blanked before it is cut short: a cut through a token would
    leave a piece of it that no later blanking recognises.
    """
    body = _error_body(response)
    text = ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(body.get("message"), str):
            text = body["message"]
            if isinstance(body.get("error"), str) and body["error"] not in text:
                text = f"{body['error']}: {text}"
        elif isinstance(body.get("error"), str):
            text = body["error"]
        elif isinstance(body.get("error_description"), str):
            text = body["error_description"]
        elif isinstance(errors, list) and errors and isinstance(errors[0], str):
            text = errors[0]
    for secret in secrets:
        text = text.replace(secret, "[token]")
    text = " ".join(text.split())
    if len(text) > 160:
        text = text[:157] + "..."
    return f": {text}" if text else ""


def _decode(response: httpx.Response, url: str) -> Any:
    if not response.content.strip() and response.status_code in (200, 201, 202, 204):
        return {}  # a write answered with an empty body (Reddit, Discourse recover)
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type and response.content.lstrip()[:1] == b"<":
        raise ResponseShapeError(f"got an HTML page instead of JSON from {_path(url)}")
    try:
        body = json.loads(response.content)
        # A `\ud83d` escape without its pair decodes to a lone surrogate, which no store or
        # terminal can encode: it becomes U+FFFD, as an invalid UTF-8 byte would.
        return _repaired(body) if _SURROGATE_ESCAPE.search(response.content) else body
    except json.JSONDecodeError as exc:
        raise ResponseShapeError(f"invalid JSON from {_path(url)}: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise ResponseShapeError(f"invalid JSON from {_path(url)}: not UTF-8 text") from exc
    except RecursionError:
        raise ResponseShapeError(f"invalid JSON from {_path(url)}: nested too deeply") from None


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _repaired(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_repaired(child) for child in value]
    if isinstance(value, dict):
        return {_repaired(key): _repaired(child) for key, child in value.items()}
    return value
