"""Where plugin bundles come from. A source hands over a bundle's bytes in memory and nothing else: it never
verifies (the caller does, with the pinned keys) and never writes a bundle it decrypted to disk. Today's
source is a folder (``plugins/`` in the client's home: development, and plugins the vendor ships with the
application) or the server's releases: ``ReleaseSource`` lists the bundles of the releases this license may
download and hands one over decrypted in memory (the download cache holds only ciphertext)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from keyledger_client.errors import PluginMalformed, PluginNotFound
from keyledger_client.plugin_bundle import MAX_BUNDLE_BYTES, SUFFIX
from keyledger_client.plugin_manifest import NAME
from keyledger_client.release_catalog import Release, ReleaseFile
from keyledger_client.releases import Releases

PLUGINS_FOLDER = "plugins"
PLUGIN_PLATFORM = "plugins"  # the platform label of releases that ship plugin bundles


class PluginSource(Protocol):
    def names(self) -> list[str]:
        """The names of the bundles this source has, sorted."""
        ...

    def read(self, name: str) -> bytes:
        """The bundle ``name`` as bytes (signed, not yet verified); ``PluginNotFound`` if there is none."""
        ...


class FolderSource:
    """Bundles named ``NAME.klplugin`` in one folder; a missing folder holds no plugin."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        found = (path.name.removesuffix(SUFFIX) for path in self.folder.glob(f"*{SUFFIX}"))
        return sorted(name for name in found if NAME.fullmatch(name))

    def read(self, name: str) -> bytes:
        if not NAME.fullmatch(name):
            raise PluginNotFound(f"no plugin named {name!r:.80}")
        path = self.folder / f"{name}{SUFFIX}"
        try:
            with path.open("rb") as file:
                return file.read(MAX_BUNDLE_BYTES + 1)
        except (FileNotFoundError, IsADirectoryError):
            raise PluginNotFound(f"no plugin named {name} in {self.folder}") from None


class ReleaseSource:
    """Bundles shipped as releases: the files named ``NAME.klplugin`` of the releases on the platform
    ``plugins`` of one channel that this license may download (the server filters by the release's
    lowest tier). When several releases hold a bundle of the same name, the newest version wins. A bundle
    is fetched into the encrypted download cache, decrypted in memory and checked against the SHA-256 the
    release records; its plaintext is never written to disk."""

    def __init__(self, releases: Releases, channel: str = "stable", platform: str = PLUGIN_PLATFORM) -> None:
        self.releases, self.channel, self.platform = releases, channel, platform

    def _bundles(self) -> dict[str, tuple[Release, ReleaseFile]]:
        found: dict[str, tuple[Release, ReleaseFile]] = {}
        for release in self.releases.available(platform=self.platform, channel=self.channel):
            for file in release.files:  # releases come newest first: the first of a name wins
                name = file.name.removesuffix(SUFFIX)
                if file.name.endswith(SUFFIX) and NAME.fullmatch(name):
                    found.setdefault(name, (release, file))
        return found

    def names(self) -> list[str]:
        return sorted(self._bundles())

    def read(self, name: str) -> bytes:
        bundle = self._bundles().get(name) if NAME.fullmatch(name) else None
        if bundle is None:
            raise PluginNotFound(f"no plugin named {name!r:.80} in the {self.channel} plugin releases")
        release, file = bundle
        if file.size > MAX_BUNDLE_BYTES:  # refused before a byte of it is downloaded
            raise PluginMalformed(f"the bundle of {name} is larger than {MAX_BUNDLE_BYTES} bytes")
        return b"".join(self.releases.open(release, file))  # ReleaseRejected unless the digest matches
