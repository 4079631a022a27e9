"""Bodies are size-limited: a declared or streamed body over the limit is refused with 413. Routes that
stream large bodies (release uploads) are named in ``overrides`` with their own, larger limit."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import MEDIA_TYPE, PROBLEM_TYPE


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit. An ``HTTPException``, because FastAPI
    turns any other error raised while it reads a body into a 400; this one reaches the problem handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


def _problem(limit: int, request_id: str | None) -> bytes:
    return json.dumps(
        {
            "type": PROBLEM_TYPE + "body_too_large",
            "title": "Body too large",
            "status": 413,
            "detail": f"request bodies are limited to {limit} bytes",
            "code": "body_too_large",
            "request_id": request_id,
        }
    ).encode()


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, overrides: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = dict(overrides or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (
            self.overrides.get(scope["path"], self.max_bytes) if scope["method"] == "POST" else self.max_bytes
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        body = _problem(limit, scope.get("state", {}).get("request_id"))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
