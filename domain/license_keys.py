"""License keys: 120 random bits as 24 Crockford base32 characters plus one Luhn mod 32 check character,
shown as five groups of five (``XXXXX-XXXXX-XXXXX-XXXXX-XXXXC``).

Typing is forgiving: case, spaces and hyphens are ignored, and ``I``/``L`` read as ``1``, ``O`` as ``0``.
The check character catches every single mistyped character and every swap of two neighbours.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_CHARS = 24
KEY_CHARS = BODY_CHARS + 1
ENTROPY_BYTES = 15
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of ``body``."""
    factor, total, n = 2, 0, len(ALPHABET)
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def generate(entropy: Callable[[int], bytes]) -> str:
    """A new key from ``entropy`` (``secrets.token_bytes`` in production)."""
    number = int.from_bytes(entropy(ENTROPY_BYTES), "big")
    body = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(BODY_CHARS)))
    return display(body + check_character(body))


def display(canonical: str) -> str:
    """The key in groups of five."""
    return "-".join(canonical[i : i + 5] for i in range(0, KEY_CHARS, 5))


def canonical(typed: str) -> str:
    """The 25 significant characters of a typed key, or ``InvalidInput``."""
    if not isinstance(typed, str) or len(typed) > 64:
        raise InvalidInput("key", "not a license key")
    chars = typed.upper().replace("-", "").replace(" ", "").translate(_CONFUSABLE)
    if len(chars) != KEY_CHARS or any(c not in ALPHABET for c in chars):
        raise InvalidInput("key", "a license key has 25 letters and digits")
    if check_character(chars[:-1]) != chars[-1]:
        raise InvalidInput("key", "this license key has a typing mistake")
    return chars
