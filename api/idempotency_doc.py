"""The ``Idempotency-Key`` header in the OpenAPI document, on every operation ``api.idempotency`` covers,
with its window and the two refusals it adds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.idempotency import applies
from api.idempotency_store import WINDOW
from api.problems import responses

WINDOW_HOURS = int(WINDOW.total_seconds() // 3600)
PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": (
        f"Makes a retry safe for {WINDOW_HOURS} hours: the same key with the same request (method, path, "
        "query and body) returns the first response byte for byte (header `Idempotent-Replayed: true`); "
        "the same key with another request is 422 `idempotency_key_reused`; while the first request "
        "still runs, 409 `idempotency_key_in_flight`. Keys belong to the caller. Only successful (2xx) "
        "responses are kept; anything else may be retried under the same key."
    ),
}


def document(app: FastAPI) -> None:
    """Wraps ``app.openapi`` so the generated document names the header on every covered operation."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if applies(method.upper(), path):
                    add_header(operation)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_header(operation: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    parameters[:] = [p for p in parameters if p.get("name", "").lower() != "idempotency-key"]
    parameters.append(PARAMETER)
    found = operation.setdefault("responses", {})
    for status, described in responses(409, 422).items():
        found.setdefault(str(status), {k: v for k, v in described.items() if k != "model"})
