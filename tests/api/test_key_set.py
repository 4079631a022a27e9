"""The signed lease-key set: the current key (and the next during a rotation) as a JWS signed by every
key the server holds; `keyledger keys next` and `keys rotate` move a rotation along."""

from __future__ import annotations

import base64
import io
import json
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.exceptions import InvalidSignature

from adapters.signing_key import NEXT_SIGNING_KEY_FILE, PREVIOUS_SIGNING_KEY_FILE, SIGNING_KEY_FILE
from bootstrap.cli import main
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, licensed_client


def unpadded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signers(document: dict[str, Any], jwks: list[dict[str, Any]]) -> list[str]:
    """The kids among ``jwks`` whose signature over the set verifies (an independent reading of RFC 7515
    §7.2.1: each signature covers ``protected || "." || payload``)."""
    keys = {jwk["kid"]: jwt.PyJWK(jwk).key for jwk in jwks}
    verified = []
    for entry in document["signatures"]:
        header = json.loads(unpadded(entry["protected"]))
        assert (header["alg"], header["typ"]) == ("EdDSA", "keyledger-keys+jws")
        if header["kid"] in keys:
            try:
                keys[header["kid"]].verify(
                    unpadded(entry["signature"]), f"{entry['protected']}.{document['payload']}".encode()
                )
            except InvalidSignature:
                continue
            verified.append(header["kid"])
    return verified


def key_set(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    answer = api.client.get("/.well-known/keyledger-keys.jws")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/jose+json"
    document = answer.json()
    return document, json.loads(unpadded(document["payload"]))


def keys_cli(data_dir: Path, action: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("KEYLEDGER_DATA_DIR", str(data_dir))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    return main(["keys", action])


def test_the_set_lists_the_signing_key_and_is_signed_by_it(tmp_path: Path, now: datetime) -> None:
    """Without a rotation the set is the JWKS key alone, typed, timed, and signed by that key."""
    with sqlite_api(tmp_path, now) as api:
        jwks = api.client.get("/.well-known/jwks.json").json()["keys"]
        document, payload = key_set(api)
    assert (payload["typ"], payload["iss"], payload["iat"]) == (
        "keyledger-keys",
        "keyledger",
        int(now.timestamp()),
    )
    assert payload["keys"] == jwks
    assert signers(document, jwks) == [jwks[0]["kid"]]


def test_a_rotation_publishes_the_next_key_then_signs_with_it(
    tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keys next: the set (and the JWKS) lists the next key, signed by both, while leases are still signed
    by the current key. keys rotate: leases are signed by the former next key; the key rotated out still
    signs the set, so a client that trusted only it can learn the new one."""
    data = tmp_path / "data"
    with sqlite_api(tmp_path, now) as api:
        old = api.client.get("/.well-known/jwks.json").json()["keys"]
    assert keys_cli(data, "next", monkeypatch) == 0
    assert stat.S_IMODE((data / NEXT_SIGNING_KEY_FILE).stat().st_mode) == 0o600
    with sqlite_api(tmp_path, now) as api:
        published = api.client.get("/.well-known/jwks.json").json()["keys"]
        document, payload = key_set(api)
        lease = api.client.post(
            "/client/heartbeat", json={}, headers=api.bearer(licensed_client(api, "carol"))
        ).json()["lease"]
    assert published[0] == old[0]
    assert len(published) == 2
    assert payload["keys"] == published
    assert sorted(signers(document, published)) == sorted(k["kid"] for k in published)
    assert jwt.get_unverified_header(lease)["kid"] == old[0]["kid"]
    assert keys_cli(data, "rotate", monkeypatch) == 0
    assert not (data / NEXT_SIGNING_KEY_FILE).exists()
    assert stat.S_IMODE((data / PREVIOUS_SIGNING_KEY_FILE).stat().st_mode) == 0o600
    with sqlite_api(tmp_path, now) as api:
        document, payload = key_set(api)
    assert payload["keys"] == [published[1]]
    assert sorted(signers(document, published)) == sorted(k["kid"] for k in published)


def test_rotate_without_a_next_key_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """keys rotate with no next key waiting is a one-line error; the current key stays."""
    assert keys_cli(tmp_path, "generate", monkeypatch) == 0
    before = (tmp_path / SIGNING_KEY_FILE).read_bytes()
    assert keys_cli(tmp_path, "rotate", monkeypatch) == 1
    assert "keys next" in capsys.readouterr().err
    assert (tmp_path / SIGNING_KEY_FILE).read_bytes() == before
