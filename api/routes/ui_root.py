"""The site's root: a browser that opens ``/`` is sent to the admin pages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

router = APIRouter(tags=["admin pages"])


@router.get("/", response_class=RedirectResponse, status_code=303)
def root() -> RedirectResponse:
    """To the dashboard (which sends a visitor who is not logged in on to the login page)."""
    return RedirectResponse("/ui/", status_code=303)
