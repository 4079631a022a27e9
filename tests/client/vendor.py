"""A plugin vendor for the tests: a signing key, manifests and signed bundles, a source that keeps bundles
in memory, and ``Harness``, which runs plugin source through ``Plugins`` as an application would and
records what the plugin made the host do."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyledger_client import (
    LicenseStatus,
    PluginLimits,
    PluginNotice,
    Plugins,
    sign_bundle,
)
from keyledger_client.errors import PluginNotFound
from keyledger_client.plugin_api import ConfigValue, Scalar
from keyledger_client.plugin_bundle import raw_public

VALID = LicenseStatus(True, None, datetime(2027, 1, 1, tzinfo=UTC), None, online=True, tier="user")


@dataclass
class Vendor:
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def public_hex(self) -> str:
        return raw_public(self.key.public_key()).hex()

    @staticmethod
    def manifest(name: str = "hello", **changes: Any) -> bytes:
        fields = {"name": name, "version": "1.0.0", "entry_points": ["main"], "min_tier": "user", "api": 1}
        return json.dumps({**fields, **changes}).encode()

    def bundle(self, source: str, name: str = "hello", **changes: Any) -> bytes:
        return sign_bundle(self.manifest(name, **changes), source.encode(), self.key)


@dataclass
class MemorySource:
    """Bundles kept in memory, as a release source hands them over (never on disk)."""

    bundles: dict[str, bytes] = field(default_factory=dict)

    def names(self) -> list[str]:
        return sorted(self.bundles)

    def read(self, name: str) -> bytes:
        if name not in self.bundles:
            raise PluginNotFound(f"no plugin named {name}")
        return self.bundles[name]


@dataclass
class Harness:
    vendor: Vendor = field(default_factory=Vendor)
    source: MemorySource = field(default_factory=MemorySource)
    status: LicenseStatus = VALID
    config: dict[str, ConfigValue] = field(default_factory=dict)
    notices: list[PluginNotice] = field(default_factory=list)

    def plugins(self, **limits: Any) -> Plugins:
        return Plugins(
            self.source,
            [self.vendor.public_hex],
            status=lambda: self.status,
            config=self.config,
            on_notice=self.notices.append,
            limits=PluginLimits(**limits),
        )

    def run(self, source: str, entry: str = "main", *args: Scalar, **limits: Any) -> Scalar:
        """Signs ``source`` as the plugin ``hello`` (entry points ``main`` and ``other``), runs ``entry``."""
        self.source.bundles["hello"] = self.vendor.bundle(source, entry_points=["main", "other"])
        return self.plugins(**limits).run("hello", entry, *args)
