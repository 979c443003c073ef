"""Realistic synthetic stores, for benchmarks and for trying cmdesk at scale.

No SQL here: `generate` yields batches of rows in the column order of the real
schema (`ITEM_COLUMNS`, `EVENT_COLUMNS`), and `cmdesk.store.bulk` loads them.

What the data looks like, and why:
- accounts of four brands on Mastodon, Bluesky, Discourse and Reddit, each with
  its share of the traffic;
- authors per network with heavy-tailed activity (Zipf, s = 1.1): a few regulars
  write a lot, most people write once;
- threads: the brand's own posts (context-only rows) draw comments, some replying
  to earlier comments; mentions and DMs start their own conversation;
- French and English text, lengths log-normal per network (short toots and skeets,
  longer Reddit comments, long forum posts), a tail of rare words (product codes,
  place names) so a rare-word search finds a handful of rows;
- statuses: most items new or open, older ones more often done or replied, a few
  snoozed, hidden or spam;
- events: `received` for every actionable item, `opened` for most touched ones, and
  the action that set the status (done, queued + replied, snoozed, hidden, spam,
  labelled), with the payload shapes `cmdesk.store.triage` and `outbox` write, so
  undo and the reports work on a generated store.
"""

from __future__ import annotations

import gc
import json
import marshal
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from statistics import NormalDist

ITEM_COLUMNS = (
    "id", "account", "network", "brand", "kind", "remote_id", "thread_id", "parent_id",
    "author_id", "author_handle", "author_name", "text", "lang", "url", "created_at",
    "received_at", "status", "snooze_until", "labels", "assignee", "context_only",
)  # fmt: skip
EVENT_COLUMNS = ("item_id", "kind", "at", "actor", "payload")

#: (name, network, brand, base url, share of the traffic)
ACCOUNTS = (
    ("brioche-masto", "mastodon", "Brioche & Co", "https://piaille.fr", 0.20),
    ("pixelpost-masto", "mastodon", "PixelPost", "https://mastodon.social", 0.10),
    ("nordlys-bsky", "bluesky", "Nordlys", "https://bsky.app", 0.16),
    ("brioche-bsky", "bluesky", "Brioche & Co", "https://bsky.app", 0.08),
    ("pixelpost-forum", "discourse", "PixelPost", "https://forum.pixelpost.example", 0.12),
    ("nordlys-forum", "discourse", "Nordlys", "https://community.nordlys.example", 0.06),
    ("brioche-reddit", "reddit", "Brioche & Co", "https://www.reddit.com", 0.16),
    ("velocita-reddit", "reddit", "Velocità", "https://www.reddit.com", 0.12),
)
AGENTS = ("Camille", "Hugo", "Inès", "Sam")
LABELS = ("livraison", "bug", "vip", "remboursement", "presse", "idée", "urgent", "facture")
#: Median text length (characters) and log-normal spread per network.
LENGTHS = {
    "mastodon": (110, 0.8),
    "bluesky": (85, 0.7),
    "discourse": (380, 0.9),
    "reddit": (160, 1.0),
}
#: Final status shares for items older than a week (younger ones are mostly new).
STATUS_OLD = (("new", 0.38), ("open", 0.19), ("done", 0.23), ("replied", 0.12),
              ("snoozed", 0.03), ("hidden", 0.03), ("spam", 0.02))  # fmt: skip
STATUS_RECENT = (("new", 0.70), ("open", 0.16), ("done", 0.06), ("replied", 0.05),
                 ("snoozed", 0.02), ("hidden", 0.005), ("spam", 0.005))  # fmt: skip
#: A word in many texts, and the first of the rare ones: what the search benchmark asks.
COMMON_WORD = "commande"
DAY_MS = 86_400_000
#: Steps of the text length tables (`_length_quantiles`).
_QUANTILES = 1_024

_FIRST = """
Camille Léa Manon Chloé Inès Jade Louise Emma Alice Lina Hugo Lucas Jules Louis Gabriel
Arthur Nathan Noah Adam Tom Olivia Sophie Emily Grace Mia Ava Jack Oliver Harry Leo
Ethan Mason Ingrid Sigrid Astrid Lars Nils Giulia Marco Chiara Yuki Amara Kofi Zoé Théo
Maël Anaïs Sacha""".split()  # noqa: SIM905
_LAST = """
Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent
Lefebvre Michel Garcia Smith Jones Taylor Brown Williams Wilson Evans Hansen Berg Rossi
Bianchi Nakamura Mensah Nguyen Lambert Fontaine Rousseau""".split()  # noqa: SIM905

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
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_BASE36_PAIRS = [a + b for a in _BASE36 for b in _BASE36]
#: Remote ids as each network spells them, from a serial unique in the store.
_REMOTE_IDS: dict[str, Callable[[int], str]] = {
    "mastodon": lambda serial: str(110_000_000_000_000_000 + serial * 7919),
    "bluesky": lambda serial: f"at://did:plc:bench/app.bsky.feed.post/3k{serial:011x}",
    "reddit": lambda serial: f"t1_{_base36(serial * 31 + 10**7)}",
    "discourse": str,
}
#: An event's time, the key events are sorted on.
_AT = itemgetter(2)
#: `json.dumps(text, ensure_ascii=False)` without building an encoder per call.
_json_str = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True, slots=True)
class Batch:
    items: list[tuple]
    events: list[tuple]


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


def _zipf_cum_weights(size: int, s: float = 1.1) -> list[float]:
    total, out = 0.0, []
    for k in range(1, size + 1):
        total += 1.0 / k**s
        out.append(total)
    return out


class _Texts:
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


def generate(
    count: int, *, seed: int = 1, now_ms: int, span_days: int = 365, batch: int = 20_000
) -> Iterator[Batch]:
    """`count` items (actionable or context), oldest first, with their events, in batches.

    Deterministic for a given seed and `now_ms`. About 2% of rows are the brands' own
    posts (context-only), so the actionable count is a little under `count`. Events
    are in time order within a batch (a batch spans days; actions follow within hours).
    """
    rng = random.Random(seed)
    random_, log = rng.random, math.log
    texts = _Texts(rng, seed, count)
    make_text = texts.make
    weights = [a[4] for a in ACCOUNTS]
    pool_size = max(200, count // 6)
    zipf = _zipf_cum_weights(pool_size)
    people: dict[str, dict[int, tuple[str, str, str, str]]] = {network: {} for network in LENGTHS}
    # What an account's rows share, looked up once per row: its network's remote ids and
    # authors, and its latest own posts (the threads its comments go to).
    streams = [
        (name, network, brand, base_url, _REMOTE_IDS[network], people[network], [])
        for name, network, brand, base_url, _ in ACCOUNTS
    ]
    old_status, recent_status = _status_slots(STATUS_OLD), _status_slots(STATUS_RECENT)
    last_in_thread: dict[str, str] = {}  # brand post -> latest comment under it
    start = now_ms - span_days * DAY_MS
    step = span_days * DAY_MS / count
    recent = now_ms - 7 * DAY_MS
    batch_no = serial = 0
    for first in range(0, count, batch):
        size = min(batch, count - first)
        picks = rng.choices(streams, weights=weights, k=size)
        who = rng.choices(range(pool_size), cum_weights=zipf, k=size)
        items: list[tuple] = []
        events: list[tuple] = []
        for offset in range(size):
            name, network, brand, base_url, remote_id, persons, account_roots = picks[offset]
            created = start + int(step * (first + offset + random_()))
            received = created + int(-90_000 * log(1.0 - random_()))
            serial += 1
            remote = remote_id(serial)
            item_id = f"{name}/{remote}"
            url = f"{base_url}/p/{remote}"
            if not account_roots or random_() < 0.02:
                # The brand's own post: shown as thread context, never queued.
                lang = "fr" if random_() < 0.55 else "en"
                items.append((
                    item_id, name, network, brand, "comment", remote, item_id, None,
                    f"{network}:brand:{name}", name, brand, make_text(lang, network), lang, url,
                    created, received, "done", None, "[]", None, 1,
                ))  # fmt: skip
                account_roots.append(item_id)
                if len(account_roots) > 30:
                    del account_roots[0]
                continue
            author = who[offset]
            person = persons.get(author)
            if person is None:
                person = persons[author] = _person(network, author)
            author_id, handle, display, lang = person
            roll = random_()
            if roll < 0.62:
                thread = account_roots[-1 - int(random_() ** 2 * len(account_roots))]
                kind, parent = (
                    "comment",
                    last_in_thread.get(thread, thread) if roll < 0.19 else thread,
                )
                last_in_thread[thread] = item_id
            elif roll < 0.85:
                kind, thread, parent = "mention", item_id, None
            elif roll < 0.95:
                thread = account_roots[-1 - int(random_() * len(account_roots))]
                kind, parent = "reply", thread
                last_in_thread[thread] = item_id
            else:
                kind, thread, parent = "dm", f"{name}/dm-{author}", None
            status = (old_status if created < recent else recent_status)[int(random_() * 1_000)]
            label = LABELS[int(random_() ** 2 * len(LABELS))] if random_() < 0.08 else None
            snooze_until = None
            events.append((item_id, "received", received, "sync", "{}"))
            if status != "new":
                actor = AGENTS[int(random_() ** 1.5 * len(AGENTS))]
                at = received + int(-6 * 3_600_000 * log(1.0 - random_()))
                before = "new"
                if status not in ("hidden", "spam") and random_() < 0.85:
                    events.append((item_id, "opened", at, actor, "{}"))
                    before = "open"
                labels_before = "[]"
                if label is not None:
                    at += 30_000
                    batch_no += 1
                    events.append((item_id, "labelled", at, actor, (
                        f'{{"batch": {batch_no}, "before": {{"status": "{before}", '
                        f'"snooze_until": null, "labels": []}}, "label": "{label}"}}'
                    )))  # fmt: skip
                    labels_before = f'["{label}"]'
                state = f'{{"status": "{before}", "snooze_until": null, "labels": {labels_before}}}'
                at += int(-120_000 * log(1.0 - random_()))
                batch_no += 1
                if status == "snoozed":
                    snooze_until = now_ms + int((1 + 71 * random_()) * 3_600_000)
                    payload = f'{{"batch": {batch_no}, "before": {state}, "until": {snooze_until}}}'
                    events.append((item_id, "snoozed", at, actor, payload))
                elif status == "replied":
                    key = f"{seed:x}k{batch_no:011x}"
                    sent = _json_str(make_text(lang, "bluesky"))
                    events.append((item_id, "queued", at, actor,
                                   f'{{"key": "{key}", "before": {state}}}'))  # fmt: skip
                    if random_() < 0.7:
                        reply = f'"{lang}-{int(random_() * 40):02d}"'
                        template, personal = sent, f"{random_() * 0.5:.3f}"
                    else:
                        reply, template, personal = "null", '""', "null"
                    payload = (
                        f'{{"reply_id": {reply}, "template": {template}, "sent": {sent}, '
                        f'"personalisation": {personal}, "key": "{key}", '
                        f'"remote_id": "{remote_id(serial + 10**9)}"}}'
                    )
                    events.append((item_id, "replied", at + 2_000, actor, payload))
                elif status != "open":
                    events.append(
                        (item_id, status, at, actor, f'{{"batch": {batch_no}, "before": {state}}}')
                    )
            items.append((
                item_id, name, network, brand, kind, remote, thread, parent, author_id, handle,
                display, make_text(lang, network), lang, url, created, received, status,
                snooze_until, f'["{label}"]' if label else "[]", None, 0,
            ))  # fmt: skip
        events.sort(key=_AT)
        yield Batch(items, events)


def _status_slots(table: tuple[tuple[str, float], ...]) -> tuple[str, ...]:
    """The status of each thousandth of [0, 1): a draw is one index, not a walk of the shares."""
    slots: list[str] = []
    for value, share in table:
        slots += [value] * round(share * 1_000)
    if len(slots) != 1_000:
        raise ValueError(f"status shares must be thousandths that sum to 1: {table}")
    return tuple(slots)


def _person(network: str, author: int) -> tuple[str, str, str, str]:
    """Id, handle, display name and language of one author on one network."""
    display = f"{_FIRST[author % len(_FIRST)]} {_LAST[(author // 7) % len(_LAST)]}"
    lang = "fr" if (author * 37) % 100 < 55 else "en"
    return f"{network}:{author}", _handle(network, display, author), display, lang


def _base36(n: int) -> str:
    """Two digits per step: reddit ids are a quarter of the rows."""
    out = ""
    while n:
        n, r = divmod(n, 1_296)
        out = _BASE36_PAIRS[r] + out
    return out.lstrip("0") or "0"


def _handle(network: str, display: str, author: int) -> str:
    slug = display.split()[0].lower().encode("ascii", "ignore").decode() or "user"
    if network == "mastodon":
        return f"{slug}{author}@{('piaille.fr', 'mastodon.social', 'mamot.fr')[author % 3]}"
    if network == "bluesky":
        return f"{slug}{author}.bsky.social"
    if network == "reddit":
        return f"{slug}_{author}"
    return f"{slug}{author}"


def generate_in_background(count: int, *, seed: int = 1, now_ms: int) -> Iterator[Batch]:
    """`generate`, run in a child process so the loading overlaps the generating.

    Same batches, same order. Falls back to `generate` where `fork` is unavailable.
    Batches cross as `marshal` bytes: the child, the busier side, writes them in about
    60% of pickle's time, and the parent reads them as fast as it unpickles.
    """
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        yield from generate(count, seed=seed, now_ms=now_ms)
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4)
    child = context.Process(
        target=_produce, args=(queue, count, seed, now_ms), name="cmdesk-benchdata", daemon=True
    )
    child.start()
    try:
        while (batch := queue.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield Batch(*marshal.loads(batch))
    finally:
        child.join(timeout=1)
        if child.is_alive():
            child.kill()


def _produce(queue: object, count: int, seed: int, now_ms: int) -> None:
    # Rows hold no cycles: the collector would only walk each batch's tuples (5% of the work).
    gc.disable()
    try:
        for batch in generate(count, seed=seed, now_ms=now_ms):
            queue.put(marshal.dumps((batch.items, batch.events)))  # type: ignore[attr-defined]
    except Exception as exc:  # the parent re-raises it
        queue.put(exc)  # type: ignore[attr-defined]
        return
    queue.put(None)  # type: ignore[attr-defined]
