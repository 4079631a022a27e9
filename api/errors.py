"""The one place where errors become HTTP: domain errors, API errors, validation errors and anything
unexpected each map to an RFC 9457 problem with a stable ``code``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.problems import ApiError, problem
from api.request_ids import HEADER as REQUEST_ID_HEADER
from api.security_headers import security_headers
from domain import errors as domain
from domain.credentials import HashingBusy

log = logging.getLogger("keyledger.api")

DOMAIN_STATUS: tuple[tuple[type[domain.DomainError], int], ...] = (
    (domain.InvalidInput, 422),
    (domain.NotFound, 404),
    (domain.ConcurrencyExhausted, 503),
    (domain.Conflict, 409),
    (domain.AuthenticationFailed, 401),
    (domain.NotEntitled, 403),
    (domain.Gone, 410),
)
HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def status_of(error: domain.DomainError) -> int:
    for cls, status in DOMAIN_STATUS:
        if isinstance(error, cls):
            return status
    return 400


async def on_domain_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, domain.DomainError):
        raise error
    status = status_of(error)
    headers = {"Retry-After": "1"} if status == 503 else None
    return problem(request, status, error.code, error.message, headers=headers)


async def on_api_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, ApiError):
        raise error
    return problem(request, error.status, error.code, error.detail, headers=error.headers)


async def on_hashing_busy(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, HashingBusy):
        raise error
    return problem(
        request,
        503,
        "busy",
        "every password-hashing slot is in use; retry shortly",
        headers={"Retry-After": "1"},
    )


async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, RequestValidationError):
        raise error
    fields = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "message": e.get("msg", "")}
        for e in error.errors()
    ]
    return problem(request, 422, "invalid_request", "the request does not match the schema", errors=fields)


async def on_http_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, HTTPException):
        raise error
    code = HTTP_CODES.get(error.status_code, "http_error")
    return problem(request, error.status_code, code, str(error.detail), headers=dict(error.headers or {}))


async def on_unexpected(request: Request, _: Exception) -> JSONResponse:
    """Starlette answers unhandled errors outside every middleware, so this adds their headers itself."""
    request_id = getattr(request.state, "request_id", None)
    log.exception("unhandled error", extra={"request_id": request_id})
    headers = {name.decode(): value.decode() for name, value in security_headers(request.url.path)}
    if request_id:
        headers[REQUEST_ID_HEADER.decode()] = request_id
    return problem(
        request, 500, "internal_error", "an unexpected error occurred; it has been logged", headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(domain.DomainError, on_domain_error)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(HashingBusy, on_hashing_busy)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
