"""Usernames and passwords: their rules, and the port through which passwords are hashed."""

from __future__ import annotations

import re
from typing import Protocol

from domain.errors import InvalidInput

USERNAME = re.compile(r"[A-Za-z0-9_]{3,50}")
PASSWORD_MIN, PASSWORD_MAX = 8, 128


def check_username(username: str) -> str:
    """A username of 3-50 letters, digits or underscores, returned as given."""
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise InvalidInput("username", "3-50 characters of A-Z, a-z, 0-9 and _")
    return username


def username_key(username: str) -> str:
    """The case-insensitive form a username is unique under."""
    return check_username(username).lower()


def check_password(password: str) -> str:
    """A password of 8-128 characters."""
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput("password", f"must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    return password


class HashingBusy(Exception):
    """Every hashing slot is taken: the caller should answer 503 at once rather than queue."""


class PasswordHasher(Protocol):
    """Hashes and verifies passwords; the server passes in Argon2id, unit tests a fast fake. Any of the
    three may raise ``HashingBusy`` when the hasher is at capacity."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def dummy_verify(self, password: str) -> None:
        """Spends the time of one verification, so an unknown username is not revealed by timing."""
        ...
