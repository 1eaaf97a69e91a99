"""Errors as users get them: JSON with a message and the field concerned under /api, a page
elsewhere; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from syncbeat.catalog.base import CatalogUnusable
from syncbeat.domain.profile import ProfileError
from syncbeat.engine.errors import ActionError, NameTaken
from syncbeat.store.db import is_outage

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with its HTTP status, a message for people and, if any, the field concerned."""

    def __init__(self, status: int, message: str, field: str | None = None,
                 errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.errors = errors or ([(field, message)] if field else [])


class NeedLogin(Exception):
    """A page asked for without a valid session: go and sign in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfFailed(Exception):
    """A form that changes something came without this session's CSRF token."""


class Problem(BaseModel):
    field: str = Field(description="The parameter or body field concerned, e.g. source.location")
    message: str


class ErrorBody(BaseModel):
    """The JSON of every error the API returns (the OpenAPI document names it so)."""

    message: str = Field(description="What went wrong, for people")
    field: str | None = Field(description="The parameter or body field concerned, if any")
    errors: list[Problem] = Field(description="Every mistake found, each with its field")


WHY = {
    400: "The request is malformed: a parameter or the body is not what it should be "
         "(`field` names it)",
    401: "No valid API token (send `Authorization: Bearer TOKEN`) and no signed-in session",
    403: "Not allowed with this token or session",
    404: "Nothing there: no such id or name",
    409: "Not possible in its current state",
    422: "Refused: the values have mistakes (`errors` names each field)",
}


def responses(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """The error answers of an operation, for its OpenAPI description; `why` overrides the
    description of a code given as e.g. `_404="No such task"`."""
    return {code: {"model": ErrorBody, "description": why.get(f"_{code}", WHY[code])}
            for code in codes}


def body(message: str, field: str | None = None,
         errors: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The JSON of every error the API returns."""
    return {
        "message": message,
        "field": field,
        "errors": [{"field": f, "message": m} for f, m in (errors or [])],
    }


def is_api(request: Request) -> bool:
    """Is this a request to the JSON API (or /metrics, whose callers are machines too)?"""
    path = request.url.path
    return path in ("/api", "/metrics") or path.startswith("/api/")


def from_profile_error(exc: ProfileError) -> ApiError:
    """A profile's mistakes as one 422 error; `field` is the first one's."""
    first_field, first_message = exc.errors[0]
    return ApiError(422, f"{first_field}: {first_message}" if len(exc.errors) == 1 else str(exc),
                    first_field, exc.errors)


def _validation(exc: RequestValidationError) -> ApiError:
    problems = []
    for error in exc.errors():
        where = tuple(error.get("loc", ()))
        # status=done&status=lost: the field is "status", not "status.0"
        in_url = where[:1] in (("query",), ("path",))
        loc = [str(part) for part in where[1:] if not (in_url and isinstance(part, int))]
        problems.append((".".join(loc) or "body", str(error.get("msg", "is not valid"))))
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return ApiError(400, "the request body is not valid JSON", "body", problems)
    field, message = problems[0] if problems else ("body", "is not valid")
    return ApiError(400, f"{field}: {message}", field, problems)


def install(app: FastAPI, render_error: Any) -> None:
    """Register the handlers. `render_error(request, status, message)` renders a page."""

    def respond(request: Request, err: ApiError, headers: dict[str, str] | None = None
                ) -> Response:
        if is_api(request):
            return JSONResponse(body(err.message, err.field, err.errors), err.status,
                                headers=headers)
        return render_error(request, err.status, err.message)  # type: ignore[no-any-return]

    @app.exception_handler(ApiError)
    def api_error(request: Request, exc: ApiError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return respond(request, exc, headers)

    @app.exception_handler(ActionError)
    def action_error(request: Request, exc: ActionError) -> Response:
        return respond(request, ApiError(exc.code, str(exc)))

    @app.exception_handler(NameTaken)
    def name_taken(request: Request, exc: NameTaken) -> Response:
        return respond(request, ApiError(409, exc.errors[0][1], "name", exc.errors))

    @app.exception_handler(ProfileError)
    def profile_error(request: Request, exc: ProfileError) -> Response:
        return respond(request, from_profile_error(exc))

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return respond(request, _validation(exc))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        headers = dict(exc.headers) if exc.headers else None
        return respond(request, ApiError(exc.status_code, message), headers)

    @app.exception_handler(DataError)
    def data_error(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (a NUL character, a number out of its range): the
        # request's fault, and nothing was written (the transaction rolled back).
        log.info("the database refused a value on %s %s: %s", request.method, request.url.path,
                 (str(exc.orig) or repr(exc.orig)).splitlines()[0])
        return respond(request, ApiError(400, "a value in this request cannot be stored or "
                                              "searched for (a NUL character, or a number out "
                                              "of range)"))

    @app.exception_handler(NeedLogin)
    def need_login(request: Request, exc: NeedLogin) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", 303)

    @app.exception_handler(CsrfFailed)
    def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return respond(request, ApiError(
            403, "this form has expired or did not come from syncbeat: reload the page and "
                 "try again"))

    @app.exception_handler(CatalogUnusable)
    def catalog_unusable(request: Request, exc: CatalogUnusable) -> Response:
        log.warning("%s %s: the shop's catalog: %s", request.method, request.url.path, exc)
        return respond(request, ApiError(503, f"the shop's catalog: {exc}"),
                       {"Retry-After": "5"} if is_outage(exc) else None)

    @app.exception_handler(DBAPIError)
    def database_error(request: Request, exc: DBAPIError) -> Response:
        if not is_outage(exc):
            return unexpected(request, exc)
        log.warning("%s %s: the database is out of reach: %s", request.method,
                    request.url.path, (str(exc.orig) or repr(exc.orig)).splitlines()[0])
        return respond(request, ApiError(
            503, "the database is out of reach, nothing was changed; try again in a moment"),
            {"Retry-After": "5"})

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return respond(request, ApiError(500, "syncbeat hit an unexpected error; it is logged "
                                              "on the server"))
