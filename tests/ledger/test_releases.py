"""Release and download use cases on the real stores: one release per (product, channel, platform,
version); a download is granted only to a bound device with a key, of an account whose valid, unsuspended
license reaches the release's tier, and is resumed only by that device until its grant expires."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.context import AuditContext
from domain.download import Download
from domain.errors import (
    DeviceKeyMissing,
    GrantExpired,
    NotEntitled,
    NotFound,
    ReleaseExists,
    ReleaseWithdrawn,
)
from domain.ledger.service import Ledger
from domain.release import ReleaseFile
from domain.roles import Role
from tests.ledger.scenarios import appended, fingerprint, head, issued_key, registered

KEY = "cd" * 32


def stored_file(name: str = "app.bin") -> ReleaseFile:
    return ReleaseFile(uuid4(), name, 10, "ab" * 32, f"release-{name}", 100)


def publish(
    ledger: Ledger, now: datetime, ctx: AuditContext, version: str = "1.0.0", tier: Role = Role.USER
) -> UUID:
    return ledger.publish_release(
        "main", "stable", "linux-x86_64", version, "", tier, [stored_file()], now, ctx
    ).value


def licensed_device(
    ledger: Ledger, now: datetime, ctx: AuditContext, tier: Role = Role.USER, key: str | None = KEY
) -> tuple[UUID, UUID]:
    """An account with an activated license of ``tier`` and one bound device (with ``key``)."""
    account = registered(ledger, now, ctx, username=f"u{uuid4().hex[:8]}")
    ledger.activate_license(account, issued_key(ledger, now, ctx, tier=tier).key, now, ctx)
    device = ledger.bind_device(account, fingerprint(1), key, "laptop", "1.0", now, ctx).value.device_id
    return account, device


def target(ledger: Ledger, account: UUID, device: UUID, release: UUID, now: datetime) -> ReleaseFile:
    return ledger.download_target(
        account, device, release, ledger.release(release).files[0].file_id, now
    ).file


def test_a_release_is_published_once(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """The same version (build metadata aside) for the same channel and platform is refused; another
    platform is another release."""
    publish(ledger, now, ctx, "1.0.0")
    with pytest.raises(ReleaseExists):
        publish(ledger, now, ctx, "1.0.0+build.2")
    other = ledger.publish_release(
        "main", "stable", "windows-amd64", "1.0.0", "", Role.USER, [stored_file()], now, ctx
    )
    assert ledger.release(other.value).platform == "windows-amd64"


def test_an_entitled_device_is_granted_a_download(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A licensed device gets the file and its key; recording the grant appends exactly one
    ``Download.Downloaded``, which its device may resume until it expires."""
    release = publish(ledger, now, ctx)
    account, device = licensed_device(ledger, now, ctx)
    file = target(ledger, account, device, release, now)
    before, grant = head(ledger), uuid4()
    expires = now + timedelta(hours=1)
    ledger.record_download(grant, account, device, release, file.file_id, 500, expires, now, ctx)
    assert appended(ledger, before) == ["Download.Downloaded"]
    assert ledger.load(Download, grant, "download").bytes_promised == 500
    assert ledger.resumable(grant, account, device, now).file == file
    with pytest.raises(NotFound):
        ledger.resumable(grant, account, uuid4(), now)
    with pytest.raises(GrantExpired):
        ledger.resumable(grant, account, device, expires)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("no_license", "no_license"),
        ("expired", "license_expired"),
        ("suspended", "license_suspended"),
        ("tier", "tier_too_low"),
        ("released", "device_released"),
    ],
)
def test_a_device_that_may_not_download_is_told_why(
    ledger: Ledger, now: datetime, ctx: AuditContext, case: str, code: str
) -> None:
    """No license, an expired or suspended one, a tier below the release's, a released device: each is a
    ``NotEntitled`` with its code."""
    release = publish(ledger, now, ctx, tier=Role.VIP if case == "tier" else Role.USER)
    if case == "no_license":
        account = registered(ledger, now, ctx)
        device = ledger.bind_device(account, fingerprint(2), KEY, "pc", "1.0", now, ctx).value.device_id
    else:
        account, device = licensed_device(ledger, now, ctx)
    when = now + timedelta(days=31) if case == "expired" else now
    if case == "suspended":
        ledger.suspend_license(ledger.account(account).grants[0].license_id, now, ctx)
    if case == "released":
        ledger.release_device(device, now, ctx)
    with pytest.raises(NotEntitled) as refused:
        target(ledger, account, device, release, when)
    assert refused.value.code == code


def test_a_device_without_a_key_or_of_another_account_is_refused(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """A device that registered no key cannot be granted anything; another account's device is not found."""
    release = publish(ledger, now, ctx)
    account, device = licensed_device(ledger, now, ctx, key=None)
    with pytest.raises(DeviceKeyMissing):
        target(ledger, account, device, release, now)
    other, _ = licensed_device(ledger, now, ctx)
    with pytest.raises(NotFound):
        target(ledger, other, device, release, now)


def test_a_withdrawn_release_is_gone_until_published_again(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """Withdrawing stops new grants and the resumption of running ones; publishing again restores both."""
    release = publish(ledger, now, ctx)
    account, device = licensed_device(ledger, now, ctx)
    file = target(ledger, account, device, release, now)
    grant = uuid4()
    ledger.record_download(
        grant, account, device, release, file.file_id, 1, now + timedelta(hours=1), now, ctx
    )
    ledger.withdraw_release(release, now, ctx)
    with pytest.raises(ReleaseWithdrawn):
        target(ledger, account, device, release, now)
    with pytest.raises(ReleaseWithdrawn):
        ledger.resumable(grant, account, device, now)
    ledger.republish_release(release, now, ctx)
    assert ledger.resumable(grant, account, device, now).file == file
