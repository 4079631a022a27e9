"""The web session cookie: HttpOnly, SameSite=Strict, Secure with the ``__Host-`` prefix — unless the
documented dev setting ``KEYLEDGER_INSECURE_DEV_COOKIES=true`` (plain HTTP on localhost) drops both."""

from __future__ import annotations

from fastapi import Response

from api.services import WebSettings


def cookie_name(settings: WebSettings) -> str:
    return "keyledger_session" if settings.insecure_dev_cookies else "__Host-keyledger_session"


def set_session_cookie(response: Response, settings: WebSettings, token: str, max_age: int) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=not settings.insecure_dev_cookies,
    )


def clear_session_cookie(response: Response, settings: WebSettings) -> None:
    response.delete_cookie(
        cookie_name(settings),
        path="/",
        httponly=True,
        samesite="strict",
        secure=not settings.insecure_dev_cookies,
    )
