"""open_feed: pick the reader for a feed's format and turn file errors into operator words."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Sequence

from syncbeat.feeds.base import FORMATS, FeedReader, FeedSpec
from syncbeat.feeds.csvfeed import CsvFeed
from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.jsonfeed import JsonFeed
from syncbeat.feeds.jsonlfeed import JsonLinesFeed
from syncbeat.feeds.xmlfeed import XmlFeed

Opener = Callable[[pathlib.Path, FeedSpec, Sequence[str]], FeedReader]


def _xlsx(path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> FeedReader:
    # Imported on use: openpyxl is slow to import and most feeds never need it.
    from syncbeat.feeds.xlsxfeed import XlsxFeed

    return XlsxFeed(path, spec, fields)


_READERS: dict[str, Opener] = {
    "csv": CsvFeed,
    "json": JsonFeed,
    "jsonl": JsonLinesFeed,
    "xml": XmlFeed,
    "xlsx": _xlsx,
}


def open_feed(path: pathlib.Path, spec: FeedSpec, fields: Sequence[str]) -> FeedReader:
    """Open a snapshotted feed and check it as a whole; raise FeedError if it cannot be read."""
    reader = _READERS.get(spec.format.strip().lower())
    if reader is None:
        raise FeedError(
            f"the feed format {spec.format!r} is not supported; use one of: {', '.join(FORMATS)}"
        )
    try:
        return reader(path, spec, fields)
    except FileNotFoundError:
        raise FeedError(f"the feed file {path} does not exist") from None
    except IsADirectoryError:
        raise FeedError(f"the feed file {path} is a folder, not a file") from None
    except PermissionError:
        raise FeedError(f"syncbeat is not allowed to read the feed file {path}") from None
    except OSError as exc:
        raise FeedError(f"the feed file {path} cannot be read: {exc.strerror or exc}") from None
