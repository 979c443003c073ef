"""Config errors name the file, the line and the key, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmdesk.config import ConfigError, load_config

GOOD = """\
agent = "Camille"

[[account]]
name = "brioche-masto"
network = "mastodon"
brand = "Brioche & Co"
base_url = "https://piaille.fr"
handle = "briocheco"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_loads_with_connector_options(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.agent == "Camille"
    (account,) = config.accounts
    assert (account.name, account.network, account.options) == (
        "brioche-masto",
        "mastodon",
        {"handle": "briocheco"},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD + 'colour = "red"\n', r"config.toml:9: \[\[account\]\] #1 colour: unknown key"),
        ("agnet = 'x'\n" + GOOD, r"config.toml:1: agnet: unknown key"),
        ("sync_interval = 'often'\n", r"config.toml:1: sync_interval: expected int, got str"),
        (GOOD.replace('network = "mastodon"', 'network = "myspace"'), r":5: .*network: unknown"),
        (GOOD.replace('handle = "briocheco"\n', ""), r":3: .*handle: missing required key"),
        (GOOD.replace("https://piaille.fr", "piaille.fr"), r":7: .*base_url: must start"),
        (GOOD + GOOD.split("\n", 2)[2], r":\d+: \[\[account\]\] #2 name: duplicate"),
        ("[[account]\nname=1", r"config.toml:1: invalid TOML"),
    ],
)
def test_each_mistake_is_one_line_naming_file_line_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_missing_default_config_is_empty_but_named_one_is_an_error(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.toml").accounts == ()
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.toml", missing_ok=False)


def test_cmdesk_config_overrides_the_default_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMDESK_CONFIG", str(write(tmp_path, GOOD)))
    assert load_config().agent == "Camille"
