"""Usernames and passwords."""

from __future__ import annotations

import pytest
from hypothesis import given

from domain.credentials import check_password, check_username, username_key
from domain.errors import InvalidInput
from tests.strategies import passwords, usernames


@pytest.mark.parametrize("username", ["abc", "a" * 50, "Alice_1", "___", "007", "ALL_CAPS"])
def test_username_of_3_to_50_word_characters_is_accepted(username: str) -> None:
    """A username of 3-50 ASCII letters, digits or underscores is accepted as given."""
    assert check_username(username) == username


@pytest.mark.parametrize("username", ["", "ab", "a" * 51, "a" * 200])
def test_username_outside_3_to_50_characters_is_rejected(username: str) -> None:
    """A username shorter than 3 or longer than 50 characters is rejected."""
    with pytest.raises(InvalidInput) as raised:
        check_username(username)
    assert raised.value.field == "username"


@pytest.mark.parametrize(
    "username",
    ["al ice", "al-ice", "al.ice", "alice!", "al@ce", "alice\n", "\talice", "ali\x00ce", "a/b"],
)
def test_username_with_other_characters_is_rejected(username: str) -> None:
    """Spaces, punctuation and control characters have no place in a username."""
    with pytest.raises(InvalidInput):
        check_username(username)


@pytest.mark.parametrize(
    "username",
    [
        "josé",
        "ålice",
        "\u0430\u043b\u0438\u0441\u0430",  # Cyrillic, looks like "alisa"
        "用户名",
        "abc\u0663",  # an Arabic-Indic digit three
        "\uff41\uff42\uff43",  # fullwidth "abc"
        "alice\u01c5",  # a titlecase letter
    ],
)
def test_username_with_non_ascii_letters_or_digits_is_rejected(username: str) -> None:
    """Unicode letters and digits are not A-Z, a-z or 0-9."""
    with pytest.raises(InvalidInput):
        check_username(username)


def test_username_key_is_case_insensitive() -> None:
    """Usernames differing only in case share one key."""
    assert username_key("Alice_1") == username_key("ALICE_1") == username_key("alice_1") == "alice_1"


def test_username_key_validates_first() -> None:
    """No key is made for an invalid username."""
    with pytest.raises(InvalidInput):
        username_key("a b")


@given(usernames())
def test_every_valid_username_keys_to_its_lowercase(username: str) -> None:
    """Any valid username is accepted and keyed by its lowercase form."""
    assert check_username(username) == username
    assert username_key(username) == username.lower() == username_key(username.swapcase())


@pytest.mark.parametrize("length", [8, 9, 127, 128])
def test_password_of_8_to_128_characters_is_accepted(length: int) -> None:
    """A password of 8 to 128 characters is accepted."""
    assert check_password("p" * length) == "p" * length


@pytest.mark.parametrize("length", [0, 1, 7, 129, 1000])
def test_password_outside_8_to_128_characters_is_rejected(length: int) -> None:
    """A password of 7 or 129 characters is rejected."""
    with pytest.raises(InvalidInput) as raised:
        check_password("p" * length)
    assert raised.value.field == "password"


def test_password_length_counts_characters_not_bytes() -> None:
    """Eight non-ASCII characters are eight characters, whatever their UTF-8 size."""
    assert check_password("ü" * 8) == "ü" * 8
    with pytest.raises(InvalidInput):
        check_password("😀" * 7)


@given(passwords())
def test_any_password_of_valid_length_is_accepted(password: str) -> None:
    """The password rule is about length only."""
    assert check_password(password) == password
