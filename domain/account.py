"""The Account aggregate: credentials, role, device limit and bound devices, bans, open sessions and the
license time granted to it. The device limit and "a banned account has no open session" are decided here,
in one consistency boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import AccountBanned, Conflict, DeviceLimitReached, InvalidInput
from domain.expiry import Grant, check_end, expiry_of, extend
from domain.personal import ERASED
from domain.roles import DEFAULT_DEVICE_LIMIT, Role, check_device_limit, higher


class Account(Aggregate):
    class Registered(Aggregate.Created):
        username: str
        password_hash: str
        role: str
        device_limit: int
        context: ContextData

    class PasswordChanged(Aggregate.Event):
        password_hash: str
        context: ContextData

    class RoleChanged(Aggregate.Event):
        role: str
        context: ContextData

    class DeviceLimitSet(Aggregate.Event):
        device_limit: int
        context: ContextData

    class Banned(Aggregate.Event):
        until: datetime | None
        context: ContextData

    class Unbanned(Aggregate.Event):
        context: ContextData

    class LicenseApplied(Aggregate.Event):
        license_id: UUID
        days: int
        role: str
        device_limit: int
        expires_at: datetime
        context: ContextData

    class LicenseWithdrawn(Aggregate.Event):
        license_id: UUID
        expires_at: datetime | None
        context: ContextData

    class DeviceAttached(Aggregate.Event):
        device_id: UUID
        context: ContextData

    class DeviceDetached(Aggregate.Event):
        device_id: UUID
        context: ContextData

    class LoggedIn(Aggregate.Event):
        session_id: UUID
        kind: str
        context: ContextData

    class SessionEnded(Aggregate.Event):
        session_id: UUID
        reason: str
        context: ContextData

    class LoginFailed(Aggregate.Event):
        context: ContextData

    class LicenseExpired(Aggregate.Event):
        expires_at: datetime
        context: ContextData

    class Erased(Aggregate.Event):
        context: ContextData

    class PersonalDataExported(Aggregate.Event):
        event_count: int
        context: ContextData

    @event(Registered)
    def __init__(
        self, username: str, password_hash: str, role: str, device_limit: int, context: ContextData
    ) -> None:
        self.username = username
        self.password_hash = password_hash
        self.role = Role(role)
        self.device_limit = device_limit
        self.banned = False
        self.banned_until: datetime | None = None
        self.device_ids: list[UUID] = []
        self.open_session_ids: list[UUID] = []
        self.grants: list[Grant] = []
        self.license_expiry: datetime | None = None
        self.expiry_noticed: datetime | None = None
        self.erased = False

    @classmethod
    def register(
        cls,
        *,
        account_id: UUID,
        username: str,
        password_hash: str,
        role: Role,
        now: datetime,
        ctx: AuditContext,
    ) -> Account:
        return cls._create(
            cls.Registered,
            id=account_id,
            username=username,
            password_hash=password_hash,
            role=role.value,
            device_limit=DEFAULT_DEVICE_LIMIT[role],
            context=ctx.as_event_data(),
            timestamp=now,
        )

    # --- queries -------------------------------------------------------------------------------
    def is_banned(self, now: datetime) -> bool:
        """Banned, and the ban has no end or has not reached it."""
        return self.banned and (self.banned_until is None or now < self.banned_until)

    def check_not_banned(self, now: datetime) -> None:
        if self.is_banned(now):
            raise AccountBanned("this account is banned")

    def free_device_slots(self) -> int:
        return self.device_limit - len(self.device_ids)

    # --- commands ------------------------------------------------------------------------------
    def change_password(self, password_hash: str, now: datetime, ctx: AuditContext) -> None:
        self._password_changed(password_hash=password_hash, context=ctx.as_event_data(), timestamp=now)

    def change_role(self, role: Role, now: datetime, ctx: AuditContext) -> None:
        if role != self.role:
            self._role_changed(role=role.value, context=ctx.as_event_data(), timestamp=now)

    def set_device_limit(self, limit: int, now: datetime, ctx: AuditContext) -> None:
        """Sets the limit; never below the devices bound now (release some first)."""
        check_device_limit(limit)
        if limit < len(self.device_ids):
            raise Conflict(
                f"{len(self.device_ids)} devices are bound; release some before lowering the limit to {limit}"
            )
        self._device_limit_set(device_limit=limit, context=ctx.as_event_data(), timestamp=now)

    def ban(self, until: datetime | None, now: datetime, ctx: AuditContext) -> list[UUID]:
        """Bans the account and returns the sessions it closed (the caller closes each Session)."""
        if not ctx.reason:
            raise InvalidInput("reason", "a ban needs a reason")
        check_end(until)
        if until is not None and until <= now:
            raise InvalidInput("until", "a ban must end in the future")
        closed = list(self.open_session_ids)
        self._banned(until=until, context=ctx.as_event_data(), timestamp=now)
        return closed

    def erase(self, now: datetime, ctx: AuditContext) -> list[UUID]:
        """Records the erasure of the account's personal data (its key is destroyed beside the ledger);
        the account can never log in again. Returns the sessions it closed (the caller closes each)."""
        if self.erased:
            raise Conflict("this account is already erased")
        if not ctx.reason:
            raise InvalidInput("reason", "an erasure needs a reason")
        closed = list(self.open_session_ids)
        self._erased(context=ctx.without_personal_data().as_event_data(), timestamp=now)
        return closed

    def record_export(self, event_count: int, now: datetime, ctx: AuditContext) -> None:
        """Records that ``ctx``'s actor read the account's personal data out (an Art. 15 access export of
        ``event_count`` events); an erased account's export (all ``[erased]``) is recorded too."""
        if event_count < 0:
            raise InvalidInput("event_count", "cannot be negative")
        self._personal_data_exported(event_count=event_count, context=ctx.as_event_data(), timestamp=now)

    def unban(self, now: datetime, ctx: AuditContext) -> None:
        if self.erased:
            raise Conflict("this account is erased")
        if not self.banned:
            raise Conflict("this account is not banned")
        self._unbanned(context=ctx.as_event_data(), timestamp=now)

    def apply_license(
        self,
        license_id: UUID,
        days: int,
        tier: Role,
        device_limit: int,
        now: datetime,
        ctx: AuditContext,
    ) -> datetime:
        """Adds a license's days (from expiry if valid, else from now); raises role and device limit.
        Returns the new expiry."""
        role = higher(self.role, tier)
        expires = extend(self.license_expiry, days, now)
        self._license_applied(
            license_id=license_id,
            days=days,
            role=role.value,
            device_limit=max(self.device_limit, device_limit),
            expires_at=expires,
            context=ctx.as_event_data(),
            timestamp=now,
        )
        return expires

    def withdraw_license(self, license_id: UUID, now: datetime, ctx: AuditContext) -> None:
        """Removes every grant of a revoked license and recomputes the expiry without it."""
        if any(g.license_id == license_id for g in self.grants):
            remaining = [g for g in self.grants if g.license_id != license_id]
            self._license_withdrawn(
                license_id=license_id,
                expires_at=expiry_of(remaining),
                context=ctx.as_event_data(),
                timestamp=now,
            )

    def attach_device(self, device_id: UUID, now: datetime, ctx: AuditContext) -> None:
        self.check_not_banned(now)
        if device_id in self.device_ids:
            raise Conflict("this device is already bound to the account")
        if self.free_device_slots() <= 0:
            raise DeviceLimitReached(f"all {self.device_limit} device slots are in use")
        self._device_attached(device_id=device_id, context=ctx.as_event_data(), timestamp=now)

    def detach_device(self, device_id: UUID, now: datetime, ctx: AuditContext) -> None:
        if device_id in self.device_ids:
            self._device_detached(device_id=device_id, context=ctx.as_event_data(), timestamp=now)

    def log_in(self, session_id: UUID, kind: str, now: datetime, ctx: AuditContext) -> None:
        self.check_not_banned(now)
        self._logged_in(session_id=session_id, kind=kind, context=ctx.as_event_data(), timestamp=now)

    def end_session(self, session_id: UUID, reason: str, now: datetime, ctx: AuditContext) -> None:
        if session_id in self.open_session_ids:
            self._session_ended(
                session_id=session_id, reason=reason, context=ctx.as_event_data(), timestamp=now
            )

    def fail_login(self, now: datetime, ctx: AuditContext) -> None:
        self._login_failed(context=ctx.as_event_data(), timestamp=now)

    def notice_expiry(self, now: datetime, ctx: AuditContext) -> bool:
        """Records, once per expiry, that the license time ran out; returns whether it recorded it."""
        expiry = self.license_expiry
        if expiry is None or expiry > now or self.expiry_noticed == expiry:
            return False
        self._license_expired(expires_at=expiry, context=ctx.as_event_data(), timestamp=now)
        return True

    # --- event application ---------------------------------------------------------------------
    @event(PasswordChanged)
    def _password_changed(self, password_hash: str, context: ContextData, timestamp: datetime) -> None:
        self.password_hash = password_hash

    @event(RoleChanged)
    def _role_changed(self, role: str, context: ContextData, timestamp: datetime) -> None:
        self.role = Role(role)

    @event(DeviceLimitSet)
    def _device_limit_set(self, device_limit: int, context: ContextData, timestamp: datetime) -> None:
        self.device_limit = device_limit

    @event(Banned)
    def _banned(self, until: datetime | None, context: ContextData, timestamp: datetime) -> None:
        self.banned, self.banned_until, self.open_session_ids = True, until, []

    @event(Erased)
    def _erased(self, context: ContextData, timestamp: datetime) -> None:
        self.erased, self.banned, self.banned_until, self.open_session_ids = True, True, None, []
        self.username = ERASED

    @event(PersonalDataExported)
    def _personal_data_exported(self, event_count: int, context: ContextData, timestamp: datetime) -> None:
        pass

    @event(Unbanned)
    def _unbanned(self, context: ContextData, timestamp: datetime) -> None:
        self.banned, self.banned_until = False, None

    @event(LicenseApplied)
    def _license_applied(
        self,
        license_id: UUID,
        days: int,
        role: str,
        device_limit: int,
        expires_at: datetime,
        context: ContextData,
        timestamp: datetime,
    ) -> None:
        self.grants = [*self.grants, Grant(license_id, timestamp, days)]
        self.license_expiry, self.role, self.device_limit = expires_at, Role(role), device_limit

    @event(LicenseWithdrawn)
    def _license_withdrawn(
        self,
        license_id: UUID,
        expires_at: datetime | None,
        context: ContextData,
        timestamp: datetime,
    ) -> None:
        self.grants = [g for g in self.grants if g.license_id != license_id]
        self.license_expiry = expires_at

    @event(DeviceAttached)
    def _device_attached(self, device_id: UUID, context: ContextData, timestamp: datetime) -> None:
        self.device_ids = [*self.device_ids, device_id]

    @event(DeviceDetached)
    def _device_detached(self, device_id: UUID, context: ContextData, timestamp: datetime) -> None:
        self.device_ids = [d for d in self.device_ids if d != device_id]

    @event(LoggedIn)
    def _logged_in(self, session_id: UUID, kind: str, context: ContextData, timestamp: datetime) -> None:
        self.open_session_ids = [*self.open_session_ids, session_id]

    @event(SessionEnded)
    def _session_ended(
        self, session_id: UUID, reason: str, context: ContextData, timestamp: datetime
    ) -> None:
        self.open_session_ids = [s for s in self.open_session_ids if s != session_id]

    @event(LoginFailed)
    def _login_failed(self, context: ContextData, timestamp: datetime) -> None:
        pass

    @event(LicenseExpired)
    def _license_expired(self, expires_at: datetime, context: ContextData, timestamp: datetime) -> None:
        self.expiry_noticed = expires_at

    def summary(self) -> dict[str, Any]:
        """The account's state as plain data (for replay and point-in-time queries)."""
        return {
            "id": str(self.id),
            "username": self.username,
            "role": self.role.value,
            "device_limit": self.device_limit,
            "banned": self.banned,
            "banned_until": self.banned_until.isoformat() if self.banned_until else None,
            "device_ids": [str(d) for d in self.device_ids],
            "open_session_ids": [str(s) for s in self.open_session_ids],
            "license_expiry": self.license_expiry.isoformat() if self.license_expiry else None,
            "version": self.version,
        }
