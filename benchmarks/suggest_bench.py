"""How fast the reply suggester answers, against the naive ways of doing it.

Synthetic libraries of 1k, 10k and 100k replies are grown from the demo library
by seeded word substitutions (drawing from the demo vocabulary plus invented
words, so the vocabulary grows with the library as a real one would). Queries
are the held-out customer messages. Each line prints the median time per query
and the ratio to the naive rapidfuzz baseline measured in the same run.

    .venv/bin/python benchmarks/suggest_bench.py
"""

from __future__ import annotations

import difflib
import random
import statistics
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from rapidfuzz import fuzz, process

from cmdesk.replies.library import Reply, load_library
from cmdesk.replies.normalize import normalize
from cmdesk.replies.suggest import SuggestionIndex

ROOT = Path(__file__).resolve().parent.parent

SIZES = (1_000, 10_000, 100_000)
#: Naive scans cost seconds per query at 100k: time fewer queries there.
NAIVE_QUERIES = {1_000: 40, 10_000: 15, 100_000: 3}
DIFFLIB_QUERIES = 5
SUBSTITUTION_RATE = 0.2
BRANDS = (None, "Brioche & Co", "PixelPost", "Nordlys")


def synthetic_library(base: Sequence[Reply], size: int, seed: int = 7) -> list[Reply]:
    """`size` replies varied from `base`: same shapes, different words and ids."""
    rng = random.Random(seed)
    vocab = sorted({w for r in base for w in normalize(f"{r.title} {r.body}").split()})
    invented = [_invent(rng) for _ in range(max(500, size // 5))]
    pool = vocab + invented

    def vary(text: str) -> str:
        words = text.split()
        for n in range(len(words)):
            if rng.random() < SUBSTITUTION_RATE:
                words[n] = rng.choice(pool)
        return " ".join(words)

    replies = []
    for k in range(size):
        r = base[k % len(base)]
        replies.append(
            replace(
                r,
                id=f"{r.id}-{k}",
                title=vary(r.title),
                body=vary(r.body),
                triggers=tuple(vary(t) for t in r.triggers),
                brand=r.brand if r.brand else rng.choice(BRANDS),
            )
        )
    return replies


def _invent(rng: random.Random) -> str:
    syllables = ("ka", "lo", "mi", "ren", "tu", "sa", "vor", "el", "di", "qua", "bri", "nor")
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))


def median_ms(run: Callable[[str], object], queries: Sequence[str]) -> float:
    times = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def keystrokes() -> list[str]:
    """Every prefix a CM types on the way to a few search terms."""
    terms = ["rembourse", "mot de passe", "refund", "horaires", "crash", "order-track"]
    return [term[:n] for term in terms for n in range(1, len(term) + 1)]


def bench(base: Sequence[Reply], cases: Sequence[dict], size: int) -> None:
    """Print one library size's numbers."""
    replies = synthetic_library(base, size)
    start = time.perf_counter()
    index = SuggestionIndex.build(replies)
    built = time.perf_counter() - start
    by_text = {c["text"]: c for c in cases}
    ours = median_ms(
        lambda q: index.suggest(q, lang=by_text[q]["lang"], brand=by_text[q].get("brand")),
        list(by_text),
    )
    joined = [normalize(" ".join((r.title, *r.triggers, r.body))) for r in replies]
    sample = list(by_text)[: NAIVE_QUERIES[size]]
    naive = median_ms(
        lambda q: process.extract(normalize(q), joined, scorer=fuzz.WRatio, limit=5), sample
    )
    print(f"\n{size:>7,} replies (index built in {built:.1f} s)")
    print(f"  index.suggest           {ours:9.2f} ms   {naive / ours:,.0f}x faster than naive")
    print(f"  naive rapidfuzz WRatio  {naive:9.2f} ms   baseline ({len(sample)} queries)")
    if size != SIZES[0]:
        return
    few = sample[:DIFFLIB_QUERIES]
    slow = median_ms(lambda q: difflib.get_close_matches(normalize(q), joined, n=5, cutoff=0), few)
    print(f"  difflib close matches   {slow:9.2f} ms   {slow / naive:,.0f}x slower than naive")
    typing = median_ms(lambda q: index.search(q), keystrokes())
    print(f"  index.search/keystroke  {typing:9.2f} ms   (budget 16 ms)")


def main() -> None:
    base = load_library(ROOT / "fixtures" / "replies").replies
    cases = tomllib.loads((ROOT / "tests" / "data" / "heldout_questions.toml").read_text())["case"]
    print(f"median ms per query over {len(cases)} held-out messages (naive: a sample of them)")
    for size in SIZES:
        bench(base, cases, size)


if __name__ == "__main__":
    main()
