"""When a device counts as online: heard from within two heartbeat intervals."""

from __future__ import annotations

from datetime import timedelta

ONLINE_WINDOW = timedelta(seconds=600)
