"""Standard Webhooks delivery rules, pure: the signature (``v1,`` + base64 HMAC-SHA256 of
``{id}.{timestamp}.{body}`` under the secret ``whsec_<base64>``), the message id, and the retry schedule
(exponential backoff with jitter, retried for at least ``GIVE_UP_AFTER``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

SECRET_PREFIX = "whsec_"  # noqa: S105 -- the spec's prefix, not a secret
SECRET_BYTES = 24
FIRST_DELAY_S = 5.0
MAX_DELAY_S = 3600.0
JITTER = 0.2  # each delay is spread over ±20 %
GIVE_UP_AFTER = timedelta(hours=24, minutes=30)


def new_secret(entropy: bytes | None = None) -> str:
    """A signing secret as the spec writes it: ``whsec_`` + base64 of random bytes."""
    raw = entropy if entropy is not None else secrets.token_bytes(SECRET_BYTES)
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of a message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets_in_use: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """``webhook-signature``: a space-separated signature per secret in use (two during a rotation)."""
    return " ".join(sign(s, message_id, timestamp, body) for s in secrets_in_use)


def message_id(position: int, endpoint_id: str) -> str:
    """The ``webhook-id`` of one event for one endpoint: the same on every retry (receivers de-duplicate
    on it)."""
    return f"msg_{position}_{endpoint_id.replace('-', '')[:12]}"


def backoff(attempt: int, spread: float) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): 5 s doubling up to an hour, times
    ``1 + JITTER * spread`` where ``spread`` is drawn from [-1, 1]."""
    base = min(FIRST_DELAY_S * 2 ** min(attempt - 1, 20), MAX_DELAY_S)
    return timedelta(seconds=base * (1 + JITTER * max(-1.0, min(1.0, spread))))


def gives_up(first_attempt_age: timedelta) -> bool:
    """Whether a delivery has been retried long enough to stop (and disable its endpoint)."""
    return first_attempt_age >= GIVE_UP_AFTER
