"""Which scope an API key needs for each admin route: the route's resource (by path prefix) and its kind
(GET reads, anything else writes). Routes not listed here take no API key at all (``/admin/api-keys``:
a key never manages keys, so a leaked key cannot mint others)."""

from __future__ import annotations

from domain.api_key import Scope

RESOURCES = (
    ("/admin/users", "users"),
    ("/admin/licenses", "licenses"),
    ("/admin/devices", "devices"),
    ("/admin/sessions", "sessions"),
    ("/admin/ip-blocks", "ip-blocks"),
    ("/admin/webhooks", "webhooks"),
    ("/admin/alerts", "alerts"),
    ("/admin/crash-reports", "crash-reports"),
    ("/admin/releases", "releases"),
    ("/audit", "audit"),
    ("/ledger/export", "audit"),
    ("/dashboard", "dashboard"),
)
# Routes whose scope is not their prefix's: granting license time is a licensing act; the access export
# opens every personal value of a person, which a key that lists users must not be able to do in bulk.
OVERRIDES = {
    ("POST", "/admin/users/{account_id}/grants"): Scope.LICENSES_WRITE,
    ("GET", "/admin/users/{account_id}/personal-data"): Scope.PERSONAL_DATA_READ,
}


def scope_for(method: str, route: str) -> Scope | None:
    """The scope a key needs for ``method route`` (the route's path template), or None: no key may."""
    if (method, route) in OVERRIDES:
        return OVERRIDES[method, route]
    for prefix, resource in RESOURCES:
        if route == prefix or route.startswith(prefix + "/"):
            kind = "read" if method in ("GET", "HEAD") else "write"
            try:
                return Scope(f"{resource}:{kind}")
            except ValueError:
                return None
    return None
