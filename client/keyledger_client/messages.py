"""One clear line for every failure a user can meet, keyed by the server's stable codes and the SDK's
own reasons."""

from __future__ import annotations

from datetime import datetime

from keyledger_client.errors import (
    KeyledgerError,
    KeyringUnavailable,
    NotLoggedIn,
    PluginError,
    PluginFailed,
    PluginRefused,
    ProblemError,
    RateLimited,
    ReleaseRejected,
    ServerUnreachable,
)
from keyledger_client.types import LicenseStatus

ACTIVATE = "activate a key with `keyledger-client activate KEY`"
LOG_IN_AGAIN = "log in again with `keyledger-client login`"
BY_CODE = {
    "invalid_credentials": "Wrong username or password.",
    "account_banned": "Access refused: this account is banned. Contact the vendor's support.",
    "device_limit_reached": (
        "Device limit reached: every device slot of this account is in use. Ask your administrator to "
        "release a device, or " + ACTIVATE + " that allows more devices."
    ),
    "session_closed": "Your session was closed (logged out, revoked or device released): "
    + LOG_IN_AGAIN
    + ".",
    "session_expired": "Your session has expired: " + LOG_IN_AGAIN + ".",
    "refresh_token_reused": "Your session was ended for safety (its token was used twice): "
    + LOG_IN_AGAIN
    + ".",
    "ip_blocked": "Requests from this network address are blocked; try again later or contact support.",
    "not_found": "Unknown license key: check it for typos.",
    "license_already_activated": "This license key has already been activated.",
    "license_not_activatable": "This license key cannot be activated (it was revoked or suspended).",
    "license_suspended": "Your license is suspended. Contact the vendor's support.",
    "no_license": "No license on this account yet: " + ACTIVATE + ".",
    "device_released": "This device was released from your account: " + LOG_IN_AGAIN + ".",
    "grace_expired": (
        "The server has not been reachable for too long and the offline grace period has ended: reconnect."
    ),
    "clock_rollback": (
        "This computer's clock was set back, so the license cannot be checked offline: "
        "fix the clock or reconnect."
    ),
    "no_lease": "The license was never checked on this device: connect to the server once.",
    "state_tampered": (
        "The license saved on this device was changed outside the application, so it is not trusted: "
        "connect to the server once."
    ),
    "busy": "The server is busy; try again in a moment.",
    "license_expired": "Your license has expired: " + ACTIVATE + ".",
    "tier_too_low": "Your license does not include this release (it needs a higher tier).",
    "device_key_missing": "This device has no download key registered: " + LOG_IN_AGAIN + ".",
    "release_withdrawn": "The vendor has withdrawn this release; choose another version.",
    "grant_expired": "The download took too long and its grant expired: run the command again.",
    "limiter_unavailable": "Downloads are briefly unavailable on the server; try again in a minute.",
}


def license_expired(expiry: datetime | None) -> str:
    when = f" on {expiry:%Y-%m-%d %H:%M} UTC" if expiry else ""
    return f"Your license expired{when}: {ACTIVATE}."


def for_status(status: LicenseStatus) -> str:
    """Why the license is not valid, in one line."""
    if status.reason == "license_expired":
        return license_expired(status.license_expiry)
    return BY_CODE.get(status.reason or "", f"The license is not valid ({status.reason}).")


def for_plugin(error: PluginError) -> str:
    """Refused (never ran), stopped (ran, then failed or hit a limit), or not found."""
    verdict = (
        "refused"
        if isinstance(error, PluginRefused)
        else "stopped"
        if isinstance(error, PluginFailed)
        else "not found"
    )
    return f"Plugin {verdict}: {error}."


def for_error(error: KeyledgerError, server: str | None = None) -> str:
    """The line a user sees for an SDK error."""
    if isinstance(error, ServerUnreachable):
        where = f" at {server}" if server else ""
        return f"Cannot reach the Keyledger server{where}: check the address and your network connection."
    if isinstance(error, NotLoggedIn | KeyringUnavailable | ReleaseRejected):
        return _own_words(error)
    if isinstance(error, RateLimited):
        wait = f" in {error.retry_after:.0f} s" if error.retry_after else " later"
        return f"Too many attempts: try again{wait}."
    if isinstance(error, ProblemError):
        return BY_CODE.get(error.code, f"The server refused: {error.detail} ({error.code}).")
    return for_plugin(error) if isinstance(error, PluginError) else f"{type(error).__name__}: {error}"


def _own_words(error: KeyledgerError) -> str:
    if isinstance(error, NotLoggedIn):
        return "Not logged in: run `keyledger-client login`."
    if isinstance(error, ReleaseRejected):
        return f"The download was refused and deleted, nothing of it was kept: {error}"
    return str(error)
