"""Readable names of the ledger's event types, for the activity feed and the audit pages."""

from __future__ import annotations

from collections.abc import Callable

from api.ui.i18n import N_

EVENT_LABELS = {
    "Account.Registered": N_("Account registered"),
    "Account.PasswordChanged": N_("Password changed"),
    "Account.RoleChanged": N_("Role changed"),
    "Account.DeviceLimitSet": N_("Device limit set"),
    "Account.Banned": N_("Account banned"),
    "Account.Unbanned": N_("Account unbanned"),
    "Account.LicenseApplied": N_("License applied"),
    "Account.LicenseWithdrawn": N_("License withdrawn"),
    "Account.DeviceAttached": N_("Device attached"),
    "Account.DeviceDetached": N_("Device detached"),
    "Account.LoggedIn": N_("Logged in"),
    "Account.SessionEnded": N_("Session ended"),
    "Account.LoginFailed": N_("Failed login"),
    "Account.LicenseExpired": N_("License time ran out"),
    "Account.Erased": N_("Personal data erased"),
    "Account.PersonalDataExported": N_("Personal data exported"),
    "DayKey.Destroyed": N_("Day key destroyed"),
    "License.Issued": N_("License issued"),
    "License.Activated": N_("License activated"),
    "License.Extended": N_("License extended"),
    "License.Suspended": N_("License suspended"),
    "License.Reinstated": N_("License reinstated"),
    "License.Revoked": N_("License revoked"),
    "Device.Bound": N_("Device bound"),
    "Device.FingerprintUpdated": N_("Device fingerprint updated"),
    "Device.PublicKeyRegistered": N_("Device key registered"),
    "Device.Renamed": N_("Device renamed"),
    "Device.Released": N_("Device released"),
    "Device.HeartbeatLost": N_("Device stopped sending heartbeats"),
    "Device.HeartbeatResumed": N_("Device heartbeats resumed"),
    "Session.Opened": N_("Session opened"),
    "Session.Rotated": N_("Refresh token rotated"),
    "Session.GraceRotated": N_("Refresh token rotated again within its grace window"),
    "Session.Closed": N_("Session closed"),
    "IpAddress.Tracked": N_("Address first seen"),
    "IpAddress.LoginFailed": N_("Failed login from address"),
    "IpAddress.Blocked": N_("Address blocked"),
    "IpAddress.Unblocked": N_("Address unblocked"),
    "Alert.Raised": N_("Alert raised"),
    "Alert.Acknowledged": N_("Alert acknowledged"),
    "ApiKey.Created": N_("API key created"),
    "ApiKey.Revoked": N_("API key revoked"),
    "ApiKey.RevokedKeyUsed": N_("Revoked API key presented"),
    "WebhookEndpoint.Registered": N_("Webhook registered"),
    "WebhookEndpoint.Updated": N_("Webhook changed"),
    "WebhookEndpoint.SecretRotated": N_("Webhook secret rotated"),
    "WebhookEndpoint.Disabled": N_("Webhook disabled"),
    "WebhookEndpoint.Enabled": N_("Webhook enabled"),
    "WebhookEndpoint.Removed": N_("Webhook removed"),
    "WebhookEndpoint.ResendRequested": N_("Webhook delivery sent again"),
    "CrashReport.Reported": N_("Crash reported"),
    "Release.Published": N_("Release published"),
    "Release.Withdrawn": N_("Release withdrawn"),
    "Release.Republished": N_("Release published again"),
    "Download.Downloaded": N_("Download granted"),
    "IndexEntry.Claimed": N_("Lookup entry claimed"),
    "IndexEntry.Repointed": N_("Lookup entry repointed"),
    "IdempotencyRecord.Recorded": N_("Repeatable request recorded"),
}


def labels(gettext: Callable[[str], str]) -> dict[str, str]:
    """Every label in one language (``gettext`` of its catalogue)."""
    return {kind: gettext(label) for kind, label in EVENT_LABELS.items()}
