"""Jinja2 templates (autoescaped) with the filters the pages share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from syncbeat import __version__
from syncbeat.domain.schedule import describe
from syncbeat.web.auth import Principal, context, known_caller, signer
from syncbeat.web.health import heartbeat_health
from syncbeat.web.words import ago, duration

FLASH = "syncbeat_flash"

TEMPLATES_DIR = Path(__file__).with_name("templates")


@jinja2.pass_context
def when(jctx: Any, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A time in the admin's time zone."""
    if value is None:
        return ""
    tz = jctx.get("tz")
    return value.astimezone(tz).strftime(fmt) if tz else value.strftime(fmt)


def num(value: int | float | None) -> str:
    """12345 as "12,345"."""
    return "" if value is None else f"{value:,}"


def _make() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # everything from a feed (names, errors) is shown escaped
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, duration=duration, ago=ago, num=num, cron_words=describe)
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


templates = _make()


def page(request: Request, principal: Principal | None, name: str, *, status: int = 200,
         **values: Any) -> HTMLResponse:
    """Render a page with what every page needs: the user, the CSRF token, the time zone."""
    ctx = context(request)
    health = heartbeat_health(ctx)  # its warning shows on every page (base.html)
    settings = health.settings
    flash = signer(request).unseal(request.cookies.get(FLASH))
    values.setdefault("flash", flash)
    values.update(
        user=principal, csrf=principal.csrf if principal else "",
        tz=ZoneInfo(settings.timezone), tzname=settings.timezone, now=ctx.clock(),
        heartbeat_warning=health.warning if principal else None,
    )
    response = templates.TemplateResponse(request, name, values, status_code=status)
    if flash is not None:
        response.delete_cookie(FLASH, path="/")
    return response


def go(request: Request, url: str, flash: str | None = None) -> RedirectResponse:
    """Back to a page after an action (303), with a message to show there once."""
    response = RedirectResponse(url if is_local_path(url) else "/tasks", 303)
    if flash:
        response.set_cookie(FLASH, signer(request).seal(flash), httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    return response


def is_local_path(url: str) -> bool:
    """Is `url` a path of this site, not an address another site planted in a form or link?"""
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The page of an error (no stack trace, ever); with the tabs for a signed-in user, so a
    wrong address is one click from the right one."""
    user = _user_if_known(request)
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message, "user": user,
                                "csrf": user.csrf if user else "", "tz": None},
        status_code=status,
    )


def _user_if_known(request: Request) -> Principal | None:
    """The signed-in user of a page, if the database can tell (it may be the error itself)."""
    try:
        found = known_caller(request)
    except Exception:
        return None
    return found if found is not None and found.session is not None else None
