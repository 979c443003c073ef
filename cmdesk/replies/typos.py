"""Typo tolerance for the reply index: the library's stems one edit away from a word.

Apart from the index and ranking (`cmdesk.replies.suggest`), which weigh what this
finds: a deletion index (SymSpell) finds every form one insertion, deletion,
substitution or swap away without scanning the vocabulary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from rapidfuzz.distance import DamerauLevenshtein

from cmdesk.replies.normalize import stem

#: Shorter stems are not typo-corrected: one edit in four letters is another word.
MIN_TYPO_LEN = 5


class Typos:
    """An immutable lookup over a library's words and stems, built with the index."""

    __slots__ = ("_deletes", "_forms")

    def __init__(self, forms: Mapping[str, str]) -> None:
        """`forms` maps each word as written, and each stem, to its stem."""
        self._forms = forms
        self._deletes = _deletes_index(forms)

    def near(self, word: str) -> set[str]:
        """Stems of library words or stems one insertion, deletion, substitution or swap
        away from `word` or its stem (itself excluded)."""
        found: set[str] = set()
        for form in {word, stem(word)}:
            if len(form) < MIN_TYPO_LEN:
                continue
            sources: set[str] = set()
            for key in (form, *_one_deletes(form)):
                sources.update(self._deletes.get(key, ()))
            sources.discard(form)
            found.update(
                self._forms[source]
                for source in sources
                if DamerauLevenshtein.distance(form, source, score_cutoff=1) <= 1
            )
        found.discard(stem(word))
        return found


def _one_deletes(word: str) -> list[str]:
    return [word[:n] + word[n + 1 :] for n in range(len(word))]


def _deletes_index(forms: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Map each form and each of its one-letter deletions to the form (SymSpell).

    Looking up a word and its own deletions then finds every form one edit away
    without scanning the vocabulary.
    """
    index: defaultdict[str, list[str]] = defaultdict(list)
    for form in forms:
        if len(form) >= MIN_TYPO_LEN:
            for key in {form, *_one_deletes(form)}:
                index[key].append(form)
    return {key: tuple(found) for key, found in index.items()}
