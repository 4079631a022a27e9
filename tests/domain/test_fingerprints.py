"""The device fingerprint rule: strictly more than 70% of components equal means the same device."""

from __future__ import annotations

import pytest
from hypothesis import given

from domain.digests import Digests
from domain.errors import InvalidInput
from domain.fingerprints import canonical, check_components, is_same_device, matching_share, seal
from tests.strategies import component_names, components, hex_digests

DIGESTS = Digests(b"k" * 32)
OTHER_DIGESTS = Digests(b"q" * 32)
A, B = "aa" * 16, "bb" * 16


def fingerprint(size: int, value: str = A) -> dict[str, str]:
    """``size`` components named c0, c1, ..., all with ``value``."""
    return {f"c{i}": value for i in range(size)}


def with_changed(components: dict[str, str], count: int) -> dict[str, str]:
    """The same fingerprint with its first ``count`` components read differently."""
    return {name: B if i < count else value for i, (name, value) in enumerate(components.items())}


@pytest.mark.parametrize(
    ("size", "changed", "same"),
    [
        (10, 3, False),  # exactly 7/10 = 70% is not more than 70%
        (10, 2, True),  # 8/10
        (10, 0, True),  # 10/10
        (4, 1, True),  # 3/4 = 75%
        (3, 1, False),  # 2/3 = 66%
        (1, 0, True),  # 1/1
        (1, 1, False),  # 0/1
        (16, 4, True),  # 12/16 = 75%
        (16, 5, False),  # 11/16 = 68.75%
    ],
)
def test_same_device_needs_strictly_more_than_70_percent(size: int, changed: int, same: bool) -> None:
    """Equal components over all components must be strictly more than 70%."""
    known = fingerprint(size)
    assert is_same_device(known, with_changed(known, changed)) is same


def test_missing_components_count_as_unequal() -> None:
    """A component absent on one side counts against the match (7 of 10 names agree: not the same)."""
    known = fingerprint(10)
    partial = {name: value for name, value in known.items() if name not in {"c0", "c1", "c2"}}
    assert matching_share(known, partial) == (7, 10)
    assert not is_same_device(known, partial)
    assert not is_same_device(partial, known)


def test_extra_components_count_as_unequal() -> None:
    """A component only the new side has widens the union: 3 old + 1 new = 3/4, the same device."""
    known = fingerprint(3)
    assert matching_share(known, {**known, "new": A}) == (3, 4)
    assert is_same_device(known, {**known, "new": A})
    assert not is_same_device(known, {**known, "new": A, "newer": A})


def test_nothing_in_common_is_not_the_same_device() -> None:
    """Disjoint names, and two empty fingerprints, are never the same device."""
    assert not is_same_device({"a": A}, {"b": A})
    assert not is_same_device({}, {})


@given(components(), components())
def test_same_device_is_symmetric(a: dict[str, str], b: dict[str, str]) -> None:
    """Whether two fingerprints are the same device does not depend on which is the known one."""
    assert is_same_device(a, b) == is_same_device(b, a)
    assert matching_share(a, b) == matching_share(b, a)


@given(components())
def test_a_fingerprint_is_its_own_device(a: dict[str, str]) -> None:
    """Every fingerprint matches itself."""
    assert is_same_device(a, dict(a))


def test_check_components_accepts_named_hex_digests() -> None:
    """One to sixteen lowercase names, each a 16-128 character lowercase hex digest."""
    given_components = {"machine_id": "0" * 16, "os.install-1": "f" * 128}
    assert check_components(given_components) == given_components
    assert check_components(fingerprint(16)) == fingerprint(16)


@pytest.mark.parametrize(
    "bad",
    [
        {},
        fingerprint(17),
        {"": A},
        {"Board": A},
        {"a b": A},
        {"x" * 41: A},
        {"board": "AA" * 16},
        {"board": "a" * 15},
        {"board": "a" * 129},
        {"board": "g" * 16},
        {"board": ""},
    ],
)
def test_check_components_rejects_bad_shapes(bad: dict[str, str]) -> None:
    """No components, too many, bad names or values that are not lowercase hex digests are refused."""
    with pytest.raises(InvalidInput) as raised:
        check_components(bad)
    assert raised.value.field == "fingerprint"


def test_check_components_rejects_non_strings() -> None:
    """Names and values must be strings, and the whole a mapping."""
    for bad in ({1: A}, {"board": 1}, [("board", A)]):
        with pytest.raises(InvalidInput):
            check_components(bad)  # type: ignore[arg-type]


@given(component_names(), hex_digests())
def test_any_valid_component_is_accepted(name: str, value: str) -> None:
    """Every name and value within the rules passes validation."""
    assert check_components({name: value}) == {name: value}


def test_seal_is_deterministic_and_hides_the_values() -> None:
    """Sealing twice gives the same digests, and no raw value survives."""
    sealed = seal(DIGESTS, fingerprint(4))
    assert sealed == seal(DIGESTS, fingerprint(4))
    assert set(sealed) == set(fingerprint(4))
    assert A not in sealed.values()
    assert len(set(sealed.values())) == 4  # the name is part of what is sealed


def test_seal_is_keyed() -> None:
    """Another key gives other digests for the same components."""
    mine, theirs = seal(DIGESTS, fingerprint(4)), seal(OTHER_DIGESTS, fingerprint(4))
    assert mine.keys() == theirs.keys()
    assert all(mine[name] != theirs[name] for name in mine)


@given(components())
def test_seal_and_canonical_ignore_component_order(a: dict[str, str]) -> None:
    """The order components arrive in changes neither their seal nor the canonical string."""
    reordered = dict(reversed(list(a.items())))
    assert seal(DIGESTS, reordered) == seal(DIGESTS, a)
    assert list(seal(DIGESTS, reordered)) == list(seal(DIGESTS, a))
    assert canonical(reordered) == canonical(a)


@given(components(), components())
def test_sealing_preserves_the_same_device_rule(a: dict[str, str], b: dict[str, str]) -> None:
    """Comparing sealed fingerprints decides exactly as comparing the raw ones."""
    assert is_same_device(seal(DIGESTS, a), seal(DIGESTS, b)) == is_same_device(a, b)


def test_seal_validates() -> None:
    """Nothing invalid is sealed."""
    with pytest.raises(InvalidInput):
        seal(DIGESTS, {"board": "not hex at all!"})
