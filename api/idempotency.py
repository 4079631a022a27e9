"""``Idempotency-Key`` on every state-changing JSON route, in one place.

The dependency ``idempotency`` (on the whole app) runs once the caller is known: the same key and the same
request (method, path, query and body — passwords included, compared only as a keyed digest) is answered
with the first response byte for byte; the same key with another request is 422
``idempotency_key_reused``; a request still running under the key is 409 ``idempotency_key_in_flight``.
Keys belong to their caller (an API key, an account, or ``anonymous`` for logins). A replay is only served
to a caller who still authenticates: a revoked key or a closed session gets its 401, not the old answer.

The middleware ``IdempotencyMiddleware`` hands the request body to the dependency and, when the request
claimed a key, keeps its 2xx response (sealed) for the window; any other outcome releases the claim."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import bearer_or_none, resolve_client, web_principal
from api.idempotency_store import Claim, IdempotencyStore, StoredResponse
from api.machine_auth import KEY_ACTOR_PREFIX, api_key_token, verified_key
from api.problems import ApiError
from api.release_uploads import UPLOAD_PATHS
from api.services import Services
from domain.idempotency import check_idempotency_key

HEADER = "idempotency-key"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
BODY = "idempotency.body"
CLAIM = "idempotency.claim"
REPLAYED = "idempotent-replayed"
KEPT_HEADERS = {"content-type", "set-cookie", "location", "retry-after", "www-authenticate"}


def applies(method: str, path: str) -> bool:
    """JSON writes; the admin pages' HTML forms (``/ui``) are not scripts' routes, and a release upload
    (a streamed body of up to gigabytes) is never buffered to be compared: a retried upload is refused
    by the release's own uniqueness (409 ``release_exists``) instead."""
    return method in WRITES and not path.startswith("/ui/") and path not in UPLOAD_PATHS


class IdempotentReplay(Exception):
    """Raised by the dependency to answer with the first response (see ``replay_response``)."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("idempotent replay")
        self.stored = stored


async def replay_response(_: Request, error: Exception) -> Response:
    if not isinstance(error, IdempotentReplay):
        raise error
    stored = error.stored
    response = Response(content=stored.body, status_code=stored.status)
    response.raw_headers = [
        (b"content-length", str(len(stored.body)).encode()),
        *((name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers),
        (REPLAYED.encode(), b"true"),
    ]
    return response


def caller_of(request: Request, svc: Services) -> str | None:
    """Whose key space a request is in; None when its credential does not authenticate (the route then
    answers its own 401/403, and nothing is replayed)."""
    try:
        token = api_key_token(request)
        if token is not None:
            return f"{KEY_ACTOR_PREFIX}{verified_key(request, svc, token).id}"
        if bearer_or_none(request) is not None:
            return f"account:{resolve_client(request, svc).account.id}"
        if request.cookies:
            return f"account:{web_principal(request, svc).account.id}"
    except ApiError:
        return None
    return "anonymous"


def canonical_body(body: bytes) -> bytes:
    """The body as canonical JSON when it is JSON (key order and spacing do not make another request)."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        return body


def idempotency(request: Request) -> None:
    """Claims the request's key, or answers it (replay, 409, 422) before the route runs."""
    given = request.headers.get(HEADER)
    body = request.scope.get("state", {}).get(BODY)
    if given is None or body is None or not applies(request.method, request.url.path):
        return
    svc: Services = request.app.state.services
    key = check_idempotency_key(given)
    caller = caller_of(request, svc)
    if caller is None:
        return
    record_id = str(svc.digests.index_id("idempotency-http", f"{caller}|{key}"))
    described = f"{request.method} {request.url.path}?{request.url.query}\n".encode() + canonical_body(body)
    digest = svc.digests.digest("idempotency-http-request", described.hex())
    outcome = svc.idempotency.claim(record_id, digest, svc.clock())
    if outcome.reused:
        raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was used for a different request")
    if outcome.in_flight:
        raise ApiError(
            409,
            "idempotency_key_in_flight",
            "a request with this Idempotency-Key is still running; retry shortly",
            {"Retry-After": "1"},
        )
    if outcome.replay is not None:
        raise IdempotentReplay(outcome.replay)
    request.scope["state"][CLAIM] = outcome.claim


class IdempotencyMiddleware:
    """Buffers the body of a write carrying a key for the dependency; keeps a claimed 2xx response."""

    def __init__(self, app: ASGIApp, store: IdempotencyStore, clock: Any) -> None:
        self.app, self.store, self.clock = app, store, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope.get("method", ""), scope.get("path", "")
        keyed = any(name == HEADER.encode() for name, _ in scope.get("headers", []))
        if scope["type"] != "http" or not keyed or not applies(method, path):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        state = scope.setdefault("state", {})
        state[BODY] = body
        captured: list[Message] = []
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            if state.get(CLAIM) is None:
                await send(message)
            else:
                captured.append(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await self._finish(state.get(CLAIM), [])
            raise
        await self._finish(state.get(CLAIM), captured)
        for message in captured:
            await send(message)

    async def _finish(self, claim: Claim | None, messages: list[Message]) -> None:
        if claim is None:
            return
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        if start is None or not 200 <= start["status"] < 300:
            await run_in_threadpool(self.store.release, claim)
            return
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in start.get("headers", [])
            if k.decode("latin-1").lower() in KEPT_HEADERS
        ]
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        stored = StoredResponse(start["status"], headers, body)
        await run_in_threadpool(self.store.complete, claim, stored, self.clock())


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
