"""Library errors surface as domain errors: an unknown or wrong-kind id is NotFound, whatever the use case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import pytest

from domain.context import AuditContext
from domain.errors import NotFound
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import CloseReason
from tests.ledger.scenarios import fingerprint, head, issued_key, registered

UNKNOWN = UUID("00000000-0000-4000-8000-000000000000")


@dataclass(frozen=True)
class Call:
    """One use case's arguments: the id under test, and a real license key for activate_license."""

    ledger: Ledger
    ident: UUID
    key: str
    now: datetime
    ctx: AuditContext


Use = Callable[[Call], object]
ACCOUNT_USES: dict[str, Use] = {
    "account": lambda c: c.ledger.account(c.ident),
    "license_state": lambda c: c.ledger.license_state(c.ident, c.now),
    "change_password": lambda c: c.ledger.change_password(c.ident, "new password", c.now, c.ctx),
    "change_role": lambda c: c.ledger.change_role(c.ident, Role.VIP, c.now, c.ctx),
    "set_device_limit": lambda c: c.ledger.set_device_limit(c.ident, 2, c.now, c.ctx),
    "ban": lambda c: c.ledger.ban(c.ident, None, c.now, c.ctx),
    "unban": lambda c: c.ledger.unban(c.ident, c.now, c.ctx),
    "activate_license": lambda c: c.ledger.activate_license(c.ident, c.key, c.now, c.ctx),
    "bind_device": lambda c: c.ledger.bind_device(c.ident, fingerprint(1), None, "pc", "1", c.now, c.ctx),
}
OTHER_USES: dict[str, Use] = {
    "license": lambda c: c.ledger.license(c.ident),
    "device": lambda c: c.ledger.device(c.ident),
    "session": lambda c: c.ledger.session(c.ident),
    "extend_license": lambda c: c.ledger.extend_license(c.ident, 1, c.now, c.ctx),
    "suspend_license": lambda c: c.ledger.suspend_license(c.ident, c.now, c.ctx),
    "reinstate_license": lambda c: c.ledger.reinstate_license(c.ident, c.now, c.ctx),
    "revoke_license": lambda c: c.ledger.revoke_license(c.ident, c.now, c.ctx),
    "rename_device": lambda c: c.ledger.rename_device(c.ident, "pc", c.now, c.ctx),
    "release_device": lambda c: c.ledger.release_device(c.ident, c.now, c.ctx),
    "close_session": lambda c: c.ledger.close_session(c.ident, CloseReason.LOGOUT, c.now, c.ctx),
}
USES = {**ACCOUNT_USES, **OTHER_USES}


@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_an_unknown_id_is_not_found(ledger: Ledger, now: datetime, ctx: AuditContext, use: Use) -> None:
    """An id naming nothing raises NotFound and writes nothing."""
    key = issued_key(ledger, now, ctx).key
    before = head(ledger)
    with pytest.raises(NotFound):
        use(Call(ledger, UNKNOWN, key, now, ctx))
    assert head(ledger) == before


@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_a_wrong_kind_of_id_is_not_found(ledger: Ledger, now: datetime, ctx: AuditContext, use: Use) -> None:
    """An id naming an aggregate of another kind (an account for a license, ...) raises NotFound."""
    alice = registered(ledger, now, ctx)
    issued = issued_key(ledger, now, ctx)
    wrong_kind = issued.license_id if use in ACCOUNT_USES.values() else alice
    before = head(ledger)
    with pytest.raises(NotFound):
        use(Call(ledger, wrong_kind, issued.key, now, ctx))
    assert head(ledger) == before
