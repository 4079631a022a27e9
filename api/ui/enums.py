"""Readable labels of every stored enum value the admin pages show (roles, license statuses, tiers, session
kinds and close reasons, aggregate names, alert kinds, webhook and release states), and of event names.
Templates translate them with the ``label`` filter: ``{{ user.role | label("role") }}``."""

from __future__ import annotations

from collections.abc import Callable

from api.ui.events import EVENT_LABELS
from api.ui.i18n import N_

ROLES = {"user": N_("User"), "vip": N_("VIP"), "admin": N_("Administrator")}
ENUMS: dict[str, dict[str, str]] = {
    "role": ROLES,
    "tier": ROLES,
    "status": {
        "available": N_("Available"),
        "active": N_("Active"),
        "suspended": N_("Suspended"),
        "revoked": N_("Revoked"),
        "published": N_("Published"),
        "withdrawn": N_("Withdrawn"),
        "enabled": N_("Enabled"),
        "disabled": N_("Disabled"),
        "failing": N_("Failing"),
        "removed": N_("Removed"),
        "pending": N_("Pending"),
        "delivered": N_("Delivered"),
        "failed": N_("Failed"),
    },
    "kind": {"web": N_("Web"), "desktop": N_("Desktop")},
    "reason": {
        "logout": N_("logged out"),
        "ban": N_("banned"),
        "revoke": N_("revoked by an admin"),
        "reuse": N_("refresh token reused"),
        "expired": N_("expired"),
        "device_released": N_("device released"),
        "password_changed": N_("password changed"),
    },
    "aggregate": {
        "Account": N_("Account"),
        "Alert": N_("Alert"),
        "ApiKey": N_("API key"),
        "CrashReport": N_("Crash report"),
        "Device": N_("Device"),
        "Download": N_("Download"),
        "IpAddress": N_("Address"),
        "IndexEntry": N_("Lookup entry"),
        "DayKey": N_("Day key"),
        "IdempotencyRecord": N_("Repeatable request"),
        "License": N_("License"),
        "Release": N_("Release"),
        "Session": N_("Session"),
        "WebhookEndpoint": N_("Webhook"),
    },
    "alert": {
        "ip_many_accounts": N_("One address, many accounts"),
        "account_many_ips": N_("One account, many addresses"),
        "fingerprint_churn": N_("Device fingerprint keeps changing"),
    },
    "event": EVENT_LABELS,
}


def label(gettext: Callable[[str], str], value: object, group: str) -> str:
    """``value`` of enum ``group`` in the reader's language (an unknown value as it is)."""
    text = str(getattr(value, "value", value) if value is not None else "")
    found = ENUMS[group].get(text)
    return gettext(found) if found else text
