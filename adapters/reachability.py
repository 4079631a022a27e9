"""Readiness probes: whether a configured service (Redis, NATS) accepts a TCP connection right now."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

CHECK_TIMEOUT_S = 1.0


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), CHECK_TIMEOUT_S
        ):
            return True
    except OSError:
        return False
