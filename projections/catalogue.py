"""Every read model, in the order the runner feeds them."""

from __future__ import annotations

from projections import (
    accounts,
    activity,
    audit_index,
    dashboard,
    devices,
    ip_blocks,
    licenses,
    releases,
    sessions,
)
from projections.base import Projection

ALL: tuple[Projection, ...] = (
    accounts.PROJECTION,
    licenses.PROJECTION,
    devices.PROJECTION,
    sessions.PROJECTION,
    ip_blocks.PROJECTION,
    releases.PROJECTION,
    dashboard.PROJECTION,
    activity.PROJECTION,
    audit_index.PROJECTION,
)
