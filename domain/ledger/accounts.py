"""Account use cases: register, password, role, device limit, ban and unban, authentication."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.account import Account
from domain.context import AuditContext
from domain.credentials import PASSWORD_MAX, check_password, check_username, username_key
from domain.errors import InvalidCredentials, InvalidInput, UsernameTaken
from domain.index import IndexEntry, IndexKind
from domain.ip_address import IpAddress, is_address, network_of
from domain.ledger.base import LedgerBase, Written, retried
from domain.roles import Role
from domain.session import CloseReason, Session
from domain.session_end import end_session


class AccountCommands(LedgerBase):
    def account(self, account_id: UUID) -> Account:
        return self.load(Account, account_id, "account")

    def account_id_for(self, username: str) -> UUID | None:
        """The id of the account with this username (case-insensitive), if any."""
        try:
            return self.lookup(IndexKind.USERNAME, username_key(username))
        except InvalidInput:
            return None

    @retried
    def register(
        self,
        username: str,
        password: str,
        role: Role,
        now: datetime,
        ctx: AuditContext,
        idempotency_key: str | None = None,
    ) -> Written[UUID]:
        key = username_key(check_username(username))
        check_password(password)
        # the password too (only inside the keyed digest): a retry with another password is another request
        request = {"username": key, "role": role.value, "password": password}
        record_id, previous = self.previous_result(idempotency_key, ctx.actor, "register", request)
        if previous is not None:
            return Written(UUID(previous["account_id"]), None, replayed=True)
        index_id = self.index_id(IndexKind.USERNAME, key)
        if self.find(IndexEntry, index_id) is not None:
            raise UsernameTaken(f"the username {username!r} is taken")
        account_id = self.new_id()
        account = Account.register(
            account_id=account_id,
            username=username,
            password_hash=self.hasher.hash(password),
            role=role,
            now=now,
            ctx=ctx,
        )
        index = IndexEntry.claim(index_id=index_id, kind=IndexKind.USERNAME, target_id=account_id, now=now)
        record = self.remember(record_id, "register", request, {"account_id": str(account_id)}, now)
        return self.commit(account_id, account, index, record)

    @retried
    def change_password(
        self, account_id: UUID, password: str, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        """Sets a new password and closes every open session of the account."""
        account = self.account(account_id)
        account.change_password(self.hasher.hash(check_password(password)), now, ctx)
        sessions = self._close_all(account, CloseReason.PASSWORD_CHANGED, now, ctx)
        return self.commit(None, account, *sessions)

    @retried
    def change_role(self, account_id: UUID, role: Role, now: datetime, ctx: AuditContext) -> Written[None]:
        account = self.account(account_id)
        account.change_role(role, now, ctx)
        return self.commit(None, account)

    @retried
    def set_device_limit(
        self, account_id: UUID, limit: int, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        account = self.account(account_id)
        account.set_device_limit(limit, now, ctx)
        return self.commit(None, account)

    @retried
    def ban(
        self, account_id: UUID, until: datetime | None, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        """Bans the account and closes every one of its open sessions in the same transaction."""
        account = self.account(account_id)
        closed = account.ban(until, now, ctx)
        sessions = [self.load(Session, s, "session") for s in closed]
        for session in sessions:
            end_session(account, session, CloseReason.BAN, now, ctx)
        return self.commit(None, account, *sessions)

    @retried
    def erase_account(self, account_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        """Records an account's erasure (``Account.Erased``, no personal data) and closes its sessions; the
        caller destroys the account's data key."""
        account = self.account(account_id)
        closed = account.erase(now, ctx)
        sessions = [self.load(Session, s, "session") for s in closed]
        for session in sessions:
            end_session(account, session, CloseReason.BAN, now, ctx.without_personal_data())
        return self.commit(None, account, *sessions)

    @retried
    def unban(self, account_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        account = self.account(account_id)
        account.unban(now, ctx)
        return self.commit(None, account)

    def authenticate(self, username: str, password: str, now: datetime, ctx: AuditContext) -> Account:
        """The account these credentials open; a failure is recorded and answered the same way whether
        the username exists or the password is wrong. A banned account raises ``AccountBanned``."""
        account_id = self.account_id_for(username)
        account = self.find(Account, account_id) if account_id is not None else None
        if account is None or not isinstance(password, str) or len(password) > PASSWORD_MAX:
            self.hasher.dummy_verify(password if isinstance(password, str) else "")
            self.record_login_failure(None, now, ctx)
            raise InvalidCredentials("wrong username or password")
        if not self.hasher.verify(account.password_hash, password):
            self.record_login_failure(account.id, now, ctx)
            raise InvalidCredentials("wrong username or password")
        account.check_not_banned(now)
        return account

    @retried
    def record_login_failure(
        self, account_id: UUID | None, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        """A failed login, as an event on the account (when known) and on the client's address."""
        account = self.find(Account, account_id) if account_id is not None else None
        if account is not None:
            account.fail_login(now, ctx)
        address = None
        if ctx.client_ip and is_address(ctx.client_ip):
            address = self.address_for(ctx.client_ip, now)
            address.fail_login(account_id, now, ctx)
        return self.commit(None, account, address)

    def address_for(self, address: str, now: datetime) -> IpAddress:
        """The IpAddress aggregate of a client address's network, created on first sight."""
        network = network_of(address)
        ip_id = self.digests.index_id("ip", network)
        return self.find(IpAddress, ip_id) or IpAddress.track(ip_id=ip_id, address=network, now=now)

    def _close_all(
        self, account: Account, reason: CloseReason, now: datetime, ctx: AuditContext
    ) -> list[Session]:
        sessions = [self.load(Session, s, "session") for s in account.open_session_ids]
        for session in sessions:
            end_session(account, session, reason, now, ctx)
        return sessions
