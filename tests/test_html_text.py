"""html_to_text: platform HTML to the plain text a CM reads, and nothing more."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cmdesk.connectors.html_text import html_to_text

MASTODON_MENTION = (
    '<p><span class="h-card" translate="no"><a href="https://piaille.fr/@briocheco" '
    'class="u-url mention">@<span>briocheco</span></a></span> Bonjour !</p>'
)
MASTODON_LINK = (
    '<p>Horaires : <a href="https://www.briocheco.fr/boutiques/horaires-des-fetes-2026" '
    'target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">'
    'https://www.</span><span class="ellipsis">briocheco.fr/boutiques/horaire</span>'
    '<span class="invisible">s-des-fetes-2026</span></a></p>'
)
DISCOURSE_QUOTE = """<aside class="quote no-group" data-username="pixelpost_team" data-post="9">
<div class="title">
<div class="quote-controls"></div>
<img loading="lazy" alt="" width="24" height="24" src="/a.png" class="avatar"> pixelpost_team:</div>
<blockquote>
<p>Every affected order will be <strong>reprinted</strong> for free</p>
<p>You don't need to do anything.</p>
</blockquote>
</aside>
<p>Reprint is fine but the wedding was last weekend.</p>"""
DISCOURSE_ONEBOX = """<aside class="onebox allowlistedgeneric" data-onebox-src="https://www.example.org/guide">
  <header class="source">
      <a href="https://www.example.org/guide" target="_blank">www.example.org</a>
  </header>
  <article class="onebox-body">
    <h3><a href="https://www.example.org/guide">Monitor calibration</a></h3>
  <p>A practical guide.</p>
  </article>
  <div style="clear: both"></div>
</aside>"""


def test_line_breaks_and_paragraphs() -> None:
    html = "<p>ligne 1<br>ligne 2<br />ligne 3</p><p>second paragraphe</p>"
    assert html_to_text(html) == "ligne 1\nligne 2\nligne 3\n\nsecond paragraphe"


def test_mastodon_mention_keeps_the_handle() -> None:
    assert html_to_text(MASTODON_MENTION) == "@briocheco Bonjour !"


def test_mastodon_shortened_link_shows_the_full_url() -> None:
    text = html_to_text(MASTODON_LINK)
    assert text == "Horaires : https://www.briocheco.fr/boutiques/horaires-des-fetes-2026"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Brioche &amp; Co</p>", "Brioche & Co"),
        ("<p>je vous aime &lt;3</p>", "je vous aime <3"),
        ("<p>j&#39;adore</p>", "j'adore"),
        ("<p>&quot;bof&quot; &#x27;ok&#x27;</p>", "\"bof\" 'ok'"),
        ("<p>Bonjour&nbsp;!</p>", "Bonjour\xa0!"),
        ("<p>Brioche &amp;amp; Co</p>", "Brioche &amp; Co"),  # decoded once, never twice
    ],
)
def test_entities_are_decoded_once(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_scripts_and_styles_are_dropped() -> None:
    html = "<p>avant<script>alert('x')</script><style>p{color:red}</style> après</p>"
    assert html_to_text(html) == "avant après"


def test_whitespace_from_the_markup_collapses() -> None:
    html = "<div>\n  <p>  trop    d'espaces\n   ici </p>\n\n\n  <p>suite</p>\n</div>"
    assert html_to_text(html) == "trop d'espaces ici\n\nsuite"


def test_discourse_quote_keeps_who_and_marks_the_quoted_lines() -> None:
    assert html_to_text(DISCOURSE_QUOTE) == (
        "pixelpost_team:\n\n"
        "> Every affected order will be reprinted for free\n"
        ">\n"
        "> You don't need to do anything.\n\n"
        "Reprint is fine but the wedding was last weekend."
    )


def test_discourse_onebox_reads_as_source_title_description() -> None:
    assert html_to_text(DISCOURSE_ONEBOX) == (
        "www.example.org\n\nMonitor calibration\n\nA practical guide."
    )


def test_emoji_images_become_their_alt_text() -> None:
    html = (
        '<p>Merci <img src="/images/emoji/twitter/heart.png?v=12" title=":heart:" '
        'class="emoji" alt=":heart:" loading="lazy" width="20" height="20"></p>'
    )
    assert html_to_text(html) == "Merci :heart:"


def test_lists_and_code_blocks() -> None:
    html = (
        "<p>Steps:</p><ul><li>upload</li><li><p>wait</p></li></ul>"
        "<ol><li>one</li><li>two</li></ol>"
        '<pre><code class="lang-auto">[upload] done\n  indented</code></pre>'
    )
    assert html_to_text(html) == (
        "Steps:\n\n- upload\n- wait\n\n1. one\n2. two\n\n[upload] done\n  indented"
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "[bold]x[/]",
        "[@click=app.quit]boom[/]",
        "[link=https://evil.example]click[/link]",
        "\x1b[31mred\x1b[0m",
        "\x1b]52;c;ZXZpbA==\x07",
    ],
)
def test_markup_lookalikes_and_escapes_stay_literal(hostile: str) -> None:
    assert html_to_text(f"<p>before {hostile} after</p>") == f"before {hostile} after"


def test_emoji_sequences_and_other_scripts_survive() -> None:
    text = "👩‍👩‍👧 🏳️‍🌈 👍🏽 パリ مرحبا Здравствуйте Γεια σας"
    assert html_to_text(f"<p>{text}</p>") == text


def test_broken_html_still_gives_text() -> None:
    assert html_to_text("<p>unclosed <b>bold <i>and <a href='x'>link") == "unclosed bold and link"
    assert html_to_text("</p></div>stray closers") == "stray closers"
    assert html_to_text("") == ""


@given(st.text(alphabet=st.characters(blacklist_characters="<&", blacklist_categories=("Cs",))))
def test_text_without_markup_comes_back_with_spaces_collapsed(text: str) -> None:
    collapsed = re.sub(r"[ \t\n\r\f]+", " ", text).strip(" ")
    result = html_to_text(f"<p>{text}</p>")
    assert result == collapsed or (result == "" and not collapsed.strip())
