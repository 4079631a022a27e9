"""Device use cases: bind by fingerprint (same device above 70% agreement, else a new one within the
account's limit), rename and release."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain import fingerprints
from domain.account import Account
from domain.context import AuditContext
from domain.device import Device
from domain.fingerprints import Components
from domain.index import IndexEntry, IndexKind
from domain.ledger.base import LedgerBase, Written, retried
from domain.session import CloseReason, Session
from domain.session_end import end_session


@dataclass(frozen=True)
class Binding:
    device_id: UUID
    new: bool


class DeviceCommands(LedgerBase):
    def device(self, device_id: UUID) -> Device:
        return self.load(Device, device_id, "device")

    @retried
    def bind_device(
        self,
        account_id: UUID,
        components: Components,
        public_key: str | None,
        nickname: str,
        client_version: str,
        now: datetime,
        ctx: AuditContext,
    ) -> Written[Binding]:
        """The account's device these components identify, or a new device taking a free slot."""
        account = self.load(Account, account_id, "account")
        account.check_not_banned(now)
        sealed = fingerprints.seal(self.digests, components)
        index_id = self.index_id(IndexKind.FINGERPRINT, f"{account_id}|{fingerprints.canonical(sealed)}")
        index = self.find(IndexEntry, index_id)
        device = self._match(account, sealed, index)
        if device is not None:
            device.recognise(sealed, public_key, client_version, now, ctx)
            return self.commit(
                Binding(device.id, new=False), device, self._point(index, index_id, device.id, now)
            )
        device = Device.bind(
            device_id=self.new_id(),
            account_id=account_id,
            components=sealed,
            public_key=public_key,
            nickname=nickname,
            client_version=client_version,
            now=now,
            ctx=ctx,
        )
        account.attach_device(device.id, now, ctx)
        return self.commit(
            Binding(device.id, new=True),
            account,
            device,
            self._point(index, index_id, device.id, now),
        )

    def _match(self, account: Account, sealed: Components, index: IndexEntry | None) -> Device | None:
        """The exact fingerprint's device if still bound, else the best bound device above 70%."""
        bound = [self.device(d) for d in account.device_ids]
        if index is not None:
            exact = [d for d in bound if d.id == index.target_id]
            if exact:
                return exact[0]
        similar = [d for d in bound if fingerprints.is_same_device(d.components, sealed)]
        return max(
            similar,
            key=lambda d: fingerprints.matching_share(d.components, sealed)[0],
            default=None,
        )

    @staticmethod
    def _point(index: IndexEntry | None, index_id: UUID, device_id: UUID, now: datetime) -> IndexEntry:
        if index is None:
            return IndexEntry.claim(
                index_id=index_id, kind=IndexKind.FINGERPRINT, target_id=device_id, now=now
            )
        index.repoint(device_id, now)
        return index

    @retried
    def rename_device(
        self, device_id: UUID, nickname: str, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        device = self.device(device_id)
        device.rename(nickname, now, ctx)
        return self.commit(None, device)

    @retried
    def release_device(self, device_id: UUID, now: datetime, ctx: AuditContext) -> Written[None]:
        """Releases a device: its slot is freed and its desktop sessions close."""
        device = self.device(device_id)
        device.release(now, ctx)
        account = self.load(Account, device.account_id, "account")
        account.detach_device(device.id, now, ctx)
        sessions = [self.load(Session, s, "session") for s in account.open_session_ids]
        closing = [s for s in sessions if s.device_id == device.id]
        for session in closing:
            end_session(account, session, CloseReason.DEVICE_RELEASED, now, ctx)
        return self.commit(None, device, account, *closing)
