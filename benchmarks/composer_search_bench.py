"""Key to repaint in the composer's library search, with 1,000 replies.

Runs the demo app headless, opens the composer and types search terms one key at
a time, then erases them with backspace. Each key is sent as the terminal driver
sends it and timed to the end of the first frame that shows the library ranked
for what the search box then holds (checked against the index's own ranking), the
frame rendered to terminal bytes as a real terminal gets it. The paint probe is
the one of `benchmarks/apps.py`: it overrides Textual's private `App._display`,
acceptable in a benchmark only. Keys are a typist's gap apart.

Baselines in the same run: the same keys typed into the composer's text editor,
which does no search (to the frame showing the new text); into the search box
with the search switched off (`EchoComposer`, to the frame echoing the key: the
floor the search and its list add to); and into the composer as it was before
(`RefillComposer`): a plain `Input` (a layout of the screen per key),
searched on `Input.Changed` (a frame after the key's echo), into an `OptionList`
of auto height cleared and refilled per key. Each round types 86 keys per variant
(its p99 is the second slowest), half of them backspaces; each measure is the
median over rounds of that round's p50 or p99: the machine is shared, and ratios
to the editor hold better than ms. "Typing only" pools the keys that add a
character over all rounds (the composer keeps the rankings typing made, so
erasing back through them is cheaper).

    .venv/bin/python benchmarks/composer_search_bench.py [--rounds 5] [--replies 1000]

With `--replies` above `cmdesk.tui.screens.composer.INLINE_SEARCH` the search
runs in a thread; the time is then to the frame showing the thread's ranking (the
key's own frame when the visible rows stay the same).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.text import Text  # noqa: E402
from textual import on  # noqa: E402
from textual.app import ComposeResult  # noqa: E402
from textual.widget import Widget  # noqa: E402
from textual.widgets import Input, OptionList, TextArea  # noqa: E402
from textual.widgets.option_list import Option  # noqa: E402

from benchmarks.apps import Probe, paint_probe  # noqa: E402
from benchmarks.suggest_bench import synthetic_library  # noqa: E402
from cmdesk.demo import DEMO_TOKEN, demo_config, demo_transport  # noqa: E402
from cmdesk.replies.compose import fill  # noqa: E402
from cmdesk.replies.library import load_library  # noqa: E402
from cmdesk.replies.suggest import Suggestion, SuggestionIndex  # noqa: E402
from cmdesk.text import one_line  # noqa: E402
from cmdesk.tui.app import CmdeskApp  # noqa: E402
from cmdesk.tui.screens.composer import SEARCH_LIMIT, ComposerScreen  # noqa: E402
from cmdesk.tui.screens.inbox import InboxScreen  # noqa: E402
from cmdesk.tui.widgets.reply_results import ReplyResults  # noqa: E402
from cmdesk.tui.widgets.search_box import SearchBox  # noqa: E402
from tests.tui_helpers import settle  # noqa: E402

SIZE = (140, 40)
TERMS = ["livraison", "refund", "mot de passe", "horaires", "commande"]
#: Between a frame and the next key: a quick typist's pace.
KEY_GAP_S = 0.05
TARGET_MS = 16.0
FIXTURES = ROOT / "fixtures"


class RefillComposer(ComposerScreen):
    """The composer before (baseline), as the module docstring describes it; every
    preview rendered again per key."""

    def _search(self, value: str) -> None:
        pass  # the watcher the composer registers now: not used before

    @on(Input.Changed, "#reply-search")
    def _search_on_changed(self, event: Input.Changed) -> None:
        self.wanted = query = event.value.strip()
        index = self.index  # searched on the UI thread, every time, as before
        self._show(
            query, self._search_library(index, query) if query and index else self.suggestions
        )

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, SearchBox):
                yield Input(placeholder=widget.placeholder, id="reply-search")
            elif isinstance(widget, ReplyResults):
                yield self._option_list()
            else:
                yield widget

    def _option_list(self) -> Widget:
        results = OptionList(*self._options(self.suggestions), id="reply-results")
        results.styles.height = "auto"
        results.styles.max_height = 8
        return results

    def _options(self, ranked: list[Suggestion]) -> list[Option]:
        options = []
        for n, suggestion in enumerate(ranked, 1):
            reply = suggestion.reply
            line = Text(f"{n} ", style="bold")
            line.append(one_line(reply.title), style="bold")
            line.append(f"  {one_line(fill(reply, self.item, self.agent))[:70]}", style="dim")
            line.append(f"  · {one_line(suggestion.matched)}", style="italic")
            options.append(Option(line, id=reply.id))
        return options

    def _show(self, query: str, ranked: list[Suggestion]) -> None:
        self.shown = [s.reply for s in ranked]
        self.shown_for = query
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(self._options(ranked))
        if ranked:
            results.highlighted = 0


class EchoComposer(ComposerScreen):
    """The composer with its search switched off (floor): what the box's own echo costs."""

    def _search(self, value: str) -> None:
        pass


def draws(screen: ComposerScreen, wanted: list[str]) -> bool:
    """Whether the list draws the replies `wanted`, best first.

    `ReplyResults` redraws only the lines that change, so what it draws is its visible
    rows (and whether there are more, for its scrollbar); the `OptionList` is compared
    whole, as it redraws whole.
    """
    results = screen.query_one("#reply-results")
    if isinstance(results, ReplyResults):
        height = results.size.height
        ids = [row.reply_id for row in results.rows]
        return ids[:height] == wanted[:height] and (len(ids) > height) == (len(wanted) > height)
    assert isinstance(results, OptionList)
    ids = [str(results.get_option_at_index(n).id) for n in range(results.option_count)]
    return ids == wanted


def keystrokes() -> Iterator[tuple[str, str]]:
    """(key name, character) per key: each term typed, then erased."""
    for term in TERMS:
        for char in term:
            yield ("space", " ") if char == " " else (char, char)
        for _ in term:
            yield "backspace", ""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def type_keys(
    probe: Probe, text: Callable[[], str], done: Callable[[str], Callable[[], bool]]
) -> list[tuple[float, bool]]:
    """Per key: milliseconds to the first frame where `done(the text after the key)`
    holds, and whether the key typed a character (else it erased one)."""
    timings = []
    for key, char in keystrokes():
        before = text()
        after = before[:-1] if key == "backspace" else before + char
        timings.append((await probe.press(key, done(after)), key != "backspace"))
        await asyncio.sleep(KEY_GAP_S)
    return timings


async def type_into_editor(
    probe: Probe, pilot: Any, screen: ComposerScreen
) -> list[tuple[float, bool]]:
    editor = screen.query_one(TextArea)
    editor.focus()
    editor.move_cursor(editor.document.end)
    await settle(pilot)

    def shown(after: str) -> Callable[[], bool]:
        return lambda: editor.text == after

    return await type_keys(probe, lambda: editor.text, shown)


async def type_into_search(
    probe: Probe, pilot: Any, screen: ComposerScreen, ranked_ids: Callable[[str], list[str]]
) -> list[tuple[float, bool]]:
    box = screen.query_one("#reply-search", Input)
    box.focus()
    await settle(pilot)

    def ranked_for(after: str) -> Callable[[], bool]:
        if isinstance(screen, EchoComposer):
            return lambda: box.value == after
        wanted = ranked_ids(after)
        return lambda: box.value == after and draws(screen, wanted)

    return await type_keys(probe, lambda: box.value, ranked_for)


async def one_round(
    app: Any, probe: Probe, pilot: Any, index: SuggestionIndex, variants: list[str]
) -> dict[str, list[tuple[float, bool]]]:
    inbox = app.screen
    assert isinstance(inbox, InboxScreen)
    item = inbox.inbox.current_item
    suggestions = index.suggest(
        item.text, lang=item.lang, network=item.network, brand=item.brand, limit=5
    )

    def ranked_ids(query: str) -> list[str]:
        query = query.strip()
        found = (
            index.search(
                query, lang=item.lang, network=item.network, brand=item.brand, limit=SEARCH_LIMIT
            )
            if query
            else suggestions
        )
        return [s.reply.id for s in found]

    out: dict[str, list[tuple[float, bool]]] = {}
    for variant in variants:
        screen_class = {"before": RefillComposer, "echo": EchoComposer}.get(variant, ComposerScreen)
        screen = screen_class(
            item,
            agent=app.agent,
            index=index,
            suggestions=suggestions,
            start=suggestions[0].reply if suggestions else None,
            draft=None,
            banned=[],
        )
        await app.push_screen(screen)
        await settle(pilot)
        if variant == "editor":
            out[variant] = await type_into_editor(probe, pilot, screen)
        elif variant == "echo":
            out[variant] = await type_into_search(probe, pilot, screen, lambda _: [])
        else:
            out[variant] = await type_into_search(probe, pilot, screen, ranked_ids)
        app.pop_screen()
        await settle(pilot)
    return out


async def main(rounds: int, replies: int) -> None:
    base = load_library(FIXTURES / "replies").replies
    index = SuggestionIndex.build(synthetic_library(base, replies))
    app = paint_probe(CmdeskApp)(
        Path(tempfile.mkdtemp()) / "bench.db",
        demo_config(FIXTURES),
        transport_factory=lambda store: demo_transport(store, FIXTURES),
        tokens=lambda _account: DEMO_TOKEN,
        demo=True,
        library_dir=FIXTURES / "replies",
    )
    probe = Probe(app, ready=lambda: False, state=lambda: None)
    app.probe = probe  # type: ignore[attr-defined]
    variants = ["search", "before", "echo", "editor"]
    #: Per variant, per round: p50 and p99 of every key; and the keys that typed, pooled.
    per_round: dict[str, list[tuple[float, float]]] = {v: [] for v in variants}
    typing: dict[str, list[float]] = {v: [] for v in variants}
    load_start = os.getloadavg()[0]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.replies_index = index
        for n in range(rounds):
            order = variants[n % 4 :] + variants[: n % 4]  # no variant always goes first
            timings = await one_round(app, probe, pilot, index, order)
            for variant, values in timings.items():
                clean = [ms for ms, _ in values if ms == ms]
                typed = [ms for ms, typing in values if typing and ms == ms]
                lost = len(values) - len(clean)
                if lost:
                    print(f"round {n + 1}: {variant}: {lost} keys never painted", file=sys.stderr)
                per_round[variant].append((statistics.median(clean), percentile(clean, 0.99)))
                typing[variant] += typed
    keys = sum(1 for _ in keystrokes())
    print(
        f"composer search, key to repaint: {replies:,} replies, {rounds} rounds of {keys} keys,"
        f" {os.cpu_count()} CPUs, load average {load_start:.1f} / {os.getloadavg()[0]:.1f}"
        " (start / end); medians over rounds of each round's p50 and p99"
    )
    names = {
        "search": "search box (now)",
        "before": "search box, OptionList refill (before)",
        "echo": "search box, search off (floor)",
        "editor": "text editor, no search (baseline)",
    }
    summary = {
        v: (statistics.median(p50 for p50, _ in r), statistics.median(p99 for _, p99 in r))
        for v, r in per_round.items()
    }
    editor_p50, editor_p99 = summary["editor"]
    print(
        f"{'keys typed into':<40} {'p50 ms':>7} {'p99 ms':>7} {'p50/editor':>11}"
        f" {'p99/editor':>11} {'p99 < 16 ms':>12}   typing only: p50 / p99 ms"
    )
    for variant in variants:
        p50, p99 = summary[variant]
        met = "yes" if p99 < TARGET_MS else "NO"
        typed = typing[variant]
        print(
            f"{names[variant]:<40} {p50:>7.1f} {p99:>7.1f} {p50 / editor_p50:>10.2f}x"
            f" {p99 / editor_p99:>10.2f}x {met:>12}   {statistics.median(typed):>11.1f}"
            f" / {percentile(typed, 0.99):.1f}"
        )
    now_p50, now_p99 = summary["search"]
    old_p50, old_p99 = summary["before"]
    print(f"search now / before: p50 {now_p50 / old_p50:.2f}x, p99 {now_p99 / old_p99:.2f}x")
    print("per round (p50 / p99 ms):")
    for variant in variants:
        shown = "  ".join(f"{p50:.1f}/{p99:.1f}" for p50, p99 in per_round[variant])
        print(f"  {names[variant]:<38} {shown}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--replies", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.replies))
