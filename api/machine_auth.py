"""Who may call the admin API: an admin's web session (cookie + CSRF, unchanged) or a machine's API key
(``Authorization: Bearer kl_live_...``, no cookie, no CSRF) holding the route's scope. Either way the
caller is checked against the write model on every request, so a revoked key fails on the next one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.deps import AppServices, WebPrincipal, admin_principal, audit_context, bearer_or_none, web_principal
from api.problems import ApiError
from api.scopes import scope_for
from api.services import Services
from domain.api_key import TOKEN_PREFIX, ApiKey
from domain.context import AuditContext
from domain.errors import ApiKeyRejected

KEY_ACTOR_PREFIX = "api-key:"


@dataclass(frozen=True)
class KeyPrincipal:
    """A machine calling with an API key; its key id is the actor of everything it does."""

    key: ApiKey

    @property
    def actor(self) -> str:
        return f"{KEY_ACTOR_PREFIX}{self.key.id}"

    def context(self, request: Request, reason: str | None = None) -> AuditContext:
        return audit_context(request, self.actor, reason)


AdminCaller = WebPrincipal | KeyPrincipal


def api_key_token(request: Request) -> str | None:
    """The bearer token if it has an API key's shape (a desktop JWT never does)."""
    token = bearer_or_none(request)
    return token if token is not None and token.startswith(TOKEN_PREFIX) else None


def key_rejected(detail: str) -> ApiError:
    return ApiError(401, "invalid_api_key", detail, {"WWW-Authenticate": 'Bearer realm="keyledger"'})


def verified_key(request: Request, svc: Services, token: str) -> ApiKey:
    """The usable key of ``token`` (cached on the request), else 401 ``invalid_api_key``."""
    cached = getattr(request.state, "api_key", None)
    if isinstance(cached, ApiKey):
        return cached
    try:
        key = svc.ledger.api_key_for_token(token, svc.clock(), audit_context(request, "anonymous"))
    except ApiKeyRejected as error:
        raise key_rejected(error.message) from None
    request.state.api_key = key
    return key


def key_principal(request: Request, svc: Services, token: str) -> KeyPrincipal:
    key = verified_key(request, svc, token)
    route = str(getattr(request.scope.get("route"), "path", request.url.path))
    scope = scope_for(request.method, route)
    if scope is None or not key.allows(scope):
        needed = scope.value if scope else "a web session"
        raise ApiError(403, "insufficient_scope", f"this API key lacks the scope this needs: {needed}")
    svc.key_usage.touch(key.id, svc.clock())
    return KeyPrincipal(key)


def admin_caller(request: Request, svc: AppServices) -> AdminCaller:
    """An API key with the route's scope, else the admin's web session."""
    token = api_key_token(request)
    if token is not None:
        return key_principal(request, svc, token)
    return admin_principal(web_principal(request, svc))


CurrentAdmin = Annotated[AdminCaller, Depends(admin_caller)]
