"""Sessions of the pages, kept in the database: the cookie holds a random id (only its hash
is stored), so signing out, a new password or removing a user ends a session at once. Also
the sign-in form's single-use token, and the key that signs small cookies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from syncbeat.engine.throttle import FORGET, IN_FLIGHT
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.sessions import (
    StoredSession,
    delete_session,
    find_session,
    insert_session,
    prune_sessions,
    touch_session,
)
from syncbeat.store.signins import prune_signins, spend_form_token

COOKIE = "syncbeat_session"
FORM_COOKIE = "syncbeat_login"  # a visitor's sign-in form token, signed
IDLE = timedelta(hours=12)  # a session unused this long ends
ABSOLUTE = timedelta(days=7)  # and any session ends this long after signing in
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
FORM_MAX_AGE = timedelta(hours=1)  # a sign-in form older than this is refused
SECRET_FILE = "secret.key"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def session_key(cookie: str) -> str:
    """The stored form of a session cookie's value."""
    return _hash(cookie)


def open_session(db: Engine, user_id: int, now: datetime) -> str:
    """A new session of the user: the cookie value, which is never stored. Sessions that
    expired (anyone's) are deleted on the way."""
    cookie = secrets.token_urlsafe(32)
    with write_tx(db) as conn:
        prune_sessions(conn, seen_before=now - IDLE, created_before=now - ABSOLUTE)
        insert_session(conn, id_hash=session_key(cookie), user_id=user_id,
                       csrf=secrets.token_urlsafe(32), now=now)
    return cookie


def is_expired(session: StoredSession, now: datetime) -> bool:
    """Idle too long, or signed in too long ago?"""
    return now - session.last_seen_at > IDLE or now - session.created_at > ABSOLUTE


def resume_session(db: Engine, cookie: str | None, now: datetime) -> StoredSession | None:
    """The live session a cookie stands for; None if it ended, expired or never was."""
    if not cookie or len(cookie) > 200:
        return None
    key = session_key(cookie)
    with read_tx(db) as conn:
        found = find_session(conn, key)
    if found is None or is_expired(found, now):
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        with write_tx(db) as conn:
            touch_session(conn, key, now)
    return found


def end_session(db: Engine, cookie: str | None) -> None:
    """Sign out: the session's row goes, so its cookie is worth nothing from now on."""
    if cookie:
        with write_tx(db) as conn:
            delete_session(conn, session_key(cookie))


def new_form_token(signer: Signer, now: datetime) -> tuple[str, str]:
    """A sign-in form token for a visitor: the token for the form, and the signed cookie
    that binds it to this browser."""
    token = secrets.token_urlsafe(32)
    return token, signer.seal(f"{token} {int(now.timestamp())}", purpose="login-form")


def spend_form_token_of(db: Engine, signer: Signer, cookie: str | None, sent: str,
                        now: datetime) -> bool:
    """Is `sent` the browser's own, fresh, unused sign-in form token? It is used up either
    way: a form is good for one attempt."""
    text = signer.unseal(cookie, purpose="login-form")
    token, _, issued = (text or "").partition(" ")
    if not token or not (issued.isascii() and issued.isdigit()):
        return False
    expires = datetime.fromtimestamp(int(issued), UTC) + FORM_MAX_AGE
    if now >= expires or not hmac.compare_digest(sent.encode(), token.encode()):
        return False
    with write_tx(db) as conn:
        prune_signins(conn, now, forget_before=now - FORGET, stale_before=now - IN_FLIGHT)
        return spend_form_token(conn, _hash(token), expires)


class Signer:
    """Signs small cookie values (the message shown once after an action, the sign-in
    form's token) and refuses tampered ones."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"syncbeat-session:" + secret).digest()

    def _sign(self, payload: bytes) -> str:
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def seal(self, text: str, purpose: str = "flash") -> str:
        """`text` signed for `purpose`, for a cookie."""
        payload = base64.urlsafe_b64encode(text.encode("utf-8")).decode().rstrip("=")
        return f"{payload}.{self._sign(purpose.encode() + b':' + payload.encode())}"

    def unseal(self, value: str | None, purpose: str = "flash") -> str | None:
        """The text of a value sealed for `purpose`; None if missing or forged."""
        if not value or "." not in value:
            return None
        payload, mac = value.rsplit(".", 1)
        expected = self._sign(purpose.encode() + b":" + payload.encode())
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            return None
        try:
            return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        except ValueError:
            return None


def load_secret(data_dir: Path) -> bytes:
    """The signing key kept in the data folder (mode 0600), made on first use."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: a second process starting at once keeps the first key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return bytes.fromhex(path.read_text(encoding="ascii").strip())
