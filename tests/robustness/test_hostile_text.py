"""Hostile text (tests/robustness/hostile.txt) shows literally, runs nothing, keeps the layout.

Every string of the corpus is imported as an item (its text, and the start of it as
the author's name) and walked through in the app, a batch per session: for each
item the detail pane holds the text as `cmdesk.text.visible` shows it, every inbox
row is one line of the list's exact width without a control character, and on the
screenshot the status bar and footer are still on the last two rows. No action ran:
the app runs on, on the same screen, clipboard untouched, no notification. Exports
(`cmdesk export items`, `cmdesk report`, CSV) quote every cell a spreadsheet would
run as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from textual.widgets import Static

from cmdesk.cli import main
from cmdesk.model import Author
from cmdesk.store import Store
from cmdesk.text import one_line, visible
from cmdesk.tui.screens.composer import ComposerScreen
from cmdesk.tui.screens.inbox import InboxScreen
from cmdesk.tui.widgets.inbox_list import InboxList

from ..conftest import make_item
from ..tui_helpers import detail_text, make_app, notifications, screen_lines, settle

CORPUS_FILE = Path(__file__).with_name("hostile.txt")
SIZE = (160, 45)
BATCH = 63
#: How much of a message the detail-pane check compares (the pane may cut a huge one).
COMPARED = 2_000
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[nrt\\])")
_REPEAT = re.compile(r"\(([^()]*)\)\{\*(\d+)\}")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}
#: What must never reach the terminal: C0 (bar newline), DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        return _SIMPLE[code] if code in _SIMPLE else chr(int(code[1:], 16))

    return _ESCAPE.sub(one, text)


def decode(line: str) -> str:
    """One corpus line as the message it stands for (see the top of hostile.txt)."""
    out, position = [], 0
    for repeat in _REPEAT.finditer(line):
        out.append(_unescape(line[position : repeat.start()]))
        out.append(_unescape(repeat.group(1)) * int(repeat.group(2)))
        position = repeat.end()
    out.append(_unescape(line[position:]))
    return "".join(out)


def corpus() -> list[str]:
    lines = CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    return [decode(line) for line in lines if line and not line.startswith("#")]


CORPUS = corpus()


def squash(text: str) -> str:
    return "".join(text.split())


def test_the_corpus_holds_what_the_issue_lists() -> None:
    assert len(CORPUS) >= 100
    joined = "".join(CORPUS)
    for needle in ("[@click=app.quit]", "[link=", "\x1b]52;", "\x1b]8;;", "\x00", "\u202e",
                   "\u200d", "\u0336" * 50, "مرحبا", "\x9b"):  # fmt: skip
        assert needle in joined, needle
    assert max(map(len, CORPUS)) >= 1_048_576


def store_with(path: Path, texts: list[str]) -> None:
    store = Store(path)
    items = [
        make_item(n, text=text, author=Author(f"u{n}", f"h{n}", text[:120]))
        for n, text in enumerate(texts)
    ]
    store.ingest("acct", items, {}, 1)
    store.close()


def check_rows(inbox: InboxList) -> None:
    """Every row of the list: one line, exactly as wide as the list, no control character."""
    for y in range(inbox.size.height):
        strip = inbox.render_line(y)
        assert strip.cell_length == inbox.size.width, y
        assert not _CONTROL.search(strip.text), (y, strip.text)


def check_screen(app, shown: int) -> None:  # type: ignore[no-untyped-def]
    lines = screen_lines(app)
    assert len(lines) == SIZE[1]
    assert not any(_CONTROL.search(line.rstrip("\n")) for line in lines)
    assert lines[0].startswith("/ search")
    assert lines[-2].startswith(" Open: "), lines[-2]  # the status bar
    assert "q Quit" in lines[-1], lines[-1]  # the footer
    for row in lines[1 : 1 + shown]:  # every item row starts at its place, with its columns
        assert row.startswith((" ● mastodon  Brioche & Co ", "▌● mastodon  Brioche & Co ")), row


async def detail_shown(pilot) -> None:  # type: ignore[no-untyped-def]
    """Settle, but only for what a cursor move starts: the detail pane and row fetches."""
    busy = [w for w in pilot.app.workers if w.group in ("detail", "rows") and not w.is_finished]
    if busy:
        await pilot.app.workers.wait_for_complete(busy)
    await pilot.pause()


@pytest.mark.parametrize("start", range(0, len(CORPUS), BATCH), ids=lambda s: f"from-{s}")
async def test_each_string_shows_literally_runs_nothing_and_keeps_the_layout(
    start: int, tmp_path: Path
) -> None:
    texts = CORPUS[start : start + BATCH]
    db = tmp_path / "hostile.db"
    store_with(db, texts)
    app = make_app(db, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = app.screen.query_one(InboxList)
        height = inbox.size.height
        for n, text in enumerate(texts):
            item = inbox.current_item
            assert item is not None and item.text == text, n
            expected = visible(text)
            detail = detail_text(app)
            assert squash(expected[:COMPARED]) in squash(detail), (n, text[:80])
            assert squash(visible(one_line(text[:120])))[:40] in squash(detail.split("\n")[0])
            check_rows(inbox)
            top = round(inbox.scroll_offset.y)
            if n % height == 0 or n == len(texts) - 1:
                check_screen(app, min(height, len(texts) - top))
                row = screen_lines(app)[1 + n - top]
                assert squash(one_line(text))[:8] in squash(row), (n, row)
            assert app.is_running and isinstance(app.screen, InboxScreen)
            await pilot.press("down")
            await detail_shown(pilot)
        assert len(app.screen_stack) == 2 and app.clipboard == ""
        assert notifications(app).startswith("No accounts configured")  # and nothing else
        assert len(notifications(app).splitlines()) == 1


async def test_the_composer_quotes_hostile_text_literally(tmp_path: Path) -> None:
    texts = ["[@click=app.quit]boom[/]", "\x1b]52;c;ZXZpbA==\x07 copy", "a\u202eb [link=x]y[/link]"]
    db = tmp_path / "compose.db"
    store_with(db, texts)
    app = make_app(db, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for text in texts:
            await pilot.press("r")
            await settle(pilot)
            assert isinstance(app.screen, ComposerScreen)
            quoted = str(app.screen.query_one("#composer-original", Static).content)
            assert quoted == one_line(text)
            assert any(one_line(text) in line for line in screen_lines(app))
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, InboxScreen) and app.is_running
            await pilot.press("down")
            await settle(pilot)


FORMULAS = ["=1+1", '=HYPERLINK("http://evil.example","x")', "+1+1", "-1+1", "@SUM(A1)",
            "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]  # fmt: skip


def csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_item_export_quotes_every_formula_cell(tmp_path: Path) -> None:
    db = tmp_path / "export.db"
    store = Store(db)
    hostile = [*FORMULAS, *CORPUS[:60]]
    items = [
        make_item(n, text=text, brand=text[:40] or "b", author=Author(text[:30], text[:30], text))
        for n, text in enumerate(hostile)
    ]
    store.ingest("acct", items, {}, 1)
    store.close()
    result = CliRunner().invoke(main, ["export", "items", "--format", "csv", "--db", str(db)])
    assert result.exit_code == 0, result.output
    rows = csv_cells(result.output)[1:]
    assert len(rows) == len(hostile)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    texts = {row[11] for row in rows}
    for formula in FORMULAS:
        assert "'" + formula in texts  # quoted, and otherwise kept as it was


def test_report_csv_quotes_brand_and_agent_cells(tmp_path: Path) -> None:
    db = tmp_path / "report.db"
    store = Store(db)
    for n, formula in enumerate(FORMULAS):
        item = make_item(n, brand=formula, created_at=1_700_000_000_000 + n)
        store.ingest("acct", [item], {}, 1_700_000_000_000 + n)
        store.mark_done([item.id], formula, 1_700_000_100_000 + n)
    store.close()
    args = ["report", "--format", "csv", "--by", "brand,agent", "--db", str(db)]
    result = CliRunner().invoke(main, [*args, "--now", "1700000200000"])
    assert result.exit_code == 0, result.output
    rows = csv_cells(result.output)
    assert rows[0][:2] == ["brand", "agent"]
    assert len(rows) > 1
    for row in rows[1:]:
        for cell in row[:2]:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


#: How many cells tmux 3.3a advances its cursor for each string as `visible` shows it
#: (printed alone in a pane, then `#{cursor_x}`): the demo is checked in tmux.
TERMINAL_WIDTHS = {
    "Ingrid ⛰️": 8,  # U+FE0F: tmux keeps ⛰ at 1 cell, Rich counted 2 with the selector
    "🏕️ camp": 6,
    "Harry 🏳️‍🌈": 7,  # tmux: 1 cell for the flag sequence, Rich counted 2
    "👍🏽 merci": 8,  # skin tone: tmux draws 4 cells, Rich counted 2
    "👩‍💻 dev": 6,
    "👨‍👩‍👧 family": 9,
    "🇫🇷 Antoine": 10,
    "🥐 ⭐ ❤": 7,
}


@pytest.mark.parametrize("text", TERMINAL_WIDTHS)
def test_shown_emoji_take_the_cells_the_terminal_gives_them(text: str) -> None:
    """A row Rich measures differently from the terminal shifts the rest of its line and
    leaves stray characters behind: what is shown must measure the same in both."""
    assert cell_len(visible(text)) == TERMINAL_WIDTHS[text]
