"""Read model: the activity feed — every event as a readable line with its actor and time."""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from projections.base import Projection, context_of, stamp
from projections.store import Tx

TABLE = "rm_activity"
COLUMNS = ("position", "at", "actor", "aggregate_id", "aggregate_type", "event_type", "summary")
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        position BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT, aggregate_id TEXT NOT NULL,
        aggregate_type TEXT NOT NULL, event_type TEXT NOT NULL, summary TEXT NOT NULL)""",
)
# What an entry says, per event type; fields of the event fill the braces. No personal data beyond ids.
SUMMARIES = {
    "Account.Registered": "account registered with role {role}",
    "Account.PasswordChanged": "password changed",
    "Account.RoleChanged": "role changed to {role}",
    "Account.DeviceLimitSet": "device limit set to {device_limit}",
    "Account.Banned": "account banned",
    "Account.Unbanned": "account unbanned",
    "Account.LicenseApplied": "license {license_id} applied: {days} days",
    "Account.LicenseWithdrawn": "license {license_id} withdrawn",
    "Account.DeviceAttached": "device {device_id} attached",
    "Account.DeviceDetached": "device {device_id} detached",
    "Account.LoggedIn": "{kind} login",
    "Account.SessionEnded": "session ended ({reason})",
    "Account.LoginFailed": "failed login",
    "Account.LicenseExpired": "license time ran out",
    "Account.PersonalDataExported": "personal data exported ({event_count} events)",
    "License.Issued": "license issued: {days} days, tier {tier}",
    "License.Activated": "license activated by {account_id}",
    "License.Extended": "license extended by {days} days",
    "License.Suspended": "license suspended",
    "License.Reinstated": "license reinstated",
    "License.Revoked": "license revoked",
    "Device.Bound": "device bound ({client_version})",
    "Device.FingerprintUpdated": "device fingerprint updated",
    "Device.PublicKeyRegistered": "device key registered",
    "Device.Renamed": "device renamed",
    "Device.Released": "device released",
    "Device.HeartbeatLost": "device stopped sending heartbeats",
    "Device.HeartbeatResumed": "device heartbeats resumed",
    "Session.Opened": "{kind} session opened",
    "Session.Rotated": "refresh token rotated",
    "Session.GraceRotated": "refresh token rotated again within its grace window",
    "Session.Closed": "session closed ({reason})",
    "IpAddress.Tracked": "address first seen",
    "IpAddress.LoginFailed": "failed login from address",
    "IpAddress.Blocked": "address blocked",
    "IpAddress.Unblocked": "address unblocked",
    "Alert.Raised": "alert: {kind} ({count} in the window)",
    "Alert.Acknowledged": "alert acknowledged",
    "ApiKey.Created": "API key created",
    "ApiKey.Revoked": "API key revoked",
    "ApiKey.RevokedKeyUsed": "revoked API key presented",
    "WebhookEndpoint.Registered": "webhook registered",
    "WebhookEndpoint.Updated": "webhook changed",
    "WebhookEndpoint.SecretRotated": "webhook secret rotated",
    "WebhookEndpoint.Disabled": "webhook disabled",
    "WebhookEndpoint.Enabled": "webhook enabled",
    "WebhookEndpoint.Removed": "webhook removed",
    "WebhookEndpoint.ResendRequested": "webhook delivery {position} sent again",
    "CrashReport.Reported": "crash reported: {kind} in app version {app_version}",
    "Release.Published": "release {release_version} published for {channel}/{platform}",
    "Release.Withdrawn": "release withdrawn",
    "Release.Republished": "release published again",
    "Download.Downloaded": "download of file {file_id} granted to device {device_id}",
}


def event_type(event: Any) -> str:
    """``Aggregate.Event`` from the event's stored topic."""
    cls: type[Any] = type(event)
    found = _TYPE_NAMES.get(cls)
    if found is None:
        found = _TYPE_NAMES[cls] = get_topic(cls).rsplit(":", 1)[-1]
    return found


_TYPE_NAMES: dict[type[Any], str] = {}  # one topic lookup per event class


def describe(event: Any) -> str:
    kind = event_type(event)
    template = SUMMARIES.get(kind, kind)
    try:  # no summary names the context, so the event's own fields serve as they are
        return template.format_map(vars(event))
    except (KeyError, IndexError):
        return template


SKIPPED = {"IndexEntry.Claimed", "IndexEntry.Repointed", "IdempotencyRecord.Recorded"}


def record(tx: Tx, event: Any, position: int) -> None:
    kind = event_type(event)
    if kind in SKIPPED:
        return
    tx.insert(
        TABLE,
        {
            "position": position,
            "at": stamp(event.timestamp),
            "actor": context_of(event).get("actor"),
            "aggregate_id": str(event.originator_id),
            "aggregate_type": kind.split(".", 1)[0],
            "event_type": kind,
            "summary": describe(event),
        },
        key="position",
    )


PROJECTION = Projection(name="activity", ddl=DDL, tables=(TABLE,), handlers={}, every_event=record)


def recent(tx: Tx, *, limit: int, before: int | None) -> list[dict[str, Any]]:
    """The newest entries, newest first, optionally before a position."""
    where, params = ("WHERE position < ?", [before]) if before is not None else ("", [])
    rows = tx.all(
        f"SELECT {', '.join(COLUMNS)} FROM {TABLE} {where} ORDER BY position DESC LIMIT ?",
        [*params, limit],
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def after(tx: Tx, position: int, limit: int) -> list[dict[str, Any]]:
    """Entries after ``position``, oldest first."""
    rows = tx.all(
        f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE position > ? ORDER BY position LIMIT ?",
        [position, limit],
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def latest_position(tx: Tx) -> int:
    row = tx.one(f"SELECT MAX(position) FROM {TABLE}")
    return int(row[0]) if row and row[0] is not None else 0
