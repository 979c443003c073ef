"""Text from the internet made safe to show and to export.

Message text is hostile: control characters could drive the terminal (ANSI CSI,
OSC 52 clipboard writes, OSC 8 links), bidi overrides can disguise a line, and a
cell starting with `=` runs as a formula in a spreadsheet. Showing it literally
means making such characters visible, never interpreting them.
"""

from __future__ import annotations

import re

import regex

#: Bidi controls and zero-width characters that change how the rest of a line looks.
_INVISIBLE = {
    0x200B, 0x200C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
    0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF,
}  # fmt: skip
_MAX_COMBINING = 3
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible_char(char: str) -> str:
    code = ord(char)
    if code < 0x20 and char not in "\n\t":
        return chr(0x2400 + code)  # control pictures: ␛ for ESC, ␀ for NUL, …
    if code == 0x7F:
        return "␡"
    if 0x80 <= code < 0xA0 or code in _INVISIBLE:
        return f"<U+{code:04X}>"
    return char


_NEEDS_WORK = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
_COMBINING_RUN = re.compile(rf"({_COMBINING}{{{_MAX_COMBINING + 1},}})")
#: Marks of any script (Thai tone marks, Arabic harakat, Hebrew points, enclosing signs):
#: real text stacks up to four or five on one letter, a flood hundreds.
_MAX_MARKS = 5
_MARK_RUN = regex.compile(rf"([\p{{Mn}}\p{{Me}}]{{{_MAX_MARKS + 1},}})")
#: Emoji presentation selectors and skin-tone modifiers: where terminals and Rich
#: disagree on width (tmux 3.3 draws ⛰️ in 1 cell where Rich counts 2, 👍🏽 in 4 where
#: Rich counts 2). A row drawn wider or narrower than counted shifts the rest of the
#: line and leaves stray characters on screen; without them they all agree.
_WIDTH_VARIANTS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")


def visible(text: str) -> str:
    """`text` with every control, bidi and zero-width character shown as a visible token.

    Zero-width joiners stay: emoji ZWJ sequences (👩‍💻) need them. Presentation
    selectors and skin tones go (👍🏽 shows as 👍): their width is a matter of terminal.
    Floods of combining marks are cut to a few, so one message cannot smear over its
    neighbours.
    """
    if _NEEDS_WORK.search(text):
        text = "".join(_visible_char(char) for char in text)
    if _WIDTH_VARIANTS.search(text):
        text = _WIDTH_VARIANTS.sub("", text)
    if _COMBINING_RUN.search(text):
        text = _COMBINING_RUN.sub(lambda m: m.group(1)[:_MAX_COMBINING] + "…", text)
    if _MARK_RUN.search(text):
        text = _MARK_RUN.sub(lambda m: m.group(1)[:_MAX_MARKS] + "…", text)
    return text


def one_line(text: str) -> str:
    """A single display line: whitespace runs (newlines included) become one space."""
    return " ".join(visible(text).split())


def spreadsheet_safe(value: object) -> object:
    """Quote a cell a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
