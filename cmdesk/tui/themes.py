"""Themes as TOML files: the ones shipped in `themes/`, then the user's own.

A file that fails to load is reported once, by name; the others still load.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import platformdirs
from textual.color import ColorParseError
from textual.theme import Theme

SHIPPED = Path(__file__).resolve().parent.parent.parent / "themes"
_FIELDS = {
    "name", "primary", "secondary", "warning", "error", "success", "accent",
    "foreground", "background", "surface", "panel", "boost", "dark", "variables",
}  # fmt: skip


def theme_dirs() -> list[Path]:
    return [SHIPPED, platformdirs.user_config_path("cmdesk") / "themes"]


def load_themes(dirs: list[Path]) -> tuple[list[Theme], list[str]]:
    """Every `*.toml` theme under `dirs`, and one line per file that failed."""
    themes: list[Theme] = []
    problems: list[str] = []
    for directory in dirs:
        for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                unknown = set(data) - _FIELDS
                if unknown:
                    raise ValueError(f"unknown keys {', '.join(sorted(unknown))}")
                theme = Theme(**data)
                theme.to_color_system()  # raises on a colour Textual cannot parse
                themes.append(theme)
            except (OSError, ValueError, TypeError, ColorParseError) as exc:
                problems.append(f"{path.name}: {exc}")
    return themes, problems
