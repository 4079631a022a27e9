"""The gate every request passes before any route (API, admin pages, docs, OpenAPI, static files,
metrics) — all but ``/healthz`` and ``/readyz``, which load balancers must always reach:

1. a client inside a blocked network gets 403 ``ip_blocked``;
2. the general limit counts the request against a *verified* principal — a valid API key, the account
   of a valid access token or web session — else against the client's address (IPv6 per /64; a request
   with no usable address shares one ``ip:unknown`` window). A made-up credential buys no window. For an
   access token the check also reads the change counters the route will decide on, in the same round trip.

The checks touch Redis and the ledger, so they run in the threadpool, never on the event loop."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.client_address import limit_key
from api.cookies import cookie_name
from api.deps import bearer_or_none, client_ip
from api.fresh_state import ReadAhead, client_idents
from api.machine_auth import KEY_ACTOR_PREFIX, verified_key
from api.problems import ApiError, problem
from api.services import Services
from api.tokens import TokenRejected
from domain.api_key import TOKEN_PREFIX as API_KEY_PREFIX
from domain.errors import DomainError
from domain.session import SessionKind

OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def route_label(request: Request) -> str:
    """The route template the request would match (a metrics label: never a raw path)."""
    for route in request.app.router.routes:
        if route.matches(request.scope)[0] is Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


def principal(request: Request, svc: Services) -> str:
    """Whom the general limit counts this request against."""
    now, token = svc.clock(), bearer_or_none(request)
    if token is not None and token.startswith(API_KEY_PREFIX):
        try:
            return f"{KEY_ACTOR_PREFIX}{verified_key(request, svc, token).id}"
        except ApiError:
            token = None  # a key that does not verify buys no window: it counts on the address
    if token is not None:
        try:
            claims = svc.tokens.access_claims(token, now)
        except TokenRejected:
            claims = None
        if claims is not None:
            request.state.access_claims = (token, claims)
            return f"account:{claims.account_id}"
    cookie = request.cookies.get(cookie_name(svc.web))
    if cookie:
        try:
            session = svc.ledger.session_for_token(cookie, now)
        except DomainError:
            session = None
        if session is not None and session.kind is SessionKind.WEB:
            return f"account:{session.account_id}"
    ip = client_ip(request)
    return f"ip:{limit_key(ip)}" if ip else "ip:unknown"


def check(request: Request) -> None:
    """Refuses a blocked client (403) or one over the general limit (429); returns otherwise."""
    svc: Services = request.app.state.services
    ip = client_ip(request)
    if ip is not None and svc.blocklist.blocked(ip, svc.clock()):
        svc.metrics.blocked.labels(route_label(request)).inc()
        raise ApiError(403, "ip_blocked", "requests from this address are blocked")
    limit(request, svc, principal(request, svc))


def limit(request: Request, svc: Services, who: str) -> None:
    """The general limit on ``who``. For an access token, the change counters its route decides on (the
    session's, the account's, its licenses') are read in the same round trip and kept for the route
    (``api.deps.resolve_client``): a heartbeat costs one round trip to Redis for both."""
    verified = getattr(request.state, "access_claims", None)
    if verified is None:
        svc.limits.api(who, route_label(request), svc.clock())
        return
    claims, counters = verified[1], svc.fresh.counters
    idents = client_idents(svc.fresh, claims.session_id, claims.account_id)
    keys = counters.shared_keys(idents) or []
    values = svc.limits.api(who, route_label(request), svc.clock(), keys)
    tags = counters.tags(values) if keys and len(values) == len(keys) else None
    if tags is not None:
        request.state.read_ahead = ReadAhead(idents, tuple(tags))


class GateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            await run_in_threadpool(check, request)
        except ApiError as refused:
            response = problem(request, refused.status, refused.code, refused.detail, headers=refused.headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
