"""`cmdesk replies check` and `cmdesk replies suggest`, driven through click."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cmdesk.cli import replies as replies_cli
from cmdesk.cli.replies import replies
from cmdesk.replies.library import load_library

from .conftest import FIXTURES

DEMO = FIXTURES / "replies"

GOOD = """
[[reply]]
id = "hello"
title = "Hello"
lang = "en"
body = "Hi {first_name}, welcome!"
triggers = ["hello there", "good morning"]
"""


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(replies, list(args), input=stdin)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.toml").write_text('[[reply]]\nid = "x"\ntitle = "oops\n', encoding="utf-8")
    (tmp_path / "vars.toml").write_text(
        GOOD.replace('"hello"', '"vars"').replace("{first_name}", "{firstname}"), encoding="utf-8"
    )
    return tmp_path


def test_check_demo_library() -> None:
    library = load_library(DEMO)
    result = run("check", str(DEMO))
    assert result.exit_code == 0
    assert result.stdout == f"{len(library.replies)} replies OK in {len(library.files)} files\n"


def test_check_reports_each_problem_on_one_line(broken: Path) -> None:
    result = run("check", str(broken))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{broken / 'bad.toml'}:3: -: TOML syntax")
    assert lines[1].startswith(f"{broken / 'vars.toml'}:6: vars: unknown variable {{firstname}}")


@pytest.mark.parametrize("make", ["missing", "empty", "no-replies"])
def test_check_without_a_library_is_one_clear_line(tmp_path: Path, make: str) -> None:
    path = tmp_path / "lib"
    if make != "missing":
        path.mkdir()
    if make == "no-replies":
        (path / "notes.toml").write_text("# todo\n", encoding="utf-8")
    result = run("check", str(path))
    assert result.exit_code == 1
    if make == "no-replies":  # a file without replies is a problem in the library
        assert result.stdout == f"{path / 'notes.toml'}:1: -: no [[reply]] table in this file\n"
    else:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("cmdesk: ")
        assert "Traceback" not in result.output


def test_check_defaults_to_the_user_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replies_cli, "default_library_dir", lambda: tmp_path / "mine")
    result = run("check")
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"cmdesk: no reply library at {tmp_path / 'mine'} (create it, or pass a path)\n"
    )
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "r.toml").write_text(GOOD, encoding="utf-8")
    assert run("check").stdout == "1 replies OK in 1 files\n"


def test_suggest_text() -> None:
    result = run(
        "suggest", "--library", str(DEMO), "--lang", "fr", "je voudrais suivre ma commande svp"
    )
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert "order-tracking-fr" in first and "Suivi de commande" in first
    assert len(result.stdout.splitlines()) == 5


def test_suggest_filters_and_limit() -> None:
    result = run(
        "suggest", "--library", str(DEMO), "--brand", "Nordlys", "--network", "bluesky",
        "--limit", "2", "the zip on my jacket broke, can I return it?",
    )  # fmt: skip
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "nordlys-warranty-en" in lines[0] and "nordlys-returns-en" in lines[1]


def test_suggest_reads_each_line_of_stdin() -> None:
    result = run(
        "suggest", "--library", str(DEMO), stdin="where is my order\n\nmot de passe oublié\n"
    )
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("> where is my order\n")
    assert "\n> mot de passe oublié\n" in out
    assert "password-reset-fr" in out.split("> mot de passe oublié")[1].splitlines()[1]


def test_suggest_json_is_one_object_per_query() -> None:
    result = run(
        "suggest", "--library", str(DEMO), "--json", "--limit", "3",
        stdin="I want a refund\nje veux annuler ma commande\n",
    )  # fmt: skip
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["query"] for row in rows] == ["I want a refund", "je veux annuler ma commande"]
    for row in rows:
        assert set(row) == {"query", "suggestions"}
        assert len(row["suggestions"]) == 3
        for s in row["suggestions"]:
            assert set(s) == {"id", "score", "matched"}
            assert isinstance(s["score"], float) and 0 <= s["score"] <= 100
    assert rows[0]["suggestions"][0]["id"] == "refund-en"
    assert rows[1]["suggestions"][0]["id"] == "cancel-order-fr"


def test_suggest_without_a_library_is_one_clear_line(tmp_path: Path) -> None:
    for path in (tmp_path / "missing", tmp_path):
        result = run("suggest", "--library", str(path), "hello")
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("cmdesk: ")
        assert result.stdout == ""


def test_suggest_warns_about_problems_and_uses_the_rest(broken: Path) -> None:
    result = run("suggest", "--library", str(broken), "hello there")
    assert result.exit_code == 0
    assert "hello" in result.stdout
    assert "2 problem(s)" in result.stderr and "replies check" in result.stderr


def test_suggest_with_no_match_says_so() -> None:
    result = run("suggest", "--library", str(DEMO), "🙂")
    assert result.exit_code == 0
    assert result.stdout == "  (no suggestion)\n"
