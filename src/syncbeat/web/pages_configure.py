"""The Configure tab: the catalog's check, run-time settings, heartbeat health, API tokens
and the heartbeat URL, the secrets (write-only), the users and one's own password."""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from syncbeat.catalog.check import check_catalog
from syncbeat.domain.schedule import zone_choices
from syncbeat.engine.accounts import AccountError, accounts, authenticate, change_password
from syncbeat.engine.errors import SettingRefused
from syncbeat.engine.notify import send_test
from syncbeat.engine.passwords import PasswordsBusy, password_problem
from syncbeat.engine.secrets import SecretError, delete_secret, list_secrets, set_secret
from syncbeat.engine.settings import change_settings, current_settings
from syncbeat.engine.throttle import Throttled
from syncbeat.engine.tokens import TokenRefused, issue_token, revoke_token, tokens
from syncbeat.feeds.messages import SendError
from syncbeat.store.settings import MASK, SETTING_NAMES, WRITE_ONLY
from syncbeat.store.tokens import SCOPES
from syncbeat.web.auth import Principal, context, page_user
from syncbeat.web.csrf import checked_form
from syncbeat.web.health import heartbeat_health
from syncbeat.web.pages_auth import client_address
from syncbeat.web.profile_form import ZONES
from syncbeat.web.templating import go, page

router = APIRouter(include_in_schema=False)
User = Annotated[Principal, Depends(page_user)]
Form = Annotated[FormData, Depends(checked_form)]


class SettingField(NamedTuple):
    """One setting's row in a Configure form: its name, label, unit and a hint under it."""

    name: str
    label: str
    unit: str
    hint: str


FIELDS: list[SettingField] = [
    SettingField(
        "default_batch_size", "Default batch size", "items", "The most items a batch takes, for "
        "profiles that do not set their own. Fewer when the catalog is slow: a batch takes "
        "about half a second at most."),
    SettingField(
        "time_budget_seconds", "Heartbeat time budget", "seconds", "How long one tick may work "
        "before it yields."),
    SettingField(
        "tick_interval_seconds", "Tick interval of the built-in worker", "seconds", "The pause "
        "between two ticks of an idle worker."),
    SettingField(
        "timezone", "Time zone", "", "Of new profiles, and of the times these pages show."),
    SettingField(
        "retention_days", "Retention", "days", "Tasks that ended longer ago are deleted with "
        "their files."),
    SettingField(
        "start_window_minutes", "Start window for late occurrences", "minutes", "A scheduled run "
        "later than this (after downtime) is missed instead of started."),
    SettingField(
        "lease_seconds", "Lease of a worker", "seconds", "A worker silent this long loses its "
        "tasks to another."),
    SettingField(
        "outage_limit_seconds", "Limit of an outage", "seconds", "A database that answers but "
        "takes no work (a full disk) this long: the tasks waiting for it end in error."),
]
NOTIFY_FIELDS: list[SettingField] = [
    SettingField(
        "notify_webhook_url", "Webhook URL", "", "Each message is POSTed there as JSON (docs/"
        "monitoring.md). Empty: no webhook."),
    SettingField(
        "notify_smtp_host", "SMTP server", "", "The server that sends the e-mails. Empty: no "
        "e-mail."),
    SettingField(
        "notify_smtp_port", "SMTP port", "", "587 with STARTTLS, 25 without."),
    SettingField(
        "notify_smtp_starttls", "STARTTLS", "", "Encrypt the connection before signing in."),
    SettingField(
        "notify_smtp_user", "SMTP user", "", "Empty: send without signing in."),
    SettingField(
        "notify_smtp_password", "SMTP password", "", "Never shown again; *** means it is set. "
        "Clear the field to remove it. Best: {secret:NAME}, a secret set below."),
    SettingField(
        "notify_email_from", "From", "", "The sender's address."),
    SettingField(
        "notify_email_to", "To", "", "Addresses, separated by commas."),
    SettingField(
        "notify_item_errors_percent", "Item errors that tell", "%", "A completed task with more "
        "of its items in error than this sends a message."),
    SettingField(
        "notify_stale_minutes", "Stopped heartbeat that tells", "minutes", "No tick for this "
        "long sends a message (0: never)."),
    SettingField(
        "admin_url", "Address of this admin", "", "How people reach it (https://shop.example/"
        "sync), for the links in messages."),
]


def _page(request: Request, who: Principal, *, values: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, new_token: dict[str, Any] | None = None,
          status: int = 200) -> HTMLResponse:
    ctx = context(request)
    health = heartbeat_health(ctx)
    base = str(request.base_url).rstrip("/")
    return page(request, who, "configure.html", active="configure", fields=FIELDS,
                notify_fields=NOTIFY_FIELDS, values=values or health.settings.shown(),
                errors=errors or {}, health=health,
                tokens=tokens(ctx.db), new_token=new_token, secrets=list_secrets(ctx),
                heartbeat_url=f"{base}/api/heartbeat",
                users=accounts(ctx.db), worker_in_process=request.app.state.worker_enabled,
                zones=zone_choices(health.settings.timezone, ZONES), scopes=SCOPES,
                catalog=check_catalog(request.app.state.catalog, ctx.db),
                status=status)


@router.get("/configure", response_class=HTMLResponse)
def configure(request: Request, who: User) -> HTMLResponse:
    """Settings, heartbeat health, tokens."""
    return _page(request, who)


@router.post("/configure/settings", response_class=HTMLResponse)
def save(request: Request, who: User, form: Form) -> Response:
    """Save the settings; a refused one is shown beside its field."""
    changes = {name: form.get(name) for name in SETTING_NAMES if form.get(name) is not None}
    try:
        change_settings(context(request), changes)
    except SettingRefused as exc:
        shown = {**context_settings(request), **changes}
        for name in WRITE_ONLY:  # what was typed is not sent back to the browser
            shown[name] = MASK if shown.get(name) else ""
        return _page(request, who, values=shown, errors={exc.name or "": str(exc)},
                     status=422)
    return go(request, "/configure", "settings saved")


def context_settings(request: Request) -> dict[str, Any]:
    """The settings in force as the page shows them."""
    return current_settings(context(request)).shown()


@router.post("/configure/notify-test", response_class=HTMLResponse)
def notify_test(request: Request, who: User, form: Form) -> Response:
    """Send a test message by every channel set, and say what each did."""
    try:
        said = send_test(context(request), who.name)
    except SendError as exc:
        return _page(request, who, errors={"notify_test": str(exc)}, status=422)
    return go(request, "/configure#notifications", "test message: " + "; ".join(said))


@router.post("/configure/tokens", response_class=HTMLResponse)
def create_token(request: Request, who: User, form: Form) -> Response:
    """Make a token and show it this once."""
    ctx = context(request)
    scope = str(form.get("scope") or "")
    if scope not in SCOPES:
        return _page(request, who, errors={"token": f"choose a scope: {', '.join(SCOPES)}"},
                     status=422)
    try:
        token, secret = issue_token(ctx.db, name=str(form.get("name") or ""), scope=scope,
                                    by=who.name, now=ctx.clock())
    except TokenRefused as exc:
        return _page(request, who, errors={"token": str(exc).removeprefix("name: ")},
                     status=422)
    return _page(request, who, new_token={"token": token, "secret": secret})


@router.post("/configure/tokens/{token_id}/revoke")
def revoke(request: Request, who: User, form: Form, token_id: int) -> Response:
    """Revoke a token: it stops working at once."""
    gone = revoke_token(context(request).db, token_id)
    return go(request, "/configure", "token revoked" if gone else "that token was gone already")


@router.post("/configure/secrets", response_class=HTMLResponse)
def save_secret(request: Request, who: User, form: Form) -> Response:
    """Set or replace a secret; its value is never shown again, not even on a refusal."""
    name = str(form.get("name") or "").strip()
    try:
        new = set_secret(context(request), name, str(form.get("value") or ""))
    except SecretError as exc:
        return _page(request, who, errors={"secret": str(exc)}, status=422)
    return go(request, "/configure#secrets",
              f"secret '{name}' {'set' if new else 'changed'}: profiles name it as "
              f"{{secret:{name}}}")


@router.post("/configure/secrets/{name}/delete")
def remove_secret(request: Request, who: User, form: Form, name: str) -> Response:
    """Delete a secret: profiles naming it fail until it is set again."""
    gone = delete_secret(context(request), name)
    return go(request, "/configure#secrets",
              f"secret '{name}' deleted" if gone else "that secret was gone already")


@router.post("/configure/password", response_class=HTMLResponse)
def new_password(request: Request, who: User, form: Form) -> Response:
    """Change one's own password: the other sessions of the user end, this one goes on."""
    ctx = context(request)
    assert who.user is not None and who.session is not None
    new = str(form.get("new_password") or "")
    problem = password_problem(new)
    if problem or new != str(form.get("repeat_password") or ""):
        return _page(request, who, status=422, errors={
            "password": f"the new password {problem}" if problem else
                        "the two new passwords differ"})
    try:
        # Checked like a sign-in: throttled, and a wrong one counts as a failure.
        if authenticate(ctx.db, who.user.username, str(form.get("current_password") or ""),
                        ctx.clock(), address=client_address(request)) is None:
            return _page(request, who, errors={"password": "the current password is wrong"},
                         status=422)
        change_password(ctx.db, who.user.username, new, ctx.clock(),
                        keep_session=who.session.id_hash)
    except AccountError as exc:
        return _page(request, who, errors={"password": str(exc)}, status=422)
    except Throttled as exc:
        return _page(request, who, errors={"password": str(exc)}, status=429)
    except PasswordsBusy:
        return _page(request, who, errors={"password": "busy, try again in a moment"},
                     status=503)
    return go(request, "/configure", "password changed: your other sessions are signed out")
