"""The upload form: a ``multipart/form-data`` body of text fields (``product``, ``channel``, ``platform``,
``version``, ``notes``, ``min_tier``; from the admin page also ``csrf_token``, first) followed by one or
more ``file`` parts, read as it streams (``api.multipart_stream``) into ``api.release_uploads``.

Authentication runs before the body is read, as for any route: an API key with ``releases:write``, or
the admin's session cookie and for the CSRF check either the ``X-CSRF-Token`` header (scripts) or the
form's first field (the page's form, which cannot set a header): only that first field is read ahead, at
most ``CSRF_PREFIX_BYTES``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import anyio.to_thread
from fastapi import Depends, Request

from api.deps import AppServices, WebPrincipal, admin_principal, web_principal
from api.machine_auth import AdminCaller, admin_caller
from api.multipart_stream import FormPart, FormReader, MalformedForm, boundary_of
from api.problems import ApiError
from api.release_uploads import ReleaseDraft, Staged, check_new
from api.services import Services
from domain.context import AuditContext
from domain.errors import InvalidInput
from domain.ledger.base import Written

CSRF_PREFIX_BYTES = 64 * 1024
MAX_FIELDS = 16
FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["channel", "platform", "version", "file"],
                    "properties": {
                        "product": {"type": "string", "maxLength": 32},
                        "channel": {"type": "string", "maxLength": 32},
                        "platform": {"type": "string", "maxLength": 32},
                        "version": {"type": "string", "maxLength": 64},
                        "notes": {"type": "string", "maxLength": 2000},
                        "min_tier": {"type": "string", "enum": ["user", "vip"]},
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        },
    }
}


Caller = TypeVar("Caller", AdminCaller, WebPrincipal)


@dataclass
class FormUpload(Generic[Caller]):
    admin: Caller
    boundary: bytes
    stream: AsyncIterator[bytes]
    first: list[bytes]


async def _read_ahead(stream: AsyncIterator[bytes], boundary: bytes) -> list[bytes]:
    """Chunks of the body up to the end of its first part (or ``CSRF_PREFIX_BYTES``, or its end)."""
    chunks: list[bytes] = []
    delimiter, size = b"--" + boundary, 0
    async for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size > CSRF_PREFIX_BYTES or b"".join(chunks).count(delimiter) >= 2:
            break
    return chunks


def _first_field(chunks: list[bytes], boundary: bytes) -> tuple[str, str] | None:
    try:
        part = next(FormReader(iter(chunks), boundary).parts())
        return None if part.filename is not None else (part.name, part.text())
    except (MalformedForm, StopIteration):
        return None


async def _form_upload(
    request: Request, svc: Services, authenticate: Callable[[Request, Services], Caller]
) -> FormUpload[Caller]:
    """The admin behind an upload form, checked before any file byte is read (and before a body that is
    not a form is refused, so a stranger learns nothing more than 401)."""
    try:
        boundary = boundary_of(request.headers.get("content-type", ""))
    except MalformedForm as error:
        await anyio.to_thread.run_sync(authenticate, request, svc)
        raise ApiError(415, "unsupported_media_type", str(error)) from None
    stream = request.stream()
    first = await _read_ahead(stream, boundary)
    field = _first_field(first, boundary)
    if field is not None and field[0] == "csrf_token":
        request.state.form_csrf_token = field[1]
    admin = await anyio.to_thread.run_sync(authenticate, request, svc)
    return FormUpload(admin, boundary, stream, first)


def _web_admin(request: Request, svc: Services) -> WebPrincipal:
    return admin_principal(web_principal(request, svc))


async def form_upload(request: Request, svc: AppServices) -> FormUpload[AdminCaller]:
    """The API's upload: an API key with the route's scope, or an admin's web session."""
    return await _form_upload(request, svc, admin_caller)


async def web_form_upload(request: Request, svc: AppServices) -> FormUpload[WebPrincipal]:
    """The admin page's upload: an admin's web session only."""
    return await _form_upload(request, svc, _web_admin)


UploadForm = Annotated[FormUpload[AdminCaller], Depends(form_upload)]
WebUploadForm = Annotated[FormUpload[WebPrincipal], Depends(web_form_upload)]


def publish_form(svc: Services, body: Iterator[bytes], boundary: bytes, ctx: AuditContext) -> Written[UUID]:
    """Reads the form, storing its files as they come, and publishes the release."""
    fields: dict[str, str] = {}
    draft: ReleaseDraft | None = None
    with Staged(svc.releases.files, svc.ledger.new_id, svc.releases.max_upload_bytes) as staged:
        try:
            for part in FormReader(body, boundary).parts():
                if part.filename is None:
                    _text_field(fields, part)
                elif part.filename:  # an empty file input sends a part without a name: skipped
                    draft = draft or _checked(svc, fields)
                    staged.add(part.filename, part.chunks)
        except MalformedForm as error:
            raise ApiError(422, "invalid_form", str(error)) from None
        draft = draft or _checked(svc, fields)
        if not staged.stored:
            raise InvalidInput("file", "a release has at least one file")
        return staged.publish(svc.ledger, draft, svc.clock(), ctx)


def _text_field(fields: dict[str, str], part: FormPart) -> None:
    if len(fields) >= MAX_FIELDS:
        raise MalformedForm("too many fields")
    fields[part.name] = part.text()


def _checked(svc: Services, fields: dict[str, str]) -> ReleaseDraft:
    draft = ReleaseDraft.of(fields)
    check_new(svc.ledger, draft)
    return draft
