"""Compressed feeds: a gzip file or a zip archive, told by its first bytes (or its name), is
unpacked to the snapshot a chunk at a time, never whole in memory, and never past a limit on
its unpacked size: a small file that unpacks to gigabytes (a zip bomb) is the task's error."""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from syncbeat.feeds.errors import FeedError

GZIP = "gzip"
ZIP = "zip"
_MAGIC = {b"\x1f\x8b": GZIP, b"PK\x03\x04": ZIP, b"PK\x05\x06": ZIP}  # 05 06: an empty zip
_CHUNK = 1 << 20
_SUFFIXES: dict[str, tuple[str, ...]] = {f: (f".{f}",) for f in ("csv", "json", "xml", "xlsx")}
_SUFFIXES["jsonl"] = (".jsonl", ".ndjson")


@dataclass(frozen=True, kw_only=True)
class Unpacking:
    """How a compressed feed is unpacked: which member of a zip, the feed's format (the first
    member of that format is read when no member is named), and the most bytes it may unpack
    to (`cut`: stop there quietly, as the preview does, instead of failing)."""

    member: str | None = None
    format: str = "csv"
    limit: int = 0  # 0: no limit
    cut: bool = False


def packing(path: Path, format: str) -> str | None:
    """GZIP or ZIP when the file at `path` is compressed (its first bytes say so), else None.
    A name ending in .gz or .zip over plain bytes is read as it is (a server may have unpacked
    it already, by Content-Encoding); an xlsx workbook, itself a zip, is no archive."""
    try:
        with path.open("rb") as head:
            first = head.read(4)
    except OSError:
        return None
    kind = _MAGIC.get(first[:2]) or _MAGIC.get(first)
    if kind == ZIP and format == "xlsx" and _is_workbook(path):
        return None
    return kind


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return True  # let the xlsx reader say what is wrong with it


def named_packed(location: str) -> bool:
    """Does the location's name say it is compressed (.gz, .zip)?"""
    name = location.split("?", 1)[0].lower()
    return name.endswith((".gz", ".gzip", ".zip"))


def unpack(packed: Path, dest: Path, *, kind: str, how: Unpacking, shown: str) -> bool:
    """Unpack the compressed file `packed` to `dest`; True if it was cut at `how.limit`."""
    try:
        with dest.open("wb") as out:
            if kind == GZIP:
                cut = _gunzip(packed, out, how, shown)
            else:
                cut = _unzip(packed, out, how, shown)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise FeedError(f"the snapshot {dest} cannot be written: {exc.strerror or exc}"
                        ) from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return cut


class _Counter:
    def __init__(self, out: BinaryIO, how: Unpacking, shown: str, what: str) -> None:
        self.out, self.how, self.shown, self.what = out, how, shown, what
        self.size = 0

    def room(self) -> int:
        """How many more bytes may be written (at most a chunk)."""
        if not self.how.limit:
            return _CHUNK
        return max(min(_CHUNK, self.how.limit - self.size), 0)

    def write(self, data: bytes) -> bool:
        """Write `data`; True when the limit is reached and the rest is to be dropped."""
        limit = self.how.limit
        if limit and self.size + len(data) > limit:
            if not self.how.cut:
                raise FeedError(
                    f"{self.shown} unpacks to more than {_bytes(limit)} ({self.what}): "
                    f"syncbeat unpacks a compressed feed up to {_bytes(limit)}, so a small "
                    "file that unpacks to far more (a zip bomb) cannot fill the disk")
            self.out.write(data[: limit - self.size])
            self.size = limit
            return True
        self.out.write(data)
        self.size += len(data)
        return False


def _gunzip(packed: Path, out: BinaryIO, how: Unpacking, shown: str) -> bool:
    counter = _Counter(out, how, shown, "gzip")
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
    with packed.open("rb") as source:
        chunk = source.read(_CHUNK)
        while chunk or (inflate.unconsumed_tail and not inflate.eof):
            try:
                # At most a chunk out per call: a bomb never unpacks in memory.
                data = inflate.decompress(chunk, _CHUNK)
            except zlib.error as exc:
                raise FeedError(f"{shown} is not a valid gzip file ({exc})") from None
            if counter.write(data):
                return True
            if inflate.eof and inflate.unused_data.strip(b"\x00"):
                # A gzip file may hold several members, one after the other.
                chunk = inflate.unused_data
                inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
            elif inflate.unconsumed_tail:
                chunk = inflate.unconsumed_tail
            else:
                chunk = source.read(_CHUNK)
    if not inflate.eof and not how.cut:
        raise FeedError(f"{shown} is cut short: the gzip file ends before its data does")
    return False


def _unzip(packed: Path, out: BinaryIO, how: Unpacking, shown: str) -> bool:
    try:
        archive = zipfile.ZipFile(packed)
    except zipfile.BadZipFile as exc:
        if how.cut:
            raise FeedError(f"{shown} is a zip file that the preview could not read whole "
                            f"({exc})") from None
        raise FeedError(f"{shown} is not a valid zip file ({exc})") from None
    with archive:
        member = _member(archive, how, shown)
        counter = _Counter(out, how, shown, f"{member.filename} in the zip file")
        if member.flag_bits & 0x1:
            raise FeedError(f"{member.filename} in {shown} is encrypted; syncbeat reads "
                            "zip files without a password only")
        try:
            with archive.open(member) as data:
                while chunk := data.read(counter.room() or 1):
                    if counter.write(chunk):
                        return True
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise FeedError(f"{member.filename} in {shown} cannot be unpacked ({exc})"
                            ) from None
    return False


def _member(archive: zipfile.ZipFile, how: Unpacking, shown: str) -> zipfile.ZipInfo:
    files = [info for info in archive.infolist() if not info.is_dir()]
    listed = ", ".join(info.filename for info in files[:10]) + (
        f" and {len(files) - 10} more" if len(files) > 10 else "")
    if how.member:
        for info in files:
            if info.filename == how.member or info.filename.rsplit("/", 1)[-1] == how.member:
                return info
        raise FeedError(f"{shown} holds no file named {how.member!r} (source.archive_member); "
                        f"it holds: {listed or 'nothing'}")
    suffixes = _SUFFIXES.get(how.format, (f".{how.format}",))
    for info in files:
        if info.filename.lower().endswith(suffixes):
            return info
    if len(files) == 1:
        return files[0]
    raise FeedError(f"{shown} holds no {how.format} file"
                    + (f" among {listed}: name the one to read with source.archive_member"
                       if files else " (the zip file is empty)"))


def _bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,} bytes"
