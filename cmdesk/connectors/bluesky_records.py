"""Bluesky's JSON, read into values and written from them: the lexicon shapes in one place.

Apart from the connector (`cmdesk.connectors.bluesky`), which makes the XRPC calls;
nothing here does I/O of its own (`facets` asks the connector to resolve handles).
Read: the `listNotifications` page, post views and the `threadViewPost` parent chain,
AT-URIs. Written: the `app.bsky.feed.post` record (reply strong refs, facets indexed
in UTF-8 bytes), blocks, reports and TID record keys. Records are user-written data
the lexicon types as `unknown`, so their fields are read leniently; the envelope
around them is not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cmdesk.connectors.base import expect_list, expect_str, parse_time_ms
from cmdesk.model import Author

POST = "app.bsky.feed.post"
BLOCK = "app.bsky.graph.block"
_LINK = "app.bsky.richtext.facet#link"
_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
# Rich-text detection, as the Bluesky docs ("Links, mentions, and rich text") describe it.
_MENTION = re.compile(
    r"(?:^|[^\w@])(@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?))"
)
_URL = re.compile(r"(?:^|\W)(https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])")
_TAG = re.compile(r"(?:^|\s)(#([^\d\s#][^\s#]{0,63}))")


def notifications_page(body: Any) -> tuple[list[tuple[int, Any]], str | None]:
    """A `listNotifications` page: (`indexedAt` in ms, notification) pairs, and its cursor."""
    page = [(_stamp(note), note) for note in expect_list(body["notifications"])]
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise TypeError("cursor is not a string")
    return page, cursor


def _stamp(note: Any) -> int:
    """A notification's `indexedAt` in ms, after checking the fields paging relies on."""
    expect_str(note, "reason")
    return parse_time_ms(expect_str(note, "indexedAt"))


def cursor_ms(value: str | None) -> int | None:
    """A saved `indexedAt`; an unreadable one counts as none (a first sync)."""
    try:
        return parse_time_ms(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class PostView:
    """What cmdesk reads of a `postView`, or of a notification (the same fields)."""

    uri: str
    author: Author
    text: str
    #: When the AppView saw it: the record's own createdAt is whatever the client says.
    indexed_at: int
    #: (root uri, parent uri) of a reply, None for a top-level post.
    refs: tuple[str, str] | None
    lang: str | None
    url: str


def read_post(view: Any) -> PostView:
    """A notification or `postView`; a shape error (see `shape_guard`) if it is not one."""
    uri = expect_str(view, "uri")
    if not uri.startswith("at://"):
        raise ValueError(f"not an at:// uri: {uri!r}")
    author = view["author"]
    did, handle = expect_str(author, "did"), expect_str(author, "handle")
    record = view["record"] if isinstance(view.get("record"), dict) else {}
    return PostView(
        uri=uri,
        author=Author(id=did, handle=handle, display_name=_opt(author, "displayName")),
        refs=_reply_refs(record),
        text=_expand_links(_opt(record, "text"), record.get("facets")),
        indexed_at=parse_time_ms(expect_str(view, "indexedAt")),
        lang=_lang(record),
        url=f"https://bsky.app/profile/{handle}/post/{rkey_of(uri)}",
    )


def thread_parents(thread: Any) -> Iterator[Any]:
    """The `postView`s above a `threadViewPost`, nearest first, up to the first gap."""
    node = thread.get("parent")
    while isinstance(node, dict) and "post" in node:  # not #notFoundPost / #blockedPost
        yield node["post"]
        node = node.get("parent")


def rkey_of(uri: str) -> str:
    """The record key, last segment of an `at://did/collection/rkey` URI."""
    return uri.rsplit("/", 1)[-1]


def _reply_refs(record: dict[str, Any]) -> tuple[str, str] | None:
    """(root uri, parent uri) of a reply record, or None for a top-level post."""
    try:
        root, parent = record["reply"]["root"]["uri"], record["reply"]["parent"]["uri"]
    except (KeyError, TypeError):
        return None
    return (root, parent) if isinstance(root, str) and isinstance(parent, str) else None


def _lang(record: dict[str, Any]) -> str | None:
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str):
        return langs[0]
    return None


def _opt(mapping: dict[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""


def _expand_links(text: str, facets: Any) -> str:
    """Put back the full URL of links the app shortened for display (`example.com/pa...`).

    Facets index UTF-8 bytes. A link whose visible text is not a shortening of its
    target keeps its visible text: we show what the author showed. Bad facets are
    skipped, since anyone can write any record.
    """
    data = text.encode()
    spans: list[tuple[int, int, str]] = []
    for facet in facets if isinstance(facets, list) else []:
        try:
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            uri = next(f["uri"] for f in facet["features"] if f.get("$type") == _LINK)
        except (KeyError, TypeError, AttributeError, StopIteration):
            continue
        numbers = isinstance(start, int) and isinstance(end, int)
        if numbers and isinstance(uri, str) and 0 <= start < end <= len(data):
            spans.append((start, end, uri))
    out, position = [], 0
    for start, end, uri in sorted(spans):
        if start < position:
            continue
        shown = data[start:end].decode(errors="replace")
        stem = shown.removesuffix("...").removesuffix("…")
        full = uri if stem and stem in uri.split("://", 1)[-1] else shown
        out += [data[position:start], full.encode()]
        position = end
    out.append(data[position:])
    return b"".join(out).decode(errors="replace")


# -- writing ----------------------------------------------------------------------------------


def _post_ref(post: Any) -> dict[str, str]:
    """A `postView`'s strong ref (uri + cid), which replies and reports point at."""
    return {"uri": expect_str(post, "uri"), "cid": expect_str(post, "cid")}


def reply_record(parent: Any, text: str) -> dict[str, Any]:
    """A post record answering the `postView` `parent`, in the thread of its root."""
    ref = _post_ref(parent)
    record = parent["record"] if isinstance(parent.get("record"), dict) else {}
    reply = record.get("reply")
    root = _strong_ref(reply.get("root") if isinstance(reply, dict) else None) or ref
    return {
        "$type": POST,
        "text": text,
        "createdAt": _now_iso(),
        "reply": {"root": root, "parent": ref},
    }


def report(post: Any, *, spam: bool, reason: str) -> dict[str, Any]:
    """A `com.atproto.moderation.createReport` body with the `postView` as evidence."""
    subject = {"$type": "com.atproto.repo.strongRef", **_post_ref(post)}
    kind = "reasonSpam" if spam else "reasonOther"
    return {
        "reasonType": f"com.atproto.moderation.defs#{kind}",
        "reason": reason,
        "subject": subject,
    }


def block_record(did: str) -> dict[str, Any]:
    """An `app.bsky.graph.block` record: we block the account `did`."""
    return {"$type": BLOCK, "subject": did, "createdAt": _now_iso()}


def _strong_ref(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict):
        uri, cid = value.get("uri"), value.get("cid")
        if isinstance(uri, str) and isinstance(cid, str):
            return {"uri": uri, "cid": cid}
    return None


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def record_key(seed: str, created_ms: int) -> str:
    """A TID-shaped record key, the same for the same seed: a retry writes the same record.

    TIDs are 64 bits in base32-sortable: microseconds since the epoch (53 bits) and a
    clock id (10 bits). The time is the parent's creation time plus up to a second,
    and the rest comes from a hash of the seed, so distinct replies never collide.
    """
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    micros = max(created_ms, 0) * 1000 + digest % 1_000_000
    value = (micros << 10) | ((digest >> 20) & 0x3FF)
    value &= (1 << 63) - 1
    return "".join(_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


async def facets(
    text: str, resolve: Callable[[str], Awaitable[str | None]]
) -> list[dict[str, Any]]:
    """Mention, link and tag facets for `text`, indexed in UTF-8 bytes.

    `resolve` turns a mentioned handle into its DID; a mention it cannot resolve
    stays plain text.
    """
    found: list[dict[str, Any]] = []
    for match in _MENTION.finditer(text):
        did = await resolve(match.group(2))
        if did is not None:
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
            found.append(_facet(text, match.start(1), match.end(1), feature))
    for match in _URL.finditer(text):
        feature = {"$type": _LINK, "uri": match.group(1)}
        found.append(_facet(text, match.start(1), match.end(1), feature))
    for match in _TAG.finditer(text):
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": match.group(2)}
        found.append(_facet(text, match.start(1), match.end(1), feature))
    return sorted(found, key=lambda facet: facet["index"]["byteStart"])


def _facet(text: str, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    byte_start = len(text[:start].encode())
    return {
        "index": {"byteStart": byte_start, "byteEnd": byte_start + len(text[start:end].encode())},
        "features": [feature],
    }
