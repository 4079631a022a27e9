"""Where plugin bundles come from. A source hands over a bundle's bytes in memory and nothing else: it never
verifies (the caller does, with the pinned keys) and never writes a bundle it decrypted to disk. Today's
source is a folder (``plugins/`` in the client's home: development, and plugins the vendor ships with the
application); a source of releases downloaded from the server implements the same protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from keyledger_client.errors import PluginNotFound
from keyledger_client.plugin_bundle import MAX_BUNDLE_BYTES, SUFFIX
from keyledger_client.plugin_manifest import NAME

PLUGINS_FOLDER = "plugins"


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
