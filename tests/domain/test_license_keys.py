"""License keys: format, entropy, forgiving input and the check character."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings

from domain import license_keys
from domain.errors import InvalidInput
from tests.fakes import SeededEntropy
from tests.strategies import canonical_keys, key_swaps, key_typos, mislengthed_keys

ALPHABET = license_keys.ALPHABET
DISPLAY = re.compile(rf"[{ALPHABET}]{{5}}(-[{ALPHABET}]{{5}}){{4}}")


def body_value(key: str) -> int:
    """The number the 24 body characters of a key spell in base 32."""
    return int("".join(f"{ALPHABET.index(c):05b}" for c in license_keys.canonical(key)[:-1]), 2)


def test_generated_key_has_the_display_format() -> None:
    """A key is five hyphenated groups of five Crockford base32 characters."""
    entropy = SeededEntropy()
    for _ in range(50):
        assert DISPLAY.fullmatch(license_keys.generate(entropy))


@pytest.mark.parametrize("entropy", [b"\x00" * 15, b"\xff" * 15, bytes(range(15)), bytes(range(200, 215))])
def test_generated_key_carries_all_120_bits(entropy: bytes) -> None:
    """The 24 body characters encode exactly the 15 entropy bytes."""
    key = license_keys.generate(lambda n: entropy[:n])
    assert body_value(key) == int.from_bytes(entropy, "big")


def test_generation_asks_for_15_bytes() -> None:
    """A key draws 120 bits, no more, no less."""
    asked: list[int] = []

    def entropy(n: int) -> bytes:
        asked.append(n)
        return bytes(n)

    license_keys.generate(entropy)
    assert asked == [15]


def test_generated_keys_are_accepted() -> None:
    """Every generated key is its own canonical form once hyphens are removed."""
    entropy = SeededEntropy(11)
    for _ in range(50):
        key = license_keys.generate(entropy)
        assert license_keys.canonical(key) == key.replace("-", "")


@given(canonical_keys())
def test_typing_is_forgiving(key: str) -> None:
    """Lowercase, spaces, hyphens and display groups all read as the same key."""
    typed = f" {license_keys.display(key).lower()} ".replace("-", " - ")
    assert license_keys.canonical(typed) == key


@pytest.mark.parametrize(("typed", "read"), [("I", "1"), ("i", "1"), ("L", "1"), ("l", "1"), ("O", "0")])
def test_confusable_letters_read_as_digits(typed: str, read: str) -> None:
    """I and L read as 1, O as 0, in either case."""
    body = "ABCDE" * 4 + "FGHJ" + read
    key = body[1:] + license_keys.check_character(body[1:])
    assert license_keys.canonical(key.replace(read, typed)) == key


@given(key_typos())
@settings(max_examples=200)
def test_every_single_substitution_is_caught(typo: tuple[str, str]) -> None:
    """Changing any one character of a valid key makes it invalid."""
    _, mistyped = typo
    with pytest.raises(InvalidInput, match="typing mistake"):
        license_keys.canonical(mistyped)


@given(key_swaps())
@settings(max_examples=200)
def test_every_adjacent_transposition_is_caught(swap: tuple[str, str]) -> None:
    """Swapping two different neighbours, the check character included, makes a key invalid."""
    _, swapped = swap
    with pytest.raises(InvalidInput, match="typing mistake"):
        license_keys.canonical(swapped)


def test_swapping_zero_and_z_is_caught() -> None:
    """The pair Luhn mod 32 misses (0 and Z, the first and last symbols) is caught."""
    body = "0Z" + "1" * 22
    key = body + license_keys.check_character(body)
    with pytest.raises(InvalidInput):
        license_keys.canonical("Z0" + key[2:])


def test_every_substitution_in_one_key_is_caught() -> None:
    """Exhaustively, for one key: each of the 25 x 31 single-character substitutions is rejected."""
    key = license_keys.generate(SeededEntropy(5)).replace("-", "")
    for position, char in itertools.product(range(license_keys.KEY_CHARS), ALPHABET):
        if char != key[position]:
            with pytest.raises(InvalidInput):
                license_keys.canonical(key[:position] + char + key[position + 1 :])


def test_every_swap_of_any_two_symbols_is_caught() -> None:
    """Exhaustively: every ordered pair of different symbols, swapped at every position, is rejected."""
    base = license_keys.generate(SeededEntropy(3)).replace("-", "")[:-1]
    for a, b in itertools.permutations(ALPHABET, 2):
        for position in range(license_keys.BODY_CHARS - 1):
            body = base[:position] + a + b + base[position + 2 :]
            key = body + license_keys.check_character(body)
            with pytest.raises(InvalidInput):
                license_keys.canonical(key[:position] + b + a + key[position + 2 :])
        if key[-2] != key[-1]:  # the last body character swapped with the check character
            with pytest.raises(InvalidInput):
                license_keys.canonical(key[:-2] + key[-1] + key[-2])


@given(mislengthed_keys())
def test_wrong_length_is_rejected(typed: str) -> None:
    """A key missing characters, or with extra ones, is not a key."""
    with pytest.raises(InvalidInput, match="25 letters and digits"):
        license_keys.canonical(typed)


@pytest.mark.parametrize("bad", ["U", "*", "_", "é", ".", "/", "\t"])
def test_characters_outside_the_alphabet_are_rejected(bad: str) -> None:
    """U, punctuation, tabs and accented letters are not key characters."""
    key = license_keys.generate(SeededEntropy()).replace("-", "")
    with pytest.raises(InvalidInput, match="25 letters and digits"):
        license_keys.canonical(bad + key[1:])


@pytest.mark.parametrize("typed", ["", " ", "-" * 25, "A" * 65, "A-" * 40])
def test_empty_and_oversized_input_is_rejected(typed: str) -> None:
    """Nothing, only separators, or more than 64 typed characters is not a key."""
    with pytest.raises(InvalidInput):
        license_keys.canonical(typed)


def test_display_groups_a_canonical_key_in_fives() -> None:
    """display() inserts a hyphen after every fifth character."""
    assert license_keys.display("ABCDE" * 5) == "ABCDE-ABCDE-ABCDE-ABCDE-ABCDE"
