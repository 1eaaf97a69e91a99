"""deliver: put a finished export file where its profile says: a folder, a file or a URL."""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from typing import BinaryIO

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.urls import shown_url, transport_problem, url_scheme

_CHUNK = 1 << 16


def deliver(
    final_path: pathlib.Path,
    destination: str,
    *,
    base_dir: pathlib.Path | None = None,
    file_name: str,
    timeout: float = 30,
    retries: int = 3,
    backoff: float = 1.0,
) -> str:
    """Copy the export to a folder or file, or POST it to an http(s) URL; describe what was done.

    A folder is a destination ending with "/" or naming an existing folder; it is created if
    missing, and the file is written there as `file_name`. An HTTP delivery is tried once and
    then up to `retries` more times, after connection errors and 5xx answers, waiting
    backoff, 2 x backoff, 4 x backoff, ... seconds; a 4xx answer fails at once.
    """
    if not final_path.is_file():
        raise FeedError(f"the export file {final_path} is missing; the export must be run again")
    destination = destination.strip()
    if not destination:
        raise FeedError("the export has no destination: set destination to a folder, file or URL")
    scheme = url_scheme(destination)
    if scheme in ("http", "https"):
        return _post(final_path, destination, timeout, retries, backoff)
    if scheme:
        raise FeedError(
            f"syncbeat cannot deliver to {scheme}:// destinations; use a folder, a file or a URL"
        )
    target = pathlib.Path(destination).expanduser()
    if not target.is_absolute() and base_dir is not None:
        target = base_dir / target
    shown = destination
    if destination.endswith(("/", os.sep)) or target.is_dir():
        target = target / file_name
        shown = destination.rstrip("/" + os.sep) + "/" + file_name
    _copy_atomically(final_path, target, shown)
    return f"written to {shown}"


def _copy_atomically(source: pathlib.Path, target: pathlib.Path, shown: str) -> None:
    temp: pathlib.Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        temp = pathlib.Path(name)
        with os.fdopen(handle, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private; the receiving app may run as another user.
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:
        if temp is not None:
            temp.unlink(missing_ok=True)
        if isinstance(exc, PermissionError):
            raise FeedError(
                f"syncbeat is not allowed to write {shown} (permission denied)"
            ) from None
        raise FeedError(f"the export cannot be written to {shown}: {exc.strerror or exc}") from None


def _post(path: pathlib.Path, url: str, timeout: float, retries: int, backoff: float) -> str:
    import httpx  # imported on use: only HTTP destinations need it

    shown = shown_url(url)
    size = path.stat().st_size
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(size),  # a known length, so the body is not sent chunked
        "User-Agent": "syncbeat",
    }
    problem = ""
    attempts = retries + 1
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            with path.open("rb") as body:
                response = httpx.post(url, content=_chunks(body), headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            problem = transport_problem(exc, url, timeout)
            continue
        answer = f"{response.status_code} {response.reason_phrase}"
        if response.is_success:
            return f"sent to {shown} ({answer})"
        problem = f"the server answered {answer}" + _excerpt(response.text)
        if response.is_redirect:
            moved = response.headers.get("Location", "")
            problem = f"the server answered {answer}; set the destination to {moved}"
        if response.status_code < 500:  # the request itself is refused: retrying cannot help
            raise FeedError(f"sending the export to {shown} failed: {problem}")
    tries = "once" if attempts == 1 else f"{attempts} times"
    raise FeedError(f"sending the export to {shown} failed (tried {tries}): {problem}")


def _chunks(body: BinaryIO) -> Iterator[bytes]:
    while chunk := body.read(_CHUNK):
        yield chunk


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    return ": " + (text if len(text) <= 200 else text[:200] + "...")
