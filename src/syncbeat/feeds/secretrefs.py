"""{secret:NAME} in a location (and later a header, a user, a password): the names a text
refers to, its value filled in at the moment of connecting, and the values kept out of every
message. The values come from a SecretLookup the engine passes in (engine/secrets.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol
from urllib.parse import quote

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.urls import MASK

NAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}"
PLACEHOLDER = re.compile(r"\{secret:(" + NAME_PATTERN + r")\}")


class SecretLookup(Protocol):
    """Where the values of secrets come from."""

    def value(self, name: str) -> str | None:
        """The value of the secret `name`, or None if it is not set."""


class NoSecrets:
    """A lookup that knows no secret (a feed read without the engine)."""

    def value(self, name: str) -> str | None:
        """None: no secret is set."""
        return None


class MissingSecret(FeedError):
    """A location names a secret that is not set."""


def names_in(text: str | None) -> list[str]:
    """The secret names `text` refers to, each once, in order."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


# A header whose name says it carries a credential: its value, written straight into the
# profile (without {secret:NAME}), is shown as ***.
_CREDENTIAL = re.compile(r"auth|key|token|secret|password|passwd|cookie|session|signature",
                         re.IGNORECASE)


def shown_header(name: str, value: str) -> str:
    """A header's value as faces show it: as written if it names its secrets, else *** for
    a header that carries a credential."""
    if PLACEHOLDER.search(value) or not _CREDENTIAL.search(name):
        return value
    return MASK


def kept_header(value: str, stored: str | None) -> str:
    """A header sent back as shown (***) gets its stored value again."""
    return stored if value == MASK and stored is not None else value


def placeholders_as(text: str, stand_in: str) -> str:
    """`text` with every {secret:NAME} replaced by `stand_in` (to check a URL's shape)."""
    return PLACEHOLDER.sub(stand_in, text)


class Filled:
    """Values filled into texts for one connection, remembered so messages never show them."""

    def __init__(self, secrets: SecretLookup) -> None:
        self.secrets = secrets
        self.values: list[str] = []

    def fill(self, text: str, where: str, *, url: bool = False) -> str:
        """`text` with each {secret:NAME} replaced by its value (percent-encoded in a URL);
        MissingSecret names the first that is not set."""
        def one(found: re.Match[str]) -> str:
            name = found.group(1)
            value = self.secrets.value(name)
            if value is None:
                raise MissingSecret(missing_words(where, name))
            self.values.append(value)
            if url:
                value = quote(value, safe="")
                self.values.append(value)
            return value

        return PLACEHOLDER.sub(one, text)

    def scrub(self, text: str) -> str:
        """`text` with every value filled in so far shown as ***."""
        for value in sorted(set(self.values), key=len, reverse=True):
            if value:
                text = text.replace(value, MASK)
        return text

    @contextmanager
    def scrubbing(self) -> Iterator[None]:
        """Re-raise a FeedError from within with the values filled in masked; any other
        error, once a value was filled in, becomes a FeedError with its words masked (its
        traceback, which could carry a value, is dropped)."""
        try:
            yield
        except FeedError as exc:
            exc.args = tuple(self.scrub(a) if isinstance(a, str) else a for a in exc.args)
            detail = getattr(exc, "detail", None)  # a ReachError's
            if isinstance(detail, str):
                exc.detail = self.scrub(detail)  # type: ignore[attr-defined]
            raise
        except Exception as exc:
            if not self.values:
                raise
            said = self.scrub(str(exc).splitlines()[0] if str(exc) else "")
            raise FeedError(f"the connection failed: {type(exc).__name__}"
                            + (f": {said}" if said else "")) from None


def missing_words(where: str, name: str) -> str:
    """The message of a missing secret."""
    return (f"{where} names the secret '{name}', which is not set: set it with "
            f"`syncbeat secret set {name}` or in the Secrets section of the Configure tab")
