"""What a plugin declares about itself, and the rules its manifest and source must follow. A manifest is
a JSON object with exactly these keys::

    {"name": "hello", "version": "1.2.0", "entry_points": ["main"], "min_tier": "user", "api": 1}

The source must be Lua text in UTF-8: precompiled bytecode is never accepted."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from keyledger_client.errors import PluginMalformed

API_VERSION = 1
TIERS = ("user", "vip")
MAX_SOURCE_BYTES = 512 * 1024
MAX_ENTRY_POINTS = 32
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
LUA_KEYWORDS = frozenset(
    ("and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in"),
) | frozenset(("local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"))
KEYS = frozenset({"name", "version", "entry_points", "min_tier", "api"})


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    entry_points: tuple[str, ...]
    min_tier: str
    api: int

    def encode(self) -> bytes:
        """The manifest as a vendor writes it (what ``plugins sign`` reads)."""
        fields = {**self.__dict__, "entry_points": list(self.entry_points)}
        return json.dumps(fields, indent=2).encode()


def parse_manifest(data: bytes) -> Manifest:
    """The manifest in ``data``; anything that breaks a rule raises ``PluginMalformed``."""
    try:
        raw = json.loads(data)
    except ValueError:
        raise PluginMalformed("the manifest is not JSON") from None
    if not isinstance(raw, dict) or set(raw) != KEYS:
        raise PluginMalformed(f"the manifest must have exactly the keys {', '.join(sorted(KEYS))}")
    return Manifest(
        name=_matching(raw["name"], NAME, "name"),
        version=_matching(raw["version"], SEMVER, "version (SemVer)"),
        entry_points=_entry_points(raw["entry_points"]),
        min_tier=_tier(raw["min_tier"]),
        api=_api(raw["api"]),
    )


def check_source(source: bytes) -> str:
    """The Lua text of a plugin: UTF-8, no NUL, never bytecode."""
    if len(source) > MAX_SOURCE_BYTES:
        raise PluginMalformed(f"the source is larger than {MAX_SOURCE_BYTES} bytes")
    if source.startswith(b"\x1b"):
        raise PluginMalformed("the source is precompiled Lua bytecode; only Lua text is accepted")
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        raise PluginMalformed("the source is not UTF-8 text") from None
    if "\x00" in text:
        raise PluginMalformed("the source contains a NUL character")
    return text


def tier_allows(tier: str | None, min_tier: str) -> bool:
    """Whether a valid license of ``tier`` (None: the lease does not say; the lowest) may run a plugin."""
    held = TIERS.index(tier) if tier in TIERS else 0
    return held >= TIERS.index(min_tier)


def _matching(value: Any, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise PluginMalformed(f"the manifest's {what} is not valid: {value!r:.80}")
    return value


def _entry_points(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ENTRY_POINTS:
        raise PluginMalformed(f"entry_points must be a list of 1 to {MAX_ENTRY_POINTS} function names")
    names = tuple(_matching(name, IDENTIFIER, "entry point") for name in value)
    if len(set(names)) != len(names) or LUA_KEYWORDS.intersection(names):
        raise PluginMalformed("entry_points must be distinct Lua names, not keywords")
    return names


def _tier(value: Any) -> str:
    if value not in TIERS:
        raise PluginMalformed(f"min_tier must be one of {', '.join(TIERS)}")
    return str(value)


def _api(value: Any) -> int:
    if type(value) is not int or value != API_VERSION:
        raise PluginMalformed(f"this client implements plugin API {API_VERSION}, not {value!r:.20}")
    return value
