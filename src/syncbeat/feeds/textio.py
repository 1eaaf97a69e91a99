"""Text decoding shared by the readers: encoding names, and finding the first undecodable byte."""

from __future__ import annotations

import codecs
import io
import pathlib
from typing import BinaryIO

from syncbeat.feeds.errors import FeedError

_BLOCK = 1 << 20


def codec_name(encoding: str) -> str:
    """The Python codec for a spec's encoding; plain UTF-8 also accepts a byte order mark."""
    try:
        name = codecs.lookup(encoding.strip()).name
    except LookupError:
        raise FeedError(
            f"the encoding {encoding!r} is not known; use for example utf-8, windows-1257 or "
            "iso-8859-1"
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


def is_utf8(codec: str) -> bool:
    """Does this codec read plain UTF-8 (what JSON parsers and libxml2 expect)?"""
    return codec in ("utf-8", "utf-8-sig")


def ascii_compatible(codec: str) -> bool:
    """Can lines be split on the byte b"\\n" before decoding (false for UTF-16 and UTF-32)?"""
    return is_utf8(codec) or codecs.encode("\n", codec) == b"\n"


class EncodingError(FeedError):
    """The feed holds a byte its declared encoding cannot decode, at 1-based `line`."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def decode_error(path: pathlib.Path, codec: str) -> EncodingError | None:
    """Scan the file for its first byte that `codec` cannot decode, as an operator message."""
    decoder = codecs.getincrementaldecoder("utf-8" if is_utf8(codec) else codec)("strict")
    lines = 1
    with path.open("rb") as raw:
        # A byte order mark is skipped by hand so offsets in the decoder's errors stay simple.
        offset = 3 if is_utf8(codec) and raw.read(3) == codecs.BOM_UTF8 else 0
        raw.seek(offset)
        while True:
            block = raw.read(_BLOCK)
            held = len(decoder.getstate()[0])  # bytes of a character split across blocks
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                data = exc.object
                lines += data.count(b"\n", held, exc.start)
                bad = bytes(data[exc.start : exc.start + 1])
                return encoding_error(codec, offset - held + exc.start, lines, bad)
            except UnicodeError:
                # UTF-16 and UTF-32 without a byte order mark: the codec refuses the stream.
                return EncodingError(
                    f"the feed does not start with a byte order mark, which {codec} needs to "
                    f"know its byte order; set source.encoding to {codec}-le or {codec}-be, "
                    "or to the feed's real encoding (for example utf-8)",
                    1,
                )
            if not block:
                return None
            offset += len(block)
            lines += block.count(b"\n")


def encoding_error(codec: str, at: int, line: int, byte: bytes) -> EncodingError:
    """The message for an undecodable byte at 0-based file offset `at`, on 1-based `line`."""
    name = "utf-8" if is_utf8(codec) else codec
    hint = "windows-1257" if is_utf8(codec) else "utf-8"
    shown = f" (0x{byte.hex().upper()})" if byte else ""
    return EncodingError(
        f"the feed is not valid {name} at byte {at + 1}{shown}, line {line}; set source.encoding "
        f"to the feed's real encoding (for example {hint})",
        line,
    )


class Utf8Recoder:
    """A binary stream of UTF-8 re-encoded from a file in another encoding (for the JSON parser).

    Only `read` and `close`: ijson prefers `readinto` when a stream has one, and this has none.
    """

    def __init__(self, raw: BinaryIO, codec: str) -> None:
        self._text = io.TextIOWrapper(raw, encoding=codec, newline="")
        self._pending = b""

    def __enter__(self) -> Utf8Recoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, size: int = -1) -> bytes:
        """Up to about `size` bytes of UTF-8 (a character is never split)."""
        if size < 0:
            return self._pending + self._text.read().encode("utf-8")
        while len(self._pending) < size:
            chunk = self._text.read(max(size // 2, 1))
            if not chunk:
                break
            self._pending += chunk.encode("utf-8")
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def close(self) -> None:
        """Close the underlying file."""
        self._text.close()
