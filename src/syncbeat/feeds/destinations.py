"""deliver: put a finished export file where its profile says: a folder, a file or a URL."""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from syncbeat.feeds.deadline import deadline
from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.reach import DESTINATION, FTP_SCHEMES, SFTP, Reach
from syncbeat.feeds.secretrefs import Filled, NoSecrets, SecretLookup
from syncbeat.feeds.urls import answer_words, excerpt, shown_url, transport_problem, url_scheme

_CHUNK = 1 << 16


def deliver(
    final_path: pathlib.Path,
    destination: str,
    *,
    reach: Reach,
    file_name: str,
    timeout: float = 30,
    retries: int = 3,
    backoff: float = 1.0,
    secrets: SecretLookup | None = None,
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
    content_type: str = "application/json",
) -> str:
    """Copy the export to a folder or file, or send it to an http(s) URL (`method` POST or
    PUT, with `headers` and `content_type`); describe what was done.

    A folder is a destination ending with "/" or naming an existing folder; it is created if
    missing, and the file is written there as `file_name`. An HTTP delivery is tried once and
    then up to `retries` more times, after connection errors and 5xx answers, waiting
    backoff, 2 x backoff, 4 x backoff, ... seconds; a 4xx answer fails at once. Only what
    `reach` allows is written or connected to. {secret:NAME} in `destination` is filled in
    from `secrets` now; what is said back shows the destination as written.
    """
    if not final_path.is_file():
        raise FeedError(f"the export file {final_path} is missing; the export must be run again")
    destination = destination.strip()
    if not destination:
        raise FeedError("the export has no destination: set destination to a folder, file or URL")
    scheme = url_scheme(destination)
    filled = Filled(secrets or NoSecrets())
    with filled.scrubbing():
        real = filled.fill(destination, DESTINATION, url=bool(scheme) and scheme != "file")
        if scheme in ("http", "https"):
            sent = {name: filled.fill(value, f"destination.headers.{name}")
                    for name, value in (headers or {}).items()}
            request = _Request(method=method, content_type=content_type, headers=sent)
            return _post(final_path, real, reach, timeout, retries, backoff,
                         shown_url(destination), request)
        if scheme in (*FTP_SCHEMES, SFTP):
            return _store(final_path, real, reach, timeout, retries, backoff,
                          shown_url(destination), file_name)
        if scheme and scheme != "file":
            raise FeedError(f"syncbeat cannot deliver to {scheme}:// destinations; use a "
                            "folder, a file or an http(s), ftp(s) or sftp URL")
        target, folder = reach.destination_path(real, file_name)
        shown = destination
        if folder:
            shown = destination.rstrip("/" + os.sep) + "/" + file_name
        _copy_atomically(final_path, target, shown, reach, real)
        return f"written to {shown}"


def _copy_atomically(source: pathlib.Path, target: pathlib.Path, shown: str, reach: Reach,
                     destination: str) -> None:
    temp: pathlib.Path | None = None
    try:
        reach.make_folders(target.parent)
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        temp = pathlib.Path(name)
        with os.fdopen(handle, "wb") as out:
            # The folder may have been swapped for a link since it was checked: look again
            # at where the new file really is before anything is written or renamed.
            reach.check_written(out.fileno(), temp, target, destination)
            with source.open("rb") as data:
                shutil.copyfileobj(data, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private; the receiving app may run as another user.
        os.chmod(temp, 0o644)
        # A rename replaces the name itself, never what a link there points to.
        os.replace(temp, target)
    except FeedError:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        if temp is not None:
            temp.unlink(missing_ok=True)
        if isinstance(exc, PermissionError):
            raise FeedError(
                f"syncbeat is not allowed to write {shown} (permission denied)"
            ) from None
        raise FeedError(f"the export cannot be written to {shown}: {exc.strerror or exc}") from None


@dataclass(frozen=True, kw_only=True)
class _Request:
    method: str
    content_type: str
    headers: dict[str, str]  # the profile's, secrets filled in


def _post(path: pathlib.Path, url: str, reach: Reach, timeout: float, retries: int,
          backoff: float, shown: str, request: _Request) -> str:
    import httpx  # imported on use: only HTTP destinations need it

    reach.check_url(url, DESTINATION)
    size = path.stat().st_size
    headers = {
        "User-Agent": "syncbeat",
        **request.headers,
        "Content-Type": request.content_type,
        "Content-Length": str(size),  # a known length, so the body is not sent chunked
    }
    problem = ""
    attempts = retries + 1
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        with deadline(reach.download_seconds) as watch:
            try:
                with reach.client(timeout=timeout, follow_redirects=False) as client, \
                        path.open("rb") as body:
                    response = client.request(request.method, url, content=_chunks(body),
                                              headers=headers, extensions=watch.extensions)
            except httpx.HTTPError as exc:
                if watch.expired:  # a server that slow would be as slow again
                    raise FeedError(f"sending the export to {shown} took longer than "
                                    f"{reach.download_seconds:g} seconds") from None
                problem = transport_problem(exc, url, timeout, shown=shown)
                continue
        answer = answer_words(response)
        if response.is_success:
            return f"sent to {shown} ({answer})"
        problem = f"the server answered {answer}" + _excerpt(response.text)
        if response.is_redirect:
            moved = excerpt(response.headers.get("Location", ""), 200)
            problem = f"the server answered {answer}; set the destination to {moved}"
        if response.status_code < 500:  # the request itself is refused: retrying cannot help
            raise FeedError(f"sending the export to {shown} failed: {problem}")
    tries = "once" if attempts == 1 else f"{attempts} times"
    raise FeedError(f"sending the export to {shown} failed (tried {tries}): {problem}")


def _store(path: pathlib.Path, url: str, reach: Reach, timeout: float, retries: int,
           backoff: float, shown: str, file_name: str) -> str:
    """Store the export on an FTP or SFTP server, tried again like an HTTP delivery after a failure
    another try may mend (no connection, a timeout, a 4xx reply)."""
    from syncbeat.feeds.ftp import TransientFtpError, ftp_store
    from syncbeat.feeds.sftp import TransientSftpError, sftp_store

    reach.check_url(url, DESTINATION)
    store = sftp_store if url_scheme(url) == SFTP else ftp_store
    attempts = retries + 1
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            store(path, url, reach=reach, timeout=timeout, file_name=file_name, shown=shown)
        except (TransientFtpError, TransientSftpError) as exc:
            problem = str(exc)
            continue
        except FeedError as exc:
            raise FeedError(f"sending the export to {shown} failed: {exc}") from None
        shown_file = shown + file_name if shown.endswith("/") else shown
        return f"sent to {shown_file}"
    tries = "once" if attempts == 1 else f"{attempts} times"
    raise FeedError(f"sending the export to {shown} failed (tried {tries}): {problem}")


def _chunks(body: BinaryIO) -> Iterator[bytes]:
    while chunk := body.read(_CHUNK):
        yield chunk


def _excerpt(text: str) -> str:
    # The first line at most: an error must not carry back what a server (or a service
    # behind it) answered.
    first = excerpt(text)
    return f": {first}" if first else ""
