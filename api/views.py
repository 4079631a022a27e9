"""Write-model aggregates as response bodies."""

from __future__ import annotations

from api.schemas import AccountView
from domain.account import Account


def account_view(account: Account) -> AccountView:
    return AccountView(
        id=str(account.id),
        username=account.username,
        role=account.role.value,
        device_limit=account.device_limit,
        devices_used=len(account.device_ids),
        banned=account.banned,
        banned_until=account.banned_until,
        license_expiry=account.license_expiry,
    )
