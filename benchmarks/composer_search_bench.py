"""Keystroke to repaint in the composer's library search, with 1,000 replies.

Runs the demo app headless, opens the composer and types search terms one key at
a time; each key is timed from the press until Textual has processed it and
refreshed the screen (the pilot waits for both), so this is an upper bound on
what the CM feels. Baseline in the same run: the same keys typed into the
composer's text editor, which does no search.

    .venv/bin/python benchmarks/composer_search_bench.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.suggest_bench import synthetic_library
from cmdesk.replies.library import load_library
from cmdesk.replies.suggest import SuggestionIndex
from tests.test_demo import demo_app
from tests.tui_helpers import settle

TERMS = ["livraison", "refund", "mot de passe", "horaires", "commande"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main() -> None:
    base = load_library(Path(__file__).resolve().parent.parent / "fixtures" / "replies").replies
    index = SuggestionIndex.build(synthetic_library(base, 1_000))
    app = demo_app(Path(tempfile.mkdtemp()) / "bench.db")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.replies_index = index
        await pilot.press("r")
        await settle(pilot)
        timings: dict[str, list[float]] = {"search box": [], "text editor (baseline)": []}
        for target, key in (("search box", "ctrl+f"), ("text editor (baseline)", "ctrl+e")):
            await pilot.press(key)
            for term in TERMS:
                for char in term.replace(" ", ""):
                    started = time.perf_counter()
                    await pilot.press(char)
                    timings[target].append((time.perf_counter() - started) * 1000)
                if target == "search box":
                    await pilot.press(*["backspace"] * len(term))
    base_p50 = statistics.median(timings["text editor (baseline)"])
    print(f"{'keys typed into':<26} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'p50 ratio':>10}")
    for name, values in timings.items():
        p50 = statistics.median(values)
        print(
            f"{name:<26} {len(values):>4} {p50:>8.1f} {percentile(values, 0.99):>8.1f}"
            f" {p50 / base_p50:>9.2f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
