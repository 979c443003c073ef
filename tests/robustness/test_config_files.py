"""Broken files: each mistake is one line naming the file, the line and the key.

The config (corrupt TOML, unknown keys, wrong types, a file that cannot be read: a
directory where the file should be, bytes that are not UTF-8, an OSError from the
disk), fuzzed lines of a good config, and the files the app can do without (a theme,
the reply library): with those broken the app starts anyway and says what it skipped.
Tests run as root, where chmod 000 changes nothing: unreadable files are directories
or an injected `PermissionError`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmdesk.cli import main
from cmdesk.config import Config, ConfigError, load_config

from ..tui_helpers import make_app, notifications, settle
from .profile import NIGHTLY

GOOD = """\
agent = "Camille"
sync_interval = 120
theme = "cmdesk-dark"

[[account]]
name = "brioche-masto"
network = "mastodon"
brand = "Brioche & Co"
base_url = "https://piaille.fr"
handle = "briocheco"

[brand."Brioche & Co"]
sla_minutes = 60
timezone = "Europe/Paris"
banned_words = ["gratuit"]
"""

#: A broken config, and what its one line must say after `path:`.
BROKEN = {
    "duplicate key": ('agent = "a"\nagent = "b"\n', r"2: invalid TOML: .*line 2"),
    "account as a string": ('account = "x"\n', r"1: account: expected list, got str"),
    "account entry not a table": ("account = [1]\n",
                                  r"1: account: must be a \[\[account\]\] table"),
    "name as a number": (GOOD.replace('name = "brioche-masto"', "name = 1"),
                         r"6: \[\[account\]\] #1 name: expected str, got int"),
    "option as a number": (GOOD.replace('handle = "briocheco"', "handle = 5"),
                           r"10: \[\[account\]\] #1 handle: expected str, got int"),
    "interval as a boolean": ("sync_interval = true\n",
                              r"1: sync_interval: expected int, got bool"),
    "interval too short": ("sync_interval = 5\n", r"1: sync_interval: must be at least 10 seconds"),
    "theme as a number": ("theme = 3\n", r"1: theme: expected str, got int"),
    "brand as a string": ('brand = "x"\n', r"1: brand: expected dict, got str"),
    "unknown brand key": (GOOD + "colour = 1\n", r'16: \[brand."Brioche & Co"\] colour: unknown'),
    "truncated table header": (GOOD[:-40], r"\d+: invalid TOML"),
    "NUL byte": ('agent = "a\x00"\n', r"1: invalid TOML"),
}  # fmt: skip


@pytest.mark.parametrize("case", BROKEN, ids=BROKEN.keys())
def test_each_config_mistake_is_one_line_with_file_line_and_key(case: str, tmp_path: Path) -> None:
    text, expected = BROKEN[case]
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert re.match(re.escape(f"{path}:") + expected, message), message


def unreadable_as_directory(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path.mkdir()


def unreadable_bytes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path.write_bytes(b'agent = "\xff\xfe"\n')


def unreadable_permission(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path.write_text(GOOD, encoding="utf-8")
    real = Path.read_text

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        if self == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", denied)


UNREADABLE = {
    "a directory": (unreadable_as_directory, "Is a directory"),
    "not UTF-8": (unreadable_bytes, "can't decode byte 0xff"),
    "permission denied": (unreadable_permission, "Permission denied"),
}


@pytest.mark.parametrize("case", UNREADABLE, ids=UNREADABLE.keys())
def test_an_unreadable_config_is_one_line_on_stderr(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, reason = UNREADABLE[case]
    path = tmp_path / "config.toml"
    make(path, monkeypatch)
    monkeypatch.setenv("CMDESK_CONFIG", str(path))  # click checks a --config path itself
    for args in (["sync", "--once"], []):  # the cron command, and the app itself
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and "Traceback" not in result.output
        (line,) = result.output.splitlines()
        assert line.startswith(f"cmdesk: {path}: cannot read config") and reason in line, line


_VALUES = st.sampled_from(
    ['""', "0", "-1", "true", "1e400", "nan", "[]", "{}", '"x"', "[1, 2]", '"\\u0000"',
     "1979-05-27", "{ a = 1 }", '"' + "x" * 300 + '"', "[[1]]", '"Europe/Nowhere"']
)  # fmt: skip


@st.composite
def broken_configs(draw: st.DrawFn) -> str:
    """The good config with a few lines dropped, doubled, retyped or garbled."""
    lines = GOOD.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "double", "retype", "garble", "rename"]))
        if op == "drop":
            del lines[n]
        elif op == "double":
            lines.insert(n, lines[n])
        elif op == "retype" and "=" in lines[n]:
            lines[n] = lines[n].split("=")[0] + "= " + draw(_VALUES)
        elif op == "rename" and "=" in lines[n]:
            lines[n] = (
                draw(st.sampled_from(["colour", "nmae", "x.y", '"a b"']))
                + " ="
                + (lines[n].split("=", 1)[1])
            )
        else:
            lines[n] = lines[n][: draw(st.integers(0, len(lines[n])))] + draw(st.text(max_size=4))
        if not lines:
            break
    return "\n".join(lines) + "\n"


def test_fuzzed_configs_load_or_fail_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"

    @settings(
        max_examples=2_000 if NIGHTLY else 200,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(text=broken_configs())
    def run(text: str) -> None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            assert isinstance(load_config(path), Config)
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(f"{path}:") and "\n" not in message, message
            assert re.match(re.escape(str(path)) + r":\d+: ", message), message

    run()


BAD_THEME = 'name = "mine"\nprimary = "#5fa8d3"\nsurface = "not-a-colour"\n'
GOOD_REPLY = '[[reply]]\nid = "thanks"\ntitle = "Thanks"\nbody = "Thank you!"\nlang = "en"\n'
BROKEN_REPLY = '[[reply]]\nid = "oops"\ntitle = "Oops\nbody = "x"\nlang = "en"\n'


async def test_a_broken_theme_and_reply_file_are_named_and_the_app_starts(
    tmp_path: Path,
) -> None:
    themes = tmp_path / "xdg-config" / "cmdesk" / "themes"  # the user's theme folder
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text(BAD_THEME, encoding="utf-8")
    (themes / "folder.toml").mkdir()  # a directory where a file is expected
    library = tmp_path / "replies"
    library.mkdir()
    (library / "good.toml").write_text(GOOD_REPLY, encoding="utf-8")
    (library / "broken.toml").write_text(BROKEN_REPLY, encoding="utf-8")
    app = make_app(tmp_path / "x.db", Config(agent="cm", theme="mine"), library_dir=library)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        shown = notifications(app)
        assert f"{themes / 'mine.toml'}:3: surface: not a colour: 'not-a-colour'" in shown
        assert f"{themes / 'folder.toml'}:1: -: cannot read file" in shown
        assert "Theme 'mine' not found; using textual-dark." in shown
        assert f"Reply library: {library / 'broken.toml'}:3: -: TOML syntax" in shown
        assert app.theme == "textual-dark" and app.is_running
        assert app.replies_index is not None  # the good file loaded
        for line in shown.splitlines():
            assert len(line) < 500
