"""The documents keep up with the code: the README names everything a plugin can reach, and the crash
report contract lists every field the client sends."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from keyledger_client import CrashReport

from tests.client.test_sandbox_escapes import ALLOWED_GLOBALS, LIBRARIES

ROOT = Path(__file__).resolve().parents[2]


def section(text: str, title: str) -> str:
    start = text.index(title)
    following = re.search(r"^#{2,3} ", text[start + len(title) :], re.MULTILINE)
    return text[start : start + len(title) + following.start()] if following else text[start:]


def test_the_readme_names_everything_a_plugin_can_reach() -> None:
    """Every global and every library member of the sandbox appears in the README's plugin section."""
    plugins = section((ROOT / "README.md").read_text(encoding="utf-8"), "### Plugins")
    members = [member for names in LIBRARIES.values() for member in names.split()]
    missing = [
        name for name in [*ALLOWED_GLOBALS, *members] if not re.search(rf"\b{re.escape(name)}\b", plugins)
    ]
    assert missing == []


def test_the_crash_report_contract_lists_every_field() -> None:
    """docs/crash-reports.md has a row for each field of the body the client sends."""
    contract = (ROOT / "docs" / "crash-reports.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", contract, re.MULTILINE))
    assert rows == {field.name for field in fields(CrashReport)}
