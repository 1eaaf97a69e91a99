"""Notifications on the Configure tab, the API and the CLI: set, shown with the SMTP password
masked everywhere, and "Send a test" reaching a real webhook receiver and SMTP server."""

from __future__ import annotations

import subprocess
import sys
import time

from webtools import TestClient, csrf_of

from receivers import http_receiver, smtp_receiver
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.db import write_tx
from syncbeat.store.settings import save_settings
from syncbeat.web.app import create_app

SECRET = "pa55 w0rd!"


def _save(web, **values):
    page = web.get("/configure").text
    return web.post("/configure/settings", data={"csrf_token": csrf_of(page), **values},
                    follow_redirects=False)


def test_configure_saves_the_notifications_and_never_shows_the_password(web, api):
    saved = _save(web, notify_webhook_url="https://hooks.example/sb",
                  notify_smtp_host="mail.example", notify_smtp_port="2525",
                  notify_smtp_starttls="false", notify_smtp_user="shop",
                  notify_smtp_password=SECRET, notify_email_to="ops@shop.example",
                  notify_item_errors_percent="5", notify_stale_minutes="30")
    assert saved.status_code == 303
    page = web.get("/configure").text
    assert 'value="https://hooks.example/sb"' in page and 'value="2525"' in page
    assert SECRET not in page
    assert '<input name="notify_smtp_password" type="password" value="***"' in page
    shown = api.get("/api/settings").json()
    assert shown["notify_smtp_password"] == "***" and shown["notify_smtp_starttls"] is False
    assert shown["notify_item_errors_percent"] == 5.0 and shown["notify_stale_minutes"] == 30
    # the form sent back as it was shown keeps the password; the API's *** too
    assert _save(web, notify_smtp_password="***", notify_smtp_port="587").status_code == 303
    assert api.patch("/api/settings", json=shown).json()["notify_smtp_password"] == "***"
    assert SECRET not in api.get("/api/settings").text


def test_a_refused_notification_setting_is_told_beside_its_field_without_the_password(web):
    refused = _save(web, notify_webhook_url="hooks.example/sb", notify_smtp_password=SECRET)
    assert refused.status_code == 422
    assert ("notify_webhook_url: write an address starting with http:// or https://, not "
            "'hooks.example/sb'") in refused.text.replace("&#39;", "'")
    assert SECRET not in refused.text
    bad_mail = _save(web, notify_email_to="ops at shop", notify_smtp_host="mail.example")
    assert "notify_email_to: &#39;ops at shop&#39; is not an e-mail address" in bad_mail.text


def test_send_a_test_reaches_the_webhook_and_the_mailbox(web, api):
    page = web.get("/configure").text
    refused = web.post("/configure/notify-test", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 422
    assert "set a webhook URL, or an SMTP server and a To address, first" in refused.text
    with http_receiver() as hook, smtp_receiver() as smtp:
        api.patch("/api/settings", json={
            "notify_webhook_url": hook.url, "notify_smtp_host": "127.0.0.1",
            "notify_smtp_port": smtp.port, "notify_smtp_starttls": False,
            "notify_email_to": "ops@shop.example", "admin_url": "https://shop.example/sync"})
        done = web.post("/configure/notify-test", data={"csrf_token": csrf_of(page)})
        assert done.status_code == 200  # followed back to Configure
        assert "test message: webhook: sent; email: sent" in done.text
        assert hook.received[0]["message"] == ("a test sent by admin: messages from syncbeat "
                                               "reach you")
        assert hook.received[0]["link"] == "https://shop.example/sync/configure"
        [mail] = smtp.mails
    assert mail["Subject"] == "syncbeat: a test sent by admin: messages from syncbeat reach you"
    assert mail["To"] == "ops@shop.example"


def test_the_cli_shows_the_password_masked(db_url, data_dir, ctx):
    def sb(*args):
        return subprocess.run([sys.executable, "-m", "syncbeat.cli", "--database-url", db_url,
                               "--data-dir", str(data_dir), "settings", *args],
                              capture_output=True, text=True, timeout=60)

    changed = sb(f"notify_smtp_password={SECRET}", "notify_smtp_host=mail.example")
    assert changed.returncode == 0, changed.stderr
    assert "notify_smtp_password = ***" in changed.stdout and SECRET not in changed.stdout
    assert '"notify_smtp_password": "***"' in sb("--json").stdout
    bad = sb("notify_smtp_starttls=perhaps")
    assert bad.returncode == 1
    assert "notify_smtp_starttls: write true or false, not 'perhaps'" in bad.stderr


def test_the_admin_tells_of_a_stopped_heartbeat_by_mail(ctx, clock):
    """`serve` (with or without its worker) watches the heartbeat: here every 0.05 s."""
    Heartbeat(ctx).tick()
    clock.advance(minutes=20)  # no tick since
    app = create_app(ctx, worker=False, secret=b"s", watch_every=0.05)
    with smtp_receiver() as smtp:
        with write_tx(ctx.db) as conn:
            save_settings(conn, {"notify_smtp_host": "127.0.0.1", "notify_smtp_port": smtp.port,
                                 "notify_smtp_starttls": False,
                                 "notify_email_to": "ops@shop.example"})
        with TestClient(app):
            deadline = time.monotonic() + 20
            while not smtp.mails and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # and no second one: one an hour
        subjects = [m["Subject"] for m in smtp.mails]
    assert subjects == ["syncbeat: no heartbeat for 20 minutes (the last at 2026-11-02 09:00 "
                        "UTC): no task will start"]
