"""Vendor plugins as the application sees them: list what a source holds, and run an entry point of a
plugin whose signature verifies with a pinned key, while the license allows it, each call in a fresh
sandbox (``keyledger_client.sandbox``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keyledger_client.errors import PluginError, PluginMalformed, PluginNotEntitled, PluginNotFound
from keyledger_client.plugin_api import ConfigValue, HostApi, Scalar
from keyledger_client.plugin_bundle import Plugin, open_bundle, parse_public_key
from keyledger_client.plugin_manifest import tier_allows
from keyledger_client.plugin_sources import PluginSource
from keyledger_client.sandbox import PluginLimits, run_call
from keyledger_client.types import LicenseStatus, PluginNotice

log = logging.getLogger("keyledger_client.plugins")


@dataclass(frozen=True)
class PluginInfo:
    """One bundle of the source: its manifest when it verifies, else why it is refused."""

    name: str
    plugin: Plugin | None
    refused: str | None


def load_plugin(source: PluginSource, keys: Sequence[Ed25519PublicKey], name: str) -> Plugin:
    plugin = open_bundle(source.read(name), keys)
    if plugin.name != name:
        raise PluginMalformed(f"the bundle {name} holds the plugin {plugin.name}")
    return plugin


def list_plugins(source: PluginSource, keys: Sequence[Ed25519PublicKey]) -> list[PluginInfo]:
    found = []
    for name in source.names():
        try:
            found.append(PluginInfo(name, load_plugin(source, keys, name), None))
        except PluginError as error:
            found.append(PluginInfo(name, None, str(error)))
    return found


class Plugins:
    def __init__(
        self,
        source: PluginSource,
        keys: Sequence[str],
        *,
        status: Callable[[], LicenseStatus],
        config: Mapping[str, ConfigValue] | None = None,
        on_notice: Callable[[PluginNotice], None] | None = None,
        limits: PluginLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``keys``: the vendor's Ed25519 public keys (hex) pinned in the application at build time."""
        self.source, self.keys = source, [parse_public_key(key) for key in keys]
        self.status, self.config, self.on_notice = status, config or {}, on_notice
        self.limits, self.monotonic = limits or PluginLimits(), monotonic

    def list(self) -> list[PluginInfo]:
        """Every bundle of the source, verified (nothing of it runs)."""
        return list_plugins(self.source, self.keys)

    def load(self, name: str) -> Plugin:
        """The plugin ``name``, verified with the pinned keys; refused if anything does not match."""
        return load_plugin(self.source, self.keys, name)

    def run(self, name: str, entry: str | None = None, *args: Scalar) -> Scalar:
        """Calls ``entry`` (the manifest's first entry point by default) with plain ``args``."""
        plugin = self.load(name)
        entry = entry or plugin.manifest.entry_points[0]
        if entry not in plugin.manifest.entry_points:
            raise PluginNotFound(f"plugin {name} has no entry point {entry!r:.64}")
        self.check_entitled(plugin)
        log.info("running plugin %s %s, entry point %s", name, plugin.manifest.version, entry)
        return run_call(plugin, entry, args, self.host(name), self.limits, self.monotonic)

    def host(self, name: str) -> HostApi:
        """The approved API for one call of the plugin ``name`` (its counts start afresh)."""
        return HostApi(
            name,
            config=self.config,
            status=self.status,
            on_notice=self.on_notice,
            log_lines=self.limits.log_lines,
            notifications=self.limits.notifications,
        )

    def check_entitled(self, plugin: Plugin) -> None:
        status = self.status()
        if not status.valid:
            raise PluginNotEntitled(
                f"the license is not valid ({status.reason}): plugin {plugin.name} refused"
            )
        if not tier_allows(status.tier, plugin.manifest.min_tier):
            raise PluginNotEntitled(
                f"plugin {plugin.name} needs a {plugin.manifest.min_tier} license "
                f"(this one is {status.tier or 'user'})"
            )
