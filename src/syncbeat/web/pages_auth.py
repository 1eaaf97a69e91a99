"""Signing in and out. The sign-in form carries a CSRF token of a visitor's session too."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from syncbeat.web.accounts import authenticate
from syncbeat.web.auth import Principal, context, page_user, session_of, signer
from syncbeat.web.csrf import checked_form
from syncbeat.web.sessions import COOKIE, Session
from syncbeat.web.templating import go, is_local_path, page

router = APIRouter(include_in_schema=False)


def set_session(request: Request, response: Response, session: Session) -> None:
    """Write the session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS."""
    response.set_cookie(COOKIE, signer(request).dumps(session), max_age=signer(request).max_age,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path="/")


@router.get("/")
def home() -> RedirectResponse:
    """The Task Manager is the home page."""
    return RedirectResponse("/tasks", 303)


def _login_page(request: Request, session: Session, next_path: str, error: str | None = None,
                username: str = "", status: int = 200) -> HTMLResponse:
    response = page(request, None, "login.html", status=status, error=error, username=username,
                    next_path=next_path if is_local_path(next_path) else "/tasks",
                    login_csrf=session.csrf)
    set_session(request, response, session)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/tasks") -> Response:
    """The sign-in form."""
    session = session_of(request)
    if session is not None and session.user_id is not None:
        return go(request, next)
    return _login_page(request, session or Session.anonymous(), next)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/tasks",
) -> Response:
    """Check the password; a new session (and CSRF token) on success."""
    session = session_of(request)
    if session is None or not hmac.compare_digest(csrf_token.encode(), session.csrf.encode()):
        return _login_page(request, Session.anonymous(), next, username=username, status=400,
                           error="the sign-in form expired: please sign in again")
    ctx = context(request)
    user = authenticate(ctx.db, username.strip(), password, ctx.clock())
    if user is None:
        return _login_page(request, session, next, username=username, status=401,
                           error="wrong user name or password")
    response = go(request, next)
    set_session(request, response, session.signed_in(user.id, user.password_changed_at))
    return response


@router.post("/logout", dependencies=[Depends(checked_form)])
def logout(request: Request, who: Annotated[Principal, Depends(page_user)]) -> Response:
    """End the session."""
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/")
    return response
