"""Device use cases: bind by fingerprint within the account's limit, rename and release."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pytest

from domain.context import AuditContext
from domain.errors import Conflict, DeviceLimitReached, InvalidInput
from domain.fingerprints import Components
from domain.ledger.service import Ledger
from domain.session import CloseReason, SessionKind
from tests.ledger.scenarios import drifted, fingerprint, head, last_event, registered


def bind(ledger: Ledger, account: UUID, components: Components, now: datetime, ctx: AuditContext) -> UUID:
    return ledger.bind_device(account, components, None, "laptop", "1.0", now, ctx).value.device_id


def test_a_first_device_takes_a_slot(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A first login from a machine binds a new device to the account."""
    alice = registered(ledger, now, ctx)
    written = ledger.bind_device(alice, fingerprint(1), "ab" * 32, "laptop", "1.0", now, ctx)
    assert written.value.new
    assert ledger.account(alice).device_ids == [written.value.device_id]
    device = ledger.device(written.value.device_id)
    assert (device.account_id, device.nickname, device.public_key) == (alice, "laptop", "ab" * 32)
    assert fingerprint(1)["c00"] not in device.components.values()


def test_the_same_fingerprint_is_the_same_device(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """An identical fingerprint returns the bound device and writes nothing."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    written = ledger.bind_device(alice, fingerprint(1), None, "ignored", "1.0", now, ctx)
    assert (written.value.device_id, written.value.new, written.position) == (device, False, None)


def test_above_70_percent_is_the_same_device(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Agreeing on 8 of 10 components is the bound device; its fingerprint is updated, as an event."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    written = ledger.bind_device(alice, drifted(fingerprint(1), 2), None, "ignored", "1.1", now, ctx)
    assert (written.value.device_id, written.value.new) == (device, False)
    assert type(last_event(ledger, device)).__qualname__ == "Device.FingerprintUpdated"
    assert ledger.device(device).client_version == "1.1"
    assert ledger.account(alice).device_ids == [device]


def test_exactly_70_percent_is_another_device(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A fingerprint agreeing on exactly 7 of 10 components is a new device (the rule is strictly above)."""
    alice = registered(ledger, now, ctx)
    ledger.set_device_limit(alice, 2, now, ctx)
    first = bind(ledger, alice, fingerprint(1), now, ctx)
    written = ledger.bind_device(alice, drifted(fingerprint(1), 3), None, "desktop", "1.0", now, ctx)
    assert written.value.new
    assert ledger.account(alice).device_ids == [first, written.value.device_id]


def test_an_updated_fingerprint_is_followed(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """After a drift is recorded, the drifted fingerprint itself identifies the device exactly."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    bind(ledger, alice, drifted(fingerprint(1), 2), now, ctx)
    written = ledger.bind_device(alice, drifted(fingerprint(1), 2), None, "laptop", "1.0", now, ctx)
    assert (written.value.device_id, written.position) == (device, None)


def test_devices_up_to_the_limit(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """New devices bind while slots are free; one more raises DeviceLimitReached and writes nothing."""
    alice = registered(ledger, now, ctx)
    ledger.set_device_limit(alice, 3, now, ctx)
    devices = [bind(ledger, alice, fingerprint(m), now, ctx) for m in (1, 2, 3)]
    assert ledger.account(alice).device_ids == devices
    before = head(ledger)
    with pytest.raises(DeviceLimitReached):
        bind(ledger, alice, fingerprint(4), now, ctx)
    assert head(ledger) == before


def test_a_known_device_binds_even_when_the_account_is_full(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """A full account still recognises its own devices, drifted or not."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    assert bind(ledger, alice, drifted(fingerprint(1), 1), now, ctx) == device


def test_release_frees_a_slot_and_closes_its_desktop_sessions(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """Releasing a device frees its slot and closes its desktop sessions, not the account's others."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    desktop = ledger.open_session(alice, SessionKind.DESKTOP, device, now, ctx).value.session_id
    web = ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value.session_id
    ledger.release_device(device, now, ctx)
    assert ledger.device(device).released
    assert ledger.session(desktop).closed_reason is CloseReason.DEVICE_RELEASED
    assert ledger.session(web).is_open
    assert ledger.account(alice).open_session_ids == [web]
    assert ledger.account(alice).device_ids == []
    assert bind(ledger, alice, fingerprint(2), now, ctx) not in (device, None)


def test_a_released_fingerprint_binds_as_a_new_device(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """The fingerprint of a released device binds a fresh device, not the released one."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    ledger.release_device(device, now, ctx)
    written = ledger.bind_device(alice, fingerprint(1), None, "laptop", "1.0", now, ctx)
    assert written.value.new
    assert written.value.device_id != device


def test_release_twice(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Releasing a device already released raises Conflict."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    ledger.release_device(device, now, ctx)
    with pytest.raises(Conflict):
        ledger.release_device(device, now, ctx)


def test_rename(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A device's nickname can be changed; surrounding spaces are trimmed."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    ledger.rename_device(device, "  work laptop ", now, ctx)
    assert ledger.device(device).nickname == "work laptop"


@pytest.mark.parametrize("nickname", ["", "   ", "x" * 65, "tab\there"])
def test_rename_refuses_bad_nicknames(
    ledger: Ledger, now: datetime, ctx: AuditContext, nickname: str
) -> None:
    """An empty, too long or unprintable nickname raises InvalidInput."""
    alice = registered(ledger, now, ctx)
    device = bind(ledger, alice, fingerprint(1), now, ctx)
    with pytest.raises(InvalidInput):
        ledger.rename_device(device, nickname, now, ctx)


@pytest.mark.parametrize(
    "components",
    [{}, {"c": "not hex at all!"}, {"Bad Name": "ab" * 8}, {f"c{i}": "ab" * 8 for i in range(17)}],
    ids=["empty", "not-hex", "bad-name", "too-many"],
)
def test_bind_refuses_bad_fingerprints(
    ledger: Ledger, now: datetime, ctx: AuditContext, components: Components
) -> None:
    """A fingerprint without components, with bad names or non-hex values raises InvalidInput."""
    alice = registered(ledger, now, ctx)
    before = head(ledger)
    with pytest.raises(InvalidInput):
        bind(ledger, alice, components, now, ctx)
    assert head(ledger) == before
