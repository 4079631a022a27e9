"""The Keyledger ledger service: one application class, one short method per use case."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from uuid import UUID

from domain.account import Account
from domain.expiry import expiry_of
from domain.heartbeats import LicenseState
from domain.ledger.accounts import AccountCommands
from domain.ledger.addresses import AddressCommands
from domain.ledger.api_keys import ApiKeyCommands
from domain.ledger.crash_reports import CrashReportCommands
from domain.ledger.devices import DeviceCommands
from domain.ledger.licenses import LicenseCommands
from domain.ledger.policies import PolicyCommands
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
):
    """Commands return ``Written`` (their result and the notification id they produced)."""

    def license_state(self, account_id: UUID, now: datetime) -> LicenseState:
        """Valid while the time of the licenses that are not suspended has not run out; otherwise
        ``license_suspended`` (if a suspension is what stands in the way), ``license_expired`` or
        ``no_license``."""
        account = self.account(account_id)
        licenses = [self.load(License, g.license_id, "license") for g in account.grants]
        return license_state_of(account, {lic.id for lic in licenses if lic.suspended}, now)


def license_state_of(account: Account, suspended: Set[UUID], now: datetime) -> LicenseState:
    """``Ledger.license_state`` given the account and which of its granted licenses are suspended."""
    if not account.grants or account.license_expiry is None:
        return LicenseState(False, "no_license", None)
    suspended = {g.license_id for g in account.grants} & suspended
    usable = expiry_of(g for g in account.grants if g.license_id not in suspended)
    if usable is not None and usable > now:
        return LicenseState(True, None, usable)
    if suspended and account.license_expiry > now:
        return LicenseState(False, "license_suspended", account.license_expiry)
    return LicenseState(False, "license_expired", usable or account.license_expiry)
