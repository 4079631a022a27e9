"""The approved API, host side: what one plugin call may ask of the application. ``log(level, msg)`` writes
to the client log under the plugin's name; ``notify(title, body)`` calls the application's callback;
``config(key)`` reads the application's read-only plugin configuration; ``license()`` reads the license
as the latest signed lease judges it. Each call is bounded; a refusal is a ``HostRefusal`` whose message
goes back to the plugin as a Lua error."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

from keyledger_client.types import LicenseStatus, PluginNotice

log = logging.getLogger("keyledger_client.plugins")

Scalar: TypeAlias = str | int | float | bool | None
ConfigValue: TypeAlias = Scalar | Sequence["ConfigValue"] | Mapping[str, "ConfigValue"]
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_LOG_CHARS, MAX_TITLE_CHARS, MAX_BODY_CHARS = 1000, 120, 2000
MAX_CONFIG_DEPTH = 8
LUA_INTEGERS = range(-(2**63), 2**63)


class HostRefusal(Exception):
    """A request of the plugin that the host refuses."""


class HostApi:
    def __init__(
        self,
        plugin: str,
        *,
        config: Mapping[str, ConfigValue],
        status: Callable[[], LicenseStatus],
        on_notice: Callable[[PluginNotice], None] | None,
        log_lines: int,
        notifications: int,
    ) -> None:
        self.plugin, self._config, self._status, self._on_notice = plugin, config, status, on_notice
        self.lines_left, self.notices_left = log_lines, notifications

    def log(self, level: str, message: str) -> None:
        if level not in LEVELS:
            raise HostRefusal(f"log: the level is one of {', '.join(LEVELS)}")
        if self.lines_left <= 0:
            raise HostRefusal("log: this call has written all the lines it may")
        self.lines_left -= 1
        log.log(LEVELS[level], "[plugin %s] %s", self.plugin, printable(message, MAX_LOG_CHARS))

    def notify(self, title: str, body: str) -> None:
        if self.notices_left <= 0:
            raise HostRefusal("notify: this call has sent all the notifications it may")
        self.notices_left -= 1
        notice = PluginNotice(self.plugin, printable(title, MAX_TITLE_CHARS), body[:MAX_BODY_CHARS])
        if self._on_notice is None:
            log.info("[plugin %s] notification (the application shows none): %s", self.plugin, notice.title)
            return
        self._on_notice(notice)

    def config(self, key: str) -> ConfigValue:
        """A copy of the value (None when the key is absent): the plugin cannot change the application's."""
        return plain(self._config.get(key), f"config {key!r:.60}")

    def license(self) -> tuple[bool, str | None, str | None, str | None]:
        """Valid, reason it is not, license expiry (RFC 3339) and tier, as the latest lease says."""
        status = self._status()
        expiry = status.license_expiry.isoformat() if status.license_expiry else None
        return status.valid, status.reason, expiry, status.tier


def printable(text: str, limit: int) -> str:
    """One line: control characters (a forged log line's newline) escaped, at most ``limit`` characters."""
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text[:limit])


def plain(value: Any, what: str, depth: int = 0) -> ConfigValue:
    """A deep copy of plain data (text, numbers, booleans, lists, mappings with text keys)."""
    if depth > MAX_CONFIG_DEPTH:
        raise HostRefusal(f"{what}: nested deeper than {MAX_CONFIG_DEPTH}")
    if value is None or isinstance(value, str | bool | float):
        return value
    if isinstance(value, int) and value in LUA_INTEGERS:
        return value
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {key: plain(item, what, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item, what, depth + 1) for item in value]
    raise HostRefusal(f"{what}: the application's value is not plain data")
