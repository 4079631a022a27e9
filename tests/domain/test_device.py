"""The Device aggregate: bound with its fingerprint, recognised on later logins, renamed, released."""

from __future__ import annotations

import pytest

from domain.device import Device, check_client_version, check_nickname, check_public_key
from domain.errors import Conflict, InvalidInput
from tests.domain.aggregate_case import (
    ACCOUNT_ID,
    COMPONENTS,
    CTX,
    DEVICE_ID,
    NOW,
    PUBLIC_KEY,
    bound,
    given,
    then,
    then_one,
)

OTHER_KEY = "cd" * 32


def test_bind_records_account_fingerprint_and_names() -> None:
    """A bound device stores its account, sealed components, key, nickname and client version."""
    device = bound(PUBLIC_KEY)
    event = then_one(device, Device.Bound)
    assert (event.originator_id, event.account_id, event.components, event.public_key) == (
        DEVICE_ID,
        ACCOUNT_ID,
        COMPONENTS,
        PUBLIC_KEY,
    )
    assert (event.nickname, event.client_version) == ("laptop", "1.0")
    assert not device.released


def test_recognise_with_nothing_changed_emits_nothing() -> None:
    """The same components, client version and key append no event."""
    device = given(bound(PUBLIC_KEY))
    device.recognise(dict(COMPONENTS), PUBLIC_KEY, "1.0", NOW, CTX)
    assert then(device) == []


def test_recognise_without_a_key_keeps_the_known_key() -> None:
    """A login that sends no key neither changes nor clears the registered one."""
    device = given(bound(PUBLIC_KEY))
    device.recognise(dict(COMPONENTS), None, "1.0", NOW, CTX)
    assert then(device) == []
    assert device.public_key == PUBLIC_KEY


def test_recognise_records_changed_components() -> None:
    """A fingerprint that drifted (a new disk) is recorded as an update."""
    device = given(bound())
    drifted = {**COMPONENTS, "disk": "ee" * 32}
    device.recognise(drifted, None, "1.0", NOW, CTX)
    assert then_one(device, Device.FingerprintUpdated).components == drifted
    assert device.components == drifted


def test_recognise_records_a_new_client_version() -> None:
    """An upgraded client is recorded with the same components."""
    device = given(bound())
    device.recognise(dict(COMPONENTS), None, "1.1", NOW, CTX)
    assert then_one(device, Device.FingerprintUpdated).client_version == "1.1"


def test_recognise_registers_a_new_public_key() -> None:
    """A first or different device key is registered."""
    device = given(bound())
    device.recognise(dict(COMPONENTS), PUBLIC_KEY, "1.0", NOW, CTX)
    assert then_one(device, Device.PublicKeyRegistered).public_key == PUBLIC_KEY
    device.recognise(dict(COMPONENTS), OTHER_KEY, "1.0", NOW, CTX)
    assert then_one(device, Device.PublicKeyRegistered).public_key == OTHER_KEY


def test_recognise_records_both_changes() -> None:
    """A changed fingerprint and a new key give two events, fingerprint first."""
    device = given(bound())
    device.recognise({**COMPONENTS, "cpu": "ff" * 32}, PUBLIC_KEY, "1.0", NOW, CTX)
    assert then(device) == [Device.FingerprintUpdated, Device.PublicKeyRegistered]


@pytest.mark.parametrize(("key", "version"), [("AB" * 32, "1.0"), ("ab" * 31, "1.0"), (None, "v" * 33)])
def test_recognise_validates_before_changing_anything(key: str | None, version: str) -> None:
    """A bad key or client version is refused with no event."""
    device = given(bound())
    with pytest.raises(InvalidInput):
        device.recognise({**COMPONENTS, "cpu": "ff" * 32}, key, version, NOW, CTX)
    assert then(device) == []
    assert device.components == COMPONENTS


def test_rename() -> None:
    """A nickname is trimmed and recorded."""
    device = given(bound())
    device.rename("  desk  ", NOW, CTX)
    assert then_one(device, Device.Renamed).nickname == "desk"
    assert device.nickname == "desk"


def test_release_is_once() -> None:
    """A device is released once; again is a conflict."""
    device = given(bound())
    device.release(NOW, CTX)
    assert then(device) == [Device.Released]
    assert device.released
    with pytest.raises(Conflict):
        device.release(NOW, CTX)
    assert then(device) == []


@pytest.mark.parametrize("nickname", ["", "   ", "n" * 65, "tab\there", "line\nbreak"])
def test_bad_nicknames_are_refused(nickname: str) -> None:
    """A nickname is 1-64 printable characters after trimming."""
    with pytest.raises(InvalidInput, match="nickname"):
        check_nickname(nickname)


def test_nickname_limits() -> None:
    """One and 64 characters are fine, as are non-ASCII letters."""
    assert check_nickname("n") == "n"
    assert check_nickname("n" * 64) == "n" * 64
    assert check_nickname("Jürgen's PC") == "Jürgen's PC"


@pytest.mark.parametrize("version", ["", "1.0", "v" * 32, "2.0.0-beta+5"])
def test_client_versions_accepted(version: str) -> None:
    """A client version is up to 32 printable characters."""
    assert check_client_version(version) == version


@pytest.mark.parametrize("version", ["v" * 33, "1.0\n", "\x00"])
def test_client_versions_refused(version: str) -> None:
    """Longer or unprintable client versions are refused."""
    with pytest.raises(InvalidInput):
        check_client_version(version)


@pytest.mark.parametrize("key", ["", "ab" * 31, "ab" * 33, "AB" * 32, "zz" * 32, " " + "a" * 63])
def test_public_keys_refused(key: str) -> None:
    """A device key is 64 lowercase hex characters."""
    with pytest.raises(InvalidInput, match="public_key"):
        check_public_key(key)


def test_bind_validates_its_inputs() -> None:
    """Binding refuses a bad key or nickname before any event."""
    with pytest.raises(InvalidInput):
        bound("not a key")
