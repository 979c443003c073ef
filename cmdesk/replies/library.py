"""The reply library: TOML files of `[[reply]]` tables, validated at load time.

A CM's library grows by hand, so a typo must be caught when the library loads
(with the file and line to fix), never when a reply is about to be sent; and one
broken file must not take the other hundred replies down with it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

#: The only variables a body may use; anything else is a load-time error.
VARIABLES = frozenset({"author", "first_name", "brand", "network", "agent"})

#: Network names as connectors spell them, and as a CM reads them in a reply.
NETWORK_LABELS = {
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "discourse": "Discourse",
    "reddit": "Reddit",
    "youtube": "YouTube",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X",
}

_KEYS = frozenset(
    {"id", "title", "body", "lang", "networks", "tags", "brand", "triggers", "variants"}
)
_REQUIRED = ("id", "title", "body", "lang")
#: Any two-letter code: the demo ships fr and en, a team may add de or es.
_LANG = re.compile(r"[a-z]{2}")
#: `{{` and `}}` are literal braces, `{name}` a variable, any other brace a mistake.
#: Public because the suggester uses it to keep variables out of its index.
TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_REPLY_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*reply[ \t]*\]\]", re.MULTILINE)
_TOML_LINE = re.compile(r"line (\d+)")


def default_library_dir() -> Path:
    """Where a user keeps their own replies: `<config dir>/cmdesk/replies`."""
    return platformdirs.user_config_path("cmdesk") / "replies"


@dataclass(frozen=True, slots=True)
class Reply:
    """One canned reply; `variants` holds shorter bodies per network, as pairs."""

    id: str
    title: str
    body: str
    lang: str
    networks: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    brand: str | None = None
    triggers: tuple[str, ...] = ()
    variants: tuple[tuple[str, str], ...] = ()
    path: Path | None = None
    line: int = 0

    def body_for(self, network: str | None) -> str:
        """The network's own variant when there is one, else the full body."""
        return dict(self.variants).get(network or "", self.body)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something to fix in the library, printed as `path:line: reply-id: message`.

    `reply_id` is `-` for a file-wide problem and `#n` for the n-th reply of a file
    when that reply has no usable id.
    """

    path: Path
    line: int
    reply_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reply_id}: {self.message}"


@dataclass(frozen=True, slots=True)
class Library:
    """What loading a folder gives: the good replies, the problems, the files read."""

    replies: tuple[Reply, ...]
    problems: tuple[Problem, ...]
    files: tuple[Path, ...]


def load_library(root: Path) -> Library:
    """Load every `*.toml` under `root` (or the single file `root`), sorted by path.

    Raises `FileNotFoundError` when `root` does not exist: an absent library is the
    caller's decision to report, not a problem inside the library.
    """
    if not root.exists():
        raise FileNotFoundError(f"no reply library at {root}")
    files = (root,) if root.is_file() else tuple(sorted(root.rglob("*.toml")))
    replies: list[Reply] = []
    problems: list[Problem] = []
    seen: dict[str, Reply] = {}
    for path in files:
        file_replies, file_problems = load_file(path)
        problems.extend(file_problems)
        for reply in file_replies:
            first = seen.get(reply.id)
            if first is not None:
                where = f"{first.path}:{first.line}"
                problems.append(
                    Problem(path, reply.line, reply.id, f"duplicate id (first defined at {where})")
                )
                continue
            seen[reply.id] = reply
            replies.append(reply)
    return Library(tuple(replies), tuple(problems), files)


def load_file(path: Path) -> tuple[list[Reply], list[Problem]]:
    """Parse one file; each bad reply is one problem and is left out, the rest load."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(path, 1, "-", f"cannot read file: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        return [], [Problem(path, int(found[1]) if found else 1, "-", f"TOML syntax: {exc}")]
    tables = data.get("reply", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        return [], [Problem(path, 1, "-", "`reply` must be an array of tables: [[reply]]")]
    if not tables:
        return [], [Problem(path, 1, "-", "no [[reply]] table in this file")]
    lines = text.splitlines()
    starts = [text.count("\n", 0, m.start()) for m in _REPLY_HEADER.finditer(text)]
    replies: list[Reply] = []
    problems: list[Problem] = []
    for n, table in enumerate(tables):
        first = starts[n] if n < len(starts) else 0
        last = starts[n + 1] if n + 1 < len(starts) else len(lines)
        span = _Span(path, lines, first, last)
        reply_id = table.get("id")
        label = reply_id if isinstance(reply_id, str) and reply_id.strip() else f"#{n + 1}"
        try:
            replies.append(_parse_reply(table, span))
        except _Invalid as exc:
            problems.append(Problem(path, exc.line, label, exc.message))
    return replies, problems


def render(reply: Reply, network: str | None, values: Mapping[str, str]) -> str:
    """The reply's text for `network`, variables filled in.

    `network` defaults to the network's display name and `first_name` to the first
    word of `author`. A variable with no value is left as `{name}`, visible in the
    composer for the CM to fill, rather than silently dropped. Values are inserted
    as plain text: no format specs, no attribute lookups, whatever they contain.
    """
    filled = dict(values)
    if network:
        filled.setdefault("network", NETWORK_LABELS.get(network, network))
    if "author" in filled:
        filled.setdefault("first_name", first_name(filled["author"]))

    def substitute(match: re.Match[str]) -> str:
        token = match[0]
        if token in ("{{", "}}"):
            return token[0]
        return filled.get(match[1], token)

    return TEMPLATE.sub(substitute, reply.body_for(network))


def first_name(author: str) -> str:
    """A friendly first name from a display name or a handle ("@marie.bsky.social")."""
    words = author.strip().lstrip("@").split()
    if not words:
        return ""
    word = words[0].split("@")[0]
    if len(words) == 1 and "." in word:
        word = word.split(".")[0]
    return word.strip("-_.,;:!?'\"()[]") or word


def template_errors(template: str) -> list[str]:
    """What is wrong with the variables of a body (empty when it renders safely)."""
    errors = []
    for match in TEMPLATE.finditer(template):
        token = match[0]
        if token in ("{{", "}}"):
            continue
        if match[1] is None:
            errors.append(f"stray {token!r}: write {token * 2!r} for a literal brace")
        elif match[1] not in VARIABLES:
            known = ", ".join(f"{{{v}}}" for v in sorted(VARIABLES))
            errors.append(f"unknown variable {token} (known: {known})")
    return errors


class _Invalid(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class _Span:
    """The lines of one `[[reply]]` table, to point a problem at its key."""

    path: Path
    lines: list[str]
    first: int
    last: int

    def line_of(self, key: str | None = None, *, header: str | None = None) -> int:
        """1-based line of `key = ...` (inside `[reply.<header>]` if given), else the table."""
        start = self.first
        if header is not None:
            pattern = re.compile(rf"^\s*\[\s*reply\s*\.\s*{re.escape(header)}\s*\]")
            for i in range(self.first, self.last):
                if pattern.match(self.lines[i]):
                    start = i
                    break
            if key is None:
                return start + 1
        if key is not None:
            pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
            for i in range(start, self.last):
                if pattern.match(self.lines[i]):
                    return i + 1
        return self.first + 1


def _parse_reply(table: dict[str, Any], span: _Span) -> Reply:
    for key in table:
        if key not in _KEYS:
            raise _Invalid(span.line_of(key), f"unknown key {key!r}")
    for key in _REQUIRED:
        if key not in table:
            raise _Invalid(span.line_of(), f"missing key {key!r}")
    id_, title, body, lang = (_text(table, key, span) for key in _REQUIRED)
    if any(c.isspace() for c in id_):
        raise _Invalid(span.line_of("id"), "`id` must not contain spaces")
    if not _LANG.fullmatch(lang):
        raise _Invalid(span.line_of("lang"), f"`lang` must be a two-letter code, not {lang!r}")
    networks = _strings(table, "networks", span)
    for network in networks:
        if network not in NETWORK_LABELS:
            raise _Invalid(span.line_of("networks"), f"unknown network {network!r}")
    brand = table.get("brand")
    if brand is not None and not (isinstance(brand, str) and brand.strip()):
        raise _Invalid(span.line_of("brand"), "`brand` must be a non-empty string")
    variants = _variants(table.get("variants", {}), span)
    for where, template in [(span.line_of("body"), body)] + [
        (span.line_of(net, header="variants"), text) for net, text in variants
    ]:
        errors = template_errors(template)
        if errors:
            raise _Invalid(where, "; ".join(errors))
    return Reply(
        id=id_,
        title=title,
        body=body,
        lang=lang,
        networks=networks,
        tags=_strings(table, "tags", span),
        brand=brand,
        triggers=_strings(table, "triggers", span),
        variants=variants,
        path=span.path,
        line=span.first + 1,
    )


def _text(table: dict[str, Any], key: str, span: _Span) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(span.line_of(key), f"`{key}` must be a non-empty string")
    return value.strip() if key != "body" else value.strip("\n")


def _strings(table: dict[str, Any], key: str, span: _Span) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid(span.line_of(key), f"`{key}` must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _variants(value: object, span: _Span) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise _Invalid(span.line_of("variants"), "`variants` must be a table: [reply.variants]")
    pairs: list[tuple[str, str]] = []
    for network, text in value.items():
        line = span.line_of(network, header="variants")
        if network not in NETWORK_LABELS:
            raise _Invalid(line, f"unknown network {network!r} in variants")
        if not isinstance(text, str) or not text.strip():
            raise _Invalid(line, f"variant for {network!r} must be a non-empty string")
        pairs.append((network, text.strip("\n")))
    return tuple(pairs)
