"""First contact: a user registers, activates a key, binds a device and logs in, on both stores."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import SessionKind

COMPONENTS = {"machine_id": "aa" * 16, "board": "bb" * 16, "cpu": "cc" * 16, "disk": "dd" * 16}


def test_register_activate_bind_login(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A full first login writes events and returns increasing positions."""
    account = ledger.register("alice", "correct horse", Role.USER, now, ctx)
    keys = ledger.issue_licenses(2, 30, Role.VIP, 2, "batch", now, ctx)
    activation = ledger.activate_license(account.value, keys.value[0].key, now, ctx)
    assert activation.value.expires_at == now + timedelta(days=30)
    binding = ledger.bind_device(account.value, COMPONENTS, None, "laptop", "1.0", now, ctx)
    opened = ledger.open_session(account.value, SessionKind.DESKTOP, binding.value.device_id, now, ctx)
    positions = [w.position or 0 for w in (account, keys, activation, binding, opened)]
    assert all(positions)
    assert positions == sorted(positions)
    assert ledger.account(account.value).role == Role.VIP
    assert ledger.license_state(account.value, now).valid
