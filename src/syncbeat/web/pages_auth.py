"""Signing in and out. The sign-in form carries a single-use token bound to the browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from syncbeat.engine.accounts import authenticate
from syncbeat.engine.passwords import WAIT_SECONDS, PasswordsBusy
from syncbeat.engine.throttle import Throttled
from syncbeat.web.auth import Principal, context, page_user, session_of, signer
from syncbeat.web.csrf import checked_form
from syncbeat.web.sessions import (
    ABSOLUTE,
    COOKIE,
    FORM_COOKIE,
    FORM_MAX_AGE,
    end_session,
    new_form_token,
    open_session,
    spend_form_token_of,
)
from syncbeat.web.templating import go, is_local_path, page

router = APIRouter(include_in_schema=False)


def _cookie(request: Request, response: Response, name: str, value: str, seconds: float
            ) -> None:
    # HttpOnly, SameSite=Lax, Secure over HTTPS
    response.set_cookie(name, value, max_age=int(seconds), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def client_address(request: Request) -> str:
    """The address sign-ins are counted by: the proxy's, behind a proxy, unless uvicorn is
    told to trust its forwarded headers."""
    return request.client.host if request.client else "unknown"


@router.get("/")
def home() -> RedirectResponse:
    """The Task Manager is the home page."""
    return RedirectResponse("/tasks", 303)


def _login_page(request: Request, next_path: str, error: str | None = None,
                username: str = "", status: int = 200, retry_after: int | None = None
                ) -> HTMLResponse:
    """The form, each time with a new token (a token is good for one attempt)."""
    token, cookie = new_form_token(signer(request), context(request).clock())
    response = page(request, None, "login.html", status=status, error=error, username=username,
                    next_path=next_path if is_local_path(next_path) else "/tasks",
                    login_csrf=token)
    _cookie(request, response, FORM_COOKIE, cookie, FORM_MAX_AGE.total_seconds())
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/tasks") -> Response:
    """The sign-in form."""
    if session_of(request) is not None:
        return go(request, next)
    return _login_page(request, next)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/tasks",
) -> Response:
    """Check the password, unless throttled; a new session (and CSRF token) on success."""
    ctx = context(request)
    now = ctx.clock()
    if not spend_form_token_of(ctx.db, signer(request), request.cookies.get(FORM_COOKIE),
                               csrf_token, now):
        return _login_page(request, next, username=username, status=400,
                           error="the sign-in form expired or was sent already: please sign "
                                 "in again")
    try:
        user = authenticate(ctx.db, username.strip(), password, now,
                            address=client_address(request))
    except Throttled as exc:
        return _login_page(request, next, username=username, status=429, error=str(exc),
                           retry_after=exc.retry_after)
    except PasswordsBusy:
        return _login_page(request, next, username=username, status=503,
                           error="busy, try again in a moment",
                           retry_after=int(WAIT_SECONDS))
    if user is None:
        return _login_page(request, next, username=username, status=401,
                           error="wrong user name or password")
    response = go(request, next)
    _cookie(request, response, COOKIE, open_session(ctx.db, user.id, now),
            ABSOLUTE.total_seconds())
    response.delete_cookie(FORM_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[Depends(checked_form)])
def logout(request: Request, who: Annotated[Principal, Depends(page_user)]) -> Response:
    """End the session, on the server: its cookie is worth nothing from now on."""
    end_session(context(request).db, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/")
    return response
