"""The export file: products appended crash-safely to a parts file, then one JSON document."""

from __future__ import annotations

import os
import pathlib
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from syncbeat.feeds.errors import FeedError
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
        body = ",\n".join([dumps(product) for product in products]).encode()
        if body and committed_size:
            body = _SEPARATOR + body
        try:
            with _open_parts(self.parts_path) as parts:
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
                os.fsync(parts.fileno())
        except OSError as exc:
            raise FeedError(
                f"the export's parts file {self.parts_path} cannot be written: "
                f"{exc.strerror or exc}"
            ) from None
        return committed_size + len(body)


def finish_export(
    parts_path: pathlib.Path,
    final_path: pathlib.Path,
    *,
    parts_size: int,
    header: Mapping[str, Any],
    count: int,
) -> int:
    """Write the export document atomically from `header` and the parts file; return its size."""
    if "count" in header or "products" in header:
        raise ValueError("the export header must not hold 'count' or 'products'")
    opening = "{\n" + "".join(f"{dumps(str(k))}: {dumps(v)},\n" for k, v in header.items())
    opening += f'"count": {int(count)},\n"products": [\n'
    closing = "\n]\n}\n" if parts_size else "]\n}\n"
    folder = final_path.parent
    try:
        handle, temp_name = tempfile.mkstemp(
            dir=folder, prefix=f".{final_path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise FeedError(f"the export file cannot be written in {folder}: {exc.strerror}") from None
    temp = pathlib.Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(opening.encode())
            _copy_parts(parts_path, out, parts_size)
            out.write(closing.encode())
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(temp, final_path)
        _sync_folder(folder)
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
