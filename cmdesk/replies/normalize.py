"""One text normalisation, shared by the reply library and incoming messages.

Library and message go through exactly the same steps, so "Où est ma COMMANDE ???"
and "ou est ma commande" are the same text whatever the keyboard, the accents or
the mood of the person typing. Emoji go with punctuation: mapping them to words
moved one held-out case of 118, not worth a second vocabulary to maintain.
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: Letters NFKD does not decompose, and typographic quotes that act as apostrophes.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "'"})
_MARKS = re.compile(r"[\u0300-\u036f]+")
_NON_WORD = re.compile(r"[\W_]+")
#: A letter typed three times or more ("plzzzz", "merciiii") is shouting, not spelling:
#: keep two, since "cool" or "too" need their pair (keeping one measured the same).
#: Any character matches and `_tame` puts digits back: a letter class is 4x slower.
_REPEATS = re.compile(r"(.)\1\1+")

#: Words too common in French and English to say what a message asks. The suggester
#: drops them from its word index only (rapidfuzz still sees whole sentences); on the
#: held-out set that is worth +4 points of top-1 and +2.5 of top-3. Lone letters left by
#: apostrophes (j'ai, l'appli, it's) are dropped by `split_words` anyway.
_STOP_WORDS_TEXT = """
    an and any are as at be been but by do does did for from had has have he her him his
    if in is it its me my of on or our she so that the their them they this to us was we
    were what which who will with you your can could would should get got just really very
    please pls hi hello hey haven isn doesn don didn wasn aren won
    au aux avec ce ces cet cette dans de des du elle elles en est et eu il ils je la le les
    leur leurs lui ma mais me mes moi mon ne nos notre nous on ont ou par qu que qui sa se ses
    son sont ta te tes toi ton tu un une vos votre vous ca cela pas plus si sur tres bien
    fait faire etre avoir suis etes sommes ai as avez avons peux veux svp stp bonjour salut
    coucou
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

#: Light French/English suffixes: enough for livrer/livré/livraison or refund/refunded
#: to share a key, short of a real stemmer's surprises. The longest one that leaves a
#: stem of at least four letters is stripped.
_STEM = re.compile(
    r"(\w{4,}?)(issements|issement|ements|ement|ations|ation|aisons|aison"
    r"|ings|ing|ages|age|ees|ies|ee|es|ed|er|ez|e|s|x|y)?"
)


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, tame repeated letters, collapse spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    text = text.casefold()
    text = _MARKS.sub("", text)
    text = _NON_WORD.sub(" ", text)
    return _REPEATS.sub(_tame, text).strip()


def _tame(match: re.Match[str]) -> str:
    return match[1] * 2 if match[1].isalpha() else match[0]


def tokens(text: str) -> list[str]:
    """The words of `text` that say what it is about: normalised, no stop words or lone letters."""
    return split_words(normalize(text))


def split_words(normalized: str) -> list[str]:
    """`tokens` for text that already went through `normalize`."""
    return [w for w in normalized.split() if len(w) > 1 and w not in STOP_WORDS]


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Strip one common suffix so that word families share an index key.

    Cached: a library repeats the same few thousand words, and a message reuses them.
    """
    found = _STEM.fullmatch(word)
    if found is None:
        return word
    word = found[1]
    if len(word) > 4 and word[-1] == word[-2] and not word[-1].isdigit():
        word = word[:-1]
    return word
