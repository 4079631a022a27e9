"""The signed key set: the public keys that sign leases and tokens (the current key and the next one,
during a rotation), as a JWS in the general JSON serialization (RFC 7515 §7.2.1) signed by every key the
server holds — so a client that trusts any one of them (pinned in the application, or learned from an
earlier set) can learn the others. The client never trusts a key set it cannot verify."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from api.tokens import SigningKey, b64url

KEY_SET_TYPE = "keyledger-keys"
HEADER_TYPE = "keyledger-keys+jws"
MEDIA_TYPE = "application/jose+json"


def segment(document: dict[str, Any]) -> str:
    return b64url(json.dumps(document, separators=(",", ":"), sort_keys=True).encode())


def signed_key_set(
    published: Sequence[SigningKey], signers: Sequence[SigningKey], issuer: str, now: datetime
) -> dict[str, Any]:
    """``{"payload", "signatures": [{"protected", "signature"}, ...]}``: the payload lists ``published``
    as JWKs, with the issuer and the time; each of ``signers`` signs it (EdDSA, its ``kid`` in the
    protected header)."""
    payload = segment(
        {
            "typ": KEY_SET_TYPE,
            "iss": issuer,
            "iat": int(now.timestamp()),
            "keys": [key.jwk() for key in published],
        }
    )
    signatures = []
    for key in signers:
        protected = segment({"alg": "EdDSA", "kid": key.kid, "typ": HEADER_TYPE})
        signature = key.private.sign(f"{protected}.{payload}".encode())
        signatures.append({"protected": protected, "signature": b64url(signature)})
    return {"payload": payload, "signatures": signatures}
