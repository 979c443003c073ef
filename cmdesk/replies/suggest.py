"""Rank the reply library against a message: what it asks, not which shortcode.

Two stages keep a query fast at any library size. An inverted index of stemmed
words (tolerating one typo) picks a short list of candidates, in time that grows
with the query's rare words rather than with the library; rapidfuzz then
re-ranks only those, against each reply's triggers, title and body.

Scores are on a 0-100 scale: a weighted mean of four similarities (`WEIGHTS`),
plus the caller's boosts, clamped for display. What a reply's text becomes for
matching is in `reply_text`, typo tolerance in `typos` and the lang/network/brand
filters in `filters`: this module indexes and weighs what they give.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from cmdesk.replies.filters import ReplyFilters
from cmdesk.replies.library import TEMPLATE, Reply
from cmdesk.replies.normalize import normalize, split_words, stem
from cmdesk.replies.reply_text import ReplyText, shared_words
from cmdesk.replies.typos import MIN_TYPO_LEN, Typos

#: Share of each signal in the score, chosen on tests/data/heldout_questions.toml: the
#: best trigger (token_sort_ratio: a close paraphrase, not one shared "je" or "my"),
#: title and tags, body (token_set_ratio: does the message's vocabulary live there),
#: and the idf-weighted share of the message's words the reply holds. Trigger and
#: words carry the ranking; the optimum is flat (neighbours differ by one or two
#: cases of 118), so these are round numbers from the middle of the plateau.
WEIGHTS = {"trigger": 0.5, "title": 0.1, "body": 0.1, "words": 0.3}
#: How many replies the inverted index hands to rapidfuzz: the re-ranking is most of a
#: query's time, and this keeps it under 5 ms at 10,000 replies on two cores.
CANDIDATES = 64
#: A word found only in a reply's body counts this much of one in a trigger or title.
BODY_WEIGHT = 0.5
#: A word one typo away from a library word counts this much of an exact match.
TYPO_WEIGHT = 0.8
#: From this trigger similarity on, `matched` quotes the trigger, else the shared words.
TRIGGER_EXPLAINS = 60.0

#: Past this many candidates, posting lists longer than `_COMMON` only add to the
#: scores of replies already found through rarer words (MaxScore-style pruning).
_ENOUGH = 4 * CANDIDATES
_COMMON = 256
_Scorer = Callable[..., float]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A reply, how well it fits (0-100), and why, in words a CM understands."""

    reply: Reply
    score: float
    matched: str


class SuggestionIndex:
    """An immutable index over one library load: build it in a worker, swap it whole."""

    __slots__ = (
        "_body_postings",
        "_by_id",
        "_fields",
        "_filters",
        "_idf",
        "_postings",
        "_replies",
        "_typos",
        "_word_list",
        "_words",
    )

    def __init__(self, replies: Iterable[Reply]) -> None:
        """Index `replies`; prefer `SuggestionIndex.build`, which says what it does."""
        self._replies = tuple(replies)
        fields: list[ReplyText] = []
        postings: defaultdict[str, list[int]] = defaultdict(list)
        body_postings: defaultdict[str, list[int]] = defaultdict(list)
        words: defaultdict[str, list[int]] = defaultdict(list)
        vocabulary: set[str] = set()
        for i, reply in enumerate(self._replies):
            text = ReplyText.of(reply)
            keyed_words, body_words = text.keyed_words(), text.body_words()
            vocabulary |= keyed_words | body_words
            keyed = {stem(w) for w in keyed_words}
            for s in keyed:
                postings[s].append(i)
            for s in {stem(w) for w in body_words} - keyed:
                body_postings[s].append(i)
            for w in text.title_words.union(*(t.split() for t in text.triggers)):
                words[w].append(i)
            fields.append(text)
        df = {s: len(ids) for s, ids in body_postings.items()}
        for s, ids in postings.items():
            df[s] = df.get(s, 0) + len(ids)
        self._fields = tuple(fields)
        self._postings = {s: _posting(ids) for s, ids in postings.items()}
        self._body_postings = {s: _posting(ids) for s, ids in body_postings.items()}
        self._idf = {s: math.log(1 + len(self._replies) / n) for s, n in df.items()}
        # Typos are looked up among the words as written and among the stems, so that
        # "remboursment" finds "remboursement" and "comandes" finds "command".
        self._typos = Typos({**{w: stem(w) for w in vocabulary}, **{s: s for s in df}})
        self._words = {w: tuple(ids) for w, ids in words.items()}
        self._word_list = tuple(sorted(words))
        self._by_id = {r.id: i for i, r in enumerate(self._replies)}
        self._filters = ReplyFilters(self._replies)

    @classmethod
    def build(cls, replies: Iterable[Reply]) -> SuggestionIndex:
        """Index `replies` once per library load (pure: same replies, same index)."""
        return cls(replies)

    def __len__(self) -> int:
        return len(self._replies)

    def suggest(
        self,
        text: str,
        *,
        lang: str | None = None,
        network: str | None = None,
        brand: str | None = None,
        limit: int = 5,
        boosts: Mapping[str, float] | None = None,
    ) -> list[Suggestion]:
        """The `limit` replies that best answer `text`, best first.

        Filters: `lang` (ignored when the library has no reply in it), `network`
        (replies without `networks` apply everywhere), `brand` (replies without a
        brand apply to every brand). `boosts` maps a reply id to points added to
        its 0-100 score, e.g. +10 for a reply the CM often chose for similar
        messages: enough to reorder close calls (top suggestions are usually a few
        points apart), not to bury a clearly better fit (they differ by 20 or more).
        A boosted reply that passes the filters is always considered.
        """
        full = normalize(text)
        query = split_words(full)
        if not query or limit <= 0:
            return []
        need = self._filters.need(lang, network, brand)
        expanded = self._expand(query)
        scores = self._lexical(expanded)
        attrs = self._filters.attrs
        allowed = [(score, i) for i, score in scores.items() if attrs[i] & need == need]
        candidates = {i: score for score, i in heapq.nlargest(CANDIDATES, allowed)}
        for reply_id in boosts or ():
            i = self._by_id.get(reply_id)
            if i is not None and attrs[i] & need == need:
                candidates.setdefault(i, 0.0)
        if not candidates:
            return []
        total = sum(max((w for _, w in exp), default=0.0) for exp in expanded) or 1.0
        ranked = self._rerank(full, candidates, total, boosts or {})
        wanted = {s for expansions in expanded for s, _ in expansions}
        return [
            Suggestion(
                self._replies[i],
                min(100.0, max(0.0, score)),
                self._explain(i, wanted, t, boosted=bool(boosts and self._replies[i].id in boosts)),
            )
            for score, i, t in heapq.nlargest(limit, ranked, key=_best_first)
        ]

    def search(
        self,
        query: str,
        *,
        lang: str | None = None,
        network: str | None = None,
        brand: str | None = None,
        limit: int = 20,
    ) -> list[Suggestion]:
        """Replies matching what is typed so far in the composer's search box.

        Every word must match, the last one as a prefix, so the list narrows while
        typing. Ranked by where the words are: id (a known shortcode) first, then
        title and tags, triggers, body; ties by closeness to the title. An empty
        query lists the allowed replies by title.
        """
        need = self._filters.need(lang, network, brand)
        attrs = self._filters.attrs
        words = normalize(query).split()
        if not words:
            allowed = [i for i in range(len(self._replies)) if attrs[i] & need == need]
            allowed.sort(key=lambda i: self._replies[i].title.casefold())
            return [Suggestion(self._replies[i], 0.0, "") for i in allowed[:limit]]
        matching: set[int] | None = None
        for n, word in enumerate(words):
            found = self._prefix_ids(word) if n == len(words) - 1 else self._word_ids(word)
            matching = found if matching is None else matching & found
            if not matching:
                return []
        order = [i for i in matching or () if attrs[i] & need == need]
        typed = " ".join(words)
        closeness = _scores(typed, [self._fields[i].title for i in order], fuzz.partial_ratio)
        results = []
        for i, close in zip(order, closeness, strict=True):
            tier, why = self._where(i, words, typed)
            results.append((25.0 * tier + close / 4, i, why))
        results.sort(key=lambda r: (-r[0], self._replies[r[1]].title.casefold()))
        return [Suggestion(self._replies[i], s, why) for s, i, why in results[:limit]]

    def _expand(self, query: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each distinct query stem: the library stems it matches, with their weight."""
        out = []
        near: dict[str, set[str]] = {}
        for word in query:
            near.setdefault(stem(word), set()).update(self._typos.near(word))
        for s, typos in near.items():
            expansions = [(s, self._idf[s])] if s in self._idf else []
            expansions += [(n, self._idf[n] * TYPO_WEIGHT) for n in typos - {s}]
            out.append(expansions)
        return out

    def _lexical(self, expanded: Sequence[Sequence[tuple[str, float]]]) -> dict[int, float]:
        """Idf-weighted sum of the query stems each reply holds, rarest stems first."""
        lists: list[tuple[int, Sequence[int] | frozenset[int], float]] = []
        for expansions in expanded:
            for s, w in expansions:
                for postings, weight in (
                    (self._postings, w),
                    (self._body_postings, w * BODY_WEIGHT),
                ):
                    found = postings.get(s)
                    if found:
                        lists.append((len(found), found, weight))
        lists.sort(key=lambda entry: entry[0])
        scores: dict[int, float] = {}
        for _, ids, w in lists:
            if len(scores) < _ENOUGH or not isinstance(ids, frozenset):
                for i in ids:
                    scores[i] = scores.get(i, 0.0) + w
            else:
                for i in scores.keys() & ids:
                    scores[i] += w
        return scores

    def _rerank(
        self, query: str, candidates: Mapping[int, float], total: float, boosts: Mapping[str, float]
    ) -> list[tuple[float, int, int]]:
        """(score, reply index, index of the trigger that explains it or -1) per candidate."""
        fields = self._fields
        order = list(candidates)
        flat: list[str] = []
        owner: list[int] = []
        starts: list[int] = []
        for n, i in enumerate(order):
            starts.append(len(flat))
            flat += fields[i].triggers
            owner += [n] * len(fields[i].triggers)
        best = [(0.0, -1)] * len(order)
        for _, score, pos in process.extract(query, flat, scorer=fuzz.token_sort_ratio, limit=None):
            n = owner[pos]
            if score > best[n][0]:
                best[n] = (score, pos - starts[n])
        titles = _scores(query, [fields[i].title for i in order], fuzz.token_set_ratio)
        bodies = _scores(query, [fields[i].body for i in order], fuzz.token_set_ratio)
        out = []
        for n, i in enumerate(order):
            trigger, t = best[n]
            score = (
                WEIGHTS["trigger"] * trigger
                + WEIGHTS["title"] * titles[n]
                + WEIGHTS["body"] * bodies[n]
                + WEIGHTS["words"] * 100.0 * min(1.0, candidates[i] / total)
                + boosts.get(self._replies[i].id, 0.0)
            )
            out.append((score, i, t if trigger >= TRIGGER_EXPLAINS else -1))
        return out

    def _explain(self, i: int, wanted: set[str], trigger: int, *, boosted: bool) -> str:
        """Why reply `i` came up: its closest trigger, else the words it shares."""
        reply = self._replies[i]
        if trigger >= 0:
            return f"“{reply.triggers[trigger]}”"
        for text in (" ".join((reply.title, *reply.tags, *reply.triggers)), reply.body):
            shown = shared_words(TEMPLATE.sub(" ", text), wanted)
            if shown:
                return "words: " + ", ".join(shown)
        return "often chosen for similar messages" if boosted else f"close to “{reply.title}”"

    def _where(self, i: int, words: Sequence[str], typed: str) -> tuple[int, str]:
        """How strong a search match is (3 id, 2 title/tags, 1 trigger, 0 body), and why."""
        fields = self._fields[i]
        if fields.key.startswith(typed):
            return 3, "id"
        *whole, last = words
        title = fields.title_words
        if all(w in title for w in whole) and any(t.startswith(last) for t in title):
            return 2, "title"
        for n, trigger in enumerate(fields.triggers):
            if all(f" {w}" in f" {trigger}" for w in words):
                return 1, f"“{self._replies[i].triggers[n]}”"
        return 0, "body"

    def _word_ids(self, word: str) -> set[int]:
        """Replies containing `word`, a word of its family, or one a typo away."""
        found = set(self._words.get(word, ()))
        s = stem(word)
        for key in (s, *self._typos.near(word)):
            found.update(self._postings.get(key, ()))
            found.update(self._body_postings.get(key, ()))
        return found

    def _prefix_ids(self, prefix: str) -> set[int]:
        """Replies with a title, tag, trigger or id word starting with `prefix`.

        Once the prefix is long enough to be a word, its family, typos and body
        matches count too; shorter prefixes stay literal, so the list only narrows.
        """
        found = self._word_ids(prefix) if len(prefix) >= MIN_TYPO_LEN else set()
        words = self._word_list
        for n in range(bisect_left(words, prefix), len(words)):
            if not words[n].startswith(prefix):
                break
            found.update(self._words[words[n]])
        return found


def _best_first(ranked: tuple[float, int, int]) -> tuple[float, int]:
    """Higher score first; on a tie, the reply that comes first in the library."""
    return ranked[0], -ranked[1]


def _posting(ids: list[int]) -> tuple[int, ...] | frozenset[int]:
    """Long posting lists as sets, so pruned queries can intersect them in C."""
    return frozenset(ids) if len(ids) > _COMMON else tuple(ids)


def _scores(query: str, choices: list[str], scorer: _Scorer) -> list[float]:
    """rapidfuzz scores of `query` against each choice, in the choices' order."""
    out = [0.0] * len(choices)
    for _, score, n in process.extract(query, choices, scorer=scorer, limit=None):
        out[n] = score
    return out
