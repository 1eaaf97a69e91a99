"""Helpers for feeds reached over HTTP: telling URLs from paths, and httpx errors in words."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

MASK = "***"  # a URL's password as syncbeat shows it
EXCERPT = 100  # characters of a remote answer's first line that an error may quote


_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")
# The user information of a URL the parser refuses (a bad port, an unclosed "["): what sits
# between "//" and the last "@" before the path, with the password after its first ":".
_RAW_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]*):[^/?#]*@")


def url_scheme(location: str) -> str:
    """The URL scheme of `location` in lower case, or "" for a filesystem path."""
    try:
        scheme = urlsplit(location).scheme.lower()
    except ValueError:  # an unclosed "[": still a URL, refused when it is checked
        found = _SCHEME.match(location)
        scheme = found.group(1).lower() if found else ""
    return "" if len(scheme) <= 1 else scheme  # "C:" is a Windows drive, not a scheme


# {secret:NAME} (feeds/secretrefs.py) names a secret without telling it: shown as it is. Its
# ":" would read as the end of a user name, so it stands aside while the URL is parsed.
_REF = re.compile(r"\{secret:[^{}/?#@]*\}")
_STAND_IN = re.compile(r"sbsecretref[0-9]+z")


def shown_url(url: str) -> str:
    """The URL for messages and logs, with any password masked (a path is shown as it is);
    a {secret:NAME} stays as written."""
    refs: list[str] = []

    def stand_in(found: re.Match[str]) -> str:
        refs.append(found.group(0))
        return f"sbsecretref{len(refs) - 1}z"

    shown = _shown(_REF.sub(stand_in, url))
    for index, ref in enumerate(refs):
        shown = shown.replace(f"sbsecretref{index}z", ref)
    return shown


# A query parameter whose name says it carries a credential (?apikey=..., &token=...): its
# value, written straight into the URL, is shown as *** like a password.
_CREDENTIAL_PARAM = re.compile(
    r"(^|[_.-]|api|access|private|client|auth)"
    r"(key|token|secret|password|passwd|pwd|auth|signature|sig)$", re.IGNORECASE)


def _shown(url: str) -> str:
    parts = _split(url)
    if parts is None:
        # Not a URL the parser takes, but it may still carry a password: mask it by its shape.
        return _RAW_USERINFO.sub(rf"\1:{MASK}@", url) if url_scheme(url) else url
    masked = parts.password is not None and not _STAND_IN.fullmatch(parts.password)
    query = _query_with(parts.query, lambda name, value: MASK)
    if not masked and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=_netloc(parts, MASK) if masked else parts.netloc,
                                     query=query))


def _query_with(query: str, credential: Callable[[str, str], str]) -> str:
    """`query` with the value of each credential parameter replaced by `credential(name,
    value)`; the other parameters (and a {secret:NAME}) as written."""
    pairs = []
    for pair in query.split("&") if query else []:
        name, equals, value = pair.partition("=")
        if equals and value and _CREDENTIAL_PARAM.search(name) \
                and not _STAND_IN.fullmatch(value):
            value = credential(name, value)
        pairs.append(f"{name}{equals}{value}")
    return "&".join(pairs)


def url_problem(url: str) -> str | None:
    """Why the parser refuses `url` (a port out of range, an unclosed "["), or None."""
    try:
        urlsplit(url.strip()).port  # noqa: B018  (a bad port raises here, not later)
    except ValueError as exc:
        return str(exc)
    return None


def unmasked_url(url: str, stored: str | None) -> str:
    """`url` with the stored password back in place of "***", when `url` is the stored URL
    as shown (same scheme, user, host and port): a form or an API client sends back what it
    was shown, and the password must survive that round trip."""
    new, old = _split(url), _split(stored or "")
    if new is None or old is None:
        return url
    same = (new.scheme.lower(), new.username, new.hostname, new.port) == (
        old.scheme.lower(), old.username, old.hostname, old.port)
    if not same:
        return url
    restored = new
    if new.password == MASK and old.password is not None:
        restored = restored._replace(netloc=_netloc(new, old.password))
    stored_values = dict(pair.partition("=")[::2] for pair in old.query.split("&") if pair)
    query = _query_with(new.query, lambda name, value: stored_values.get(name, value)
                        if value == MASK else value)
    restored = restored._replace(query=query)
    return urlunsplit(restored) if restored != new else url


def has_masked_password(url: str) -> bool:
    """Whether the URL's password, or a credential in its query, is the mask itself (a shown
    URL sent back as it was, with nothing stored to put back)."""
    parts = _split(url)
    if parts is None:
        return False
    return parts.password == MASK or _query_with(
        parts.query, lambda name, value: "" if value == MASK else value) != parts.query


def _split(url: str) -> SplitResult | None:
    if not url_scheme(url):
        return None
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (a bad port raises here, not later)
    except ValueError:
        return None
    return parts


def _netloc(parts: SplitResult, password: str) -> str:
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    return f"{parts.username}:{password}@{host}" + (f":{parts.port}" if parts.port else "")


def answer_words(response: Any) -> str:
    """A remote answer's status and reason, the reason cut short: it is the server's text."""
    reason = " ".join(str(response.reason_phrase).split())
    return f"{response.status_code} {excerpt(reason)}".rstrip()


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The first line of a remote answer, at most `limit` characters: never its body."""
    lines = text.strip().splitlines()
    first = " ".join(lines[0].split()) if lines else ""
    return first if len(first) <= limit else first[:limit] + "..."


def transport_problem(exc: Exception, url: str, timeout: float, *, shown: str | None = None
                      ) -> str:
    """An httpx transport error (no answer at all) as an operator message; `shown`: the URL
    as the profile writes it (its secrets not filled in)."""
    import httpx  # imported on use: only HTTP feeds and destinations need it

    shown = shown or shown_url(url)
    host = urlsplit(url).netloc.rpartition("@")[2]
    if isinstance(exc, httpx.TimeoutException):
        return f"the server at {shown} did not answer within {timeout:g} seconds"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "refused" in text.lower():
            return f"could not connect to {host} for {shown}: the connection was refused"
        if "name" in text.lower() or "address" in text.lower():
            return f"could not connect to {host} for {shown}: the host name is not known ({text})"
        return f"could not connect to {host} for {shown}: {text}"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"{shown} redirects too many times"
    detail: Any = str(exc) or type(exc).__name__
    return f"the connection to {host} for {shown} failed: {detail}"
