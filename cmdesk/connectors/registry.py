"""Connector discovery through the `cmdesk.connectors` entry-point group.

Built-in connectors register through the same group as third-party ones, and a
connector is imported only when an account uses it.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from cmdesk.connectors.base import Connector

GROUP = "cmdesk.connectors"


class ConnectorLoadError(Exception):
    """No connector for a network, or one that failed to import."""


@cache
def _installed() -> dict[str, EntryPoint]:
    """The group's entry points by network (the first one wins), read once: each read
    scans every installed package's metadata (~15 ms), and a config asks per account."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep)
    return found


def networks() -> list[str]:
    """Names of the installed connectors, without importing them."""
    return sorted(_installed())


@cache
def connector_class(network: str) -> type[Connector]:
    found = _installed().get(network)
    if found is None:
        raise ConnectorLoadError(
            f"unknown network {network!r} (installed: {', '.join(networks())})"
        )
    try:
        loaded = found.load()
    except Exception as exc:  # a broken plugin must not take the app down
        raise ConnectorLoadError(f"connector {network!r} failed to load: {exc}") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Connector)):
        raise ConnectorLoadError(f"connector {network!r} is not a cmdesk Connector")
    return loaded
