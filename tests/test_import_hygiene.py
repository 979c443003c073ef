"""Only `cmdesk/tui/` may import Textual: the core must run headless (sync, report, cron)."""

from __future__ import annotations

import ast
import subprocess
import sys

from .conftest import REPO


def test_no_module_outside_tui_imports_textual() -> None:
    offenders = []
    for path in (REPO / "cmdesk").rglob("*.py"):
        if "tui" in path.relative_to(REPO / "cmdesk").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "textual" or name.startswith("textual.") for name in names):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_core_modules_import_without_loading_textual() -> None:
    code = (
        "import sys, cmdesk.store, cmdesk.sync, cmdesk.config, cmdesk.connectors.registry, "
        "cmdesk.connectors.replay, cmdesk.cli; "
        "print('textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_inbox_starts_without_loading_what_later_keys_need() -> None:
    """`cmdesk demo`'s cold start: the composer, the report (plotext, and its maths: the
    rows' SLA badges need `cmdesk.metrics.sla` alone), the suggester (rapidfuzz), the
    sync engine and httpx load in the background once the inbox is up.
    Validating the config reads every connector's declared options, not its HTTP."""
    later = ["rapidfuzz", "plotext", "httpx", "cmdesk.sync", "cmdesk.tui.screens.composer",
             "cmdesk.tui.screens.report", "cmdesk.metrics.compute",
             "cmdesk.metrics.drill"]  # fmt: skip
    code = (
        "import sys, cmdesk.cli, cmdesk.demo, cmdesk.tui.app; "
        "cmdesk.demo.demo_config(cmdesk.demo.fixtures_dir()); "
        f"print([m for m in {later!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
