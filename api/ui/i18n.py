"""Languages of the admin pages: Korean (the default) and English, from the Babel catalogues kept as .po
files beside this module (read at start-up, nothing compiled or committed in binary form)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"
LANG_COOKIE = "keyledger_lang"
CATALOGUES = Path(__file__).parent / "locales"


def N_(message: str) -> str:  # noqa: N802 -- the gettext convention: marks a string for the catalogue
    """Marks ``message`` for translation where it is defined; templates translate it where shown."""
    return message


def choose(cookie: str | None) -> str:
    """The page language: the remembered choice if it is one we have, else Korean."""
    return cookie if cookie in LOCALES else DEFAULT_LOCALE


@cache
def translations(locale: str) -> Translations:
    """The catalogue of ``locale`` as gettext translations (built in memory from its .po file)."""
    with (CATALOGUES / f"{locale}.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def as_time(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# A 24-hour clock in each language's date order (CLDR's Korean "medium" pattern gives "PM 5:05").
TIME_PATTERNS = {"ko": "yyyy년 M월 d일 HH:mm:ss", "en": "MMM d, yyyy, HH:mm:ss"}


def moment(value: str | datetime | None, locale: str) -> str:
    """A time in the reader's language (UTC), or a dash."""
    found = as_time(value)
    pattern = TIME_PATTERNS.get(locale, "medium")
    return format_datetime(found, pattern, tzinfo=UTC, locale=locale) + " UTC" if found else "—"


def number(value: int | float | None, locale: str) -> str:
    return format_decimal(value or 0, locale=locale)
