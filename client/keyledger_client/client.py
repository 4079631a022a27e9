"""``KeyledgerClient``: the one object an application builds. Every dependency is a parameter (transport,
clock, keyring backend, fingerprint readers, state folder), so tests build it from fakes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from keyring.backend import KeyringBackend

from keyledger_client.crash_handler import collect_faults
from keyledger_client.crash_reports import CRASHES_FOLDER, CrashReport, CrashStore
from keyledger_client.credentials import SecretStore
from keyledger_client.errors import NotLoggedIn
from keyledger_client.fingerprint import Readers, application_salt
from keyledger_client.heartbeat import HeartbeatThread
from keyledger_client.lease_keys import parse_lease_key
from keyledger_client.licensing import Licensing
from keyledger_client.plugin_api import ConfigValue
from keyledger_client.plugin_sources import PLUGINS_FOLDER, FolderSource, PluginSource, ReleaseSource
from keyledger_client.plugins import Plugins
from keyledger_client.redaction import Redactor
from keyledger_client.release_catalog import Release, ReleaseFile
from keyledger_client.releases import Progress, Releases
from keyledger_client.sandbox import PluginLimits
from keyledger_client.session import LoginResult, Session, parse_time
from keyledger_client.state import LocalState, StateFile, default_home
from keyledger_client.state_seal import StateSeal
from keyledger_client.transport import DEFAULT_TIMEOUT_S, Api
from keyledger_client.types import Callbacks, Clock, LicenseStatus, SystemClock
from keyledger_client.version import VERSION
from keyledger_client.witness import Witness

log = logging.getLogger("keyledger_client")


@dataclass(frozen=True)
class Activation:
    license_id: str
    license_expiry: datetime | None
    role: str
    device_limit: int


class KeyledgerClient:
    def __init__(
        self,
        server: str | None = None,
        *,
        app_id: str = "keyledger",
        salt: bytes | None = None,
        callbacks: Callbacks | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        keyring_backend: KeyringBackend | None = None,
        home: Path | None = None,
        readers: Readers | None = None,
        witness: bool = True,
        ledger_key: str | None = None,
        lease_keys: Sequence[str | Mapping[str, Any]] = (),
        client_version: str = VERSION,
        timeout: float = DEFAULT_TIMEOUT_S,
        plugin_keys: Sequence[str] = (),
        plugin_config: Mapping[str, ConfigValue] | None = None,
        plugin_source: PluginSource | None = None,
        plugin_channel: str | None = None,
        plugin_limits: PluginLimits | None = None,
        post_quantum: bool = False,
    ) -> None:
        """``server`` defaults to the one of the last login; ``salt`` to one derived from ``app_id``;
        ``ledger_key`` pins the ledger's verifier key (else it is trusted on first use); ``lease_keys``
        pins the server's lease-signing keys (Ed25519 JWKs, or raw keys in base64url or hex; else they
        are trusted on first use); ``plugin_keys`` pins the vendor's plugin signing keys,
        ``plugin_config`` is what plugins read with ``config``; plugins come from ``plugin_source``, else
        from the server's plugin releases of ``plugin_channel`` when one is named, else from the home's
        ``plugins/`` folder; ``post_quantum`` registers a hybrid
        MLKEM768-X25519 device key, so downloads stay confidential against a future quantum computer."""
        pinned = [parse_lease_key(key) for key in lease_keys]  # ValueError for a key that is not one
        self.home = home or default_home(app_id)
        secrets = SecretStore(app_id, keyring_backend)
        state_file = StateFile(self.home, StateSeal(secrets))
        state = state_file.load()
        url = (server or state.server or "").rstrip("/")
        if not url:
            raise NotLoggedIn("no server known: log in with a server URL first")
        if state.server not in (None, url):
            state = LocalState()  # another server: nothing saved for the old one applies
            state_file.tampered = False
        clock = clock or SystemClock()
        self.app_id, self.client_version = app_id, client_version
        self.callbacks = callbacks or Callbacks()
        self.api = Api(url, transport=transport, timeout=timeout)
        self.session = Session(
            self.api,
            clock,
            secrets,
            state_file,
            state,
            salt=salt or application_salt(app_id),
            readers=readers,
            on_signed_out=self._signed_out,
            post_quantum=post_quantum,
        )
        self.witness = Witness(self.session, pinned_key=ledger_key) if witness else None
        self.licensing = Licensing(
            self.session, clock, self.callbacks, self.witness, client_version, lease_keys=pinned
        )
        self.releases = Releases(self.session, self.witness, clock, self.home)
        self._heartbeats: HeartbeatThread | None = None
        self.plugins = Plugins(
            plugin_source or self._plugin_source(plugin_channel),
            plugin_keys,
            status=self.status,
            config=plugin_config,
            on_notice=self.callbacks.on_plugin_notice,
            limits=plugin_limits,
        )
        self.crash_reports = CrashStore(self.home / CRASHES_FOLDER)

    def _plugin_source(self, channel: str | None) -> PluginSource:
        if channel is not None:
            return ReleaseSource(self.releases, channel)
        return FolderSource(self.home / PLUGINS_FOLDER)

    @property
    def state(self) -> LocalState:
        return self.session.state

    def login(
        self, username: str, password: str, *, remember: bool = True, nickname: str | None = None
    ) -> LoginResult:
        """Logs in and binds this device; ``remember`` keeps the refresh token in the OS keyring."""
        result = self.session.login(
            username, password, remember=remember, nickname=nickname, client_version=self.client_version
        )
        self.licensing.reset()
        return result

    def resume(self) -> bool:
        """Picks up the session remembered on this machine; False when there is none."""
        return self.session.resume()

    def logout(self) -> None:
        self.stop_heartbeats()
        self.session.logout()
        self.licensing.reset()

    def activate(self, key: str, *, idempotency_key: str | None = None) -> Activation:
        """Activates a license key on the account (retried safely with the same idempotency key)."""
        self.session.require()
        answer = self.session.tokens.authorized(
            "POST",
            "/client/licenses/activate",
            json={"key": key.strip()},
            headers={"Idempotency-Key": idempotency_key or uuid.uuid4().hex},
            activating=True,
        )
        expiry = parse_time(answer.get("license_expiry"))
        with self.session.lock:
            self.state.license_expiry = expiry
            self.session.save()
        return Activation(str(answer["license_id"]), expiry, str(answer["role"]), int(answer["device_limit"]))

    def license(self) -> dict[str, Any]:
        """The server's view of the license now (``GET /client/license``)."""
        self.session.require()
        return self.session.tokens.authorized("GET", "/client/license")

    def devices(self) -> dict[str, Any]:
        """The account's bound devices and its device limit (``GET /client/devices``)."""
        self.session.require()
        return self.session.tokens.authorized("GET", "/client/devices")

    def open_release(
        self,
        version: str | None = None,
        *,
        platform: str | None = None,
        channel: str = "stable",
        file: str | None = None,
        progress: Progress | None = None,
    ) -> tuple[Release, ReleaseFile, Iterator[bytes]]:
        """A release file's plaintext, in memory: the release (by version, else the newest of ``channel``
        for ``platform``), the file (by name, or the only one) and its chunks, downloaded (or resumed)
        into the encrypted cache first. The chunks are verified against the SHA-256 the release records:
        ``ReleaseRejected`` while iterating means none of them may be used."""
        release = self.releases.find(version, platform=platform, channel=channel)
        chosen = release.file(file)
        return release, chosen, self.releases.open(release, chosen, progress)

    def heartbeat(self) -> LicenseStatus:
        """One heartbeat now; when the server cannot be reached, the status the latest lease allows."""
        self.session.require()
        return self.licensing.heartbeat()

    def status(self) -> LicenseStatus:
        """The license as the latest verified lease says, without asking the server."""
        return self.licensing.offline_status()

    def start_heartbeats(
        self, *, max_interval_s: float | None = None, after: LicenseStatus | None = None
    ) -> None:
        """Heartbeats in a background thread, every ``next_heartbeat_s`` (at most ``max_interval_s``);
        the first one at once, or when due after the heartbeat that returned ``after``."""
        self.session.require()
        if self._heartbeats is not None and self._heartbeats.alive:
            return
        self.licensing.max_interval_s = max_interval_s
        first = self.licensing.delay_after(after) if after is not None else 0.0
        self._heartbeats = HeartbeatThread(
            self.licensing.beat, on_error=self.callbacks.on_error, first_delay_s=first
        )
        self._heartbeats.start()

    def stop_heartbeats(self) -> None:
        if self._heartbeats is not None:
            self._heartbeats.stop()
            self._heartbeats = None

    def pending_crash_reports(self) -> list[CrashReport]:
        """Reports of earlier crashes (faults included) waiting for the application's decision."""
        collect_faults(self.home)
        return self.crash_reports.pending()

    def send_crash_report(self, report: CrashReport) -> int:
        """Sends a report the user agreed to send (redacted once more); deleted here after a 2xx."""
        self.session.require()
        body = report.body(Redactor([self.state.username] if self.state.username else []))
        answer = self.session.tokens.authorized(
            "POST", "/client/crash-reports", json=body, headers={"Idempotency-Key": report.report_id}
        )
        self.crash_reports.delete(report.report_id)
        return int(answer.get("position", 0))

    def discard_crash_report(self, report: CrashReport) -> None:
        self.crash_reports.delete(report.report_id)

    def close(self) -> None:
        """Stops the heartbeats and the HTTP connections; the session stays remembered."""
        self.stop_heartbeats()
        self.api.close()

    def __enter__(self) -> KeyledgerClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _signed_out(self, code: str) -> None:
        self.licensing.ended(code)
