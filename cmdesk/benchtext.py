"""The generated stores' text: French and English sentences, rare words, lengths.

Apart from `cmdesk.benchdata` (accounts, authors, threads, statuses, events): what a
text says is one model, how the rows around it are drawn another.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from statistics import NormalDist

#: Median text length (characters) and log-normal spread per network.
LENGTHS = {
    "mastodon": (110, 0.8),
    "bluesky": (85, 0.7),
    "discourse": (380, 0.9),
    "reddit": (160, 1.0),
}
#: A word in many texts, and the first of the rare ones: what the search benchmark asks.
COMMON_WORD = "commande"
#: Steps of the text length tables (`_length_quantiles`).
_QUANTILES = 1_024

_FR = (
    "Ma {commande} {ref} n'est toujours pas arrivée à {place}, pouvez-vous vérifier ?",
    "Bonjour, j'ai reçu un {thing} abîmé, comment faire un retour ?",
    "Merci pour la réponse rapide, c'est réglé !",
    "Est-ce que le {thing} existe en {colour} ?",
    "Livraison prévue {when} mais le suivi ne bouge plus depuis trois jours.",
    "Vous livrez à {place} ? Je n'arrive pas à choisir l'adresse.",
    "Le {thing} est super, mais la notice est introuvable sur le site.",
    "Je voudrais annuler ma {commande} passée {when}.",
    "Quel est le délai de remboursement une fois le colis renvoyé ?",
    "J'adore, bravo à toute l'équipe 👏",
    "Impossible de me connecter à mon compte depuis la mise à jour.",
    "Il y a un bug sur l'appli : le panier se vide tout seul.",
    "Vous avez des nouvelles du {thing} en rupture de stock ?",
    "Franchement déçu par le service client, trois mails sans réponse.",
    "Le code promo {ref} ne marche pas à la validation de la {commande}.",
    "On peut passer récupérer la {commande} en boutique à {place} ?",
    "Trop bien le nouveau {thing}, je l'ai offert à ma sœur.",
    "Petite question : la garantie couvre aussi la batterie ?",
    "La facture de ma {commande} ne mentionne pas la TVA.",
    "Vous recrutez à {place} ? 🙂",
)
_EN = (
    "My order {ref} still hasn't arrived in {place}, could you check?",
    "Hi, my {thing} arrived damaged, how do I return it?",
    "Thanks for the quick answer, all sorted!",
    "Does the {thing} come in {colour}?",
    "Delivery was due {when} but tracking hasn't moved in three days.",
    "Do you ship to {place}? I can't pick my address at checkout.",
    "Love the {thing}, but I can't find the manual anywhere on the site.",
    "I'd like to cancel the order I placed {when}.",
    "How long does a refund take once the parcel is back?",
    "Great job, the whole team rocks 🎉",
    "Can't log into my account since the last update.",
    "Bug in the app: the basket empties itself.",
    "Any news on the {thing} that's out of stock?",
    "Honestly disappointed with support, three emails and no answer.",
    "Promo code {ref} fails when I confirm my commande on the French site.",
    "Can I pick the order up in store in {place}?",
    "The new {thing} is brilliant, got one for my brother too.",
    "Quick one: does the warranty cover the battery as well?",
    "The invoice for my order doesn't show VAT.",
    "Are you hiring in {place}? 🙂",
)
_SLOTS = {
    "commande": ("commande", "commande", "précommande"),
    "thing": ("sac", "pain de mie", "appareil photo", "objectif", "duvet", "tente", "vélo",
              "casque", "brioche", "sweat", "objectif 35 mm", "trépied", "sac de couchage"),
    "colour": ("noir", "vert sapin", "bleu", "sable", "black", "forest green", "navy", "sand"),
    "place": ("Lyon", "Bordeaux", "Lille", "Montréal", "Bruxelles", "Genève", "London", "Oslo",
              "Bergen", "Manchester", "Toulouse", "Nantes", "Québec", "Dublin"),
    "when": ("lundi", "hier", "la semaine dernière", "le 12", "yesterday", "last week",
             "on Monday"),
}  # fmt: skip
_FILLER = (
    "Merci d'avance.", "Thanks in advance.", "Bonne journée !", "Cheers.", "Cordialement,",
    "Voilà voilà.", "Any idea?", "Une idée ?", "Edit: typo.", "#help", "#sav", "😅", "🙏",
    "(sorry for my English)", "Je précise que j'ai déjà vidé le cache.",
    "I already tried reinstalling the app.", "Photo en pièce jointe.", "See the photo attached.",
)  # fmt: skip
_SYLLABLES = ("ka", "lo", "mi", "nu", "ra", "ve", "zo", "bri", "pa", "tel", "sko", "vik", "dun",
              "fa", "ri", "go", "le", "ny", "ba", "sol")  # fmt: skip


def rare_words(seed: int = 0, count: int = 2_000) -> list[str]:
    """Invented words (product codes and place names) each carried by a handful of texts."""
    rng = random.Random(seed ^ 0x5EED)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _sentences(rng: random.Random, templates: tuple[str, ...], count: int) -> list[str]:
    out = []
    for _ in range(count):
        template = rng.choice(templates)
        out.append(
            template.format(
                ref=f"#{rng.randint(100000, 999999)}",
                **{slot: rng.choice(values) for slot, values in _SLOTS.items()},
            )
        )
    return out


class Texts:
    """Texts cut at sentence boundaries from a long shuffled corpus of filled-in sentences.

    One corpus per language, about 25 characters per item to generate: each stretch is
    drawn by ~10 texts, so a rare word planted once in the corpus lands in a handful of
    rows at any store size, while template words are in a good share of them. Where
    sentences start is kept in a list and lengths come from a quantile table, so a
    text costs a short bisection and a slice (no `gauss`, no scan, no `replace`).
    """

    def __init__(self, rng: random.Random, seed: int, count: int) -> None:
        self.random = random_ = rng.random
        size = max(400_000, count * 12)
        rare = rare_words(seed)
        self.lengths = {network: _length_quantiles(*shape) for network, shape in LENGTHS.items()}
        # Language -> (corpus, where each sentence starts, how many may start a text).
        self.corpora: dict[str, tuple[str, list[int], int]] = {}
        for lang, templates in (("fr", _FR), ("en", _EN)):
            pool = _sentences(rng, templates, 4_000)
            parts: list[str] = []
            starts: list[int] = []
            length = planted = 0
            while length < size:
                roll = random_()
                if roll < 0.15:
                    part = _FILLER[int(random_() * len(_FILLER))]
                elif roll < 0.16:
                    part = f"{pool[int(random_() * len(pool))]} {rare[planted % len(rare)]}"
                    planted += 1
                else:
                    part = pool[int(random_() * len(pool))]
                parts.append(part)
                starts.append(length)
                length += len(part) + 1
            # Texts start at a sentence and end at one (or at a word), never in the last
            # 2,002 sentences: a 4,000-character text always fits.
            self.corpora[lang] = (" ".join(parts), starts, len(starts) - 2_002)

    def make(self, lang: str, network: str) -> str:
        corpus, starts, room = self.corpora[lang]
        target = self.lengths[network][int(self.random() * _QUANTILES)]
        first = int(self.random() * room)
        start = starts[first]
        # Whole sentences, up to the space before the last one that starts within the
        # target; a sentence and its space take at least 2 characters: that bounds the search.
        stop = bisect_right(starts, start + target + 1, first + 1, first + target // 2 + 2) - 1
        if stop > first:
            return corpus[start : starts[stop] - 1]
        end = corpus.rfind(" ", start, start + target)  # one long sentence: cut it at a word
        return corpus[start : end if end > start else start + target]


def _length_quantiles(median: int, sigma: float) -> list[int]:
    """Log-normal text lengths at evenly spaced quantiles: a draw is one index, not a `gauss`."""
    normal = NormalDist()
    return [
        max(8, min(int(median * math.exp(sigma * normal.inv_cdf((i + 0.5) / _QUANTILES))), 4_000))
        for i in range(_QUANTILES)
    ]
