"""Who is asking: a signed-in session (pages, and the API from the pages' scripts) or a
Bearer token of a scope (the API). Every route but sign-in and health depends on one of
these."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, cast

import sqlalchemy as sa
from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from syncbeat.engine.context import Context
from syncbeat.engine.tokens import check_token
from syncbeat.store.sessions import StoredSession
from syncbeat.store.tokens import ApiToken
from syncbeat.store.users import User
from syncbeat.web.errors import ApiError, NeedLogin
from syncbeat.web.sessions import COOKIE, Signer, resume_session

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The scopes that may call a route, the first one named when a token lacks them.
READ_SCOPES = ("api:read", "api:write")
WRITE_SCOPES = ("api:write",)
HEARTBEAT_SCOPES = ("heartbeat", "api:write")
METRICS_SCOPES = ("metrics", "api:read", "api:write")
_UNKNOWN = object()
bearer = HTTPBearer(auto_error=False, description="An API token made on the Configure tab.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


@dataclass(frozen=True)
class Principal:
    """A signed-in user, or an API token."""

    name: str
    user: User | None = None
    session: StoredSession | None = None
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


def session_of(request: Request) -> StoredSession | None:
    """The request's live session, if its cookie stands for one (looked up once a request)."""
    found = getattr(request.state, "syncbeat_session", _UNKNOWN)
    if found is _UNKNOWN:
        ctx = context(request)
        found = resume_session(ctx.db, request.cookies.get(COOKIE), ctx.clock())
        request.state.syncbeat_session = found
    return cast(StoredSession | None, found)


def _signed_in(request: Request) -> Principal | None:
    session = session_of(request)
    if session is None:
        return None
    return Principal(name=session.user.username, user=session.user, session=session)


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
        others = f" (or {', '.join(scopes[1:])})" if len(scopes) > 1 else ""
        raise ApiError(403, f"the token '{token.name}' has the scope {token.scope}: this call "
                            f"needs the scope {scopes[0]}{others}")
    return Principal(name=f"token {token.name}", token=token)


def _session_user(request: Request) -> Principal:
    found = _signed_in(request)
    if found is None:
        raise ApiError(401, "sign in, or send an API token: Authorization: Bearer TOKEN")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
            raise ApiError(403, f"a change made with a session needs its {CSRF_HEADER} header")
    return found


def api_user(request: Request, credentials: Credentials) -> Principal:
    """A Bearer token (api:read to read, api:write to change), or the session of the pages
    (with its CSRF header to change things)."""
    if credentials is not None:
        scopes = READ_SCOPES if request.method in SAFE_METHODS else WRITE_SCOPES
        return _bearer_token(request, credentials.credentials, scopes)
    return _session_user(request)


def session_user(request: Request, credentials: Credentials) -> Principal:
    """A signed-in user of the pages, never a token: only people make and revoke tokens, so
    a leaked token cannot make itself a successor."""
    if credentials is not None:
        raise ApiError(403, "API tokens are made and revoked by a signed-in user (the "
                            "Configure tab), not with a token")
    return _session_user(request)


def heartbeat_caller(request: Request, credentials: Credentials) -> Principal:
    """The heartbeat URL: a token of scope heartbeat or api:write, as a header or ?token=."""
    secret = credentials.credentials if credentials else request.query_params.get("token")
    if secret:
        return _bearer_token(request, secret, HEARTBEAT_SCOPES)
    return api_user(request, None)


def heartbeat_token(request: Request, credentials: Credentials) -> Principal:
    """GET of the heartbeat URL: only a token (header or ?token=), never a session cookie."""
    secret = credentials.credentials if credentials else request.query_params.get("token")
    if not secret:
        raise ApiError(401, "send an API token of scope heartbeat: GET /api/heartbeat?token="
                            "TOKEN, or Authorization: Bearer TOKEN")
    return _bearer_token(request, secret, HEARTBEAT_SCOPES)


def metrics_caller(request: Request, credentials: Credentials) -> Principal:
    """GET /metrics: a token of scope metrics (or api:read, api:write)."""
    if credentials is None:
        raise ApiError(401, "send an API token of scope metrics: Authorization: Bearer TOKEN")
    return _bearer_token(request, credentials.credentials, METRICS_SCOPES)


def known_caller(request: Request) -> Principal | None:
    """A valid token of any scope or a signed-in session; None for anyone else, and when the
    database cannot tell (for GET /api/health, which answers everyone)."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() == "bearer" and secret.strip():
            ctx = context(request)
            token = check_token(ctx.db, secret.strip(), ctx.clock())
            return Principal(name=f"token {token.name}", token=token) if token else None
        return _signed_in(request)
    except sa.exc.SQLAlchemyError:
        return None
