"""License use cases: issue a batch, activate, extend, suspend, reinstate, revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import license_keys
from domain.account import Account
from domain.context import AuditContext
from domain.errors import InvalidInput, LicenseAlreadyActivated, NotFound
from domain.index import IndexEntry, IndexKind
from domain.ledger.base import LedgerBase, Written, retried
from domain.license import License
from domain.roles import Role

MAX_BATCH = 1000
GRANT_NOTE = "granted by an admin"


@dataclass(frozen=True)
class IssuedKey:
    """A new license and its key, which is shown this once and never stored."""

    license_id: UUID
    key: str


@dataclass(frozen=True)
class Activation:
    license_id: UUID
    expires_at: datetime


class LicenseCommands(LedgerBase):
    def license(self, license_id: UUID) -> License:
        return self.load(License, license_id, "license")

    def license_id_for_key(self, key: str) -> UUID | None:
        return self.lookup(IndexKind.LICENSE_KEY, license_keys.canonical(key))

    @retried
    def issue_licenses(
        self,
        count: int,
        days: int,
        tier: Role,
        device_limit: int,
        note: str,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[list[IssuedKey]]:
        """Issues ``count`` keys of one kind in one transaction."""
        if isinstance(count, bool) or not 1 <= count <= MAX_BATCH:
            raise InvalidInput("count", f"must be between 1 and {MAX_BATCH}")
        if tier == Role.ADMIN:
            raise InvalidInput("tier", "a license key grants user or vip, never admin")
        batch_id = self.new_id()
        issued: list[IssuedKey] = []
        aggregates: list[Aggregate] = []
        for _ in range(count):
            key = license_keys.generate(self.entropy)
            canonical = license_keys.canonical(key)
            license_id = self.new_id()
            aggregates.append(
                License.issue(
                    license_id=license_id,
                    key_digest=self.digests.digest("license-key", canonical),
                    days=days,
                    tier=tier,
                    device_limit=device_limit,
                    note=note,
                    batch_id=batch_id,
                    now=now,
                    ctx=ctx,
                )
            )
            aggregates.append(
                IndexEntry.claim(
                    index_id=self.index_id(IndexKind.LICENSE_KEY, canonical),
                    kind=IndexKind.LICENSE_KEY,
                    target_id=license_id,
                    now=now,
                )
            )
            issued.append(IssuedKey(license_id, key))
        return self.commit(issued, *aggregates)

    @retried
    def grant_license(
        self,
        account_id: UUID,
        days: int,
        tier: Role,
        device_limit: int,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[Activation]:
        """An admin grants license time straight to an account: a license is issued (with a key nobody
        ever sees) and activated by the account in one transaction; revoking it takes the time back."""
        if tier == Role.ADMIN:
            raise InvalidInput("tier", "a grant gives user or vip, never admin")
        account = self.load(Account, account_id, "account")
        license_id = self.new_id()
        canonical = license_keys.canonical(license_keys.generate(self.entropy))
        lic = License.issue(
            license_id=license_id,
            key_digest=self.digests.digest("license-key", canonical),
            days=days,
            tier=tier,
            device_limit=device_limit,
            note=GRANT_NOTE,
            batch_id=license_id,
            now=now,
            ctx=ctx,
        )
        lic.activate(account_id, now, ctx)
        expires_at = account.apply_license(license_id, days, tier, device_limit, now, ctx)
        return self.commit(Activation(license_id, expires_at), lic, account)

    @retried
    def activate_license(
        self,
        account_id: UUID,
        key: str,
        now: datetime,
        ctx: AuditContext,
        idempotency_key: str | None = None,
    ) -> Written[Activation]:
        """Activates a key for an account: its days extend the account's expiry (from the expiry if still
        valid, else from now), its tier raises the role, its device limit raises the account's."""
        canonical = license_keys.canonical(key)
        request = {"key": self.digests.digest("license-key", canonical)}
        record_id, previous = self.previous_result(idempotency_key, str(account_id), "activate", request)
        if previous is not None:
            return Written(
                Activation(UUID(previous["license_id"]), datetime.fromisoformat(previous["expires_at"])),
                None,
                replayed=True,
            )
        license_id = self.lookup(IndexKind.LICENSE_KEY, canonical)
        if license_id is None:
            raise NotFound("license key", "given")
        lic, account = self.license(license_id), self.load(Account, account_id, "account")
        account.check_not_banned(now)
        if lic.account_id == account_id:
            raise LicenseAlreadyActivated("this license key is already active on this account")
        lic.activate(account_id, now, ctx)
        expires_at = account.apply_license(lic.id, lic.days, lic.tier, lic.device_limit, now, ctx)
        activation = Activation(lic.id, expires_at)
        result = {"license_id": str(lic.id), "expires_at": expires_at.isoformat()}
        record = self.remember(record_id, "activate", request, result, now)
        return self.commit(activation, lic, account, record)

    @retried
    def extend_license(self, license_id: UUID, days: int, now: datetime, ctx: AuditContext) -> Written[None]:
        """Adds days to a license; an activated one extends its account's expiry at once."""
        lic = self.license(license_id)
        lic.extend(days, now, ctx)
        account = self.load(Account, lic.account_id, "account") if lic.account_id else None
        if account is not None:
            account.apply_license(lic.id, days, lic.tier, lic.device_limit, now, ctx)
        return self.commit(None, lic, account)

    @retried
    def suspend_license(self, license_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        lic = self.license(license_id)
        lic.suspend(now, ctx)
        return self.commit(None, lic)

    @retried
    def reinstate_license(self, license_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        lic = self.license(license_id)
        lic.reinstate(now, ctx)
        return self.commit(None, lic)

    @retried
    def revoke_license(self, license_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        """Revokes a license; its days leave the account's expiry (recomputed without them)."""
        lic = self.license(license_id)
        lic.revoke(now, ctx)
        account = self.load(Account, lic.account_id, "account") if lic.account_id else None
        if account is not None:
            account.withdraw_license(lic.id, now, ctx)
        return self.commit(None, lic, account)
