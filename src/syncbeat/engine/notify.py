"""Send the queued notifications (from the heartbeat's housekeeping), tell of a stopped
heartbeat (from `serve`, which still runs when no tick does), and send a test."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from syncbeat.domain.notify import HOLD, Event, Reason, compose, may_send_at, retry_at
from syncbeat.engine.context import Context
from syncbeat.feeds.messages import SendError, SmtpServer, post_webhook, send_mail
from syncbeat.feeds.secretrefs import Filled, MissingSecret
from syncbeat.store import notifications as queue
from syncbeat.store.db import is_outage, read_tx, write_tx
from syncbeat.store.notifications import Queued
from syncbeat.store.settings import RuntimeSettings, last_heartbeat, load_settings

log = logging.getLogger(__name__)
BUDGET_SECONDS = 8.0  # no message starts after this much of a tick went on sending
KEEP = timedelta(days=30)  # sent and failed notifications are forgotten after this


def deliver_due(ctx: Context, *, budget: float = BUDGET_SECONDS) -> list[str]:
    """Send what is due, one message per group (the newest, summing up those held back);
    lines for the worker's output. A failure is logged and tried again later."""
    now = ctx.clock()
    with read_tx(ctx.db) as conn:
        rows = queue.due(conn, now)
        if not rows:
            return []
        settings = load_settings(conn)
        groups: dict[tuple[str, int | None, Reason], list[Queued]] = defaultdict(list)
        for row in rows:
            groups[row.group].append(row)
        held_until = {g: may_send_at(queue.last_sent(conn, g)) for g in groups}
    lines: list[str] = []
    started = time.monotonic()
    for group, members in groups.items():
        until = held_until[group]
        if until is not None and until > now:
            continue  # told within the hour: these wait, and the next message sums them up
        if time.monotonic() - started > budget:
            break
        lines.append(_send_group(ctx, settings, members))
    return lines


def _send_group(ctx: Context, settings: RuntimeSettings, members: Sequence[Queued]) -> str:
    now = ctx.clock()
    with write_tx(ctx.db) as conn:
        if not queue.claim(conn, members, now):
            return "notifications taken by another worker"
    channel, newest = members[0].channel, members[-1]
    message = compose([m.event for m in members])
    try:
        _send(ctx, settings, channel, message.subject, message.text, message.payload)
    except SendError as exc:
        attempts = max(m.attempts for m in members) + 1
        retry = retry_at(attempts, now)
        with write_tx(ctx.db) as conn:
            queue.mark_failed(conn, members, str(exc), retry)
        then = f"tried again at {retry:%H:%M:%S}" if retry else "given up"
        log.warning("notification by %s not sent (attempt %d, %s): %s", channel, attempts,
                    then, exc)
        return f"notification by {channel} not sent (attempt {attempts}, {then}): {exc}"
    with write_tx(ctx.db) as conn:
        queue.mark_sent(conn, newest, members[:-1], now)
    held = f" (with {len(members) - 1} held back)" if len(members) > 1 else ""
    return f"notification by {channel} sent: {newest.event.line()}{held}"


def _send(ctx: Context, settings: RuntimeSettings, channel: str, subject: str, text: str,
          payload: dict[str, object]) -> None:
    """Send by `channel`; {secret:NAME} in the webhook URL or the SMTP user and password is
    filled in now, and a SendError never shows a value filled in."""
    filled = Filled(ctx.secrets)
    try:
        if channel == "webhook":
            if not settings.webhook_on:
                raise SendError("no webhook is set (notify_webhook_url)")
            post_webhook(filled.fill(settings.notify_webhook_url, "notify_webhook_url",
                                     url=True), payload)
        else:
            if not settings.email_on:
                raise SendError("no e-mail is set (notify_smtp_host, notify_email_to)")
            send_mail(smtp_server(settings, filled), subject, text)
    except MissingSecret as exc:
        raise SendError(str(exc)) from None
    except SendError as exc:
        raise SendError(filled.scrub(str(exc))) from None
    except Exception as exc:  # a URL the sender refuses, a secret that cannot be read, ...
        if is_outage(exc):
            raise  # syncbeat's own database: the worker waits it out
        said = filled.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise SendError(f"the {channel} could not be sent: {said}") from None


def smtp_server(settings: RuntimeSettings, filled: Filled) -> SmtpServer:
    """The SMTP settings as the sender takes them, their secrets filled in."""
    return SmtpServer(host=settings.notify_smtp_host, port=settings.notify_smtp_port,
                      starttls=settings.notify_smtp_starttls,
                      user=filled.fill(settings.notify_smtp_user, "notify_smtp_user"),
                      password=filled.fill(settings.notify_smtp_password,
                                           "notify_smtp_password"),
                      sender=settings.notify_email_from,
                      recipients=tuple(settings.email_recipients))


def watch_heartbeat(ctx: Context) -> list[str]:
    """Queue a message when no tick ran for `notify_stale_minutes` (at most one an hour),
    then send what is due: nobody else sends while the heartbeat is stopped."""
    now = ctx.clock()
    with read_tx(ctx.db) as conn:  # a write only when there is something to queue
        settings = load_settings(conn)
        channels = queue.channels_on(settings)
        last = last_heartbeat(conn)
        at = datetime.fromisoformat(last["at"]) if last and last.get("at") else None
        limit = timedelta(minutes=settings.notify_stale_minutes)
        stale = bool(channels and limit and at is not None and now - at > limit)
        tell = stale and all(
            _quiet(queue.last_sent(conn, (c, None, Reason.HEARTBEAT)), now)
            and not queue.pending_of(conn, c, Reason.HEARTBEAT) for c in channels)
    if tell and at is not None:
        minutes = int((now - at).total_seconds() // 60)
        event = Event(reason=Reason.HEARTBEAT, at=now, message=(
            f"no heartbeat for {minutes} minutes (the last at {at:%Y-%m-%d %H:%M} UTC): no "
            "task will start"), link=_link(settings, "/configure#heartbeat"))
        with write_tx(ctx.db) as conn:
            queue.queue_event(conn, event, now, channels)
    return deliver_due(ctx)


def _quiet(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= HOLD


def _link(settings: RuntimeSettings, path: str) -> str:
    return f"{settings.admin_url.rstrip('/')}{path}" if settings.admin_url else path


def send_test(ctx: Context, who: str) -> list[str]:
    """Send a test message now by every channel set, past the queue; what each said."""
    with read_tx(ctx.db) as conn:
        settings = load_settings(conn)
    channels = queue.channels_on(settings)
    if not channels:
        raise SendError("set a webhook URL, or an SMTP server and a To address, first")
    event = Event(reason=Reason.TEST, at=ctx.clock(), message=f"a test sent by {who}: "
                  "messages from syncbeat reach you", link=_link(settings, "/configure"))
    message = compose([event])
    said = []
    for channel in channels:
        try:
            _send(ctx, settings, channel, message.subject, message.text, message.payload)
            said.append(f"{channel}: sent")
        except SendError as exc:
            said.append(f"{channel}: {exc}")
    return said
