"""The export file: products appended crash-safely to a parts file, then one JSON document."""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from json.encoder import encode_basestring  # the C encoder dumps uses for text
from typing import Any, BinaryIO

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.export_formats import ExportFormat, products, write_csv, write_xml
from syncbeat.feeds.jsonvalues import dumps

_SEPARATOR = b",\n"
_CHUNK = 1 << 20


class ExportWriter:
    """Appends products to a parts file; the caller commits the returned size with each batch.

    A batch that fails after `append` leaves bytes past the committed size; the retry's
    `append` truncates them away, so every product ends up in the file exactly once.
    """

    def __init__(self, parts_path: pathlib.Path) -> None:
        self.parts_path = parts_path

    def append(self, committed_size: int, products: Sequence[Mapping[str, Any]]) -> int:
        """Truncate to `committed_size`, append `products`, fsync; return the new size."""
        return self.append_lines(committed_size, [dumps(product) for product in products])

    def append_lines(self, committed_size: int, lines: Sequence[str]) -> int:
        """`append` for products already written as JSON objects (see `product_lines`)."""
        size, durable = self.append_lines_syncing(committed_size, lines)
        durable()
        return size

    def append_lines_syncing(
        self, committed_size: int, lines: Sequence[str]
    ) -> tuple[int, Callable[[], None]]:
        """`append_lines`, flushing the file to disk in the background: returns the new size
        and a function that waits until the bytes are on disk (raising FeedError if they
        cannot be). The caller calls it before committing the size, so a committed size is
        always on disk, while the flush overlaps the batch's own statements.
        """
        body = ",\n".join(lines).encode()
        if body and committed_size:
            body = _SEPARATOR + body
        parts = None
        try:
            parts = _open_parts(self.parts_path)
            size = os.fstat(parts.fileno()).st_size
            if size < committed_size:
                raise FeedError(
                    f"the export's parts file {self.parts_path} holds {size} bytes, fewer "
                    f"than the {committed_size} already recorded; it was changed outside "
                    "syncbeat, so the export must be run again"
                )
            parts.truncate(committed_size)
            parts.seek(committed_size)
            parts.write(body)
            parts.flush()
            flushing = _flusher().submit(_sync_and_close, parts)
        except OSError as exc:
            if parts is not None:
                parts.close()
            raise self._unwritable(exc) from None
        except BaseException:
            if parts is not None:
                parts.close()
            raise

        def durable() -> None:
            try:
                flushing.result()
            except OSError as exc:
                raise self._unwritable(exc) from None

        return committed_size + len(body), durable

    def _unwritable(self, exc: OSError) -> FeedError:
        return FeedError(
            f"the export's parts file {self.parts_path} cannot be written: "
            f"{exc.strerror or exc}"
        )


def product_lines(
    names: Sequence[str], kinds: Sequence[str], columns: Sequence[Sequence[Any]]
) -> list[str]:
    """Products given column by column, as JSON objects: the same text `dumps` writes for
    `{name: value, ...}`, without a dict per product; each column is encoded in one pass.

    kinds: "text" (str or None), "int" (int or None), "bool" (bool or 0/1, or None), "number"
    (a number's JSON text, e.g. a price's canonical decimal text, or None), "any" (`dumps`).
    """
    if not names:
        return []
    encoded = [_COLUMN_ENCODERS[kind](column) for kind, column in zip(kinds, columns, strict=True)]
    template = "{%s}" % ", ".join(  # noqa: UP031 - the template is itself for %
        f"{encode_basestring(name).replace('%', '%%')}: %s" for name in names
    )
    return list(map(template.__mod__, zip(*encoded, strict=True)))


def _text_column(column: Sequence[Any]) -> list[str]:
    try:
        return list(map(encode_basestring, column))  # C all the way: the usual case
    except TypeError:  # a None, or not text after all
        return [dumps(v) for v in column]


def _int_column(column: Sequence[Any]) -> list[str]:
    if set(map(type, column)) - {int}:  # a None, or a bool: written as dumps would
        return [dumps(v) for v in column]
    return list(map(int.__repr__, column))


_BOOL_TEXT = {True: "true", False: "false", None: "null"}  # 1 and 0 are True and False here


def _bool_column(column: Sequence[Any]) -> list[str]:
    try:
        return list(map(_BOOL_TEXT.__getitem__, column))
    except (KeyError, TypeError):
        return ["null" if v is None else "true" if v else "false" for v in column]


def _number_column(column: Sequence[Any]) -> list[str]:
    if None in column:
        return ["null" if v is None else str(v) for v in column]
    return list(map(str, column))


def _any_column(column: Sequence[Any]) -> list[str]:
    return [dumps(v) for v in column]


_COLUMN_ENCODERS = {"text": _text_column, "int": _int_column, "bool": _bool_column,
                    "number": _number_column, "any": _any_column}


_FLUSHER: dict[int, concurrent.futures.ThreadPoolExecutor] = {}


def _flusher() -> concurrent.futures.ThreadPoolExecutor:
    # One thread per process (a forked child makes its own), made on first use: flushing
    # waits for the disk, not for the interpreter.
    pid = os.getpid()
    if pid not in _FLUSHER:
        _FLUSHER.clear()
        _FLUSHER[pid] = concurrent.futures.ThreadPoolExecutor(1, "syncbeat-export-flush")
    return _FLUSHER[pid]


def _sync_and_close(parts: BinaryIO) -> None:
    with parts:
        # The appended bytes and the file's size are what a retry relies on: fdatasync
        # flushes both, without the other metadata fsync would write too.
        getattr(os, "fdatasync", os.fsync)(parts.fileno())


def finish_export(
    parts_path: pathlib.Path,
    final_path: pathlib.Path,
    *,
    parts_size: int,
    header: Mapping[str, Any],
    count: int,
    how: ExportFormat | None = None,
) -> int:
    """Write the export document atomically from `header` and the parts file; return its size.
    `how`: JSON (the default), CSV or XML."""
    if "count" in header or "products" in header:
        raise ValueError("the export header must not hold 'count' or 'products'")
    if how is not None and how.format != "json":
        return _finish_as(parts_path, final_path, parts_size, header, count, how)
    opening = "{\n" + "".join(f"{dumps(str(k))}: {dumps(v)},\n" for k, v in header.items())
    opening += f'"count": {int(count)},\n"products": [\n'
    closing = "\n]\n}\n" if parts_size else "]\n}\n"

    def write(out: BinaryIO) -> None:
        out.write(opening.encode())
        _copy_parts(parts_path, out, parts_size)
        out.write(closing.encode())

    return _written_atomically(final_path, parts_path, write)


def _finish_as(parts_path: pathlib.Path, final_path: pathlib.Path, parts_size: int,
               header: Mapping[str, Any], count: int, how: ExportFormat) -> int:
    def write(out: BinaryIO) -> None:
        rows = products(parts_path, parts_size)
        if how.format == "csv":
            write_csv(out, rows, how)
        else:
            write_xml(out, rows, how, header, count)

    return _written_atomically(final_path, parts_path, write)


def _written_atomically(final_path: pathlib.Path, parts_path: pathlib.Path,
                        write: Callable[[BinaryIO], None]) -> int:
    """`write` into a temporary file beside `final_path`, flushed to disk, then renamed over
    it (a reader sees the old file or the whole new one); the new file's size. Nothing is
    left behind when it fails."""
    folder = final_path.parent
    try:
        handle, temp_name = tempfile.mkstemp(
            dir=folder, prefix=f".{final_path.name}.", suffix=".tmp")
    except OSError as exc:
        raise FeedError(f"the export file cannot be written in {folder}: {exc.strerror}") from None
    temp = pathlib.Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(temp, final_path)
        _sync_folder(folder)
    except FileNotFoundError as exc:
        temp.unlink(missing_ok=True)
        if not parts_path.exists():
            raise FeedError(f"the export's parts file {parts_path} is missing; the export "
                            "must be run again") from None
        raise FeedError(f"the export file {final_path} cannot be written: "
                        f"{exc.strerror}") from None
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise FeedError(f"the export file {final_path} cannot be written: {exc.strerror}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return size


def _open_parts(path: pathlib.Path) -> BinaryIO:
    try:
        return path.open("r+b")
    except FileNotFoundError:
        return path.open("w+b")  # the first batch creates it


def _copy_parts(parts_path: pathlib.Path, out: BinaryIO, parts_size: int) -> None:
    """Copy exactly `parts_size` bytes: what a crashed batch left after them is not committed."""
    if parts_size == 0:
        return
    try:
        parts = parts_path.open("rb")
    except FileNotFoundError:
        raise FeedError(
            f"the export's parts file {parts_path} is missing; the export must be run again"
        ) from None
    with parts:
        left = parts_size
        while left:
            chunk = parts.read(min(left, _CHUNK))
            if not chunk:
                raise FeedError(
                    f"the export's parts file {parts_path} is shorter than the {parts_size} "
                    "bytes recorded; the export must be run again"
                )
            out.write(chunk)
            left -= len(chunk)


def _sync_folder(folder: pathlib.Path) -> None:
    # The rename is durable only once the folder itself is flushed (POSIX; a no-op elsewhere).
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
