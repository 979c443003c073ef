"""A reply's text as the suggester matches it, and the words that explain a match.

Apart from the index and ranking (`cmdesk.replies.suggest`): here a reply's
triggers, title, tags, body and id go through `normalize` into the fields rapidfuzz
compares and the words the index keys, and a reply's words are found again, as
written, to show why it came up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cmdesk.replies.library import TEMPLATE, Reply
from cmdesk.replies.normalize import normalize, split_words, stem

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class ReplyText:
    """A reply's normalised text, as rapidfuzz and the search box compare it."""

    triggers: tuple[str, ...]
    title: str
    body: str
    key: str
    title_words: frozenset[str]

    @classmethod
    def of(cls, reply: Reply) -> ReplyText:
        """`reply`'s text normalised, the body's template placeholders left out."""
        triggers = tuple(normalize(t) for t in reply.triggers)
        title = normalize(" ".join((reply.title, *reply.tags)))
        # token_set_ratio ignores order and repeats: a sorted set of words scores
        # the same and is half as long to compare.
        body = " ".join(sorted(set(normalize(TEMPLATE.sub(" ", reply.body)).split())))
        key = normalize(reply.id)
        # Prefix search covers the short fields; body words are found by stem.
        return cls(triggers, title, body, key, frozenset((*key.split(), *title.split())))

    def keyed_words(self) -> set[str]:
        """The words of the triggers, title and tags (stop words and lone letters left out)."""
        return set(split_words(" ".join((*self.triggers, self.title))))

    def body_words(self) -> set[str]:
        """The words of the body: a match there counts less (`suggest.BODY_WEIGHT`)."""
        return set(split_words(self.body))


def shared_words(text: str, wanted: set[str]) -> list[str]:
    """The words of `text` (as written, accents and all) whose stem is `wanted`."""
    surface = _WORD.findall(text.casefold())
    normal = normalize(" ".join(surface)).split()
    if len(surface) != len(normal):  # rare: a character NFKD splits in two ("½")
        surface = normal
    shown: dict[str, str] = {}
    for word, plain in zip(surface, normal, strict=True):
        key = stem(plain)
        if key in wanted:
            shown.setdefault(key, word)
    return list(shown.values())
