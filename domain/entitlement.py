"""Who may have what, as pure rules over the write model's state: the license verdict a heartbeat
reports, the tier an account's usable licenses reach, and whether a device may download a release."""

from __future__ import annotations

from collections.abc import Iterable, Set
from datetime import datetime
from uuid import UUID

from domain.account import Account
from domain.device import Device
from domain.errors import DeviceKeyMissing, NotEntitled, ReleaseWithdrawn
from domain.expiry import expiry_of
from domain.heartbeats import LicenseState
from domain.license import License
from domain.release import Release
from domain.roles import RANK, Role


def license_verdict(account: Account, suspended: Set[UUID], now: datetime) -> LicenseState:
    """Valid while the time of the licenses that are not suspended has not run out; otherwise
    ``license_suspended`` (if a suspension is what stands in the way), ``license_expired`` or
    ``no_license``. ``suspended``: which licenses are suspended (only the account's own count)."""
    if not account.grants or account.license_expiry is None:
        return LicenseState(False, "no_license", None)
    suspended = {g.license_id for g in account.grants} & suspended
    usable = expiry_of(g for g in account.grants if g.license_id not in suspended)
    if usable is not None and usable > now:
        return LicenseState(True, None, usable)
    if suspended and account.license_expiry > now:
        return LicenseState(False, "license_suspended", account.license_expiry)
    return LicenseState(False, "license_expired", usable or account.license_expiry)


def license_tier(licenses: Iterable[License]) -> Role | None:
    """The highest tier among licenses neither suspended nor revoked (None if there is none)."""
    tiers = [lic.tier for lic in licenses if not lic.suspended and not lic.revoked]
    return max(tiers, key=RANK.__getitem__, default=None)


def check_device(device: Device) -> str:
    """The device's registered public key, if it may receive downloads."""
    if device.released:
        raise NotEntitled("device_released", "this device was released from the account")
    if device.public_key is None:
        raise DeviceKeyMissing("this device has registered no public key: log in again with a current client")
    return device.public_key


def check_release(state: LicenseState, tier: Role | None, release: Release) -> None:
    """A valid, unsuspended license of a tier that reaches a release that is not withdrawn."""
    if not state.valid:
        raise NotEntitled(state.code or "no_license", f"no valid license ({state.code})")
    if release.withdrawn:
        raise ReleaseWithdrawn(f"release {release.release_version} was withdrawn: {release.withdraw_reason}")
    if tier is None or not release.reaches(tier):
        raise NotEntitled(
            "tier_too_low", f"release {release.release_version} needs a {release.min_tier} license"
        )
