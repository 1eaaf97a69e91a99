"""/api/profiles: create, read, update, delete, enable, disable, run, preview; /api/schedule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response

from syncbeat.domain.profile import FORMATS, MAX_BATCH_SIZE, Profile
from syncbeat.domain.schedule import (
    ScheduleError,
    check_cron,
    describe,
    occurrences,
    shown_in_zone,
    zone,
)
from syncbeat.domain.statuses import TaskKind
from syncbeat.engine import profiles as use
from syncbeat.engine.actions import run_now
from syncbeat.engine.context import Context
from syncbeat.engine.preview import feed_warning, preview_import
from syncbeat.web.auth import api_user, context
from syncbeat.web.errors import ApiError, responses
from syncbeat.web.views import (
    profile_json,
    profile_rows,
    task_json,
    task_or_404,
)

router = APIRouter(prefix="/api", tags=["profiles"], dependencies=[Depends(api_user)],
                   responses=responses(401, 403))
EXAMPLE = {
    "name": "Supplier A stock", "kind": "import", "schedule": "*/15 * * * *",
    "timezone": "Europe/Vilnius", "batch_size": 500,
    "source": {"location": "feeds/a.csv", "format": "csv", "delimiter": ";"},
    "match": {"feed": "sku", "catalog": "reference"},
    "mapping": {"price": {"from": "net_price",
                          "steps": [{"multiply": 1.35}, {"add": 0.5}, {"round": "0.99"}]},
                "quantity": "stock"},
    "options": {"create_missing": False, "skip_unchanged": True},
    "limits": {"min_rows": 100, "max_drop_percent": 30},
}
_TEXT = {"type": "string", "minLength": 1}
_NAMES = {"type": "object", "additionalProperties": {"type": "string"}}
_FLAG = {"type": "boolean"}
_SCALAR = {"type": ["string", "number", "boolean"]}
_NUMBER = {"type": ["number", "string"], "description": "exact: 1.35 is read as written"}
_WHEN = {"type": "object", "additionalProperties": False,
         "description": "the step applies only when every test holds; without column, the "
                        "tests read the value at that step",
         "properties": {"column": _TEXT, "equals": _SCALAR, "below": _NUMBER,
                        "at_least": _NUMBER}}
_STEP = {"type": "object", "minProperties": 1, "maxProperties": 2,
         "additionalProperties": False,
         "description": "one action, and an optional when",
         "properties": {
             **{name: _NUMBER for name in ("multiply", "divide", "add", "nearest",
                                           "remove_tax", "add_tax")},
             "min": {**_NUMBER, "description": "a floor: the value is at least this"},
             "max": {**_NUMBER, "description": "a ceiling: the value is at most this"},
             "round": {"type": ["integer", "string"],
                       "description": 'places (2), an ending ("0.99") or a step ("0.05")'},
             "ending": _NUMBER, "when": _WHEN}}
_RULE = {"type": "object", "additionalProperties": False,
         "description": "a field rule: exactly one of from, template, value; then an "
                        "optional map (with default) and steps",
         "properties": {"from": _TEXT, "template": _TEXT, "value": _SCALAR,
                        "map": {"type": "object", "additionalProperties": _SCALAR},
                        "default": _SCALAR, "steps": {"type": "array", "items": _STEP}}}
_HEADERS = {"type": "object", "additionalProperties": {"type": "string"},
            "description": "http(s) only: header name = value; {secret:NAME} in a value is "
                           "filled in when the task connects, and a credential written "
                           "straight in is shown as ***"}
PROFILE_SCHEMA: dict[str, Any] = {
    "required": ["name", "kind"],
    "properties": {
        "name": {**_TEXT, "maxLength": 200}, "kind": {"enum": [str(k) for k in TaskKind]},
        "schedule": {"type": ["string", "null"], "description": "cron: 5 fields"},
        "timezone": {"type": "string", "description": "e.g. Europe/Vilnius; default: the "
                                                      "Configure tab's"},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": MAX_BATCH_SIZE},
        "enabled": _FLAG,
        "source": {"type": "object", "required": ["location"], "description": "import only",
                   "properties": {"location": _TEXT, "format": {"enum": list(FORMATS)},
                                  "delimiter": {"type": "string"},
                                  "quotechar": {"type": "string"}, "encoding": _TEXT,
                                  "header": _FLAG, "item": _TEXT, "sheet": _TEXT,
                                  "headers": _HEADERS, "archive_member": _TEXT}},
        "match": {"type": "object", "description": "import only",
                  "properties": {"feed": _TEXT, "catalog": {
                      "type": "string", "description": "a field of the catalog that may "
                      "match: reference, ean13 or id on the built-in catalog; on a PrestaShop "
                      "shop also supplier_reference, upc, isbn, mpn and combination.reference, "
                      "combination.ean13, combination.supplier_reference"}}},
        "mapping": {"type": "object", "additionalProperties": {"anyOf": [_TEXT, _RULE]},
                    "description": "import only: catalog field = feed field, or a rule "
                                   "computing it (see Transforms in docs/profiles.md)"},
        "options": {"type": "object", "description": "import only",
                    "properties": {"create_missing": _FLAG, "skip_unchanged": _FLAG,
                                   "category": {"type": "integer", "minimum": 1,
                                                "description": "a PrestaShop shop's category "
                                                "for created products (default: its home)"},
                                   "missing": {
                                       "enum": ["leave", "zero_stock", "disable", "delete"],
                                       "description": "catalog products of the scope that "
                                                      "the feed did not list, when the "
                                                      "import completes"},
                                   "duplicates": {
                                       "enum": ["error", "last_wins"],
                                       "description": "a key met again in one feed: its "
                                                      "later rows are errors (default), or "
                                                      "each row applies in feed order"}}},
        "scope": {"type": "object",
                  "description": "import only: the catalog products the feed speaks for "
                                 "(options.missing acts on these only); a field with prefix "
                                 "or equals, or NAME_prefix, e.g. "
                                 '{"supplier_reference_prefix": "ACME-"}',
                  "properties": {"field": _TEXT, "prefix": _TEXT, "equals": _TEXT},
                  "additionalProperties": {"type": "string"}},
        "limits": {"type": "object", "additionalProperties": False,
                   "description": "import only: safety limits, checked once the whole feed "
                                  "is read and before anything is changed",
                   "properties": {
                       "min_rows": {"type": "integer", "minimum": 1,
                                    "description": "the feed must have at least this many "
                                                   "rows"},
                       "max_drop_percent": {"type": "integer", "minimum": 1, "maximum": 100,
                                            "description": "at most this many percent fewer "
                                                           "rows than the profile's last "
                                                           "completed run"}}},
        "filter": {"type": "object", "description": "export only",
                   "properties": {"active": _FLAG, "changed_since_last_export": _FLAG}},
        "fields": {**_NAMES, "description": "export only: output field = catalog field"},
        "destination": {"type": "object", "description": "export only",
                        "properties": {"location": _TEXT, "headers": _HEADERS,
                                       "method": {"enum": ["POST", "PUT"]},
                                       "content_type": _TEXT,
                                       "format": {"enum": ["json", "csv", "xml"]},
                                       "delimiter": _TEXT, "item": _TEXT}},
    },
    "if": {"properties": {"kind": {"const": "import"}}},
    "then": {"required": ["source", "mapping"]},
    "else": {"required": ["fields"]},
}
ProfileBody = Annotated[dict[str, Any], Body(
    description="A profile in the shape of its TOML file (see docs/profiles.md)",
    examples=[EXAMPLE], json_schema_extra=PROFILE_SCHEMA)]
ProfileRef = Annotated[str, Path(description="A profile's id or name", examples=["1"])]
ERRORS = responses(404, _404="No such profile")
SAVE_ERRORS = responses(409, 422, _409="Another profile has this name",
                        _422="The profile has mistakes; `errors` names each field")


def _with_warning(ctx: Context, saved: Profile) -> dict[str, Any]:
    """The saved profile, and `warning`: why its feed cannot be read now (the message a task
    would give), or null."""
    return {**profile_json(saved, ctx.clock()), "warning": feed_warning(ctx, saved)}


@router.get("/profiles", summary="List profiles")
def list_(request: Request) -> dict[str, Any]:
    """Every profile with its schedule in words, next runs and last task."""
    ctx = context(request)
    now = ctx.clock()
    return {"profiles": [profile_json(r.profile, now, r.last_task) for r in profile_rows(ctx)]}


@router.post("/profiles", status_code=201, summary="Create a profile", responses=SAVE_ERRORS)
def create(request: Request, data: ProfileBody) -> dict[str, Any]:
    """Validated like a profile file; 422 names every field with a mistake."""
    ctx = context(request)
    return _with_warning(ctx, use.save_profile_data(ctx, data, None))


@router.post("/profiles/preview", summary="Preview an import profile",
             responses=responses(422))
def preview(request: Request, data: ProfileBody) -> dict[str, Any]:
    """The first rows of its source, mapped, with what each would change; nothing is saved."""
    ctx = context(request)
    profile = use.parse_with_defaults(ctx, data)
    if profile.kind is not TaskKind.IMPORT:
        raise ApiError(422, "kind: only an import profile has a source to preview", "kind")
    return preview_import(ctx, profile).as_dict()


@router.get("/profiles/{ref}", summary="Show a profile", responses=ERRORS)
def show(request: Request, ref: ProfileRef) -> dict[str, Any]:
    """By id or name."""
    ctx = context(request)
    return profile_json(use.find_profile(ctx, ref), ctx.clock())


@router.put("/profiles/{ref}", summary="Replace a profile's settings",
            responses={**ERRORS, **SAVE_ERRORS})
def update(request: Request, ref: ProfileRef, data: ProfileBody) -> dict[str, Any]:
    """The whole profile, validated again; its next scheduled run is planned anew."""
    ctx = context(request)
    found = use.find_profile(ctx, ref)
    return _with_warning(ctx, use.save_profile_data(ctx, data, found.id))


@router.delete("/profiles/{ref}", status_code=204, summary="Delete a profile",
               responses=ERRORS)
def delete(request: Request, ref: ProfileRef) -> Response:
    """Its tasks stay in the history."""
    use.delete_profile(context(request), ref)
    return Response(status_code=204)


@router.post("/profiles/{ref}/enable", summary="Enable a profile", responses=ERRORS)
def enable(request: Request, ref: ProfileRef) -> dict[str, Any]:
    """Its schedule runs again."""
    ctx = context(request)
    return profile_json(use.set_enabled(ctx, ref, True), ctx.clock())


@router.post("/profiles/{ref}/disable", summary="Disable a profile", responses=ERRORS)
def disable(request: Request, ref: ProfileRef) -> dict[str, Any]:
    """No scheduled task starts; run now still works."""
    ctx = context(request)
    return profile_json(use.set_enabled(ctx, ref, False), ctx.clock())


@router.post("/profiles/{ref}/run", status_code=201, summary="Run a profile now",
             responses={**ERRORS, **responses(409, _409="A task of it was just created")})
def run(
    request: Request, ref: ProfileRef,
    force: Annotated[bool, Query(description="Run it anyway, whatever its safety limits "
                                             "say")] = False,
) -> dict[str, Any]:
    """A pending task, due now: the next heartbeat starts it."""
    ctx = context(request)
    task_id = run_now(ctx, use.find_profile(ctx, ref).id or 0, force=force)
    return {"task": task_json(task_or_404(ctx, task_id), ctx.clock())}


@router.get("/schedule", tags=["profiles"], summary="Check a cron expression",
            responses=responses(422, _422="The expression or the time zone is not valid"))
def schedule(
    request: Request,
    cron: Annotated[str, Query(description="5 fields: minute hour day month weekday",
                               examples=["*/15 8-18 * * 1-5"])],
    timezone: Annotated[str, Query(examples=["Europe/Vilnius"])] = "UTC",
    count: Annotated[int, Query(ge=1, le=20)] = 5,
) -> dict[str, Any]:
    """The schedule in words and its next occurrences in `timezone`; 422 names the mistake."""
    ctx = context(request)
    try:
        expr = check_cron(cron)
    except ScheduleError as exc:
        raise ApiError(422, str(exc), "schedule") from None
    try:
        zone(timezone)
    except ScheduleError as exc:
        raise ApiError(422, str(exc), "timezone") from None
    runs = occurrences(expr, timezone, ctx.clock(), count)
    return {
        "schedule": expr, "words": describe(expr), "timezone": timezone,
        "next_runs": [at.isoformat() for at in runs],
        "next_runs_local": [shown_in_zone(at, timezone) for at in runs],
    }
