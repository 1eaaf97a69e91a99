"""What a flood of sign-ins meets: failures throttled per user name and per address (in the
database, so every process counts them), single-use form tokens, and a bounded number of
password hashes at a time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from webtools import PASSWORD, TestClient, csrf_of, sign_in

from syncbeat.engine import passwords
from syncbeat.engine.throttle import in_words, wait_after


def _client(app, address: str) -> TestClient:
    return TestClient(app, base_url="http://testserver", client=(address, 40000))


def _fail(app, username: str, address: str, times: int = 1) -> None:
    with _client(app, address) as client:
        for _ in range(times):
            assert sign_in(client, username, "not-the-password").status_code == 401


def test_the_sixth_failed_sign_in_for_a_user_name_waits_even_with_the_right_password(
        app, admin, ctx):
    for i in range(5):  # five addresses: only the user name's count reaches the limit
        _fail(app, "admin", f"10.0.0.{i}")
    with _client(app, "10.0.0.9") as client:
        refused = sign_in(client)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
        assert "too many failed sign-ins for admin: try again in 1 minute" in refused.text
        assert "syncbeat_session" not in client.cookies
        ctx.clock.advance(seconds=45)
        later = sign_in(client)
        assert later.status_code == 429 and later.headers["retry-after"] == "15"
        assert "try again in 15 seconds" in later.text
        ctx.clock.advance(seconds=15)
        assert sign_in(client, password="still-wrong").status_code == 401
        doubled = sign_in(client)  # one failure more: the wait doubles
        assert doubled.status_code == 429 and doubled.headers["retry-after"] == "120"
        ctx.clock.advance(minutes=2)
        assert sign_in(client).status_code == 303
    # a success forgets the user name's failures: five free ones again
    _fail(app, "admin", "10.0.1.1", times=4)
    with _client(app, "10.0.1.2") as client:
        assert sign_in(client).status_code == 303


def test_the_sixth_failed_sign_in_from_an_address_waits_whatever_the_user_name(app, admin):
    for name in ("root", "maria", "shop", "admin", "test"):
        _fail(app, name, "192.0.2.7")
    with _client(app, "192.0.2.7") as client:
        refused = sign_in(client)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 60
        assert "too many failed sign-ins from 192.0.2.7: try again in 1 minute" in refused.text
    with _client(app, "192.0.2.8") as elsewhere:  # admin itself failed only once
        assert sign_in(elsewhere).status_code == 303


def test_a_throttled_sign_in_checks_no_password(app, admin, monkeypatch):
    _fail(app, "admin", "198.51.100.1", times=5)
    checked = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password",
                        lambda *args: checked.append(1) or real_verify(*args))
    from syncbeat.engine import accounts

    monkeypatch.setattr(accounts, "verify_password", passwords.verify_password)
    with _client(app, "198.51.100.2") as client:
        assert sign_in(client).status_code == 429
    assert checked == []


def test_a_password_set_by_the_operator_ends_the_wait(app, admin, ctx):
    from syncbeat.engine.accounts import change_password

    _fail(app, "admin", "198.51.100.3", times=5)
    change_password(ctx.db, "admin", "the-new-password", ctx.clock())
    with _client(app, "198.51.100.4") as client:
        assert sign_in(client, password="the-new-password").status_code == 303


def test_a_sign_in_form_is_good_for_one_attempt(app, admin):
    with _client(app, "203.0.113.5") as client:
        page = client.get("/login")
        form = {"username": "admin", "password": "not-the-password",
                "csrf_token": csrf_of(page.text), "next": "/tasks"}
        cookie = client.cookies.get("syncbeat_login")
        failed = client.post("/login", data=form)
        assert failed.status_code == 401
        # the failed form, sent again with its own cookie, is refused before any check
        client.cookies.set("syncbeat_login", cookie, domain="testserver.local")
        replayed = client.post("/login", data={**form, "password": PASSWORD},
                               follow_redirects=False)
        assert replayed.status_code == 400 and "sent already" in replayed.text
        # the answer carries a new form, which works once
        fresh = {**form, "password": PASSWORD, "csrf_token": csrf_of(replayed.text)}
        fresh_cookie = client.cookies.get("syncbeat_login")
        assert client.post("/login", data=fresh, follow_redirects=False).status_code == 303
        client.cookies.set("syncbeat_login", fresh_cookie, domain="testserver.local")
        assert client.post("/login", data=fresh, follow_redirects=False).status_code == 400
    # a replayed form is not a failed password: admin is not throttled
    with _client(app, "203.0.113.6") as client:
        assert sign_in(client).status_code == 303


def test_a_sign_in_form_expires_after_an_hour(anon, admin, ctx):
    page = anon.get("/login")
    ctx.clock.advance(hours=1)
    late = anon.post("/login", data={"username": "admin", "password": PASSWORD,
                                     "csrf_token": csrf_of(page.text)})
    assert late.status_code == 400 and "expired" in late.text


@pytest.fixture
def slow_hasher(monkeypatch):
    """A hasher that takes 50 ms and records how many hashes run at the same time."""
    real = passwords._hasher
    running = [0]
    peak = [0]
    lock = threading.Lock()

    class Slow:
        def _timed(self, work, *args):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                time.sleep(0.05)
                return work(*args)
            finally:
                with lock:
                    running[0] -= 1

        def hash(self, password):
            return self._timed(real.hash, password)

        def verify(self, password_hash, password):
            return self._timed(real.verify, password_hash, password)

        def check_needs_rehash(self, password_hash):
            return False

    monkeypatch.setattr(passwords, "_hasher", Slow())
    return peak


def test_sign_ins_at_once_all_get_their_answer_with_a_few_hashes_at_a_time(
        app, ctx, slow_hasher):
    from syncbeat.engine.accounts import create_account

    for i in range(8):
        create_account(ctx.db, f"user{i}", PASSWORD, ctx.clock())
    slow_hasher[0] = 0
    start = threading.Barrier(8)
    answers: dict[int, int] = {}

    def attempt(i: int) -> None:
        with _client(app, "10.9.9.9") as client:  # one office, one address
            page = client.get("/login")
            start.wait()
            answers[i] = client.post("/login", data={
                "username": f"user{i}", "password": PASSWORD if i % 2 == 0 else "wrong-one",
                "csrf_token": csrf_of(page.text)}, follow_redirects=False).status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == {i: 303 if i % 2 == 0 else 401 for i in range(8)}
    assert 1 <= slow_hasher[0] <= passwords.AT_ONCE


def test_a_sign_in_that_waits_too_long_for_its_turn_is_told_to_retry(
        app, admin, monkeypatch):
    monkeypatch.setattr(passwords, "WAIT_SECONDS", 0.1)
    taken = [passwords._slots.acquire(timeout=1) for _ in range(passwords.AT_ONCE)]
    try:
        with _client(app, "10.8.8.8") as client:
            busy = sign_in(client)
            assert busy.status_code == 503 and "busy, try again" in busy.text
            assert busy.headers["retry-after"]
    finally:
        for _ in taken:
            passwords._slots.release()
    for _ in range(5):  # the busy answers were not failures
        with _client(app, "10.8.8.8") as client:
            assert sign_in(client).status_code == 303


def test_waits_grow_from_one_minute_and_are_said_in_words():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert wait_after(4, now, now) == timedelta()
    assert wait_after(5, now, now) == timedelta(minutes=1)
    assert wait_after(6, now - timedelta(seconds=20), now) == timedelta(seconds=100)
    assert wait_after(9, now, now) == timedelta(minutes=16)
    assert wait_after(50, now, now) == timedelta(minutes=30)
    assert wait_after(50, now - timedelta(hours=1), now) == timedelta()  # forgotten
    assert [in_words(timedelta(seconds=s)) for s in (1, 59.2, 60, 61, 120)] == [
        "1 second", "1 minute", "1 minute", "2 minutes", "2 minutes"]
