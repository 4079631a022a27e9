"""Download use cases: what a device may download (decided from the write model, never a projection),
the ``Downloaded`` event of a granted download, and resuming that grant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain import entitlement
from domain.account import Account
from domain.context import AuditContext
from domain.device import Device
from domain.download import Download
from domain.errors import NotFound
from domain.heartbeats import LicenseState
from domain.ledger.base import LedgerBase, Written, retried
from domain.license import License
from domain.release import Release, ReleaseFile
from domain.roles import Role


@dataclass(frozen=True)
class Entitlement:
    """An account's license verdict now and the tier its usable licenses reach."""

    state: LicenseState
    tier: Role | None


@dataclass(frozen=True)
class DownloadTarget:
    """A file a device may download now, and the device's public key to wrap its data key to."""

    release: Release
    file: ReleaseFile
    device_key: str


class DownloadCommands(LedgerBase):
    def entitlement(self, account_id: UUID, now: datetime) -> Entitlement:
        account = self.load(Account, account_id, "account")
        account.check_not_banned(now)
        licenses = [self.load(License, g.license_id, "license") for g in account.grants]
        suspended = {lic.id for lic in licenses if lic.suspended}
        verdict = entitlement.license_verdict(account, suspended, now)
        return Entitlement(verdict, entitlement.license_tier(licenses))

    def downloadable(
        self, account_id: UUID, device_id: UUID, release_id: UUID, now: datetime
    ) -> tuple[Release, str]:
        """The release and the device's public key, if this account's device may download the release
        now; else the reason as a domain error."""
        device = self.load(Device, device_id, "device")
        if device.account_id != account_id:
            raise NotFound("device", device_id)
        key = entitlement.check_device(device)
        release = self.load(Release, release_id, "release")
        granted = self.entitlement(account_id, now)
        entitlement.check_release(granted.state, granted.tier, release)
        return release, key

    def download_target(
        self, account_id: UUID, device_id: UUID, release_id: UUID, file_id: UUID, now: datetime
    ) -> DownloadTarget:
        """A file of a release this account's device may download now."""
        release, key = self.downloadable(account_id, device_id, release_id, now)
        found = release.file(file_id)
        if found is None:
            raise NotFound("file", file_id)
        return DownloadTarget(release, found, key)

    @retried
    def record_download(
        self,
        grant_id: UUID,
        account_id: UUID,
        device_id: UUID,
        release_id: UUID,
        file_id: UUID,
        bytes_promised: int,
        expires_at: datetime,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[UUID]:
        """The ``Downloaded`` event of a grant, once entitlement holds on fresh state."""
        self.download_target(account_id, device_id, release_id, file_id, now)
        download = Download.grant(
            grant_id=grant_id,
            account_id=account_id,
            device_id=device_id,
            release_id=release_id,
            file_id=file_id,
            bytes_promised=bytes_promised,
            expires_at=expires_at,
            now=now,
            ctx=ctx,
        )
        return self.commit(grant_id, download)

    def resumable(self, grant_id: UUID, account_id: UUID, device_id: UUID, now: datetime) -> DownloadTarget:
        """A granted download its device may (go on) read: unexpired, the release not withdrawn, the device
        still bound and the license still valid."""
        download = self.load(Download, grant_id, "download")
        download.check_usable(account_id, device_id, now)
        return self.download_target(account_id, device_id, download.release_id, download.file_id, now)
