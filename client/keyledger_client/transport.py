"""HTTP to the Keyledger server through an injectable ``httpx`` transport (tests pass
``httpx.MockTransport``; the contract test passes nothing and talks to a real server). Every failure
becomes an error of the SDK's tree: no ``httpx`` exception escapes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from keyledger_client.errors import ProblemError, ServerUnreachable, UnexpectedResponse, problem_error
from keyledger_client.version import VERSION

log = logging.getLogger("keyledger_client.transport")

DEFAULT_TIMEOUT_S = 10.0
USER_AGENT = f"keyledger-client/{VERSION}"


class Api:
    """The server's HTTP API: JSON in, JSON out, problems raised as ``ProblemError``."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json, application/problem+json"},
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        activating: bool = False,
    ) -> dict[str, Any]:
        """The JSON object the server answered; raises ``ServerUnreachable`` or a ``ProblemError``."""
        response = self.send(method, path, json=json, token=token, params=params, headers=headers)
        if response.is_success:
            return self._json(response)
        raise self._problem(response, activating=activating)

    def send(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        extra = dict(headers or {})
        if token is not None:
            extra["Authorization"] = f"Bearer {token}"
        try:
            return self._http.request(method, path, json=json, params=params, headers=extra)
        except httpx.TransportError as error:
            log.info("server unreachable: %s %s: %s", method, path, type(error).__name__)
            raise ServerUnreachable(f"cannot reach {self.base_url}: {type(error).__name__}") from error

    @contextmanager
    def stream(
        self, path: str, *, token: str, headers: dict[str, str] | None = None
    ) -> Iterator[httpx.Response]:
        """A GET whose successful response is read as a stream by the caller; a problem is raised as for
        ``request``, and a connection lost while reading becomes ``ServerUnreachable``."""
        extra = {**(headers or {}), "Authorization": f"Bearer {token}", "Accept": "application/octet-stream"}
        try:
            with self._http.stream("GET", path, headers=extra) as response:
                if not response.is_success:
                    response.read()
                    raise self._problem(response, activating=False)
                yield response
        except httpx.TransportError as error:
            log.info("download interrupted: %s: %s", path, type(error).__name__)
            raise ServerUnreachable(
                f"the download from {self.base_url} broke off: {type(error).__name__}"
            ) from error

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise UnexpectedResponse(f"HTTP {response.status_code}: not JSON") from None
        if not isinstance(body, dict):
            raise UnexpectedResponse(f"HTTP {response.status_code}: not a JSON object")
        return body

    def _problem(self, response: httpx.Response, *, activating: bool) -> ProblemError | UnexpectedResponse:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "code" not in body:
            return UnexpectedResponse(f"HTTP {response.status_code} from {response.request.url.path}")
        retry_after = response.headers.get("retry-after")
        if retry_after is not None and retry_after.isdigit():
            body.setdefault("retry_after", int(retry_after))
        error = problem_error(response.status_code, body, activating=activating)
        log.debug("problem %s (%s) request_id=%s", error.code, error.status, error.request_id)
        return error

    def close(self) -> None:
        self._http.close()
