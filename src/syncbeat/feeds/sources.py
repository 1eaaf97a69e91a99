"""snapshot: copy an import's source (a file or an http(s) URL) to a private file, atomically."""

from __future__ import annotations

import os
import pathlib
import shutil
from typing import BinaryIO
from urllib.parse import urlsplit
from urllib.request import url2pathname

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.urls import shown_url, transport_problem, url_scheme

_CHUNK = 1 << 20


def snapshot(
    location: str,
    dest: pathlib.Path,
    *,
    base_dir: pathlib.Path | None = None,
    timeout: float = 30.0,
) -> int:
    """Copy the feed at `location` to `dest` byte for byte, atomically; return the byte count."""
    location = location.strip()
    if not location:
        raise FeedError("the import has no source: set source.location to a file path or a URL")
    scheme = url_scheme(location)
    part = dest.with_suffix(".part")
    try:
        if scheme in ("http", "https"):
            size = _download(location, part, timeout)
        elif scheme == "file":
            size = _copy(pathlib.Path(url2pathname(urlsplit(location).path)), location, part)
        elif scheme:
            raise FeedError(
                f"syncbeat cannot read {scheme}:// sources; use a file path or an http(s) URL"
            )
        else:
            path = pathlib.Path(location).expanduser()
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            size = _copy(path, location, part)
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return size


def _copy(path: pathlib.Path, location: str, part: pathlib.Path) -> int:
    looked = "" if str(path) == location else f" (looked for {path})"
    try:
        source = path.open("rb")
    except FileNotFoundError:
        raise FeedError(f"the file {location} does not exist{looked}") from None
    except IsADirectoryError:
        raise FeedError(f"{location} is a folder, not a file{looked}") from None
    except PermissionError:
        raise FeedError(f"syncbeat is not allowed to read {location} (permission denied)") from None
    except OSError as exc:
        raise FeedError(f"the file {location} cannot be read: {exc.strerror or exc}") from None
    with source:
        if not path.is_file():  # a FIFO or a device would never end, or change under us
            raise FeedError(f"{location} is not a regular file{looked}")
        with _writing(part) as out:
            try:
                shutil.copyfileobj(source, out, _CHUNK)
            except OSError as exc:
                raise FeedError(f"copying {location} failed: {exc.strerror or exc}") from None
            return _finish(out, part)


def _download(url: str, part: pathlib.Path, timeout: float) -> int:
    import httpx  # imported on use: only HTTP sources need it

    shown = shown_url(url)
    try:
        with httpx.stream(
            "GET",
            url,
            follow_redirects=True,
            timeout=timeout,
            headers={"User-Agent": "syncbeat"},
        ) as response:
            if not response.is_success:
                raise FeedError(
                    f"the server answered {response.status_code} {response.reason_phrase} "
                    f"for {shown}"
                )
            with _writing(part) as out:
                # iter_bytes undoes a Content-Encoding such as gzip: the snapshot is the feed.
                for chunk in response.iter_bytes(_CHUNK):
                    out.write(chunk)
                return _finish(out, part)
    except httpx.HTTPError as exc:
        raise FeedError(transport_problem(exc, url, timeout)) from None
    except OSError as exc:
        raise FeedError(f"the snapshot {part} cannot be written: {exc.strerror or exc}") from None


def _writing(part: pathlib.Path) -> BinaryIO:
    try:
        return part.open("wb")
    except OSError as exc:
        raise FeedError(f"the snapshot {part} cannot be written: {exc.strerror or exc}") from None


def _finish(out: BinaryIO, part: pathlib.Path) -> int:
    """Flush and fsync the snapshot so the rename that follows never exposes a partial file."""
    try:
        out.flush()
        os.fsync(out.fileno())
    except OSError as exc:
        raise FeedError(f"the snapshot {part} cannot be written: {exc.strerror or exc}") from None
    return out.tell()
