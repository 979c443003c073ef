"""Config errors that name file, line and key, and the locator that finds the line.

Apart from the loader (`cmdesk.config`) so that it and the brand tables'
parser (`cmdesk.config_brands`) both raise them without importing each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from cmdesk.errors import UserError


class ConfigError(UserError):
    """A configuration problem, said in one line: `file:line: key: what is wrong`."""


class Locator:
    """Finds the line of a key, so each error points where the user must look."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line(self, key: str, table_index: int | None = None) -> int:
        start, end = 0, len(self.lines)
        if table_index is not None:
            headers = [i for i, ln in enumerate(self.lines) if ln.strip().startswith("[[account]]")]
            if table_index < len(headers):
                start = headers[table_index]
                later = [
                    i for i, ln in enumerate(self.lines) if i > start and ln.strip().startswith("[")
                ]
                end = later[0] if later else len(self.lines)
        else:
            tables = [i for i, ln in enumerate(self.lines) if ln.strip().startswith("[")]
            end = tables[0] if tables else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                return number + 1
        return start + 1

    def error(self, key: str, message: str, table_index: int | None = None) -> ConfigError:
        where = f"[[account]] #{table_index + 1} " if table_index is not None else ""
        return ConfigError(f"{self.path}:{self.line(key, table_index)}: {where}{key}: {message}")

    def brand_line(self, brand: str, keys: Sequence[str], sub: str | None = None) -> int:
        """The line of the first of `keys` found in `[brand."Name"]`, its `.sub` table or an
        inline table there; else the table's header."""
        name = re.escape(brand)
        quoted = rf"(?:\"{name}\"|'{name}'|{name})"
        patterns = [rf"brand\s*\.\s*{quoted}"]
        if sub:
            patterns.insert(0, rf"brand\s*\.\s*{quoted}\s*\.\s*{re.escape(sub)}")
        starts = [start for start in map(self._header, patterns) if start is not None]
        for key in keys:
            anywhere = re.compile(rf"(?:^|[\s{{,])[\"']?{re.escape(key)}[\"']?\s*=")
            for start in starts:
                for number in range(start + 1, self._section_end(start)):
                    if anywhere.search(self.lines[number]):
                        return number + 1
        return starts[-1] + 1 if starts else self.line("brand")

    def _header(self, pattern: str) -> int | None:
        compiled = re.compile(rf"^\s*\[\s*{pattern}\s*\]")
        for number, text in enumerate(self.lines):
            if compiled.match(text):
                return number
        return None

    def _section_end(self, start: int) -> int:
        for number in range(start + 1, len(self.lines)):
            if self.lines[number].strip().startswith("["):
                return number
        return len(self.lines)

    def brand_error(
        self, brand: str, key: str, message: str, sub: str | None = None
    ) -> ConfigError:
        nested = sub and not key.startswith(f"{sub}.")
        table = f'[brand."{brand}"{"." + sub if nested else ""}]'
        keys = key.split(".")[::-1] + ([sub] if sub and sub not in key else [])
        line = self.brand_line(brand, keys, sub)
        return ConfigError(f"{self.path}:{line}: {table} {key}: {message}")
