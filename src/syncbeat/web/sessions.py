"""Signed session cookies (HMAC-SHA256 over a small JSON payload) and the key that signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

COOKIE = "syncbeat_session"
MAX_AGE = 7 * 24 * 3600  # seconds a sign-in lasts
SECRET_FILE = "secret.key"


@dataclass(frozen=True, kw_only=True)
class Session:
    csrf: str  # the token every form that changes something must carry
    user_id: int | None = None  # None: a visitor on the sign-in page
    since: int = 0  # the user's password_changed_at (ms) when signed in: a new password ends it
    issued: int = 0  # unix seconds

    @classmethod
    def anonymous(cls) -> Session:
        """A fresh session for a visitor who has not signed in yet."""
        return cls(csrf=secrets.token_urlsafe(32), issued=int(time.time()))

    def signed_in(self, user_id: int, password_changed_at: datetime) -> Session:
        """The session of a user who just signed in: a new CSRF token too."""
        return replace(self, user_id=user_id, since=password_stamp(password_changed_at),
                       csrf=secrets.token_urlsafe(32), issued=int(time.time()))


def password_stamp(changed_at: datetime) -> int:
    """A user's password change time as the session keeps it."""
    return int(changed_at.timestamp() * 1000)


class Signer:
    """Turns sessions into cookie values and back, refusing tampered or expired ones."""

    def __init__(self, secret: bytes, max_age: int = MAX_AGE) -> None:
        self._key = hashlib.sha256(b"syncbeat-session:" + secret).digest()
        self.max_age = max_age

    def _sign(self, payload: bytes) -> str:
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def seal(self, text: str) -> str:
        """`text` signed, for a cookie (the message shown once after an action)."""
        payload = base64.urlsafe_b64encode(text.encode("utf-8")).decode().rstrip("=")
        return f"{payload}.{self._sign(b'flash:' + payload.encode())}"

    def unseal(self, value: str | None) -> str | None:
        """The text of a sealed value; None if missing or forged."""
        if not value or "." not in value:
            return None
        payload, mac = value.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._sign(b"flash:" + payload.encode())):
            return None
        try:
            return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        except ValueError:
            return None

    def dumps(self, session: Session) -> str:
        """The cookie value of `session`."""
        payload = base64.urlsafe_b64encode(
            json.dumps(asdict(session), separators=(",", ":")).encode()
        ).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def loads(self, value: str | None) -> Session | None:
        """The session in a cookie value; None if it is missing, forged or too old."""
        if not value or "." not in value:
            return None
        payload, mac = value.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._sign(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            session = Session(**data)
        except (ValueError, TypeError):
            return None
        if time.time() - session.issued > self.max_age:
            return None
        return session


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
