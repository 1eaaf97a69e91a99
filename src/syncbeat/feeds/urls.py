"""Helpers for feeds reached over HTTP: telling URLs from paths, and httpx errors in words."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit


def url_scheme(location: str) -> str:
    """The URL scheme of `location` in lower case, or "" for a filesystem path."""
    scheme = urlsplit(location).scheme.lower()
    return "" if len(scheme) <= 1 else scheme  # "C:" is a Windows drive, not a scheme


def shown_url(url: str) -> str:
    """The URL for messages and logs, with any password masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def transport_problem(exc: Exception, url: str, timeout: float) -> str:
    """An httpx transport error (no answer at all) as an operator message."""
    import httpx  # imported on use: only HTTP feeds and destinations need it

    shown = shown_url(url)
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
