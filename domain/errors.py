"""The ledger's error tree. Each error has a stable ``code`` that the API maps to a problem response.

DomainError
├── InvalidInput              bad shape or value of a command argument
├── NotFound                  no such account, license, device, session or address
├── Conflict                  a uniqueness or state rule stops the command
│   ├── UsernameTaken
│   ├── DeviceLimitReached
│   ├── LicenseAlreadyActivated
│   ├── LicenseNotActivatable
│   ├── IdempotencyKeyReused
│   ├── ApiKeyRevoked
│   ├── EndpointRemoved
│   ├── ReleaseExists
│   ├── DeviceKeyMissing
│   └── ConcurrencyExhausted
├── NotEntitled               the caller may not have this (no valid license, tier, released device)
├── Gone                      it existed and is over
│   ├── ReleaseWithdrawn
│   └── GrantExpired
└── AuthenticationFailed      the caller is not (or no longer) who it claims
    ├── InvalidCredentials
    ├── AccountBanned
    ├── SessionClosed
    ├── RefreshTokenReused
    ├── SessionExpired
    └── ApiKeyRejected        unknown, wrong, expired or revoked API key
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the ledger raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind


class Conflict(DomainError):
    code = "conflict"


class UsernameTaken(Conflict):
    code = "username_taken"


class DeviceLimitReached(Conflict):
    code = "device_limit_reached"


class LicenseAlreadyActivated(Conflict):
    code = "license_already_activated"


class LicenseNotActivatable(Conflict):
    code = "license_not_activatable"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class ApiKeyRevoked(Conflict):
    code = "api_key_revoked"


class EndpointRemoved(Conflict):
    code = "webhook_removed"


class ReleaseExists(Conflict):
    code = "release_exists"


class DeviceKeyMissing(Conflict):
    code = "device_key_missing"


class ConcurrencyExhausted(Conflict):
    code = "concurrent_update"


class NotEntitled(DomainError):
    """Refused for a reason the caller's own state gives: ``code`` says which (``no_license``,
    ``license_expired``, ``license_suspended``, ``tier_too_low``, ``device_released``)."""

    code = "not_entitled"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Gone(DomainError):
    code = "gone"


class ReleaseWithdrawn(Gone):
    code = "release_withdrawn"


class GrantExpired(Gone):
    code = "grant_expired"


class AuthenticationFailed(DomainError):
    code = "authentication_failed"


class InvalidCredentials(AuthenticationFailed):
    code = "invalid_credentials"


class AccountBanned(AuthenticationFailed):
    code = "account_banned"


class SessionClosed(AuthenticationFailed):
    code = "session_closed"


class RefreshTokenReused(AuthenticationFailed):
    code = "refresh_token_reused"


class SessionExpired(AuthenticationFailed):
    code = "session_expired"


class ApiKeyRejected(AuthenticationFailed):
    code = "invalid_api_key"
