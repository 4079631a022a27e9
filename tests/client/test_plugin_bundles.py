"""Plugin bundles: only a bundle signed by a pinned vendor key, unchanged since, with a manifest and
source that follow the rules, is ever opened; a refused plugin never runs a line."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import lupa.lua54 as lua  # type: ignore[import-untyped]  # lupa ships no type information
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from keyledger_client import (
    FolderSource,
    PluginMalformed,
    PluginNotFound,
    PluginRefused,
    PluginSignatureRejected,
    open_bundle,
)
from keyledger_client.plugin_bundle import key_id, signed_message

from tests.client.vendor import Harness, Vendor

SIDE_EFFECT_FIRST = 'notify("ran", "the first line ran")\nfunction main() return "ran" end\n'
VENDOR = Vendor()
BUNDLE = VENDOR.bundle(SIDE_EFFECT_FIRST)
ORIGINAL = open_bundle(BUNDLE, [VENDOR.key.public_key()])


def envelope(bundle: bytes = BUNDLE) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(bundle)
    return decoded


def encoded(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def resigned(manifest: bytes, source: bytes, key: Ed25519PrivateKey, claimed_key: str | None = None) -> bytes:
    """A bundle signed with ``key`` without the checks of ``sign_bundle`` (what an attacker can make)."""
    signature = key.sign(signed_message(manifest, source))
    fields = {"manifest": b64(manifest), "source": b64(source), "signature": b64(signature)}
    return encoded({**envelope(), **fields, "key_id": claimed_key or key_id(key.public_key())})


def test_a_signed_bundle_opens() -> None:
    """A bundle signed by the pinned key opens to its manifest and source."""
    assert ORIGINAL.manifest.name == "hello"
    assert ORIGINAL.source == SIDE_EFFECT_FIRST.encode()
    assert ORIGINAL.key_id == key_id(VENDOR.key.public_key())


@pytest.mark.parametrize(
    ("bundle", "reason"),
    [
        (encoded({k: v for k, v in envelope().items() if k not in ("signature", "key_id")}), "not signed"),
        (encoded({**envelope(), "signature": ""}), "not signed"),
        (
            resigned(VENDOR.manifest(), SIDE_EFFECT_FIRST.encode(), Ed25519PrivateKey.generate()),
            "does not trust",
        ),
        (
            resigned(
                VENDOR.manifest(), SIDE_EFFECT_FIRST.encode(), Ed25519PrivateKey.generate(), ORIGINAL.key_id
            ),
            "does not match",
        ),
        (encoded({**envelope(), "manifest": b64(VENDOR.manifest(min_tier="vip"))}), "does not match"),
        (encoded({**envelope(), "source": b64(b'function main() return "evil" end')}), "does not match"),
    ],
    ids=[
        "unsigned",
        "empty-signature",
        "re-signed",
        "re-signed-claiming-the-key",
        "altered-manifest",
        "altered-source",
    ],
)
def test_a_bad_signature_never_runs_a_line(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, bundle: bytes, reason: str
) -> None:
    """Unsigned, re-signed or altered: refused before any Lua state exists, so the side-effecting first
    line never runs."""
    harness.vendor = VENDOR
    harness.source.bundles["hello"] = bundle
    states: list[object] = []
    monkeypatch.setattr(lua, "LuaRuntime", lambda **_: states.append(1))
    with pytest.raises(PluginSignatureRejected, match=reason):
        harness.plugins().run("hello")
    assert states == []
    assert harness.notices == []


def test_the_same_bundle_runs_its_first_line_when_signed() -> None:
    """The control: the untouched bundle does run its side-effecting first line."""
    harness = Harness(vendor=VENDOR)
    harness.source.bundles["hello"] = BUNDLE
    assert harness.plugins().run("hello") == "ran"
    assert [notice.title for notice in harness.notices] == ["ran"]


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.integers(min_value=0, max_value=255))
def test_any_changed_byte_is_refused_or_changes_nothing(position: int, replacement: int) -> None:
    """Changing one byte of a bundle anywhere is refused, unless the change is JSON layout or base64 padding
    that leaves the signed bytes as they were."""
    index = position % len(BUNDLE)
    mutated = BUNDLE[:index] + bytes([replacement]) + BUNDLE[index + 1 :]
    try:
        opened = open_bundle(mutated, [VENDOR.key.public_key()])
    except PluginRefused:
        return
    assert opened == ORIGINAL


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Hello"},
        {"name": "../hello"},
        {"version": "1.0"},
        {"version": "01.0.0"},
        {"entry_points": []},
        {"entry_points": ["end"]},
        {"entry_points": ["main", "main"]},
        {"entry_points": ["not a name"]},
        {"min_tier": "admin"},
        {"api": 2},
        {"api": True},
        {"extra": 1},
    ],
)
def test_a_manifest_that_breaks_a_rule_is_neither_signed_nor_opened(changes: dict[str, Any]) -> None:
    """The vendor's tool refuses to sign it, and a client refuses to open it even when signed."""
    with pytest.raises(PluginMalformed):
        VENDOR.bundle("function main() end", **changes)
    manifest = VENDOR.manifest(**changes)
    with pytest.raises(PluginMalformed):
        open_bundle(resigned(manifest, b"function main() end", VENDOR.key), [VENDOR.key.public_key()])


@pytest.mark.parametrize("source", [b"\x1bLuaT\x00\x19\x93", b"\xff\xfe not utf-8", b"x = 1\x00"])
def test_bytecode_and_binary_sources_are_refused(source: bytes) -> None:
    """Only Lua text opens: precompiled bytecode, non-UTF-8 and NUL bytes are refused even when signed."""
    with pytest.raises(PluginMalformed):
        open_bundle(resigned(VENDOR.manifest(), source, VENDOR.key), [VENDOR.key.public_key()])


@pytest.mark.parametrize(
    "data", [b"", b"not json", b"[]", b'{"format": "zip"}', b"{" + b" " * (1 << 20) + b"}"]
)
def test_what_is_not_a_bundle_is_malformed(data: bytes) -> None:
    """Empty, not JSON, another format, oversized: refused as malformed."""
    with pytest.raises(PluginMalformed):
        open_bundle(data, [VENDOR.key.public_key()])


def test_a_bundle_under_another_name_is_refused(harness: Harness) -> None:
    """A source's name must be the manifest's: a renamed bundle cannot pose as another plugin."""
    harness.source.bundles["trusted"] = harness.vendor.bundle("function main() end", "hello")
    with pytest.raises(PluginMalformed, match="holds the plugin hello"):
        harness.plugins().run("trusted")


def test_unknown_plugins_and_entry_points_are_not_found(harness: Harness) -> None:
    """No such plugin, or an entry point the manifest does not declare (even if the script defines it)."""
    with pytest.raises(PluginNotFound):
        harness.plugins().run("absent")
    with pytest.raises(PluginNotFound, match="no entry point"):
        harness.run("function main() end function hidden() end", "hidden")


def test_a_folder_source_lists_bundles_and_reads_only_its_own(tmp_path: Path) -> None:
    """Only NAME.klplugin files with a valid name count; a name cannot leave the folder."""
    (tmp_path / "hello.klplugin").write_bytes(BUNDLE)
    (tmp_path / "Bad Name.klplugin").write_bytes(BUNDLE)
    (tmp_path / "notes.txt").write_text("x")
    source = FolderSource(tmp_path)
    assert source.names() == ["hello"]
    assert source.read("hello") == BUNDLE
    for name in ("../hello", "absent", "/etc/passwd"):
        with pytest.raises(PluginNotFound):
            source.read(name)
    assert FolderSource(tmp_path / "missing").names() == []
