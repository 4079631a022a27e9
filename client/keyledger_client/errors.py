"""The SDK's error tree. Every error the SDK raises on purpose is a ``KeyledgerError``; errors that come
from a server problem response (RFC 9457) carry its stable ``code`` and HTTP ``status``.

KeyledgerError
├── ServerUnreachable          no answer from the server (connection, DNS, timeout)
├── UnexpectedResponse         an answer that is not the API's (5xx without a problem, bad JSON)
├── ProblemError               the server answered with a problem: ``code``, ``status``, ``detail``
│   ├── AuthenticationError    401: the caller is not (or no longer) who it claims
│   │   ├── InvalidCredentials     wrong username or password
│   │   ├── AccountBanned          the account is banned
│   │   └── SessionEnded           the session is closed, expired, or its refresh token was reused
│   ├── AccessRefused          403: e.g. requests from this address are blocked
│   ├── DeviceLimitReached     409: every device slot of the account is taken
│   ├── LicenseKeyRejected     404/409 on activation: unknown, already used or not activatable key
│   ├── NotEntitled            403/409 on a download: no valid license, tier too low, device released
│   │                          or without a key (``code`` says which)
│   ├── ReleaseWithdrawn       410: the release was withdrawn (yanked)
│   ├── RateLimited            429: too many attempts, ``retry_after`` seconds
│   └── ServerBusy             503: retry shortly
├── NotLoggedIn                no session on this machine (log in first)
├── NoDeviceIdentity           not one hardware identifier of this machine is readable
├── KeyringUnavailable         no secure OS credential store: never falls back to plaintext
├── LeaseRejected              a lease whose signature, audience, type or device does not verify, or
│   │                          signed by a key this client does not trust (pinned or learned)
│   └── KeySetRejected         a lease-key set no trusted key signed, older than the one kept, or malformed
├── WitnessAlarm               the ledger's history is not consistent with a checkpoint seen before
├── ReleaseRejected            a download that does not open on this device or is not exactly the
│   │                          release the ledger records (tampered, truncated, another device's)
│   └── GrantExpired           its grant has expired: a new grant is needed (the sealed bytes stay)
└── PluginError                a plugin could not be found, was refused, or failed; the host goes on
    ├── PluginNotFound             no bundle of that name, or no such entry point in its manifest
    ├── PluginRefused              refused before any line of it runs
    │   ├── PluginSignatureRejected    unsigned, signed by a key not pinned, re-signed or altered
    │   ├── PluginMalformed            not a bundle; a manifest or a source that breaks the rules
    │   └── PluginNotEntitled          the license is not valid, or its tier is below the plugin's
    └── PluginFailed               a call that started and was stopped or failed (``plugin``, ``entry``)
        ├── PluginBudgetExceeded       it ran out of its instruction budget
        ├── PluginTimeout              it ran past its wall-clock timeout
        ├── PluginMemoryExceeded       it asked for more than its memory cap
        └── PluginRuntimeError         a Lua error: a bug, a forbidden name, a stack overflow
"""

from __future__ import annotations

from typing import Any


class KeyledgerError(Exception):
    """Base of every error the SDK raises on purpose."""


class ServerUnreachable(KeyledgerError):
    """The server could not be reached; the cause is chained."""


class UnexpectedResponse(KeyledgerError):
    """The server answered, but not in the API's shape."""


class ProblemError(KeyledgerError):
    """An RFC 9457 problem from the server, with its stable ``code``."""

    def __init__(self, status: int, code: str, detail: str, problem: dict[str, Any] | None = None) -> None:
        super().__init__(f"{detail} ({code})")
        self.status, self.code, self.detail = status, code, detail
        self.problem = problem or {}

    @property
    def request_id(self) -> str | None:
        found = self.problem.get("request_id")
        return found if isinstance(found, str) else None


class AuthenticationError(ProblemError):
    """401: not authenticated."""


class InvalidCredentials(AuthenticationError):
    """Wrong username or password."""


class AccountBanned(AuthenticationError):
    """The account is banned."""


class SessionEnded(AuthenticationError):
    """The session was closed (logout, revocation, device release), expired, or its refresh token reused."""


class AccessRefused(ProblemError):
    """403: refused whoever asks (e.g. a blocked address)."""


class DeviceLimitReached(ProblemError):
    """409: the account has no free device slot."""


class LicenseKeyRejected(ProblemError):
    """The license key is unknown, already activated or not activatable."""


class NotEntitled(ProblemError):
    """This account or device may not download this (``code``: ``no_license``, ``license_expired``,
    ``license_suspended``, ``tier_too_low``, ``device_released``, ``device_key_missing``)."""


class ReleaseWithdrawn(ProblemError):
    """410: the release was withdrawn by the vendor."""


class RateLimited(ProblemError):
    """429: too many attempts."""

    @property
    def retry_after(self) -> float | None:
        found = self.problem.get("retry_after")
        return float(found) if isinstance(found, int | float) else None


class ServerBusy(ProblemError):
    """503: the server is busy; retry shortly."""


class NotLoggedIn(KeyledgerError):
    """No session is stored on this machine."""


class NoDeviceIdentity(KeyledgerError):
    """No component of the fingerprint is readable (there is no random fallback)."""


class KeyringUnavailable(KeyledgerError):
    """No secure credential store; the message says how to get one."""


class LeaseRejected(KeyledgerError):
    """A lease that does not verify: never trusted, never kept."""


class KeySetRejected(LeaseRejected):
    """A signed key set this client does not accept: no trusted key signed it, it is older than the one
    kept, or it is not a key set. No key of it is trusted."""


class WitnessAlarm(KeyledgerError):
    """The ledger history the server shows now does not extend the one it showed before."""


class PluginError(KeyledgerError):
    """A plugin could not be found, was refused or failed; never a crash of the application."""


class PluginNotFound(PluginError):
    """No plugin of that name, or no such entry point in its manifest."""


class PluginRefused(PluginError):
    """Refused before any line of the plugin runs."""


class PluginSignatureRejected(PluginRefused):
    """Unsigned, signed by a key the application does not pin, re-signed or altered."""


class PluginMalformed(PluginRefused):
    """Not a plugin bundle, or a manifest or source that breaks the rules."""


class PluginNotEntitled(PluginRefused):
    """The license is not valid now, or its tier is below the plugin's lowest tier."""


class PluginFailed(PluginError):
    """A plugin call that started, then was stopped or failed."""

    def __init__(self, plugin: str, entry: str, message: str) -> None:
        super().__init__(f"plugin {plugin}.{entry}: {message}")
        self.plugin, self.entry, self.reason = plugin, entry, message


class PluginBudgetExceeded(PluginFailed):
    """The call executed more Lua instructions than its budget."""


class PluginTimeout(PluginFailed):
    """The call ran past its wall-clock timeout."""


class PluginMemoryExceeded(PluginFailed):
    """The call asked for more memory than its cap."""


class PluginRuntimeError(PluginFailed):
    """A Lua error: a bug, a name the sandbox does not have, a stack overflow."""


class ReleaseRejected(KeyledgerError):
    """A download that does not open on this device, or is not exactly the release it should be: nothing
    of it may be used."""


class GrantExpired(ReleaseRejected):
    """The download's grant has expired: ask the server for a new grant."""


NOT_ENTITLED_CODES = frozenset(
    {
        "no_license",
        "license_expired",
        "license_suspended",
        "tier_too_low",
        "device_released",
        "device_key_missing",
    }
)
SESSION_ENDED_CODES = frozenset({"session_closed", "session_expired", "refresh_token_reused"})
LICENSE_KEY_CODES = frozenset({"license_already_activated", "license_not_activatable"})


BY_CODE: dict[str, type[ProblemError]] = {
    "invalid_credentials": InvalidCredentials,
    "account_banned": AccountBanned,
    "device_limit_reached": DeviceLimitReached,
    "release_withdrawn": ReleaseWithdrawn,
    **dict.fromkeys(SESSION_ENDED_CODES, SessionEnded),
    **dict.fromkeys(LICENSE_KEY_CODES, LicenseKeyRejected),
    **dict.fromkeys(NOT_ENTITLED_CODES, NotEntitled),
}
BY_STATUS: dict[int, type[ProblemError]] = {
    401: AuthenticationError,
    403: AccessRefused,
    429: RateLimited,
    503: ServerBusy,
}


def _class_for(status: int, code: str) -> type[ProblemError]:
    return BY_CODE.get(code) or BY_STATUS.get(status, ProblemError)


def problem_error(status: int, problem: dict[str, Any], *, activating: bool = False) -> ProblemError:
    """The SDK error for a problem response; a 404 while activating means an unknown key."""
    code = str(problem.get("code") or f"http_{status}")
    detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
    cls = LicenseKeyRejected if activating and status == 404 else _class_for(status, code)
    return cls(status, code, detail, problem)
