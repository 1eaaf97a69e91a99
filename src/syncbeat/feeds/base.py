"""What a feed is (FeedSpec) and how it is read (FeedReader)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, TypeAlias

from syncbeat.feeds.errors import FeedError, RowError

FORMATS = ("csv", "json", "jsonl", "xml", "xlsx")

Values: TypeAlias = tuple[str | None, ...]
Record: TypeAlias = Values | RowError


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    """How to read one import feed: its format and the options that format needs."""

    format: str  # "csv" | "json" | "jsonl" | "xml" | "xlsx"
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"  # "utf-8" also accepts a byte order mark
    header: bool = True  # csv: the first row names the columns; else they are "1", "2", ...
    item: str | None = None  # xml: tag of one product (default "product"); json: key of the list
    sheet: str | None = None  # xlsx: sheet name (default the first)


class FeedReader:
    """An opened feed: a context manager whose `records()` streams its products once."""

    columns: list[str] | None = None
    _started = False

    def records(self) -> Iterator[Record]:
        """Yield a tuple of the requested fields per product, or a RowError for a bad one."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file; safe to call twice."""

    def _start(self) -> None:
        # A feed is a stream over one open file: reading it twice would silently yield nothing.
        if self._started:
            raise RuntimeError("records() can be read only once per opened feed")
        self._started = True

    def __enter__(self) -> FeedReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class FileFeedReader(FeedReader):
    """A feed read from one open file by a `_records()` generator of its format."""

    _file: IO[Any] | None = None

    def records(self) -> Iterator[Record]:
        """Yield a tuple of the requested fields per product, or a RowError for a bad one."""
        self._start()
        return self._records()

    def close(self) -> None:
        """Close the feed's file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _records(self) -> Iterator[Record]:
        raise NotImplementedError


def column_positions(columns: Sequence[str], fields: Sequence[str]) -> dict[str, int]:
    """Each column name's position; a FeedError when a column the profile reads is named
    twice (which of the two is meant cannot be guessed)."""
    position: dict[str, int] = {}
    for index, name in enumerate(columns):
        if name in position and name in fields:
            raise FeedError(
                f"the feed has two columns named {name!r} (columns {position[name] + 1} and "
                f"{index + 1}): rename one, so the profile reads the one it means"
            )
        position.setdefault(name, index)
    return position
