"""Who is asking: a signed-in session (pages, and the API from the pages' scripts) or a
Bearer token (the API). Every route but sign-in and health depends on one of these."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from syncbeat.engine.context import Context
from syncbeat.store.db import read_tx
from syncbeat.store.tokens import ApiToken
from syncbeat.store.users import User, get_user
from syncbeat.web.errors import ApiError, NeedLogin
from syncbeat.web.sessions import COOKIE, Session, Signer, password_stamp
from syncbeat.web.tokens import check_token

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
bearer = HTTPBearer(auto_error=False, description="An API token made on the Configure tab "
                                                  "or with POST /api/tokens.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


@dataclass(frozen=True)
class Principal:
    """A signed-in user, or an API token."""

    name: str
    user: User | None = None
    session: Session | None = None
    token: ApiToken | None = None

    @property
    def csrf(self) -> str:
        """The session's CSRF token, for the forms of a page."""
        return self.session.csrf if self.session else ""


def context(request: Request) -> Context:
    """The engine context the app was made with."""
    return request.app.state.ctx  # type: ignore[no-any-return]


def signer(request: Request) -> Signer:
    """The app's cookie signer."""
    return request.app.state.signer  # type: ignore[no-any-return]


def session_of(request: Request) -> Session | None:
    """The request's session cookie, if it is genuine and not expired."""
    return signer(request).loads(request.cookies.get(COOKIE))


def _signed_in(request: Request) -> Principal | None:
    session = session_of(request)
    if session is None or session.user_id is None:
        return None
    with read_tx(context(request).db) as conn:
        user = get_user(conn, session.user_id)
    if user is None or password_stamp(user.password_changed_at) != session.since:
        return None  # removed, or the password changed since: sign in again
    return Principal(name=user.username, user=user, session=session)


def page_user(request: Request) -> Principal:
    """The signed-in user of a page; otherwise off to the sign-in page."""
    found = _signed_in(request)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NeedLogin(target)
    return found


def _bearer_token(request: Request, secret: str, scopes: tuple[str, ...]) -> Principal:
    ctx = context(request)
    token = check_token(ctx.db, secret.strip(), ctx.clock())
    if token is None:
        raise ApiError(401, "the API token is not valid: it was revoked or is mistyped")
    if token.scope not in scopes:
        raise ApiError(403, f"the token '{token.name}' may only call the heartbeat")
    return Principal(name=f"token {token.name}", token=token)


def api_user(request: Request, credentials: Credentials) -> Principal:
    """A Bearer token, or the session of the pages (with its CSRF header to change things)."""
    if credentials is not None:
        return _bearer_token(request, credentials.credentials, ("api",))
    found = _signed_in(request)
    if found is None:
        raise ApiError(401, "sign in, or send an API token: Authorization: Bearer TOKEN")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
            raise ApiError(403, f"a change made with a session needs its {CSRF_HEADER} header")
    return found


def heartbeat_caller(request: Request, credentials: Credentials) -> Principal:
    """The heartbeat URL: a token of scope api or heartbeat, as a header or ?token=."""
    secret = credentials.credentials if credentials else request.query_params.get("token")
    if secret:
        return _bearer_token(request, secret, ("api", "heartbeat"))
    return api_user(request, None)
