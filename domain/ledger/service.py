"""The Keyledger ledger service: one application class, one short method per use case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.ledger.accounts import AccountCommands
from domain.ledger.addresses import AddressCommands
from domain.ledger.devices import DeviceCommands
from domain.ledger.licenses import LicenseCommands
from domain.ledger.policies import PolicyCommands
from domain.ledger.sessions import SessionCommands
from domain.license import License


@dataclass(frozen=True)
class LicenseState:
    """What a heartbeat reports: valid, or the reason code why not, and the expiry."""

    valid: bool
    code: str | None
    expires_at: datetime | None


class Ledger(
    AccountCommands, LicenseCommands, DeviceCommands, SessionCommands, AddressCommands, PolicyCommands
):
    """Commands return ``Written`` (their result and the notification id they produced)."""

    def license_state(self, account_id: UUID, now: datetime) -> LicenseState:
        """``no_license``, ``license_suspended`` or ``license_expired``, else valid."""
        account = self.account(account_id)
        license_ids = {grant.license_id for grant in account.grants}
        if not license_ids or account.license_expiry is None:
            return LicenseState(False, "no_license", None)
        if any(self.load(License, lid, "license").suspended for lid in license_ids):
            return LicenseState(False, "license_suspended", account.license_expiry)
        if account.license_expiry <= now:
            return LicenseState(False, "license_expired", account.license_expiry)
        return LicenseState(True, None, account.license_expiry)
