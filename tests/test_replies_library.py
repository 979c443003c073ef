"""The reply library: the demo library is sound, broken files are reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmdesk.replies.library import (
    NETWORK_LABELS,
    Reply,
    default_library_dir,
    first_name,
    load_library,
    render,
)

from .conftest import FIXTURES

DEMO = FIXTURES / "replies"

GOOD = """
[[reply]]
id = "hello"
title = "Hello"
lang = "en"
body = "Hi {first_name}!"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def test_demo_library_loads_clean() -> None:
    library = load_library(DEMO)
    assert [str(p) for p in library.problems] == []
    assert len(library.replies) >= 64
    assert {r.lang for r in library.replies} == {"fr", "en"}
    assert {r.brand for r in library.replies} == {None, "Brioche & Co", "PixelPost", "Nordlys"}
    assert all(4 <= len(r.triggers) <= 8 for r in library.replies)
    assert library.files == tuple(sorted(DEMO.rglob("*.toml")))


def test_demo_replies_fit_bluesky_and_x() -> None:
    """A body too long for Bluesky (300) or X (280) needs a short variant there."""
    values = {"author": "Marie-Hélène Dupont", "brand": "Brioche & Co", "agent": "Léa"}
    for reply in load_library(DEMO).replies:
        for network, limit in (("bluesky", 300), ("x", 280)):
            if reply.networks and network not in reply.networks:
                continue
            assert len(render(reply, network, values)) <= limit, (reply.id, network)


def test_loads_recursively_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path, "b.toml", GOOD.replace('"hello"', '"b"'))
    write(tmp_path, "a/z.toml", GOOD.replace('"hello"', '"a"'))
    library = load_library(tmp_path)
    assert [r.id for r in library.replies] == ["a", "b"]
    assert library.replies[0].path == tmp_path / "a" / "z.toml"
    assert library.replies[0].line == 1


def test_missing_library_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no reply library"):
        load_library(tmp_path / "nope")


def test_default_library_dir_is_in_the_user_config() -> None:
    path = default_library_dir()
    assert path.parts[-2:] == ("cmdesk", "replies")


def test_toml_syntax_error_reports_its_line_and_spares_other_files(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", GOOD)
    bad = write(tmp_path, "bad.toml", '[[reply]]\nid = "x"\ntitle = "unterminated\n')
    library = load_library(tmp_path)
    assert [r.id for r in library.replies] == ["hello"]
    (problem,) = library.problems
    assert str(problem).startswith(f"{bad}:3: -: TOML syntax:")


@pytest.mark.parametrize(
    ("snippet", "line", "message"),
    [
        ('title = "T"\nlang = "fr"\n', 0, "missing key 'body'"),
        ('title = 3\nlang = "fr"\nbody = "b"\n', 1, "`title` must be a non-empty string"),
        ('title = "T"\nlang = "french"\nbody = "b"\n', 2, "`lang` must be a two-letter code"),
        (
            'title = "T"\nlang = "fr"\nbody = "b"\ntriggers = "oops"\n',
            4,
            "`triggers` must be a list",
        ),
        ('title = "T"\nlang = "fr"\nbody = "b"\ntrigers = ["x"]\n', 4, "unknown key 'trigers'"),
        ('title = "T"\nlang = "fr"\nbody = "b"\nnetworks = ["myspace"]\n', 4, "unknown network"),
        ('title = "T"\nlang = "fr"\nbody = "Bonjour {name}"\n', 3, "unknown variable {name}"),
        ('title = "T"\nlang = "fr"\nbody = "Bonjour {author"\n', 3, "stray '{'"),
        ('title = "T"\nlang = "fr"\nbody = "{brand:>10}"\n', 3, "unknown variable {brand:>10}"),
        (
            'title = "T"\nlang = "fr"\nbody = "b"\n\n[reply.variants]\nx = "{agnt}"\n',
            6,
            "unknown variable {agnt}",
        ),
        (
            'title = "T"\nlang = "fr"\nbody = "b"\n\n[reply.variants]\nfax = "short"\n',
            6,
            "unknown network 'fax' in variants",
        ),
    ],
)
def test_each_broken_reply_is_one_problem_at_its_line(
    tmp_path: Path, snippet: str, line: int, message: str
) -> None:
    """`line` counts from the broken reply's `id` line; 0 means its [[reply]] header."""
    text = f'# library\n{GOOD}\n[[reply]]\nid = "broken"\n{snippet}\n{GOOD.replace("hello", "bye")}'
    path = write(tmp_path, "replies.toml", text)
    header = 9  # comment, GOOD (blank + 5 lines), blank, then [[reply]]
    expected = header + 1 + line if line else header
    library = load_library(tmp_path)
    assert [r.id for r in library.replies] == ["hello", "bye"]
    (problem,) = library.problems
    assert (problem.path, problem.line, problem.reply_id) == (path, expected, "broken")
    assert message in problem.message
    assert str(problem).startswith(f"{path}:{expected}: broken: ")


def test_reply_without_id_is_named_by_its_position(tmp_path: Path) -> None:
    path = write(tmp_path, "r.toml", f'{GOOD}\n[[reply]]\ntitle = "T"\nlang = "fr"\nbody = "b"\n')
    (problem,) = load_library(tmp_path).problems
    assert str(problem) == f"{path}:7: #2: missing key 'id'"


def test_duplicate_id_across_files_keeps_the_first(tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", GOOD)
    second = write(tmp_path, "b.toml", "# again\n" + GOOD)
    library = load_library(tmp_path)
    assert [r.path for r in library.replies] == [first]
    (problem,) = library.problems
    assert str(problem) == f"{second}:3: hello: duplicate id (first defined at {first}:1)"


def test_file_without_replies_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.toml", "# nothing yet\n")
    (problem,) = load_library(tmp_path).problems
    assert str(problem) == f"{path}:1: -: no [[reply]] table in this file"


REPLY = Reply(
    id="r",
    title="T",
    lang="fr",
    body="Bonjour {first_name}, merci de suivre {brand} sur {network} ! {{code}} — {agent}",
    variants=(("x", "Merci {first_name} !"),),
)


def test_render_fills_variables_and_derives_the_first_name() -> None:
    text = render(REPLY, "mastodon", {"author": "Marie Dupont", "brand": "Nordlys", "agent": "Léa"})
    assert text == "Bonjour Marie, merci de suivre Nordlys sur Mastodon ! {code} — Léa"


def test_render_picks_the_network_variant() -> None:
    assert render(REPLY, "x", {"author": "Marie Dupont"}) == "Merci Marie !"
    assert render(REPLY, "bluesky", {"first_name": "Jo"}).startswith("Bonjour Jo,")


def test_render_leaves_missing_values_visible() -> None:
    text = render(REPLY, None, {"first_name": "Jo", "brand": "PixelPost"})
    assert text.endswith("sur {network} ! {code} — {agent}")


def test_render_inserts_user_text_literally() -> None:
    """A display name is user input: it must never be read as a template."""
    author = "{agent} {0.__class__} {brand!r}"
    text = render(Reply("r", "T", "Hi {author}, {brand}", "en"), None, {"author": author})
    assert text == "Hi {agent} {0.__class__} {brand!r}, {brand}"


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Marie Dupont", "Marie"),
        ("@marie.bsky.social", "marie"),
        ("@jo@mastodon.social", "jo"),
        ("Élodie 🌸", "Élodie"),
        ("", ""),
    ],
)
def test_first_name(author: str, expected: str) -> None:
    assert first_name(author) == expected


def test_network_labels_cover_every_network_a_reply_may_name() -> None:
    assert set(NETWORK_LABELS) == {
        "mastodon", "bluesky", "discourse", "reddit", "youtube", "facebook", "instagram", "x"
    }  # fmt: skip
