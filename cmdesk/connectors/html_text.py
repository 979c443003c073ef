"""Platform HTML (Mastodon `content`, Discourse `cooked`) to the plain text a CM reads.

A real parser (stdlib `html.parser`), because the input is written by strangers
and regexes over HTML break on the first odd nesting. The output is plain text
and nothing more: markup-looking text such as `[bold]` or escape characters is
kept as typed, since making it safe to display is the UI's job, not ours.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

# Elements that start a new paragraph.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "details", "div", "dl",
        "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul",
    }
)  # fmt: skip
# Elements whose content is never text a person wrote.
_DROPPED = frozenset({"head", "noscript", "script", "style", "svg", "template", "title"})
_CELLS = frozenset({"td", "th"})
_LISTS = frozenset({"ol", "ul"})
# Only ASCII whitespace collapses: no-break spaces and zero-width joiners (emoji) stay.
_SPACE = re.compile(r"[ \t\n\r\f]+")
_RUNS = re.compile(r" {2,}")


def html_to_text(html: str) -> str:
    """Readable text from an HTML fragment: paragraphs, line breaks, links, emoji alt text."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:
        # `<![foo[` (a marked section HTMLParser does not know) raises: show it as text.
        parser = _TextParser()
        parser.feed(html.replace("<![", "&lt;!["))
        parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._blocks: list[tuple[str, int, int]] = []  # (text, list number or 0, quote depth)
        self._parts: list[str] = []
        self._prefix = ""  # list marker waiting for the next paragraph
        self._dropped = 0
        self._pre = 0
        self._quote = 0
        self._lists: list[int | None] = []  # ordered-list counter, None for bullets
        self._list_serial = 0  # which top-level list the open one belongs to

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropped += 1
        elif self._dropped:
            return
        elif tag == "br":
            self._parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self._parts.append(alt)
        elif tag in _CELLS:
            self._parts.append(" ")
        elif tag in _BLOCKS:
            self._flush()
            self._open_block(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropped = max(0, self._dropped - 1)
        elif self._dropped:
            return
        elif tag in _BLOCKS:
            self._flush()
            self._close_block(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._dropped:
            return
        if self._pre:
            self._parts.append(data.replace("\r\n", "\n"))
        else:
            self._parts.append(_SPACE.sub(" ", data))

    def _open_block(self, tag: str) -> None:
        if tag == "blockquote":
            self._quote += 1
        elif tag == "pre":
            self._pre += 1
        elif tag in _LISTS:
            self._list_serial += not self._lists
            self._lists.append(1 if tag == "ol" else None)
        elif tag == "li":
            self._prefix = "  " * max(0, len(self._lists) - 1) + self._marker()

    def _close_block(self, tag: str) -> None:
        if tag == "blockquote":
            self._quote = max(0, self._quote - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag in _LISTS and self._lists:
            self._lists.pop()

    def _marker(self) -> str:
        if not self._lists or self._lists[-1] is None:
            return "- "
        number = self._lists[-1]
        self._lists[-1] = number + 1
        return f"{number}. "

    def _flush(self) -> None:
        raw, self._parts = "".join(self._parts), []
        if self._pre:
            lines = raw.strip("\n").split("\n")
        else:
            lines = [_RUNS.sub(" ", line).strip(" ") for line in raw.split("\n")]
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            return
        lines[0] = self._prefix + lines[0]
        self._prefix = ""
        if self._quote:
            mark = ">" * self._quote
            lines = [f"{mark} {line}" if line else mark for line in lines]
        in_list = self._list_serial if self._lists else 0
        self._blocks.append(("\n".join(lines), in_list, self._quote))

    def text(self) -> str:
        self._flush()
        out: list[str] = []
        last_list, last_quote = 0, 0
        for block, in_list, quote in self._blocks:
            if out:
                out.append(
                    _separator(bool(in_list) and in_list == last_list, min(quote, last_quote))
                )
            out.append(block)
            last_list, last_quote = in_list, quote
        return "".join(out)


def _separator(tight: bool, quote: int) -> str:
    """Items of one list stay on consecutive lines; paragraphs of a quote keep its `>` bar."""
    if tight:
        return "\n"
    return f"\n{'>' * quote}\n" if quote else "\n\n"
