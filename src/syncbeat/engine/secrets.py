"""Secrets, the same for every face (CLI, Configure tab, API): set, list and delete them, and
the lookup that fills {secret:NAME} in when a task connects. A value goes in and never comes
back out to a face."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine

from syncbeat.domain.profile import Profile
from syncbeat.domain.statuses import TaskKind
from syncbeat.engine.context import Context
from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.reach import DESTINATION, SOURCE
from syncbeat.feeds.secretrefs import NAME_PATTERN, missing_words, names_in
from syncbeat.store import secrets as store
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.secrets import SecretInfo
from syncbeat.store.vault import Vault, VaultError

MAX_VALUE = 10_000  # characters: a token, a password or a key, not a file
_NAME = re.compile(NAME_PATTERN)


class SecretError(ValueError):
    """A secret refused (its name or value), in words."""


class StoredSecrets:
    """The SecretLookup of the engine: values decrypted from the store when asked."""

    def __init__(self, db: Engine, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def value(self, name: str) -> str | None:
        """The value of the secret `name`, or None; FeedError if it cannot be decrypted."""
        with read_tx(self.db) as conn:
            ciphertext = store.secret_ciphertext(conn, name)
        if ciphertext is None:
            return None
        try:
            return self.vault.decrypt(name, ciphertext)
        except VaultError as exc:
            raise FeedError(str(exc)) from None


def set_secret(ctx: Context, name: str, value: str) -> bool:
    """Store `value` encrypted as the secret `name`; True if it is new. SecretError if the
    name or the value is refused."""
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise SecretError(f"'{name}' is not a secret name: use letters, digits, _ . and - "
                          "(at most 100, not starting with . or -), like acme_key")
    if not value:
        raise SecretError("the value is empty: a secret needs a value")
    if len(value) > MAX_VALUE:
        raise SecretError(f"the value is longer than {MAX_VALUE:,} characters")
    if "\n" in value or "\r" in value:
        raise SecretError("the value holds a line break, which no header, URL or password "
                          "can carry")
    try:
        ciphertext = ctx.vault.encrypt(name, value)
    except VaultError as exc:
        raise SecretError(str(exc)) from None
    with write_tx(ctx.db) as conn:
        return store.put_secret(conn, name, ciphertext, ctx.clock())


def list_secrets(ctx: Context) -> list[SecretInfo]:
    """The secrets that are set: names and dates, never values."""
    with read_tx(ctx.db) as conn:
        return store.list_secrets(conn)


def delete_secret(ctx: Context, name: str) -> bool:
    """Delete the secret `name`; False if there was none."""
    with write_tx(ctx.db) as conn:
        return store.delete_secret(conn, name.strip())


def secret_uses(profile: Profile) -> list[tuple[str, str]]:
    """Each (setting, secret name) the profile refers to with {secret:NAME}."""
    texts: list[tuple[str, str | None]] = []
    if profile.kind is TaskKind.IMPORT and profile.source is not None:
        texts.append((SOURCE, profile.source.location))
        texts += [(f"source.headers.{k}", v) for k, v in profile.source.headers.items()]
    elif profile.kind is TaskKind.EXPORT:
        texts.append((DESTINATION, profile.destination))
        texts += [(f"destination.headers.{k}", v)
                  for k, v in profile.destination_headers.items()]
    return [(where, name) for where, text in texts for name in names_in(text)]


def missing_secrets(ctx: Context, profile: Profile) -> list[str]:
    """A message per secret the profile names that is not set."""
    uses = secret_uses(profile)
    if not uses:
        return []
    with read_tx(ctx.db) as conn:
        known = store.secret_names(conn)
    return [missing_words(where, name) for where, name in uses if name not in known]
