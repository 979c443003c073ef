"""Themes as TOML files: the ones shipped in `themes/`, then the user's own.

A file that fails to load is reported once, by name; the others still load.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import platformdirs
from textual.color import Color, ColorParseError
from textual.theme import Theme

SHIPPED = Path(__file__).resolve().parent.parent.parent / "themes"
_FIELDS = {
    "name", "primary", "secondary", "warning", "error", "success", "accent",
    "foreground", "background", "surface", "panel", "boost", "dark", "variables",
}  # fmt: skip


def theme_dirs() -> list[Path]:
    return [SHIPPED, platformdirs.user_config_path("cmdesk") / "themes"]


def load_themes(dirs: list[Path]) -> tuple[list[Theme], list[str]]:
    """Every `*.toml` theme under `dirs`, and one line per file that failed.

    Each line is `path:line: key: what is wrong`, as for the config.
    """
    themes: list[Theme] = []
    problems: list[str] = []
    for directory in dirs:
        for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
            try:
                themes.append(_theme(path))
            except _ThemeError as exc:
                problems.append(str(exc))
    return themes, problems


class _ThemeError(Exception):
    pass


_COLOURS = _FIELDS - {"name", "dark", "variables"}


def _theme(path: Path) -> Theme:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _ThemeError(f"{path}:1: -: cannot read file ({exc})") from None
    lines = text.splitlines()

    def fail(key: str, message: str) -> _ThemeError:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        line = next((n for n, ln in enumerate(lines, 1) if pattern.match(ln)), 1)
        return _ThemeError(f"{path}:{line}: {key}: {message}")

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = found.group(1) if found else 1
        raise _ThemeError(f"{path}:{line}: -: invalid TOML: {exc}") from None
    for key in data:
        if key not in _FIELDS:
            raise fail(key, f"unknown key (known: {', '.join(sorted(_FIELDS))})")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise fail("name", "a theme needs a name (a string)")
    for key in sorted(_COLOURS & set(data)):
        try:
            Color.parse(data[key])
        except (ColorParseError, TypeError, ValueError):
            raise fail(key, f'not a colour: {data[key]!r} (e.g. "#5fa8d3")') from None
    if not isinstance(data.get("dark", True), bool):
        raise fail("dark", "expected true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise fail("variables", "expected a table of strings")
    try:
        theme = Theme(**data)
        theme.to_color_system()  # raises on anything else Textual cannot use
    except (ValueError, TypeError, ColorParseError) as exc:
        raise fail("name", str(exc)) from None
    return theme
