"""A man in the middle for download tests: an httpx transport in front of the real server that serves a
changed body for every grant (and announces its length in the grant's answer, as a lying server would)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import httpx

Mutation = Callable[[bytes], bytes]
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class Tampering(httpx.BaseTransport):
    def __init__(self, mutate: Mutation, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.mutate = mutate
        self.bodies: dict[str, bytes] = {}
        self.originals: dict[str, bytes] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/grants"):
            return self._grant(request)
        if request.method == "GET" and request.url.path in self.bodies:
            return self._body(request, self.bodies[request.url.path])
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

    def _grant(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        answer.read()
        answer.close()
        if answer.status_code != 201:
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        data = json.loads(answer.content)
        url = request.url.copy_with(path=data["url"], query=None)
        original = self.inner.handle_request(
            httpx.Request("GET", url, headers={"Authorization": request.headers["authorization"]})
        )
        self.originals[data["url"]] = original.read()
        original.close()
        self.bodies[data["url"]] = self.mutate(self.originals[data["url"]])
        data["size"] = len(self.bodies[data["url"]])
        return httpx.Response(201, json=data)

    @staticmethod
    def _body(request: httpx.Request, body: bytes) -> httpx.Response:
        found = _RANGE.fullmatch(request.headers.get("range", ""))
        if found is None:
            return httpx.Response(200, content=body)
        start = int(found.group(1))
        end = int(found.group(2)) if found.group(2) else len(body) - 1
        headers = {"Content-Range": f"bytes {start}-{end}/{len(body)}"}
        return httpx.Response(206, content=body[start : end + 1], headers=headers)
