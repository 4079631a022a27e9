"""The browser and operating system named by a User-Agent header, for the admin session list. Written
here (a dozen ordered rules), no third-party parser: an untrusted header only ever yields one of the names
below and a version of at most four digits."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SCANNED = 512
# (name, pattern whose first group is the major version), first match wins: Edge and Opera also say
# Chrome, Chrome also says Safari.
BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d{1,4})"),
    ("Opera", r"(?:OPR|Opera)/(\d{1,4})"),
    ("Samsung Internet", r"SamsungBrowser/(\d{1,4})"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d{1,4})"),
    ("Chrome", r"(?:Chrome|CriOS|Chromium)/(\d{1,4})"),
    ("Safari", r"Version/(\d{1,4})[.\d]* (?:Mobile/\S+ )?Safari/"),
    ("Keyledger client", r"keyledger[-_]client/(\d{1,4})"),
    ("Keyledger CLI", r"keyledger-cli()"),
    ("curl", r"curl/(\d{1,4})"),
    ("Python", r"python-(?:httpx|requests|urllib\d?)/(\d{1,4})"),
)
SYSTEMS = (
    ("iOS", r"(?:iPhone|iPad|iPod)[^)]*? OS (\d{1,4})"),
    ("Android", r"Android (\d{1,4})"),
    ("ChromeOS", r"CrOS()"),
    ("Windows", r"Windows NT ()"),
    ("macOS", r"Mac OS X (\d{1,4})"),
    ("Linux", r"Linux()"),
)
COMPILED = tuple((name, re.compile(p, re.ASCII)) for name, p in BROWSERS)
COMPILED_OS = tuple((name, re.compile(p, re.ASCII)) for name, p in SYSTEMS)


@dataclass(frozen=True)
class Client:
    """A browser (with its major version) and a system, or empty strings when not recognised."""

    browser: str
    system: str


def first(rules: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str:
    for name, pattern in rules:
        found = pattern.search(text)
        if found:
            version = found.group(1)
            return f"{name} {version}" if version else name
    return ""


def parse(user_agent: str | None) -> Client:
    """The client a User-Agent header names (only its first 512 characters are read)."""
    text = (user_agent or "")[:MAX_SCANNED]
    return Client(first(COMPILED, text), first(COMPILED_OS, text))
