"""The port the erasure and access-export routes use: what the composition root builds over the ledger's
personal-data keys and the read models (``bootstrap/personal_data.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.context import AuditContext


class PersonalData(Protocol):
    def erase(self, account_id: UUID, now: datetime, ctx: AuditContext) -> int | None:
        """Records ``Account.Erased`` (``ctx`` carries the reason), destroys the account's data key and
        rebuilds the read models; returns the position written (None if the account was erased before)."""
        ...

    def export(self, account_id: UUID, now: datetime, ctx: AuditContext) -> dict[str, Any]:
        """Every personal value the ledger holds of the account, opened (an Art. 15 access request), after
        recording ``Account.PersonalDataExported`` with ``ctx``'s actor (its position is ``position``)."""
        ...
