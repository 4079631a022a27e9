"""No query parameter may carry U+0000: PostgreSQL text cannot hold it, so a filter such as
``?platform=%00`` would fail deep in a read-model query instead of being refused at the door. One check for
every route (an application dependency) instead of a pattern on each parameter."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError

MESSAGE = "NUL characters (U+0000) are not accepted"


async def no_nul_in_query(request: Request) -> None:
    """Refuse (422) a request whose query string names or values hold a NUL character (async: no I/O,
    so no hop to the thread pool on every request)."""
    bad = [
        {"type": "value_error", "loc": ("query", name), "msg": MESSAGE, "input": value}
        for name, value in request.query_params.multi_items()
        if "\x00" in name or "\x00" in value
    ]
    if bad:
        raise RequestValidationError(bad)
