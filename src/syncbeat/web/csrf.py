"""The CSRF check of every form that changes something: the form's token must be the session's."""

from __future__ import annotations

import hmac

import anyio
from fastapi import Request
from starlette.datastructures import FormData

from syncbeat.web.auth import session_of
from syncbeat.web.errors import CsrfFailed

FIELD = "csrf_token"


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is checked (a dependency of every form POST)."""
    form = await request.form()
    session = await anyio.to_thread.run_sync(session_of, request)  # may read the database
    sent = form.get(FIELD)
    if session is None or not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode(), session.csrf.encode()
    ):
        raise CsrfFailed()
    return form
