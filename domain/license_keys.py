"""License keys: 120 random bits as 24 Crockford base32 characters plus one Damm check character,
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
_FIELD_POLYNOMIAL = 0b100101  # x^5 + x^2 + 1: the 32 symbols are the elements of GF(32)


def _times_x(value: int) -> int:
    """``value`` multiplied by x in GF(32)."""
    value <<= 1
    return value ^ _FIELD_POLYNOMIAL if value & 32 else value


def check_character(body: str) -> str:
    """The Damm check character of ``body`` over the quasigroup ``a * b = x.a + b`` in GF(32). That
    quasigroup is totally anti-symmetric, so unlike Luhn mod 32 (blind to swapping ``0`` and ``Z``) it
    catches every adjacent transposition as well as every single substitution."""
    interim = 0
    for char in body:
        interim = _times_x(interim) ^ ALPHABET.index(char)
    return ALPHABET[_times_x(interim)]


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
