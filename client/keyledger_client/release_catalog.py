"""Releases as the server lists them for this device (``GET /client/releases``), and how one is chosen: by
version or id, else the newest version of a channel for a platform."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any

from keyledger_client.errors import KeyledgerError, UnexpectedResponse


@dataclass(frozen=True)
class ReleaseFile:
    id: str
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Release:
    id: str
    product: str
    channel: str
    platform: str
    version: str
    notes: str
    min_tier: str
    files: tuple[ReleaseFile, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Release:
        try:
            files = tuple(
                ReleaseFile(str(f["id"]), str(f["name"]), int(f["size"]), str(f["sha256"]))
                for f in data["files"]
            )
            fields = ("id", "product", "channel", "platform", "version", "notes", "min_tier")
            return cls(**{name: str(data[name]) for name in fields}, files=files)
        except (KeyError, TypeError, ValueError):
            raise UnexpectedResponse("a release in the server's answer is malformed") from None

    def file(self, name: str | None) -> ReleaseFile:
        """The file called ``name``, or the only file when no name is given."""
        if name is None and len(self.files) == 1:
            return self.files[0]
        for found in self.files:
            if found.name == name:
                return found
        names = ", ".join(f.name for f in self.files)
        raise NoSuchRelease(f"release {self.version} has the files {names}: choose one with --file")


class NoSuchRelease(KeyledgerError):
    """No release (or file) this device may download matches what was asked for."""


def this_platform() -> str:
    """This machine's platform label as vendors usually name it: ``linux-x86_64``, ``darwin-arm64``,
    ``windows-amd64``."""
    return f"{platform.system().lower()}-{platform.machine().lower()}"


def choose(releases: list[Release], wanted: str | None, platform_label: str, channel: str) -> Release:
    """``wanted`` (a version or a release id) among ``releases`` (newest version first), else the newest
    of ``channel`` for ``platform_label``."""
    for release in releases:
        if wanted == release.id or (wanted == release.version and release.platform == platform_label):
            return release
        if wanted is None and (release.channel, release.platform) == (channel, platform_label):
            return release
    what = f"release {wanted}" if wanted else f"release on the {channel} channel"
    raise NoSuchRelease(f"no {what} for {platform_label} that this license may download")
