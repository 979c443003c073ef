"""Reddit's OAuth2 session: an access token traded for the refresh token, and API calls.

The base class of `RedditConnector` (`cmdesk.connectors.reddit`), whose reads and
writes all go through `_call`; a subclass because the token is kept on the
account's client (`Connector._remember`). Follows Reddit's OAuth2 wiki: the token
is a refresh token, traded for an access token at `auth_url`
(`POST /api/v1/access_token`, `grant_type=refresh_token`, HTTP Basic with the
app's client id and an empty secret, as for an "installed app"); the API is then
`https://oauth.reddit.com`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from cmdesk.connectors.base import (
    AuthError,
    Connector,
    ConnectorError,
    RateLimited,
    expect_str,
    shape_guard,
)

AUTH_URL = "https://www.reddit.com/api/v1/access_token"


class RedditSession(Connector):
    """A Reddit account's access token, kept on its client across passes, and `_call`."""

    @property
    def _access(self) -> tuple[str, float, str] | None:
        """(access token, expires, scopes), kept on the account's client across passes."""
        return self._remember("reddit.access")

    @_access.setter
    def _access(self, value: tuple[str, float, str] | None) -> None:
        if value is None:
            self._forget("reddit.access")
        else:
            self._remember("reddit.access", value)

    @property
    def _username(self) -> str:
        return str(self.account.options.get("username") or "").removeprefix("u/").lstrip("/")

    async def _token(self) -> str:
        """A live access token, traded for the refresh token when none is cached."""
        if self._access and time.monotonic() < self._access[1]:
            return self._access[0]
        client_id = str(self.account.options.get("client_id") or "")
        if not self.token or not client_id or not self._username:
            raise AuthError(
                f"{self.account.name}: a Reddit refresh token, client_id and username are needed"
            )
        url = str(self.account.options.get("auth_url") or AUTH_URL)
        again = f"run `cmdesk accounts add {self.account.name}` again"
        try:
            body, _ = await self.http.request_json(
                "POST",
                url,
                data={"grant_type": "refresh_token", "refresh_token": self.token},
                auth=(client_id, ""),
                headers=self._agent,
                idempotent=True,
            )
        except (AuthError, RateLimited):
            raise
        except ConnectorError as exc:
            if "400" not in str(exc):
                raise
            raise AuthError(f"{self.account.name}: refresh token refused ({exc}): {again}") from exc
        if isinstance(body, dict) and "error" in body:
            error = " ".join(str(body["error"]).split())[:60]
            raise AuthError(f"{self.account.name}: refresh token refused ({error}): {again}")
        with shape_guard("Reddit access token"):
            access = expect_str(body, "access_token")
            lifetime = float(body.get("expires_in") or 3600)
            scopes = str(body.get("scope") or "")
        self.http.add_secret(access)
        self._access = (access, time.monotonic() + max(lifetime - 60, 30), scopes)
        return access

    @property
    def _agent(self) -> dict[str, str]:
        """Reddit asks for a unique, descriptive User-Agent naming the app and its user."""
        client_id = self.account.options.get("client_id") or "app"
        return {"User-Agent": f"cmdesk:{client_id}:0.1 (by /u/{self._username})"}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """An API call with a bearer access token, refreshed once if Reddit says it expired."""
        for attempt in (1, 2):
            token = await self._token()
            headers = {**self._agent, "Authorization": f"bearer {token}"}
            try:
                body, _ = await self.http.request_json(
                    method,
                    f"{self.base_url}{path}",
                    params=params,
                    data=data,
                    headers=headers,
                    idempotent=idempotent,
                )
            except AuthError as exc:
                if attempt == 2 or "HTTP 401" not in str(exc):
                    raise
                self._access = None  # expired early: trade the refresh token again
                continue
            return body
        raise AssertionError("unreachable")
