"""Signing in and out, session cookies, CSRF on every form that changes something."""

from __future__ import annotations

import pytest
from webtools import PASSWORD, TestClient, csrf_of, sign_in


def test_sign_in_with_the_right_password_only(anon, admin):
    wrong = sign_in(anon, password="not-the-password")
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
    assert sign_in(anon, username="nobody").status_code == 401
    right = sign_in(anon)
    assert right.status_code == 303 and right.headers["location"] == "/tasks"
    cookie = right.headers["set-cookie"]
    assert "syncbeat_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert anon.get("/tasks").status_code == 200


def test_sign_in_goes_back_to_the_page_asked_for_but_never_to_another_site(anon, admin):
    for asked, landed in [("/profiles?x=1", "/profiles?x=1"), ("//evil.example/", "/tasks"),
                          ("https://evil.example/", "/tasks")]:
        page = anon.get("/login", params={"next": asked})
        response = anon.post("/login", data={"username": "admin", "password": PASSWORD,
                                             "csrf_token": csrf_of(page.text), "next": asked},
                             follow_redirects=False)
        assert response.headers["location"] == landed, asked
        anon.cookies.clear()


def test_the_sign_in_form_needs_its_csrf_token(anon, admin):
    anon.get("/login")
    response = anon.post("/login", data={"username": "admin", "password": PASSWORD,
                                         "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 400 and "expired" in response.text


def test_a_forged_session_cookie_is_ignored(anon, admin):
    anon.cookies.set("syncbeat_session", "eyJ1c2VyX2lkIjoxfQ.forged")
    assert anon.get("/tasks", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(web):
    response = web.post("/logout", data={"csrf_token": csrf_of(web.get("/tasks").text)},
                        follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert web.get("/tasks", follow_redirects=False).status_code == 303


def test_a_new_password_ends_the_open_sessions(web, ctx):
    from syncbeat.engine.accounts import change_password

    ctx.clock.advance(seconds=5)
    change_password(ctx.db, "admin", "another-password-1", ctx.clock())
    assert web.get("/tasks", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/run", "/tasks/1/kill", "/tasks/1/delete", "/tasks/delete",
                                  "/profiles/new", "/profiles/1/edit", "/profiles/1/enable",
                                  "/profiles/1/disable", "/profiles/1/delete",
                                  "/configure/settings", "/configure/tokens",
                                  "/configure/tokens/1/revoke", "/logout"])
def test_every_form_that_changes_something_checks_the_csrf_token(web, shop, path):
    for data in ({}, {"csrf_token": "forged"}):
        response = web.post(path, data={**data, "profile": "1", "name": "x"},
                            follow_redirects=False)
        assert response.status_code == 403, (path, data)
        assert "did not come from syncbeat" in response.text


def test_pages_send_security_headers(web):
    headers = web.get("/tasks").headers
    assert headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_after_sign_out_the_old_cookie_is_worth_nothing(web, app):
    old = web.cookies.get("syncbeat_session")
    web.post("/logout", data={"csrf_token": csrf_of(web.get("/tasks").text)})
    with TestClient(app, base_url="http://testserver") as thief:
        thief.cookies.set("syncbeat_session", old)
        assert thief.get("/tasks", follow_redirects=False).headers["location"].startswith(
            "/login")
        assert thief.get("/api/tasks").status_code == 401


def test_a_new_password_set_on_the_configure_tab_ends_the_users_other_sessions(web, app):
    with TestClient(app, base_url="http://testserver") as other:
        assert sign_in(other).status_code == 303
        csrf = csrf_of(web.get("/configure").text)
        change = {"csrf_token": csrf, "current_password": PASSWORD,
                  "new_password": "a-new-password-2", "repeat_password": "a-new-password-2"}
        wrong = web.post("/configure/password", data={**change, "current_password": "nope"})
        assert wrong.status_code == 422 and "the current password is wrong" in wrong.text
        differ = web.post("/configure/password", data={**change, "repeat_password": "x"})
        assert differ.status_code == 422 and "differ" in differ.text
        short = web.post("/configure/password", data={**change, "new_password": "short",
                                                      "repeat_password": "short"})
        assert short.status_code == 422 and "at least 8 characters" in short.text
        assert other.get("/tasks").status_code == 200  # nothing changed yet
        done = web.post("/configure/password", data=change, follow_redirects=False)
        assert done.status_code == 303
        assert web.get("/configure").status_code == 200  # the session that changed it goes on
        assert other.get("/tasks", follow_redirects=False).status_code == 303
        assert sign_in(other).status_code == 401
        assert sign_in(other, password="a-new-password-2").status_code == 303


def test_removing_a_user_ends_its_sessions(web, ctx):
    from syncbeat.engine.accounts import create_account, remove_account

    create_account(ctx.db, "maria", "maria-password", ctx.clock())
    remove_account(ctx.db, "admin")
    assert web.get("/tasks", follow_redirects=False).status_code == 303


def test_a_session_unused_for_12_hours_ends(web, ctx):
    ctx.clock.advance(hours=11, minutes=59)
    assert web.get("/tasks").status_code == 200  # used: its 12 hours start again
    ctx.clock.advance(hours=11, minutes=59)
    assert web.get("/api/tasks").status_code == 200
    ctx.clock.advance(hours=12, seconds=1)
    assert web.get("/tasks", follow_redirects=False).status_code == 303
    assert web.get("/api/tasks").status_code == 401


def test_a_session_in_use_ends_7_days_after_signing_in(web, ctx):
    for _ in range(15):  # 15 x 11 h = 6 days 21 hours, used every 11 hours
        ctx.clock.advance(hours=11)
        assert web.get("/tasks", follow_redirects=False).status_code == 200
    ctx.clock.advance(hours=3, seconds=1)
    assert web.get("/tasks", follow_redirects=False).status_code == 303


def test_a_page_view_writes_the_session_at_most_once_a_minute(web, ctx):
    from syncbeat.store.db import read_tx
    from syncbeat.store.sessions import find_session
    from syncbeat.web.sessions import session_key

    key = session_key(web.cookies.get("syncbeat_session"))

    def last_seen():
        with read_tx(ctx.db) as conn:
            return find_session(conn, key).last_seen_at

    signed_in_at = last_seen()
    ctx.clock.advance(seconds=30)
    web.get("/tasks")
    assert last_seen() == signed_in_at
    ctx.clock.advance(seconds=31)
    web.get("/tasks")
    assert last_seen() == ctx.clock()
