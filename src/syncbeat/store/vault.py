"""Encryption at rest of the secrets: Fernet (AES-128-CBC with HMAC-SHA256) with a key that is
never in the database. With SYNCBEAT_SECRET_KEY set (the installation's key, which also signs
the pages' forms: web/sessions.py), the key is derived from it with HKDF for this purpose
alone; otherwise it is `secrets.key` in the data folder (mode 0600, made when the first secret
is set)."""

from __future__ import annotations

import base64
import json
import os
import secrets as random
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_FILE = "secrets.key"
ENV_SECRET_KEY = "SYNCBEAT_SECRET_KEY"
MIN_ENV_KEY = 32  # characters of SYNCBEAT_SECRET_KEY: a copy of the database must not be
# enough to guess it and read every secret


class VaultError(ValueError):
    """The key is missing or wrong, or a secret cannot be decrypted; said in words."""


class Vault:
    """Encrypts and decrypts secret values with the key of SYNCBEAT_SECRET_KEY (`key`) or
    of the key file in `data_dir`."""

    def __init__(self, data_dir: Path, key: str | None = None) -> None:
        self.data_dir = data_dir
        self.key = key.strip() if key else None

    @property
    def key_path(self) -> Path:
        """The key file (unused when SYNCBEAT_SECRET_KEY is set)."""
        return self.data_dir / KEY_FILE

    def where(self) -> str:
        """Where the key comes from, in words."""
        return ENV_SECRET_KEY if self.key else str(self.key_path)

    def encrypt(self, name: str, value: str) -> str:
        """The ciphertext of `value`, bound to `name` (a ciphertext copied to another name
        does not decrypt)."""
        plain = json.dumps({"name": name, "value": value}).encode()
        return self._fernet(create=True).encrypt(plain).decode("ascii")

    def decrypt(self, name: str, ciphertext: str) -> str:
        """The value of the secret `name`; VaultError if the key cannot open it."""
        from cryptography.fernet import InvalidToken

        fernet = self._fernet(create=False)
        try:
            data = json.loads(fernet.decrypt(ciphertext.encode("ascii")))
        except (InvalidToken, ValueError):
            data = None
        if not isinstance(data, dict) or data.get("name") != name or "value" not in data:
            raise VaultError(f"the secret '{name}' cannot be decrypted with the key of "
                             f"{self.where()} (was the key changed?): set the secret again")
        return str(data["value"])

    def _fernet(self, *, create: bool) -> Fernet:
        from cryptography.fernet import Fernet

        key = _derived(self.key) if self.key else self._file_key(create)
        try:
            return Fernet(key.encode("ascii"))
        except (ValueError, UnicodeError):
            raise VaultError(f"{self.where()} is not a valid key (32 bytes in URL-safe "
                             "base64): restore the file syncbeat made") from None

    def _file_key(self, create: bool) -> str:
        path = self.key_path
        if not path.exists():
            if not create:
                raise VaultError(f"the key file {path} is missing, so no secret can be "
                                 "decrypted: restore it, or set the secrets again")
            _write_new_key(self.data_dir, path)
        try:
            return path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeError) as exc:
            raise VaultError(f"the key file {path} cannot be read: {exc}") from None


def _derived(text: str) -> str:
    """The Fernet key of the secrets, from SYNCBEAT_SECRET_KEY."""
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if len(text) < MIN_ENV_KEY:
        raise VaultError(f"{ENV_SECRET_KEY} is too short to encrypt secrets with: give it at "
                         f"least {MIN_ENV_KEY} random characters (or unset it, and syncbeat "
                         "keeps a key file in the data folder)")
    raw = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"syncbeat secrets").derive(
        text.encode("utf-8"))
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _write_new_key(data_dir: Path, path: Path) -> None:
    from cryptography.fernet import Fernet

    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{random.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(Fernet.generate_key().decode("ascii") + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(tmp, path)  # atomic: two processes setting a first secret at once keep one key
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
