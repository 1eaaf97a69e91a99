"""Signing in and out, session cookies, CSRF on every form that changes something."""

from __future__ import annotations

import pytest
from webtools import PASSWORD, csrf_of, sign_in


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
    from syncbeat.web.accounts import change_password

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
