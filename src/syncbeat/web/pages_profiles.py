"""The Profiles tab: the list, the create and edit forms, the import preview, and actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from syncbeat.domain.profile import Profile, ProfileError
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
from syncbeat.engine.errors import NameTaken
from syncbeat.engine.hostkeys import ServerKey, accept_server_key, server_keys
from syncbeat.engine.preview import Preview, feed_warning, preview_import
from syncbeat.engine.profiles import keep_passwords, shown_settings
from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.urls import shown_url
from syncbeat.store.db import read_tx
from syncbeat.store.settings import load_settings
from syncbeat.web.auth import Principal, context, page_user
from syncbeat.web.csrf import checked_form
from syncbeat.web.errors import ApiError
from syncbeat.web.profile_form import blank, errors_by_field, form_context, form_to_data
from syncbeat.web.templating import go, page
from syncbeat.web.views import ProfileId, profile_or_404, profile_rows

router = APIRouter(include_in_schema=False)
User = Annotated[Principal, Depends(page_user)]
Form = Annotated[FormData, Depends(checked_form)]


@router.get("/profiles", response_class=HTMLResponse)
def list_(request: Request, who: User) -> HTMLResponse:
    """Every profile: kind, schedule in words and next run, last task, enabled."""
    return page(request, who, "profiles.html", active="profiles",
                rows=profile_rows(context(request)))


def next_five(data: dict[str, Any], now: Any) -> tuple[list[str], str | None, bool]:
    """The cron field's next five runs in the profile's zone and the schedule in words; or
    why there are none (the flag says it is a mistake)."""
    expr = str(data.get("schedule") or "").strip()
    if not expr:
        return [], None, False
    tz_name = str(data.get("timezone") or "UTC")
    try:
        expr = check_cron(expr)
        zone(tz_name)
    except ScheduleError as exc:
        return [], str(exc), True
    runs = occurrences(expr, tz_name, now, 5)
    local = [shown_in_zone(at, tz_name) for at in runs]
    return local, describe(expr), False


def _form(request: Request, who: Principal, data: dict[str, Any], *, profile_id: int | None,
          error: ProfileError | None = None, preview: Preview | None = None,
          status: int = 200, previewing: bool = False,
          host_keys: list[ServerKey] | None = None) -> HTMLResponse:
    ctx = context(request)
    runs, words, bad_cron = next_five(data, ctx.clock())
    with read_tx(ctx.db) as conn:
        settings = load_settings(conn)
    return page(request, who, "profile_form.html", active="profiles", profile_id=profile_id,
                preview=preview, next_runs=runs, cron_words=words, bad_cron=bad_cron,
                status=status, default_batch_size=settings.default_batch_size,
                previewing=previewing, host_keys=host_keys or [],
                **form_context(data, errors_by_field(error), context(request).catalog.known,
                               settings.timezone))


@router.get("/profiles/new", response_class=HTMLResponse)
def new(request: Request, who: User, kind: str = "import") -> HTMLResponse:
    """An empty form for an import or an export profile."""
    with read_tx(context(request).db) as conn:
        settings = load_settings(conn)
    kind = "export" if kind == "export" else "import"
    return _form(request, who, blank(kind, settings.timezone),
                 profile_id=None)


@router.get("/profiles/{profile_id}/edit", response_class=HTMLResponse)
def edit(request: Request, who: User, profile_id: ProfileId) -> HTMLResponse:
    """The form of a saved profile."""
    ctx = context(request)
    found = profile_or_404(ctx, str(profile_id))
    return _form(request, who, shown_settings(found), profile_id=found.id,
                 host_keys=server_keys(ctx, found))


def _previewed(request: Request, data: dict[str, Any], profile_id: int | None) -> Preview:
    """The preview of the form's source and mapping; ProfileError names their mistakes."""
    ctx = context(request)
    profile = use.parse_with_defaults(ctx, data)
    if profile_id is not None:  # the form shows a password as ***: use the stored one
        profile = keep_passwords(profile, profile_or_404(ctx, str(profile_id)))
    if profile.kind is not TaskKind.IMPORT:
        raise ProfileError([("kind", "only an import profile has a source to preview")])
    return preview_import(ctx, profile)


# Mistakes here do not stop a preview of the feed: it reads only the source and the mapping.
_GENERAL = {"name": "preview", "schedule": None, "timezone": None, "batch_size": None,
            "enabled": True}


def _submit(request: Request, who: Principal, form: FormData, profile_id: int | None
            ) -> Response:
    ctx = context(request)
    data = form_to_data(form)
    previewing = form.get("action") == "preview"
    try:
        if previewing:
            return _form(request, who, data, profile_id=profile_id, previewing=True,
                         preview=_previewed(request, data, profile_id))
        saved = use.save_profile_data(ctx, data, profile_id)
    except NameTaken as exc:
        return _form(request, who, data, profile_id=profile_id, error=exc, status=409,
                     previewing=previewing)
    except ProfileError as exc:
        feed = None
        if previewing and not _about_the_feed(exc):
            # The feed's own problems (a missing file, a wrong delimiter) beside the fields'.
            general = {k: v for k, v in {**data, **_GENERAL}.items() if v is not None}
            try:
                feed = _previewed(request, general, profile_id)
            except ProfileError:
                feed = None
        return _form(request, who, data, profile_id=profile_id, error=exc, status=422,
                     previewing=previewing, preview=feed)
    warning = feed_warning(ctx, saved)
    if warning:
        return go(request, "/profiles", f"profile '{saved.name}' saved, but its feed cannot "
                                        f"be read now, so a task would fail: {warning}")
    return go(request, "/profiles", f"profile '{saved.name}' saved")


def _about_the_feed(exc: ProfileError) -> bool:
    return any(name.split(".")[0] in ("source", "match", "mapping", "options", "kind")
               for name, _ in exc.errors)


@router.post("/profiles/new", response_class=HTMLResponse)
def create(request: Request, who: User, form: Form) -> Response:
    """Save a new profile, or preview it; mistakes are shown beside their fields."""
    return _submit(request, who, form, None)


@router.post("/profiles/{profile_id}/edit", response_class=HTMLResponse)
def update(request: Request, who: User, form: Form, profile_id: ProfileId) -> Response:
    """Save a profile's new settings, or preview them."""
    profile_or_404(context(request), str(profile_id))
    return _submit(request, who, form, profile_id)


@router.get("/profiles/{profile_id}/preview", response_class=HTMLResponse)
def preview(request: Request, who: User, profile_id: ProfileId) -> HTMLResponse:
    """The preview of a saved import profile."""
    ctx = context(request)
    found: Profile = profile_or_404(ctx, str(profile_id))
    if found.kind is not TaskKind.IMPORT:
        raise ApiError(404, "only an import profile has a source to preview")
    return page(request, who, "preview.html", active="profiles", profile=found,
                location=shown_url(found.source.location if found.source else ""),
                preview=preview_import(ctx, found))


@router.post("/profiles/{profile_id}/enable")
def enable(request: Request, who: User, form: Form, profile_id: ProfileId) -> Response:
    """Enable a profile."""
    found = use.set_enabled(context(request), profile_id, True)
    return go(request, "/profiles", f"profile '{found.name}' enabled")


@router.post("/profiles/{profile_id}/disable")
def disable(request: Request, who: User, form: Form, profile_id: ProfileId) -> Response:
    """Disable a profile."""
    found = use.set_enabled(context(request), profile_id, False)
    return go(request, "/profiles", f"profile '{found.name}' disabled")


@router.post("/profiles/{profile_id}/host-key")
def accept_key(request: Request, who: User, form: Form, profile_id: ProfileId) -> Response:
    """Accept the host key the page showed, if the server shows that very key now."""
    ctx = context(request)
    found = profile_or_404(ctx, str(profile_id))
    try:
        keys = accept_server_key(ctx, found, str(form.get("fingerprint") or ""))
    except FeedError as exc:
        return go(request, f"/profiles/{profile_id}/edit", f"nothing was accepted: {exc}")
    said = ", ".join(f"{k.words()} of {k.host}" for k in keys)
    return go(request, f"/profiles/{profile_id}/edit", f"host key {said} accepted")


@router.post("/profiles/{profile_id}/delete")
def delete(request: Request, who: User, form: Form, profile_id: ProfileId) -> Response:
    """Delete a profile; its tasks stay."""
    found = use.delete_profile(context(request), profile_id)
    return go(request, "/profiles", f"profile '{found.name}' deleted; its tasks are kept")
