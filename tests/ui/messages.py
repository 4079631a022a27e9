"""Every translatable string of the admin pages: extracted from the templates (Jinja2's Babel extractor)
and from the UI's Python modules (``N_`` and ``gettext`` calls)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "api" / "ui" / "templates"
PYTHON = [*sorted((ROOT / "api" / "ui").glob("*.py")), *sorted((ROOT / "api" / "routes").glob("ui_*.py"))]
KEYWORDS = {"_": None, "gettext": None, "N_": None}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def extracted() -> dict[str, str]:
    """msgid → the first file that uses it."""
    found: dict[str, str] = {}
    for path in sorted(TEMPLATES.glob("*.html")):
        for _, message, _, _ in extract_from_file(
            "jinja2.ext:babel_extract", path, keywords=KEYWORDS, options=JINJA_OPTIONS
        ):
            found.setdefault(str(message), path.name)
    for path in PYTHON:
        for _, message, _, _ in extract_from_file("python", path, keywords=KEYWORDS):
            if isinstance(message, str):
                found.setdefault(message, path.name)
    return found
