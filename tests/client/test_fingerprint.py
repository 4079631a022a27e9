"""Device fingerprints: stable, salted per application, tolerant of one unreadable component."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyledger_client import NoDeviceIdentity
from keyledger_client.fingerprint import (
    application_salt,
    cpu_model_linux,
    fingerprint,
    normalized,
    platform_readers,
    read_components,
)

from domain.fingerprints import check_components, is_same_device
from tests.client.fakes import READERS

SALT = application_salt("acme-cad")


def test_same_machine_same_fingerprint_across_runs() -> None:
    """Reading the same machine twice (and with a new salt object) gives the same fingerprint."""
    assert fingerprint(SALT, READERS) == fingerprint(application_salt("acme-cad"), dict(READERS))


def test_this_machine_is_stable() -> None:
    """This machine's real readers give the same digests on every run."""
    readers = platform_readers()
    try:
        first = fingerprint(SALT, readers)
    except NoDeviceIdentity:
        pytest.skip("no hardware identifier readable in this sandbox")
    assert fingerprint(SALT, platform_readers()) == first


@pytest.mark.parametrize("dropped", sorted(READERS))
def test_dropping_one_component_is_still_the_same_device(dropped: str) -> None:
    """Any one of four components unreadable: the server's >70% rule still sees the same device."""
    full = fingerprint(SALT, READERS)
    partial = fingerprint(SALT, {name: r for name, r in READERS.items() if name != dropped})
    assert len(partial) == len(full) - 1
    assert is_same_device(full, partial)


def test_another_machine_is_another_device() -> None:
    """Two machines of the same model (same CPU) are not the same device."""
    other = {
        **READERS,
        "machine_id": lambda: "x" * 32,
        "product_uuid": lambda: "y",
        "board_serial": lambda: "z",
    }
    assert not is_same_device(fingerprint(SALT, READERS), fingerprint(SALT, other))


def test_salts_differ_per_application() -> None:
    """Two applications on one machine share no digest, so their fingerprints cannot be linked."""
    cad, chat = (
        fingerprint(application_salt("acme-cad"), READERS),
        fingerprint(application_salt("chat"), READERS),
    )
    assert application_salt("acme-cad") != application_salt("chat")
    assert not set(cad.values()) & set(chat.values())


def test_digests_are_what_the_server_accepts() -> None:
    """Names and digests pass the server's component rules; raw values never leave the machine."""
    digests = fingerprint(SALT, READERS)
    assert check_components(digests) == digests
    assert not any(reader() in digests.values() for reader in READERS.values())


def test_unreadable_and_placeholder_components_are_left_out() -> None:
    """A reader that fails or returns a placeholder is left out, not replaced by anything random."""

    def denied() -> str:
        raise PermissionError("root only")

    readers = {**READERS, "board_serial": denied, "product_uuid": lambda: "To be filled by O.E.M."}
    assert sorted(read_components(readers)) == ["cpu_model", "machine_id"]
    assert fingerprint(SALT, readers) == fingerprint(SALT, readers)


def test_nothing_readable_is_an_error_not_a_random_id() -> None:
    """With no readable component the fingerprint fails instead of inventing one."""
    with pytest.raises(NoDeviceIdentity, match="no hardware identifier"):
        fingerprint(SALT, {"machine_id": lambda: None})


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_platform_readers_use_stable_ids_and_never_a_mac(platform: str) -> None:
    """Each platform reads at least four stable identifiers, none of them a network address."""
    names = set(platform_readers(platform))
    assert len(names) >= 4
    words = {word for name in names for word in name.split("_")}
    assert not words & {"mac", "ether", "network", "nic", "address"}


def test_values_are_normalised() -> None:
    """Case and spacing do not change a component; empty values count as unreadable."""
    assert normalized("  ABC-def \n") == "abc-def"
    assert normalized("   ") is None


def test_linux_cpu_model_is_read_from_cpuinfo(tmp_path: Path) -> None:
    """The CPU model comes from the ``model name`` line of /proc/cpuinfo."""
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD Ryzen 7 5800X\nflags\t: fpu\n")
    assert cpu_model_linux(str(cpuinfo)) == "AMD Ryzen 7 5800X"
