"""Device public keys as a desktop client registers them at login: X25519 (the default) or the hybrid
post-quantum MLKEM768-X25519, in lowercase hex, optionally with the suite named. A key that could not
receive a grant (a low-order X25519 point, a malformed ML-KEM key, a suite that does not match) is
refused at login rather than at the first download."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from api.services import Services
from domain.device import HYBRID_KEY_HEX, check_public_key
from domain.errors import InvalidInput

Suite = Literal["X25519", "MLKEM768_X25519"]
PublicKeyHex = Annotated[
    str,
    Field(
        max_length=HYBRID_KEY_HEX,
        description="the device's public key in lowercase hex: X25519 (64) or MLKEM768-X25519 (2432)",
    ),
]


def checked_device_key(svc: Services, public_key: str | None, suite: Suite | None) -> str | None:
    """``public_key`` if it is a usable device key of ``suite`` (when named); None when there is none."""
    key = check_public_key(public_key)
    if key is None:
        return None
    found = svc.releases.files.device_key_suite(bytes.fromhex(key))
    if found is None or (suite is not None and found != suite):
        raise InvalidInput("public_key", f"not a usable {suite or 'X25519 or MLKEM768_X25519'} public key")
    return key
