"""snapshot: copy an import's source (a file or an http(s) URL) to a private file, atomically;
head: copy at most its first bytes (the preview). Both only within the Reach they are given."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, BinaryIO

from syncbeat.feeds.archives import Unpacking, packing, unpack
from syncbeat.feeds.deadline import deadline
from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.reach import FTP_SCHEMES, SFTP, SOURCE, Reach
from syncbeat.feeds.secretrefs import Filled, NoSecrets, SecretLookup
from syncbeat.feeds.urls import answer_words, shown_url, transport_problem, url_scheme

if TYPE_CHECKING:
    import httpx

_CHUNK = 1 << 20


def snapshot(location: str, dest: pathlib.Path, *, reach: Reach, timeout: float = 30.0,
             secrets: SecretLookup | None = None,
             headers: Mapping[str, str] | None = None,
             unpacking: Unpacking | None = None) -> int:
    """Copy the feed at `location` to `dest` byte for byte, atomically; return the byte count.

    A remote feed stops at `reach.max_download` bytes and `reach.download_seconds` seconds;
    `timeout` bounds each wait for the server; `headers` go with an http(s) request.
    {secret:NAME} in `location` and `headers` is filled in from `secrets` now, and its value
    never shows in an error. With `unpacking`, a gzip or zip feed is unpacked to `dest`, up
    to `reach.max_unpacked` bytes."""
    # A local file is the operator's: it has no limit.
    remote = _Budget(reach.max_download, reach.download_seconds, cut=False)
    return _fetch(location, dest, reach=reach, timeout=timeout, remote=remote,
                  local=_Budget(0, 0.0, cut=False), secrets=secrets, headers=headers,
                  unpacking=unpacking and dataclasses.replace(
                      unpacking, limit=reach.max_unpacked, cut=False))[0]


def head(location: str, dest: pathlib.Path, *, reach: Reach, limit: int, seconds: float,
         cut: bool = True, why: str = "syncbeat reads up to",
         secrets: SecretLookup | None = None, headers: Mapping[str, str] | None = None,
         unpacking: Unpacking | None = None) -> bool:
    """Copy at most the first `limit` bytes of the feed to `dest`; True if there was more.
    With `cut` false, a longer feed is an error that says `why` (and the limit). A gzip feed
    is unpacked up to `limit` bytes, whatever was read of it; a zip file needs it whole."""
    budget = _Budget(limit, seconds, cut=cut, why=why)
    return _fetch(location, dest, reach=reach, timeout=seconds, remote=budget, local=budget,
                  secrets=secrets, headers=headers,
                  unpacking=unpacking and dataclasses.replace(unpacking, limit=limit,
                                                              cut=True))[1]


def _fetch(location: str, dest: pathlib.Path, *, reach: Reach, timeout: float,
           remote: _Budget, local: _Budget, secrets: SecretLookup | None,
           headers: Mapping[str, str] | None, unpacking: Unpacking | None
           ) -> tuple[int, bool]:
    location = location.strip()
    if not location:
        raise FeedError("the import has no source: set source.location to a file path or a URL")
    scheme = url_scheme(location)
    part = dest.with_suffix(".part")
    filled = Filled(secrets or NoSecrets())
    try:
        with filled.scrubbing():
            real = filled.fill(location, SOURCE, url=bool(scheme) and scheme != "file")
            if scheme in ("http", "https"):
                sent = {"User-Agent": "syncbeat"} | {
                    name: filled.fill(value, f"source.headers.{name}")
                    for name, value in (headers or {}).items()}
                done = _download(real, part, reach, timeout, remote, shown_url(location), sent)
            elif scheme in (*FTP_SCHEMES, SFTP):
                done = _ftp(real, part, reach, timeout, remote, shown_url(location))
            elif scheme and scheme != "file":
                raise FeedError(
                    f"syncbeat cannot read {scheme}:// sources; use a file path or an http(s), "
                    "ftp(s) or sftp URL"
                )
            else:
                done = _copy(reach, real, part, local)
        kind = packing(part, unpacking.format) if unpacking is not None else None
        if unpacking is not None and kind is not None:
            unpacked = dest.with_suffix(".unpacking")
            cut = unpack(part, unpacked, kind=kind, how=unpacking, shown=shown_url(location))
            done = (unpacked.stat().st_size, done[1] or cut)
            os.replace(unpacked, dest)
            part.unlink()
        else:
            os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return done


class _Budget:
    """How many bytes and seconds a copy may take; `cut` stops at the bytes instead of failing."""

    def __init__(self, limit: int, seconds: float, *, cut: bool,
                 why: str = "syncbeat reads remote feeds up to") -> None:
        self.limit = limit  # 0: no limit
        self.why = why
        self.deadline = time.monotonic() + seconds if seconds else None
        self.seconds = seconds
        self.cut = cut

    def pump(self, chunks: Iterable[bytes], out: BinaryIO, shown: str) -> bool:
        """Write `chunks` to `out` within the budget; True if the feed was cut short."""
        size = 0
        for chunk in chunks:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise FeedError(self.too_slow(shown, size))
            if self.limit and size + len(chunk) > self.limit:
                if self.cut:
                    out.write(chunk[: self.limit - size])
                    return True
                raise FeedError(self.too_big(shown))
            out.write(chunk)
            size += len(chunk)
        return False

    def remaining(self) -> float:
        """Seconds left, or 0 for no time limit."""
        if self.deadline is None:
            return 0.0
        return max(self.deadline - time.monotonic(), 0.001)

    def too_slow(self, shown: str, size: int | None = None) -> str:
        read = f" ({size:,} bytes read)" if size is not None else ""
        return (f"reading {shown} took longer than {self.seconds:g} seconds{read}: "
                "syncbeat stops a download there")

    def too_big(self, shown: str) -> str:
        return f"{shown} is larger than {_bytes(self.limit)}: {self.why} {_bytes(self.limit)}"


def _copy(reach: Reach, location: str, part: pathlib.Path, budget: _Budget) -> tuple[int, bool]:
    shown = shown_url(location)
    with reach.open_source(location, SOURCE) as source, _writing(part) as out:
        try:
            cut = budget.pump(iter(lambda: source.read(_CHUNK), b""), out, shown)
        except OSError as exc:
            raise FeedError(f"copying {shown} failed: {exc.strerror or exc}") from None
        return _finish(out, part), cut


def _download(url: str, part: pathlib.Path, reach: Reach, timeout: float, budget: _Budget,
              shown: str, headers: dict[str, str]) -> tuple[int, bool]:
    import httpx  # imported on use: only HTTP sources need it

    reach.check_url(url, SOURCE)
    # The budget's time, for the headers too: a server may drip them as well as the body.
    with deadline(budget.remaining()) as watch:
        try:
            with reach.client(timeout=timeout) as client, client.stream(
                    "GET", url, headers=headers,
                    extensions=watch.extensions) as response:
                if not response.is_success:
                    raise FeedError(f"the server answered {answer_words(response)} for {shown}")
                _check_length(response, budget, shown)
                with _writing(part) as out:
                    # iter_bytes undoes a Content-Encoding such as gzip: the snapshot is the
                    # feed, and the limit counts its bytes. Each piece as it comes, so the time
                    # is checked however slowly the server sends.
                    cut = budget.pump(response.iter_bytes(), out, shown)
                    return _finish(out, part), cut
        except httpx.HTTPError as exc:
            if watch.expired:
                raise FeedError(budget.too_slow(shown)) from None
            raise FeedError(transport_problem(exc, url, timeout, shown=shown)) from None
        except OSError as exc:
            raise FeedError(f"the snapshot {part} cannot be written: {exc.strerror or exc}"
                            ) from None


def _ftp(url: str, part: pathlib.Path, reach: Reach, timeout: float, budget: _Budget,
         shown: str) -> tuple[int, bool]:
    """An ftp(s):// or sftp:// source."""
    from syncbeat.feeds.ftp import ftp_reading
    from syncbeat.feeds.sftp import sftp_reading

    reach.check_url(url, SOURCE)
    reading = sftp_reading if url_scheme(url) == SFTP else ftp_reading
    with reading(url, reach=reach, timeout=timeout, shown=shown) as chunks, \
            _writing(part) as out:
        cut = budget.pump(chunks, out, shown)
        return _finish(out, part), cut


def _check_length(response: httpx.Response, budget: _Budget, shown: str) -> None:
    declared = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding", "identity") != "identity"
    if (budget.limit and not budget.cut and not encoded and declared.isdigit()
            and int(declared) > budget.limit):
        raise FeedError(budget.too_big(shown))


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


def _bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,} bytes"
