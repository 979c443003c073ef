"""Reddit's listings and things as JSON, checked where paging and threading rely on them.

Apart from the connector (`cmdesk.connectors.reddit`), which makes the calls: a
`Listing` (`kind: Listing`, `data.children`, paged with `after`) holds `t1` comments,
`t3` submissions and `t4` messages; a comment names its parent (`parent_id`) and
submission (`link_id`, or the `context` path in the inbox).
"""

from __future__ import annotations

from typing import Any

from cmdesk.connectors.base import expect_str


def children(body: Any) -> list[Any]:
    """The things of a `Listing`."""
    if not isinstance(body, dict) or body.get("kind") != "Listing":
        raise TypeError("not a Listing")
    things = body["data"]["children"]
    if not isinstance(things, list):
        raise TypeError("children is not a list")
    return things


def thing(child: Any) -> dict[str, Any]:
    """Check the fields paging and threading rely on, so a bad payload fails here, named."""
    if child["kind"] not in ("t1", "t3", "t4"):
        raise ValueError(f"unexpected kind {child['kind']!r}")
    data = child["data"]
    expect_str(data, "name")
    created_ms(data)
    return child


def parent_of(thing: dict[str, Any]) -> str | None:
    """The fullname a comment or message answers, if any."""
    parent = thing["data"].get("parent_id")
    return parent if isinstance(parent, str) and parent else None


def link_of(data: dict[str, Any]) -> str | None:
    """The submission a comment belongs to: `link_id`, or from an inbox item's `context` path."""
    link = data.get("link_id")
    if isinstance(link, str) and link.startswith("t3_"):
        return link
    parts = str(data.get("context") or "").split("/")
    if "comments" in parts and parts.index("comments") + 1 < len(parts):
        return "t3_" + parts[parts.index("comments") + 1]
    return None


def created_ms(data: dict[str, Any]) -> int:
    """`created_utc` in ms; a shape error unless it is a time SQLite can hold."""
    value = data["created_utc"]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"created_utc is {type(value).__name__}, not a number")
    if not _YEAR_1 <= value <= _YEAR_9999:  # also NaN and infinities
        raise ValueError(f"created_utc {value!r} is not a time")
    return int(value * 1000)


#: Epoch seconds of 0001-01-01 and 9999-12-31, the times a datetime (and SQLite) can hold.
_YEAR_1, _YEAR_9999 = -62_135_596_800, 253_402_300_799


def cursor(value: str | None) -> int | None:
    """A saved creation time (ms); an unreadable one counts as none (a first sync)."""
    try:
        return int(value) if value else None
    except ValueError:
        return None
