"""The Keyledger ledger service: one application class, one short method per use case."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.entitlement import license_verdict
from domain.heartbeats import LicenseState
from domain.ledger.accounts import AccountCommands
from domain.ledger.addresses import AddressCommands
from domain.ledger.api_keys import ApiKeyCommands
from domain.ledger.crash_reports import CrashReportCommands
from domain.ledger.devices import DeviceCommands
from domain.ledger.downloads import DownloadCommands
from domain.ledger.licenses import LicenseCommands
from domain.ledger.personal_data import PersonalDataCommands
from domain.ledger.policies import PolicyCommands
from domain.ledger.releases import ReleaseCommands
from domain.ledger.sessions import SessionCommands
from domain.ledger.webhooks import WebhookCommands
from domain.license import License


class Ledger(
    AccountCommands,
    LicenseCommands,
    DeviceCommands,
    SessionCommands,
    AddressCommands,
    PolicyCommands,
    ApiKeyCommands,
    WebhookCommands,
    CrashReportCommands,
    ReleaseCommands,
    DownloadCommands,
    PersonalDataCommands,
):
    """Commands return ``Written`` (their result and the notification id they produced)."""

    def license_state(self, account_id: UUID, now: datetime) -> LicenseState:
        """Valid while the time of the licenses that are not suspended has not run out; otherwise
        ``license_suspended`` (if a suspension is what stands in the way), ``license_expired`` or
        ``no_license``."""
        account = self.account(account_id)
        licenses = [self.load(License, g.license_id, "license") for g in account.grants]
        return license_verdict(account, {lic.id for lic in licenses if lic.suspended}, now)
