"""Being told: a task that ends in error or is missed, or completes with too many item errors,
and a stopped heartbeat send a message to a real webhook receiver and a real SMTP server on
loopback; at most one an hour per profile and reason, the next one summing up what was held
back; a receiver that fails is tried again later and never stops the heartbeat."""

from __future__ import annotations

import logging

import pytest
from helpers import add_products, add_profile, drain, import_profile, task_of, write_csv

from receivers import http_receiver, smtp_receiver
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.engine.notify import deliver_due, send_test, watch_heartbeat
from syncbeat.feeds.messages import SendError
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.settings import load_settings, save_settings
from syncbeat.store.tables import notifications

HEADER = ["sku", "title", "net_price", "stock"]


def _settings(ctx, **values):
    with write_tx(ctx.db) as conn:
        save_settings(conn, values)


def _broken_feed_run(ctx, profile_id, said=None):
    """A task that ends in error at once (its feed is not there), in a tick whose
    housekeeping sends what is due; that tick's lines go to `said`."""
    task_id = run_now(ctx, profile_id)
    report = Heartbeat(ctx).tick()
    assert task_of(ctx, task_id).status is TaskStatus.ERROR
    if said is not None:
        said += report.lines
    return task_id


def test_a_task_in_error_is_told_by_webhook_and_by_mail(ctx):
    profile = add_profile(ctx, import_profile(source={"location": "feeds/none.csv",
                                                      "format": "csv"}))
    with http_receiver() as hook, smtp_receiver(password="s3cret pass") as smtp:
        _settings(ctx, notify_webhook_url=hook.url, notify_smtp_host="127.0.0.1",
                  notify_smtp_port=smtp.port, notify_smtp_starttls=False,
                  notify_smtp_user="shop", notify_smtp_password="s3cret pass",
                  notify_email_from="sync@shop.example",
                  notify_email_to="ops@shop.example, boss@shop.example",
                  admin_url="https://shop.example/sync/")
        task_id = _broken_feed_run(ctx, profile.id)  # the same tick sends
        [sent] = hook.received
        [mail] = smtp.mails
    reason = task_of(ctx, task_id).message
    assert "none.csv" in reason
    assert sent == {
        "reason": "error", "at": "2026-11-02T09:00:00+00:00", "task": task_id,
        "profile": "Supplier A stock", "profile_id": profile.id, "status": "error",
        "message": reason, "held_back": [],
        "counts": {"total": 0, "pending": 0, "processed": 0, "skipped": 0, "cancelled": 0,
                   "error": 0},
        "link": f"https://shop.example/sync/tasks/{task_id}"}
    assert mail["Subject"] == f"syncbeat: task {task_id} (Supplier A stock) error: {reason}"
    assert mail["From"] == "sync@shop.example"
    assert f"https://shop.example/sync/tasks/{task_id}" in mail.get_content()
    assert smtp.envelopes == [("sync@shop.example", ["ops@shop.example", "boss@shop.example"])]
    assert smtp.logins == ["shop"]


def test_one_message_an_hour_per_profile_and_reason_then_a_summary(ctx, clock):
    profile = add_profile(ctx, import_profile(source={"location": "feeds/none.csv",
                                                      "format": "csv"}))
    with http_receiver() as hook:
        _settings(ctx, notify_webhook_url=hook.url)
        first = _broken_feed_run(ctx, profile.id)
        deliver_due(ctx)
        clock.advance(minutes=10)
        second = _broken_feed_run(ctx, profile.id)
        clock.advance(minutes=10)
        third = _broken_feed_run(ctx, profile.id)
        Heartbeat(ctx).tick()
        assert [m["task"] for m in hook.received] == [first]  # the others are held back
        clock.advance(minutes=41)
        assert deliver_due(ctx) == [f"notification by webhook sent: task {third} (Supplier A "
                                    f"stock) error: {task_of(ctx, third).message} (with 1 "
                                    "held back)"]
        assert deliver_due(ctx) == []
    summary = hook.received[1]
    assert summary["task"] == third
    assert [m["task"] for m in summary["held_back"]] == [second]
    assert summary["summary"] == ("1 more held back since 2026-11-02 09:10 UTC (one message "
                                  "an hour):")


def test_a_missed_task_and_a_completed_one_with_many_item_errors_are_told(ctx):
    add_products(ctx, *[(f"P{i}", "1.00", 1) for i in range(10)])
    rows = [[f"P{i}", f"P{i}", "2.00", "1"] for i in range(8)] + [["P8", "P8", "abc", "1"]]
    write_csv(ctx, "a.csv", HEADER, rows)
    profile = add_profile(ctx, import_profile())
    quiet = add_profile(ctx, import_profile(name="Quiet"))
    with http_receiver() as hook:
        _settings(ctx, notify_webhook_url=hook.url, notify_item_errors_percent=10)
        first = run_now(ctx, profile.id)
        second = run_now(ctx, profile.id)  # missed: the first still runs
        drain(ctx)
        _settings(ctx, notify_item_errors_percent=20)  # 1 in 9 is no longer too many
        run_now(ctx, quiet.id)
        drain(ctx)
        told = {(m["task"], m["reason"]): m for m in hook.received}
    assert set(told) == {(second, "missed"), (first, "item errors")}
    assert told[(second, "missed")]["message"] == (f"task {first} of this profile was still "
                                                   "running")
    assert told[(first, "item errors")]["message"].startswith("1 of 9 items in error")
    assert told[(first, "item errors")]["counts"]["error"] == 1


def test_a_failing_receiver_is_tried_again_with_backoff_and_the_heartbeat_goes_on(ctx, clock,
                                                                                   caplog):
    profile = add_profile(ctx, import_profile(source={"location": "feeds/none.csv",
                                                      "format": "csv"}))
    with http_receiver() as hook:
        hook.answers = [500, 503]
        _settings(ctx, notify_webhook_url=hook.url)
        lines: list[str] = []
        with caplog.at_level(logging.WARNING, logger="syncbeat.engine.notify"):
            task_id = _broken_feed_run(ctx, profile.id, lines)
        assert (f"notification by webhook not sent (attempt 1, tried again at 09:01:00): the "
                f"webhook {hook.url} answered 500 Internal Server Error") in lines
        assert Heartbeat(ctx).tick().lines == []  # the heartbeat goes on, the message waits
        assert "answered 500" in caplog.text
        clock.advance(seconds=59)
        assert deliver_due(ctx) == []  # not yet
        clock.advance(seconds=1)
        assert "attempt 2, tried again at 09:03:00" in deliver_due(ctx)[0]
        clock.advance(minutes=2)
        assert deliver_due(ctx)[0].startswith("notification by webhook sent")
        assert [m["task"] for m in hook.received] == [task_id]


def test_an_unreachable_receiver_is_given_up_after_its_attempts(ctx, clock):
    profile = add_profile(ctx, import_profile(source={"location": "feeds/none.csv",
                                                      "format": "csv"}))
    with http_receiver() as hook:
        gone = hook.url
    _settings(ctx, notify_webhook_url=gone)  # nothing listens there any more
    said: list[str] = []
    _broken_feed_run(ctx, profile.id, said)
    for _ in range(8):
        clock.advance(hours=1)
        said += deliver_due(ctx)
    said = [line for line in said if line.startswith("notification")]
    assert len(said) == 6 and "could not be reached" in said[0]
    assert said[-1].startswith("notification by webhook not sent (attempt 6, given up)")
    with read_tx(ctx.db) as conn:
        [row] = conn.execute(notifications.select()).all()
    assert row.status == "failed" and row.attempts == 6 and "could not be reached" in (
        row.last_error)


def test_nothing_is_queued_while_no_channel_is_set(ctx):
    profile = add_profile(ctx, import_profile(source={"location": "feeds/none.csv",
                                                      "format": "csv"}))
    _broken_feed_run(ctx, profile.id)
    with read_tx(ctx.db) as conn:
        assert conn.execute(notifications.select()).all() == []


def test_a_stopped_heartbeat_is_told_once_an_hour(ctx, clock):
    with smtp_receiver() as smtp:
        _settings(ctx, notify_smtp_host="127.0.0.1", notify_smtp_port=smtp.port,
                  notify_smtp_starttls=False, notify_email_to="ops@shop.example",
                  notify_stale_minutes=15)
        Heartbeat(ctx).tick()
        clock.advance(minutes=15)
        assert watch_heartbeat(ctx) == []  # not more than 15 minutes yet
        clock.advance(minutes=1)
        said = watch_heartbeat(ctx)
        assert said == ["notification by email sent: no heartbeat for 16 minutes (the last "
                        "at 2026-11-02 09:00 UTC): no task will start"]
        for _ in range(5):
            clock.advance(minutes=10)
            assert watch_heartbeat(ctx) == []
        clock.advance(minutes=10)
        assert len(watch_heartbeat(ctx)) == 1
        subjects = [m["Subject"] for m in smtp.mails]
    assert subjects == ["syncbeat: no heartbeat for 16 minutes (the last at 2026-11-02 09:00 "
                        "UTC): no task will start",
                        "syncbeat: no heartbeat for 76 minutes (the last at 2026-11-02 09:00 "
                        "UTC): no task will start"]


def test_a_test_message_goes_by_every_channel_and_says_what_failed(ctx):
    with pytest.raises(SendError, match="set a webhook URL, or an SMTP server"):
        send_test(ctx, "admin")
    with http_receiver() as hook, smtp_receiver(password="right") as smtp:
        _settings(ctx, notify_webhook_url=hook.url, notify_smtp_host="127.0.0.1",
                  notify_smtp_port=smtp.port, notify_smtp_starttls=False,
                  notify_smtp_user="shop", notify_smtp_password="wrong",
                  notify_email_to="ops@shop.example")
        said = send_test(ctx, "admin")
        assert said == ["webhook: sent", f"email: the SMTP server 127.0.0.1:{smtp.port} "
                                         "refused the user shop or its password"]
        assert hook.received[0]["reason"] == "test"
        assert hook.received[0]["message"] == ("a test sent by admin: messages from syncbeat "
                                               "reach you")
        assert smtp.mails == []


def test_the_smtp_password_is_never_shown_back(ctx):
    _settings(ctx, notify_smtp_host="mail.example", notify_email_to="a@b.example",
              notify_smtp_password="hunter2 secret")
    with read_tx(ctx.db) as conn:
        settings = load_settings(conn)
    assert settings.notify_smtp_password == "hunter2 secret"
    assert settings.shown()["notify_smtp_password"] == "***"
    _settings(ctx, notify_smtp_password="***", retention_days=40)  # sent back: kept
    with read_tx(ctx.db) as conn:
        assert load_settings(conn).notify_smtp_password == "hunter2 secret"


def test_the_smtp_login_and_the_webhook_url_may_name_secrets(ctx):
    from syncbeat.engine.secrets import set_secret

    set_secret(ctx, "smtp_pw", "p@ss word")
    set_secret(ctx, "hook_key", "k/1 2")
    with http_receiver() as hook, smtp_receiver(password="p@ss word") as smtp:
        _settings(ctx, notify_webhook_url=hook.url + "?key={secret:hook_key}",
                  notify_smtp_host="127.0.0.1", notify_smtp_port=smtp.port,
                  notify_smtp_starttls=False, notify_smtp_user="shop",
                  notify_smtp_password="{secret:smtp_pw}", notify_email_to="ops@shop.example")
        assert send_test(ctx, "admin") == ["webhook: sent", "email: sent"]
        assert smtp.logins == ["shop"] and len(smtp.mails) == 1
        assert hook.paths == ["/hook?key=k%2F1%202"]
        # A secret that is not set: said by name, and no value of another one shows.
        _settings(ctx, notify_smtp_password="{secret:gone}")
        said = send_test(ctx, "admin")
    assert said[0] == "webhook: sent"
    assert said[1].startswith("email: ") and "gone" in said[1] and "p@ss" not in said[1], said


def test_mail_goes_over_starttls_to_a_server_whose_certificate_is_trusted(
        ctx, tmp_path, monkeypatch):
    from ftpserver import make_certificate

    cert, key = make_certificate(tmp_path)
    with smtp_receiver(password="tls pass", tls=(cert, key)) as smtp:
        _settings(ctx, notify_smtp_host="127.0.0.1", notify_smtp_port=smtp.port,
                  notify_smtp_starttls=True, notify_smtp_user="shop",
                  notify_smtp_password="tls pass", notify_email_to="ops@shop.example")
        # Not trusted yet: the certificate is refused, said in words, and nothing is sent.
        [untrusted] = send_test(ctx, "admin")
        assert untrusted.startswith("email: ") and "certificate" in untrusted, untrusted
        assert smtp.mails == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # as an operator's own authority is
        assert send_test(ctx, "admin") == ["email: sent"]
        assert smtp.logins == ["shop"] and len(smtp.mails) == 1


def test_a_webhook_the_sender_refuses_is_a_failed_attempt_and_the_heartbeat_goes_on(ctx):
    profile = add_profile(ctx, import_profile(source={"location": "feeds/none.csv",
                                                      "format": "csv"}))
    # Accepted as an address, refused by the HTTP client (the port is no number).
    _settings(ctx, notify_webhook_url="http://127.0.0.1:notaport/hook")
    said: list[str] = []
    _broken_feed_run(ctx, profile.id, said)  # the tick ends; it does not raise
    [line] = [s for s in said if s.startswith("notification")]
    assert line.startswith("notification by webhook not sent (attempt 1, tried again at "), line
    with read_tx(ctx.db) as conn:
        assert conn.execute(notifications.select()).first().attempts == 1


def test_a_password_written_into_the_webhook_address_is_refused_a_secret_is_not(ctx):
    with pytest.raises(ValueError, match="notify_webhook_url: a password written into the "
                                         "address would show"):
        _settings(ctx, notify_webhook_url="https://hook:pw@hooks.example/x")
    _settings(ctx, notify_webhook_url="https://hook:{secret:hook_pw}@hooks.example/x")
    with read_tx(ctx.db) as conn:
        assert load_settings(conn).notify_webhook_url.endswith("{secret:hook_pw}@hooks.example/x")


def test_a_webhook_error_never_shows_the_filled_in_password(ctx):
    from syncbeat.engine.secrets import set_secret

    set_secret(ctx, "hook_pw", "PLAINHOOKPW")
    with http_receiver() as hook:
        hook.answers.append(500)
        port = hook.url.split(":")[2].split("/")[0]
        _settings(ctx, notify_webhook_url=f"http://u:{{secret:hook_pw}}@127.0.0.1:{port}/hook")
        [said] = send_test(ctx, "admin")
    assert said.startswith("webhook: the webhook http://u:***@127.0.0.1:") and "500" in said
    assert "PLAINHOOKPW" not in said
