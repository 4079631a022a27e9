"""Secrets in the OS credential store (``keyring``): the refresh token and the device's private key.

When no secure backend exists, every operation raises ``KeyringUnavailable`` with a message that says
how to fix it. There is no plaintext fallback, not even a silent one: backends that keep secrets in a
readable file (``keyrings.alt``'s plaintext keyrings) are refused like a missing one."""

from __future__ import annotations

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from keyledger_client.errors import KeyringUnavailable

REFRESH_TOKEN = "refresh-token"  # noqa: S105 -- the name of a keyring entry, not a secret
DEVICE_KEY = "device-private-key"
INSECURE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")
HOW_TO_FIX = (
    "No secure credential store is available, and Keyledger never keeps secrets in plaintext. "
    "On Linux, install and unlock a Secret Service provider (GNOME Keyring or KWallet; on a headless "
    "machine start one with `gnome-keyring-daemon --unlock`), or choose a secure backend with the "
    "PYTHON_KEYRING_BACKEND variable; macOS Keychain and Windows Credential Locker work as they are."
)


def is_secure(backend: KeyringBackend) -> bool:
    """False for the fail/null backends and plaintext file keyrings."""
    module = type(backend).__module__
    if any(module.startswith(prefix) for prefix in INSECURE_BACKENDS):
        return False
    children = getattr(backend, "backends", None)
    if children is not None:  # the chainer: secure if any of its backends is
        return any(is_secure(child) for child in children)
    return "plaintext" not in type(backend).__name__.lower()


class SecretStore:
    """One application's secrets in the OS keyring, under the service name ``keyledger:<app_id>``."""

    def __init__(self, app_id: str, backend: KeyringBackend | None = None) -> None:
        self.service = f"keyledger:{app_id}"
        self._backend = backend

    def backend(self) -> KeyringBackend:
        backend = self._backend if self._backend is not None else keyring.get_keyring()
        if not is_secure(backend):
            raise KeyringUnavailable(HOW_TO_FIX)
        return backend

    def check(self) -> None:
        """Raises ``KeyringUnavailable`` now rather than after a login."""
        self.backend()

    def get(self, name: str) -> str | None:
        try:
            return self.backend().get_password(self.service, name)
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(f"{HOW_TO_FIX} ({type(error).__name__})") from None

    def put(self, name: str, secret: str) -> None:
        try:
            self.backend().set_password(self.service, name, secret)
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(f"{HOW_TO_FIX} ({type(error).__name__})") from None

    def delete(self, name: str) -> None:
        """Forgets a secret; forgetting one that is not there is fine."""
        try:
            self.backend().delete_password(self.service, name)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(f"{HOW_TO_FIX} ({type(error).__name__})") from None
