"""/api/settings, /api/tokens (made and revoked only by people signed in), /api/heartbeat (a
tick by URL) and /api/health (no sign-in)."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from syncbeat import __version__
from syncbeat.domain.ids import parse_id
from syncbeat.engine import settings as use_settings
from syncbeat.engine import tokens as use_tokens
from syncbeat.engine.errors import SettingRefused
from syncbeat.engine.outage import WAITING
from syncbeat.engine.settings import current_settings
from syncbeat.engine.tokens import TokenRefused, issue_token
from syncbeat.web.auth import (
    Principal,
    api_user,
    context,
    heartbeat_caller,
    heartbeat_token,
    known_caller,
    session_user,
)
from syncbeat.web.errors import ApiError, responses
from syncbeat.web.health import heartbeat_health, waiting_dict
from syncbeat.web.views import id_path

router = APIRouter(prefix="/api")
private = [Depends(api_user)]
SIGN_IN = responses(401, 403)


def settings_dict(ctx: Any) -> dict[str, Any]:
    """The run-time settings by name."""
    return current_settings(ctx).shown()


def change_settings(ctx: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and save; ApiError(422) names the setting refused."""
    try:
        return use_settings.change_settings(ctx, changes).shown()
    except SettingRefused as exc:
        raise ApiError(422, str(exc), exc.name) from None


@router.get("/settings", tags=["settings"], dependencies=private, summary="Run-time settings",
            responses=SIGN_IN)
def get_settings(request: Request) -> dict[str, Any]:
    """Batch size, time budget, tick interval, time zone, retention, start window, lease,
    notifications. A write-only setting (the SMTP password) is `***` when set, `""` when not;
    sending `***` back leaves it as it is."""
    return settings_dict(context(request))


@router.patch("/settings", tags=["settings"], dependencies=private,
              summary="Change some settings",
              responses={**SIGN_IN, **responses(422, _422="A setting is refused; `field` "
                                                          "names it")})
def patch_settings(
    request: Request,
    changes: Annotated[dict[str, Any], Body(examples=[{"retention_days": 60}])],
) -> dict[str, Any]:
    """Only the settings given change; 422 names one that is out of range."""
    return change_settings(context(request), changes)


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["shop cron"])
    scope: str = Field("api:read", description="api:read: GET of every route; api:write: "
                                               "every route; heartbeat: only "
                                               "the heartbeat URL; metrics: only GET "
                                               "/metrics")


@router.get("/tokens", tags=["tokens"], dependencies=private, summary="List API tokens",
            responses=SIGN_IN)
def get_tokens(request: Request) -> dict[str, Any]:
    """Names, scopes and first characters; the tokens themselves are not kept."""
    return {"tokens": [t.as_dict() for t in use_tokens.tokens(context(request).db)]}


@router.post("/tokens", tags=["tokens"], status_code=201, summary="Create an API token",
             responses={**SIGN_IN, **responses(422, _422="Refused; `field` names why")})
def post_token(request: Request, body: NewToken,
               who: Annotated[Principal, Depends(session_user)]) -> dict[str, Any]:
    """The token is in `secret`, shown this once. Only a signed-in user (with the pages'
    X-CSRF-Token header) makes tokens, never a token."""
    ctx = context(request)
    try:
        token, secret = issue_token(ctx.db, name=body.name, scope=body.scope, by=who.name,
                                    now=ctx.clock())
    except TokenRefused as exc:
        raise ApiError(422, str(exc), exc.field) from None
    return {"token": token.as_dict(), "secret": secret}


@router.delete("/tokens/{token_id}", tags=["tokens"], dependencies=[Depends(session_user)],
               status_code=204, summary="Revoke an API token",
               responses={**SIGN_IN, **responses(404, _404="No such token")})
def revoke_token(request: Request,
                 token_id: Annotated[str, id_path("The token's id (not its secret)")]
                 ) -> Response:
    """It stops working at once. Only a signed-in user revokes tokens."""
    found = parse_id(token_id)
    if found is None or not use_tokens.revoke_token(context(request).db, found):
        raise ApiError(404, f"no token {token_id}")
    return Response(status_code=204)


@router.post("/heartbeat", tags=["heartbeat"], summary="Run one heartbeat tick",
             dependencies=[Depends(heartbeat_caller)], responses=SIGN_IN)
def heartbeat(request: Request) -> dict[str, Any]:
    """For hosts that can only call a URL on a timer: a token of scope `heartbeat` (or
    `api:write`), as `Authorization: Bearer TOKEN` or `?token=TOKEN`."""
    report = request.app.state.url_heartbeat.tick()
    return {"lines": report.lines, "worked": report.worked, "more": report.more}


@router.get("/heartbeat", tags=["heartbeat"], summary="Run one heartbeat tick (GET)",
            dependencies=[Depends(heartbeat_token)], responses=SIGN_IN)
def heartbeat_by_get(request: Request) -> dict[str, Any]:
    """The same tick for schedulers that can only `wget URL`: only with a token (scope
    `heartbeat` or `api:write`), never a session, so a link on another site cannot tick."""
    return heartbeat(request)


@router.get("/health", tags=["heartbeat"], summary="Health (no sign-in)",
            responses={503: {"description": "The database cannot be reached, no heartbeat "
                                            "ran recently, or the worker here waits for "
                                            "the database to take writes",
                             "content": {"application/json": {"schema": {"type": "object"}}}}})
def health(request: Request) -> JSONResponse:
    """Is the database reachable, does it take the work, and did a heartbeat run recently?
    Anyone may ask; only a signed-in user or a token (any scope) reads the details (times,
    worker, version, since when and why the worker waits for the database)."""
    ctx = context(request)
    try:
        beat = heartbeat_health(ctx)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        if known_caller(request) is None:
            return JSONResponse({"status": "down", "database": "unreachable"}, 503)
        return JSONResponse({"status": "down", "database": f"unreachable: {reason}",
                             "version": __version__,
                             "waiting_for_database": waiting_dict(WAITING.oldest())}, 503)
    # A stale heartbeat, or a worker waiting for the database to take writes (a full disk):
    # no task starts or moves, which a load balancer or an uptime monitor must hear (503).
    waiting = beat.waiting is not None
    status = "waiting for the database" if waiting else "ok" if beat.alive else "no heartbeat"
    code = 200 if status == "ok" else 503
    if known_caller(request) is None:
        return JSONResponse({"status": status, "database": "ok", "heartbeat_ok": beat.alive},
                            code)
    return JSONResponse({"status": status, "database": "ok", "version": __version__,
                         "worker_in_process": bool(request.app.state.worker_enabled),
                         **beat.as_dict()}, code)
