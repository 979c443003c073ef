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
- French and English text (`cmdesk.benchtext`), lengths log-normal per network
  (short toots and skeets, longer Reddit comments, long forum posts), a tail of rare
  words (product codes, place names) so a rare-word search finds a handful of rows;
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

from cmdesk.benchtext import LENGTHS, Texts

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
#: Final status shares for items older than a week (younger ones are mostly new).
STATUS_OLD = (("new", 0.38), ("open", 0.19), ("done", 0.23), ("replied", 0.12),
              ("snoozed", 0.03), ("hidden", 0.03), ("spam", 0.02))  # fmt: skip
STATUS_RECENT = (("new", 0.70), ("open", 0.16), ("done", 0.06), ("replied", 0.05),
                 ("snoozed", 0.02), ("hidden", 0.005), ("spam", 0.005))  # fmt: skip
DAY_MS = 86_400_000

_FIRST = """
Camille Léa Manon Chloé Inès Jade Louise Emma Alice Lina Hugo Lucas Jules Louis Gabriel
Arthur Nathan Noah Adam Tom Olivia Sophie Emily Grace Mia Ava Jack Oliver Harry Leo
Ethan Mason Ingrid Sigrid Astrid Lars Nils Giulia Marco Chiara Yuki Amara Kofi Zoé Théo
Maël Anaïs Sacha""".split()  # noqa: SIM905
_LAST = """
Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent
Lefebvre Michel Garcia Smith Jones Taylor Brown Williams Wilson Evans Hansen Berg Rossi
Bianchi Nakamura Mensah Nguyen Lambert Fontaine Rousseau""".split()  # noqa: SIM905

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


def _zipf_cum_weights(size: int, s: float = 1.1) -> list[float]:
    total, out = 0.0, []
    for k in range(1, size + 1):
        total += 1.0 / k**s
        out.append(total)
    return out


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
    texts = Texts(rng, seed, count)
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


class EventSink(Protocol):
    """Takes each batch's events in the process that generates them, then finishes there."""

    def add(self, items: list[tuple], events: list[tuple]) -> None: ...

    def close(self) -> None: ...


class Background:
    """`generate`, run in a child process so the loading overlaps the generating.

    Same batches, same order; with a `sink`, their events go to it instead, and the
    child then closes it while the parent goes on: `wait` returns once it has. Runs
    in this process where `fork` is unavailable. Batches cross as `marshal` bytes: the
    child, the busier side, writes them in about 60% of pickle's time, and the parent
    reads them as fast as it unpickles. Use as a context manager: leaving it ends the
    child if it still runs.
    """

    def __init__(
        self, count: int, *, seed: int = 1, now_ms: int, sink: EventSink | None = None
    ) -> None:
        self._args = (count, seed, now_ms, sink)
        self._queue: Any = None
        self._child: Any = None

    def __iter__(self) -> Iterator[Batch]:
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            yield from _handed(*self._args)
            return
        context = multiprocessing.get_context("fork")
        self._queue = context.Queue(maxsize=4)
        self._child = context.Process(
            target=_produce, args=(self._queue, *self._args), name="cmdesk-benchdata", daemon=True
        )
        self._child.start()
        while (batch := self._queue.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield Batch(*marshal.loads(batch))

    def wait(self) -> None:
        """Once every batch is read: until the sink is closed; raises what closing raised."""
        sink = self._args[3]
        if self._child is None:
            if sink is not None:
                sink.close()
            return
        outcome = self._queue.get()
        self._child.join()
        if isinstance(outcome, BaseException):
            raise outcome

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._child is not None and self._child.is_alive():
            self._child.kill()
            self._child.join()


def _handed(count: int, seed: int, now_ms: int, sink: EventSink | None) -> Iterator[Batch]:
    """`generate`'s batches, their events handed to `sink` if any."""
    for batch in generate(count, seed=seed, now_ms=now_ms):
        if sink is None:
            yield batch
        else:
            sink.add(batch.items, batch.events)
            yield Batch(batch.items, [])


def _produce(queue: Any, count: int, seed: int, now_ms: int, sink: EventSink | None) -> None:
    """The child: every batch, the end of them (None), then the sink's outcome (None or
    what it raised); an error while generating instead of the end."""
    # Rows hold no cycles: the collector would only walk each batch's tuples (5% of the work).
    gc.disable()
    try:
        for batch in _handed(count, seed, now_ms, sink):
            queue.put(marshal.dumps((batch.items, batch.events)))
    except Exception as exc:  # the parent re-raises it
        queue.put(exc)
        return
    queue.put(None)
    try:
        if sink is not None:
            sink.close()
    except Exception as exc:  # `wait` re-raises it
        queue.put(exc)
        return
    queue.put(None)
