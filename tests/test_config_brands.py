"""`[brand."Name"]` tables and bots: what they hold, and one-line errors naming file, line, key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cmdesk.config import ConfigError, load_config
from cmdesk.config_brands import normalise_handle, parse_clock

ACCOUNT = """\
[[account]]
name = "brioche-masto"
network = "mastodon"
brand = "Brioche & Co"
base_url = "https://piaille.fr"
handle = "briocheco"
"""

GOOD = (
    'bots = ["@Dependabot"]\n\n'
    + ACCOUNT
    + """
[brand."Brioche & Co"]
sla_minutes = 60
timezone = "Europe/Paris"
business_hours = { days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "18:00" }
holidays = ["2026-12-25", 2026-01-01]
banned_words = ["cheap", "guaranteed"]
bots = ["brioche_bot", "@Zapier@hooks.example"]

[brand."Brioche & Co".sla]
mastodon = 30
"""
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_brand_table_loads_every_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    brand = config.brands["Brioche & Co"]
    assert brand.sla_minutes == 60
    assert brand.sla == (("mastodon", 30),)
    assert brand.sla_for("mastodon") == 30
    assert brand.sla_for("bluesky") == 60
    assert brand.timezone == "Europe/Paris"
    assert brand.business_hours is not None
    assert brand.business_hours.days == frozenset(range(5))
    assert (brand.business_hours.open_minute, brand.business_hours.close_minute) == (540, 1080)
    assert not brand.business_hours.overnight
    assert brand.holidays == {dt.date(2026, 12, 25), dt.date(2026, 1, 1)}
    assert brand.banned_words == ("cheap", "guaranteed")
    assert brand.bots == {"brioche_bot", "zapier@hooks.example"}
    assert config.bots == {"dependabot"}


def test_no_brand_table_means_no_sla_and_wall_clock(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ACCOUNT))
    assert config.brands == {}
    assert config.bots == frozenset()


def test_overnight_and_midnight_close(tmp_path: Path) -> None:
    text = ACCOUNT + (
        '[brand."Brioche & Co"]\ntimezone = "UTC"\n'
        'business_hours = { days = ["sat"], open = "22:00", close = "06:00" }\n'
    )
    hours = load_config(write(tmp_path, text)).brands["Brioche & Co"].business_hours
    assert hours is not None and hours.overnight and hours.days == {5}
    assert parse_clock("24:00", allow_24=True) == 1440
    with pytest.raises(ValueError):
        parse_clock("24:00")
    assert normalise_handle(" @BrioChe ") == "brioche"


def test_sla_without_business_hours_needs_no_timezone(tmp_path: Path) -> None:
    text = ACCOUNT + '[brand."Brioche & Co"]\nsla_minutes = 240\n'
    brand = load_config(write(tmp_path, text)).brands["Brioche & Co"]
    assert (brand.sla_minutes, brand.timezone, brand.business_hours) == (240, None, None)


B = r'\[brand\."Brioche & Co"\]'
SLA = r'\[brand\."Brioche & Co"\.sla\]'
HOURS = 'open = "09:00", close = "18:00"'


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("sla_minutes = 60", "sla_minuts = 60", rf":11: {B} sla_minuts: unknown key"),
        ("sla_minutes = 60", "sla_minutes = 0", rf":11: {B} sla_minutes: must be at least"),
        ("sla_minutes = 60", 'sla_minutes = "1h"', rf":11: {B} sla_minutes: expected integer"),
        ('"Europe/Paris"', '"Mars/Olympus"', rf":12: {B} timezone: unknown timezone"),
        ('timezone = "Europe/Paris"\n', "", rf":12: {B} business_hours: needs timezone"),
        ('"fri"]', '"fri", "funday"]', rf":13: {B} business_hours.days: expected"),
        (HOURS, 'open = "9am", close = "18:00"', rf":13: {B} business_hours.open: expected"),
        (HOURS, 'open = "18:00", close = "18:00"', rf":13: {B} business_hours.close: same"),
        (HOURS, 'close = "18:00"', rf":13: {B} business_hours.open: missing required key"),
        (HOURS, HOURS + ', lunch = "12:00"', rf":13: {B} business_hours.lunch: unknown"),
        ('"2026-12-25"', '"25/12/2026"', rf":14: {B} holidays: expected dates"),
        ('banned_words = ["cheap"', 'banned_words = [""', rf":15: {B} banned_words: expected"),
        ('bots = ["brioche_bot"', 'bots = [1, "brioche_bot"', rf":16: {B} bots: expected"),
        ("mastodon = 30", "myspace = 30", rf":19: {SLA} myspace: unknown network"),
        ("mastodon = 30", "mastodon = 0", rf":19: {SLA} mastodon: expected a number of minutes"),
        ('"Brioche & Co"]', '"Brioche and Co"]', r":10: .* brand: no \[\[account\]\] has this"),
        ('bots = ["@Dependabot"]', "bots = [true]", r"config.toml:1: bots: expected a list"),
        ('bots = ["@Dependabot"]', 'bots = "x"', r"config.toml:1: bots: expected list"),
    ],
)
def test_each_brand_mistake_is_one_line_naming_file_line_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(write(tmp_path, GOOD.replace(old, new, 1)))
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "config.toml"))


def test_holidays_without_business_hours_are_refused(tmp_path: Path) -> None:
    text = ACCOUNT + '[brand."Brioche & Co"]\nsla_minutes = 60\nholidays = ["2026-12-25"]\n'
    with pytest.raises(ConfigError, match=r":9: .* holidays: only count with business_hours"):
        load_config(write(tmp_path, text))


def test_business_hours_as_a_sub_table_is_located_too(tmp_path: Path) -> None:
    text = ACCOUNT + (
        '[brand."Brioche & Co"]\ntimezone = "UTC"\n\n'
        '[brand."Brioche & Co".business_hours]\ndays = ["mon"]\nopen = "25:00"\nclose = "18:00"\n'
    )
    with pytest.raises(ConfigError, match=r":12: .*business_hours.open: expected a time"):
        load_config(write(tmp_path, text))


def test_a_brand_needs_no_account_when_none_is_configured(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[brand.Nordlys]\nsla_minutes = 30\nbots = ["x"]\n'))
    assert config.brands["Nordlys"].sla_minutes == 30
