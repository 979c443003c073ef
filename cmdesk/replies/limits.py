"""Post length as each platform counts it, and the brand's banned words.

Mastodon, Bluesky and X count grapheme clusters (an emoji family is one), and
Mastodon and X count every link as 23 characters whatever its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import regex

from cmdesk.replies.normalize import normalize

LIMITS = {
    "mastodon": 500,
    "bluesky": 300,
    "x": 280,
    "discourse": 32_000,
    "reddit": 10_000,
    "youtube": 10_000,
    "facebook": 8_000,
    "instagram": 2_200,
}
_LINK_COST = {"mastodon": 23, "x": 23}
_URL = re.compile(r"https?://\S+")
_REMOTE_MENTION = re.compile(r"(@[\w.]+)@[\w.-]+\w")


def counted_length(text: str, network: str) -> int:
    """How long the platform will say `text` is."""
    cost = _LINK_COST.get(network)
    if cost is not None:
        text = _URL.sub("x" * cost, text)
    if network == "mastodon":
        text = _REMOTE_MENTION.sub(r"\1", text)  # only the username part counts
    return len(regex.findall(r"\X", text))


def limit_for(network: str) -> int | None:
    return LIMITS.get(network)


def banned_in(text: str, banned: Iterable[str]) -> list[str]:
    """Banned words or phrases present in `text`, ignoring case, accents and punctuation."""
    haystack = f" {normalize(text)} "
    return [word for word in banned if f" {normalize(word)} " in haystack]
