"""The admin pages speak Korean and English: every string has a translation in both catalogues."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from api.ui import i18n
from api.ui.charts import bar_chart
from api.ui.templating import environment
from tests.ui.messages import TEMPLATES, extracted


def catalogue(locale: str) -> dict[str, str]:
    with (i18n.CATALOGUES / f"{locale}.po").open("rb") as po:
        return {str(m.id): str(m.string) for m in read_po(po, locale=locale) if m.id and not m.fuzzy}


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_string_has_a_translation(locale: str) -> None:
    """A template or UI string without a translation in a catalogue fails the build."""
    strings = catalogue(locale)
    missing = [m for m in extracted() if not strings.get(m)]
    assert missing == []


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_no_stale_translations(locale: str) -> None:
    """Every catalogue entry is still used by a template or a UI module."""
    assert set(catalogue(locale)) - set(extracted()) == set()


def test_korean_differs_from_english() -> None:
    """The Korean catalogue is a translation, not a copy (brand names and VIP excepted)."""
    same = [m for m, text in catalogue("ko").items() if text == m]
    assert same == ["VIP"]


def test_placeholders_survive_translation() -> None:
    """A translated message keeps the same %(name)s placeholders as its source."""
    for message, text in catalogue("ko").items():
        assert sorted(part.split(")")[0] for part in message.split("%(")[1:]) == sorted(
            part.split(")")[0] for part in text.split("%(")[1:]
        ), message


def test_korean_is_the_default() -> None:
    """Without a remembered choice (or with an unknown one) the pages are in Korean."""
    assert [i18n.choose(None), i18n.choose("fr"), i18n.choose("en")] == ["ko", "ko", "en"]


def test_dates_and_numbers_follow_the_locale() -> None:
    """Dates and numbers are formatted per language."""
    at = "2026-11-01T12:00:00.000000Z"
    assert i18n.moment(at, "ko") == "2026년 11월 1일 12:00:00 UTC"
    assert i18n.moment(at, "en") == "Nov 1, 2026, 12:00:00 UTC"
    assert i18n.number(1234567, "en") == "1,234,567"
    assert i18n.moment(None, "ko") == "—"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_template_compiles(locale: str) -> None:
    """Each template parses in each language's environment."""
    env = environment(locale)
    for path in TEMPLATES.glob("*.html"):
        env.get_template(path.name)


def test_charts_escape_their_labels() -> None:
    """A chart is SVG with a title for screen readers; its texts are escaped."""
    svg = bar_chart("<b>", ["<x>", "y"], [1, 3]).svg
    assert svg.startswith("<svg")
    assert "&lt;b&gt;" in svg
    assert "<x>" not in svg
    assert svg.count("<rect") == 2
    assert "style=" not in svg
