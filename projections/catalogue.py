"""Every read model, in the order the runner feeds them."""

from __future__ import annotations

from projections import (
    accounts,
    activity,
    alerts,
    api_keys,
    audit_index,
    crash_reports,
    dashboard,
    devices,
    ip_blocks,
    licenses,
    releases,
    session_clients,
    sessions,
    webhooks,
)
from projections.base import Projection

ALL: tuple[Projection, ...] = (
    accounts.PROJECTION,
    licenses.PROJECTION,
    devices.PROJECTION,
    sessions.PROJECTION,
    ip_blocks.PROJECTION,
    crash_reports.PROJECTION,
    releases.PROJECTION,
    dashboard.PROJECTION,
    activity.PROJECTION,
    audit_index.PROJECTION,
    api_keys.PROJECTION,
    webhooks.PROJECTION,
    alerts.PROJECTION,
    session_clients.PROJECTION,
)
